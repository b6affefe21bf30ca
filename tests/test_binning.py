"""`layoutgen bin`: each rule catches its planted case, every input row is accounted for,
the tester transform, bad input refused in one line, outputs deterministic."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from conftest import REPO, assert_user_error
from layoutgen.binning.bindeck import AXES, ORIGINS, Transform, load_bin_deck
from layoutgen.binning.cells import read_cells
from layoutgen.binning.classify import IQR_TO_SIGMA, SheetInput, classify_sheet
from layoutgen.binning.e142 import split_grids
from layoutgen.binning.stage import bin_maps, read_rejects, report_section
from layoutgen.binning.transform import frame_of
from layoutgen.errors import LayoutgenError

PITCH = 2.0  # mm between cell centres of the test grids
NX = NY = 10

DECK = """
[match]
tolerance_mm = 0.5
[[bin]]
code = 90
name = "no_match"
pass = false
rule = "no_match"
[[bin]]
code = 91
name = "duplicate"
pass = false
rule = "duplicate"
[[bin]]
code = 92
name = "bad_value"
pass = false
rule = "non_numeric"
[[bin]]
code = 99
name = "untested"
pass = false
rule = "untested"
[[bin]]
code = 10
name = "short"
pass = false
rule = "spec"
parameter = "ocv_v"
low = 3.0
[[bin]]
code = 20
name = "impedance_high"
pass = false
rule = "spec"
parameter = "impedance_ohm"
high = 500.0
[[bin]]
code = 30
name = "ocv_outlier"
pass = false
rule = "dynamic"
parameter = "ocv_v"
k = 6.0
[[bin]]
code = 40
name = "bad_neighbourhood"
pass = false
rule = "neighbourhood"
radius_mm = 2.5
min_failing = 4
[[bin]]
code = 1
name = "pass"
pass = true
rule = "pass"
"""


def write_cells(path: Path, nx: int = NX, ny: int = NY, pitch: float = PITCH) -> Path:
    """A cells.csv of an nx x ny grid, ids row by row, first centre at (pitch, pitch)."""
    lines = ["id,row,col,x,y,rotation,pad_x,pad_y,field"]
    for k in range(nx * ny):
        r, c = divmod(k, nx)
        x, y = (c + 1) * pitch, (r + 1) * pitch
        lines.append(f"{k},{r},{c},{x:.6f},{y:.6f},0,{x:.6f},{y:.6f},{int(c >= nx // 2)}")
    path.write_text("\n".join(lines) + "\n")
    return path


def good_values(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return (np.round(3.9 + 0.005 * rng.standard_normal(n), 4),
            np.round(120 + 3 * rng.standard_normal(n), 2))


def write_map(path: Path, rows: list[tuple], header: str = "id,ocv_v,impedance_ohm") -> Path:
    path.write_text(header + "\n" + "".join(",".join(str(v) for v in r) + "\n" for r in rows))
    return path


@pytest.fixture
def sheet(tmp_path: Path) -> dict[str, Path]:
    cells = write_cells(tmp_path / "cells.csv")
    deck = tmp_path / "deck.toml"
    deck.write_text(DECK)
    return {"cells": cells, "deck": deck, "dir": tmp_path}


def _bin_of(result, cell_id: int, sheet: int = 0) -> str:
    return result.deck.bins[int(result.cell_bins[sheet, cell_id])].name


def _base_rows(n: int = NX * NY) -> list[tuple]:
    ocv, imp = good_values(n)
    return [(k, ocv[k], imp[k]) for k in range(n)]


# ------------------------------------------------------------------ each rule, a planted case


def test_planted_short_out_of_family_and_neighbourhood(sheet) -> None:
    rows = _base_rows()
    rows[37] = (37, 1.2, 130.0)  # a short: below the 3.0 V spec limit
    rows[62] = (62, 3.75, 121.0)  # inside the spec, far out of the sheet's family
    for k in (44, 46, 35, 55):  # the four lattice neighbours of cell 45 fail
        rows[k] = (k, 0.5, 120.0)
    rows[81] = (81, 3.9, 900.0)  # impedance over its spec limit
    r = bin_maps([write_map(sheet["dir"] / "S1.csv", rows)], sheet["cells"], sheet["deck"])
    assert _bin_of(r, 37) == "short"
    assert _bin_of(r, 62) == "ocv_outlier"
    assert _bin_of(r, 45) == "bad_neighbourhood"
    assert _bin_of(r, 81) == "impedance_high"
    assert _bin_of(r, 34) == "pass"  # 2 failing neighbours within 2.5 mm (35, 44): too few
    names = r.table.get_column("bin_name").to_list()
    assert names.count("pass") == NX * NY - 8
    dyn = r.sheets[0].dynamic[0]
    assert dyn.applied and not dyn.low <= 3.75 <= dyn.high
    rule = r.table.filter(pl.col("id") == 37).get_column("rule")[0]
    assert rule == "ocv_v < 3"


def test_first_failing_rule_decides(sheet) -> None:
    """A cell failing two spec bins goes to the earlier one."""
    rows = _base_rows()
    rows[10] = (10, 1.0, 900.0)
    r = bin_maps([write_map(sheet["dir"] / "S1.csv", rows)], sheet["cells"], sheet["deck"])
    assert _bin_of(r, 10) == "short"


def test_unmatched_duplicate_non_numeric_untested(sheet) -> None:
    rows = _base_rows()
    rows.append((999, 3.9, 120.0))  # matches no cell
    rows.append((5, 3.91, 121.0))  # cell 5 again
    rows[7] = (7, "n/a", 120.0)  # not a number
    del rows[20]  # cell 20 never measured
    r = bin_maps([write_map(sheet["dir"] / "S1.csv", rows)], sheet["cells"], sheet["deck"])
    c = r.counts
    assert (c.rows, c.unmatched_rows, c.duplicate_rows, c.duplicate_cells) == (101, 1, 2, 1)
    assert (c.non_numeric_rows, c.untested_cells) == (1, 1)
    assert _bin_of(r, 5) == "duplicate" and _bin_of(r, 7) == "bad_value"
    assert _bin_of(r, 20) == "untested"
    t = r.table
    assert t.filter(pl.col("id") == 5).get_column("bin_name").to_list() == ["duplicate"] * 2
    nm = t.filter(pl.col("id").is_null())
    assert nm.height == 1 and nm.get_column("bin_name")[0] == "no_match"
    assert nm.get_column("map_row")[0] == 100  # the data row it came from
    kinds = {p.kind: p for p in r.problems}
    assert kinds["no_match"].count == 1 and "data row 100" in kinds["no_match"].first[0]
    assert "cell id 20" in kinds["untested"].first[0]


@pytest.mark.parametrize(("policy", "plant", "word"), [
    ("unmatched", lambda rows: rows.append((999, 3.9, 120.0)), "no match"),
    ("duplicate", lambda rows: rows.append((3, 3.9, 120.0)), "duplicate"),
    ("non_numeric", lambda rows: rows.__setitem__(4, (4, "x", 120.0)), "non numeric"),
    ("untested", lambda rows: rows.pop(), "untested"),
])
def test_refuse_policies(sheet, policy, plant, word) -> None:
    rows = _base_rows()
    plant(rows)
    (sheet["dir"] / "strict.toml").write_text(f'[match]\n{policy} = "refuse"\n')
    with pytest.raises(LayoutgenError, match=word):
        bin_maps([write_map(sheet["dir"] / "S1.csv", rows)], sheet["cells"],
                 [sheet["deck"], sheet["dir"] / "strict.toml"])


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_input_row_accounted_for(sheet, data) -> None:
    n = NX * NY
    rng = np.random.default_rng(data.draw(st.integers(0, 2**31)))
    measured = rng.random(n) < data.draw(st.floats(0.3, 1.0))
    assume(measured.sum() >= 25)
    ocv, imp = good_values(n, int(rng.integers(1000)))
    rows: list[tuple] = [(k, ocv[k], imp[k]) for k in range(n) if measured[k]]
    rows += [(int(k), 3.9, 120.0) for k in rng.choice(n, data.draw(st.integers(0, 5)))]
    rows += [(int(k), 3.9, 120.0) for k in rng.integers(n, 2 * n, data.draw(st.integers(0, 5)))]
    bad = data.draw(st.integers(0, 3))
    for j in range(bad):
        rows[j] = (rows[j][0], "bad", rows[j][2])
    order = rng.permutation(len(rows))
    rows = [rows[j] for j in order]
    r = bin_maps([write_map(sheet["dir"] / "S1.csv", rows)], sheet["cells"], sheet["deck"])
    t = r.table
    untested = int((~np.isin(np.arange(n), [x[0] for x in rows if x[0] < n])).sum())
    assert r.counts.rows == len(rows)
    assert t.height == len(rows) + untested
    got = t.filter(pl.col("map_row").is_not_null()).get_column("map_row").sort().to_list()
    assert got == list(range(1, len(rows) + 1))  # each row exactly once
    assert set(t.get_column("id").drop_nulls().to_list()) == set(range(n))
    assert r.counts.untested_cells == untested
    assert r.sheets[0].passed == int(t.filter(pl.col("pass") & pl.col("id").is_not_null())
                                     .get_column("id").n_unique())
    assert sum(b.cells for b in r.sheets[0].pareto) == n


# ------------------------------------------------------------------ keys and transforms


def test_row_col_and_parquet_give_the_same_bins(sheet) -> None:
    rows = _base_rows()
    rows[12] = (12, 1.0, 120.0)
    by_id = bin_maps([write_map(sheet["dir"] / "S1.csv", rows)], sheet["cells"], sheet["deck"])
    rc = [(k // NX, k % NX, o, i) for k, o, i in rows]
    by_rc = bin_maps([write_map(sheet["dir"] / "S1.csv", rc, "row,col,ocv_v,impedance_ohm")],
                     sheet["cells"], sheet["deck"])
    pq = sheet["dir"] / "S1.parquet"
    pl.DataFrame(rows, schema=["id", "ocv_v", "impedance_ohm"], orient="row").write_parquet(pq)
    by_pq = bin_maps([pq], sheet["cells"], sheet["deck"])
    assert np.array_equal(by_id.cell_bins, by_rc.cell_bins)
    assert np.array_equal(by_id.cell_bins, by_pq.cell_bins)
    assert _bin_of(by_id, 12) == "short"


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(origin=st.sampled_from(ORIGINS), axes=st.sampled_from(AXES),
       rot=st.sampled_from([0, 90, 180, 270]), ou=st.integers(-50_000, 50_000),
       ov=st.integers(-50_000, 50_000))
def test_tester_frame_round_trip(sheet, origin, axes, rot, ou, ov) -> None:
    """Tester coordinates made by inverting a declared frame match every cell again."""
    m = read_cells(sheet["cells"])
    sheet_nm = (22_000_000, 22_000_000)  # extent of the 10 x 10 grid, equal margins
    t = Transform(origin=origin, axis_direction=axes, rotation_deg=rot,
                  offset_mm=[ou / 1000, ov / 1000])
    f = frame_of(t, sheet_nm)
    dx, dy = m.pad_x - f.corner_nm[0] / 1e6, m.pad_y - f.corner_nm[1] / 1e6
    u = f.offset_nm[0] / 1e6 + dx * f.ex[0] + dy * f.ex[1]
    v = f.offset_nm[1] / 1e6 + dx * f.ey[0] + dy * f.ey[1]
    ocv, imp = good_values(m.count)
    order = np.random.default_rng(ou & 0xFFFF).permutation(m.count)
    rows = [(f"{u[k]:.4f}", f"{v[k]:.4f}", ocv[k], imp[k]) for k in order]
    path = write_map(sheet["dir"] / "S1.csv", rows, "x_mm,y_mm,ocv_v,impedance_ohm")
    r = bin_maps([path], sheet["cells"], sheet["deck"],
                 transform=[f"origin={origin}", f"axis_direction={axes}", f"rotation_deg={rot}",
                            f"offset_mm={ou / 1000},{ov / 1000}"])
    assert r.counts.unmatched_rows == 0 and r.counts.duplicate_rows == 0
    got = r.table.get_column("id").to_list()
    assert got == [int(k) for k in order]


def test_transform_off_the_sheet_refused(sheet) -> None:
    rows = [(x, y, 3.9, 120.0) for x, y in ((2000, 2000), (4000, 2000))]
    path = write_map(sheet["dir"] / "S1.csv", rows, "x_um,y_um,ocv_v,impedance_ohm")
    with pytest.raises(LayoutgenError, match="off the"):
        bin_maps([path], sheet["cells"], sheet["deck"], transform=["origin=upper_right"])


def test_xy_outside_tolerance_is_no_match(sheet) -> None:
    rows = [(PITCH + 0.2, PITCH, 3.9, 120.0), (PITCH + 0.9, PITCH, 3.9, 120.0)]
    path = write_map(sheet["dir"] / "S1.csv", rows, "x,y,ocv_v,impedance_ohm")
    r = bin_maps([path], sheet["cells"], sheet["deck"])
    assert r.table.get_column("id").to_list()[:2] == [0, None]


# ------------------------------------------------------------------ statistics and zones


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(3.0, 4.3), min_size=30, max_size=200), st.floats(0.5, 8.0))
def test_dynamic_limits_are_median_pm_k_iqr(values, k) -> None:
    v = np.array(values)
    assume(np.ptp(v) > 1e-6)
    deck = load_bin_deck([], None).deck.model_copy(update={"bins": [
        b for b in load_bin_deck().deck.bins if b.rule in ("dynamic", "pass")
        and b.parameter in (None, "ocv_v")]})
    dyn = deck.bins[0].model_copy(update={"k": k})
    deck = deck.model_copy(update={"bins": [dyn, deck.bins[-1]]})
    n = len(v)
    cells = SheetInput({"ocv_v": v}, np.ones(n, bool), np.zeros(n, bool), np.zeros(n, bool))
    res = classify_sheet(deck, cells, np.zeros((n, 2)), 1.0, "S")
    q1, med, q3 = np.percentile(v, [25, 50, 75])
    lo, hi = med - k * (q3 - q1) / IQR_TO_SIGMA, med + k * (q3 - q1) / IQR_TO_SIGMA
    assert res.dynamic[0].median == pytest.approx(med)
    assert np.array_equal(res.bin_index == 0, (v < lo) | (v > hi))


def test_zones_cover_every_cell(sheet) -> None:
    r = bin_maps([write_map(sheet["dir"] / "S1.csv", _base_rows())], sheet["cells"],
                 sheet["deck"])
    for kind in ("edge_ring", "field", "across", "along"):
        zs = [z for z in r.sheets[0].zones if z.kind == kind]
        assert sum(z.cells for z in zs) == NX * NY, kind
    fields = {z.label: z.cells for z in r.sheets[0].zones if z.kind == "field"}
    assert fields == {"field 0": 50, "field 1": 50}


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize(("header", "word"), [
    ("cell,ocv_v", "no column naming the cell"),
    ("id,ocv_volts", "ocv_volts"),
    ("id,notes_x", "notes_x"),
    ("id,ocv_v,OCV_V", "given twice"),
])
def test_bad_map_columns(sheet, header, word) -> None:
    n = len(header.split(","))
    path = write_map(sheet["dir"] / "S1.csv", [tuple([1] * n)], header)
    with pytest.raises(LayoutgenError, match=word):
        bin_maps([path], sheet["cells"], sheet["deck"])


BAD_DECKS = [
    ('[[bin]]\ncode=1\nname="a"\npass=false\nrule="spec"\nparameter="ocv_v"\nlow=3.0\n'
     '[[bin]]\ncode=2\nname="b"\npass=false\nrule="spec"\nparameter="ocv_v"\nlow=2.5\n'
     '[[bin]]\ncode=3\nname="ok"\npass=true\nrule="pass"\n', "no cell can reach"),
    ('[[bin]]\ncode=1\nname="a"\npass=false\nrule="spec"\nparameter="leakage_ua"\nhigh=3.0\n'
     '[[bin]]\ncode=3\nname="ok"\npass=true\nrule="pass"\n', "no map measures"),
    ('[[bin]]\ncode=1\nname="a"\npass=false\nrule="spec"\nparameter="ocv_volt"\nhigh=3.0\n'
     '[[bin]]\ncode=3\nname="ok"\npass=true\nrule="pass"\n', "no known unit"),
    ('[[bin]]\ncode=1\nname="a"\npass=false\nrule="spec"\nparameter="ocv_v"\nlow=3.0\n'
     '[[bin]]\ncode=1\nname="ok"\npass=true\nrule="pass"\n', "code 1 already used"),
    ('[[bin]]\ncode=1\nname="a"\npass=false\nrule="spec"\nparameter="ocv_v"\nlow=3.0\n'
     '[[bin]]\ncode=2\nname="u"\npass=false\nrule="untested"\n'
     '[[bin]]\ncode=3\nname="ok"\npass=true\nrule="pass"\n', "come before"),
    ('[[bin]]\ncode=1\nname="a"\npass=false\nrule="spec"\nparameter="ocv_v"\nlow=3.0\n',
     "last bin must be the pass bin"),
    ('[[bin]]\ncode=1\nname="a"\npass=false\nrule="spec"\nparameter="ocv_v"\nlow=4.0\nhigh=3.0\n'
     '[[bin]]\ncode=3\nname="ok"\npass=true\nrule="pass"\n', "must be below"),
    ('[[bin]]\ncode=1\nname="a"\npass=false\nrule="dynamic"\nparameter="ocv_v"\n'
     '[[bin]]\ncode=3\nname="ok"\npass=true\nrule="pass"\n', "needs k"),
    ('[transform]\nrotation_deg = 45\n', "rotation_deg"),
]


@pytest.mark.parametrize(("text", "word"), BAD_DECKS)
def test_bad_bin_decks(sheet, text, word) -> None:
    bad = sheet["dir"] / "bad.toml"
    bad.write_text(text)
    path = write_map(sheet["dir"] / "S1.csv", _base_rows())
    with pytest.raises(LayoutgenError, match=word) as exc:
        bin_maps([path], sheet["cells"], bad)
    assert "\n" not in str(exc.value)


def test_cli_refusal_is_one_line_and_writes_nothing(cli, sheet) -> None:
    bad = sheet["dir"] / "bad.toml"
    bad.write_text(BAD_DECKS[0][0])
    path = write_map(sheet["dir"] / "S1.csv", _base_rows())
    out = sheet["dir"] / "out"
    r = cli("bin", path, "--manifest", sheet["cells"], "--rules", bad, "-o", out)
    assert_user_error(r, "no cell can reach")
    assert not out.exists()
    r = cli("bin", sheet["dir"] / "missing.csv", "--manifest", sheet["cells"], "-o", out)
    assert_user_error(r, "missing.csv")
    assert not out.exists()


# ------------------------------------------------------------------ outputs


def test_outputs_deterministic_rejects_and_e142(cli, sheet) -> None:
    rows = _base_rows()
    rows[37] = (37, 1.2, 130.0)
    path = write_map(sheet["dir"] / "S1.csv", rows, "id,ocv_v,impedance_ohm")
    outs = []
    for k in range(2):
        out = sheet["dir"] / f"out{k}"
        r = cli("bin", path, "--manifest", sheet["cells"], "--rules", sheet["deck"], "--cell",
                "1.8x1.8", "-o", out)
        assert r.code == 0, r.err
        outs.append(out)
    names = sorted(p.name for p in outs[0].iterdir())
    assert {"bins.csv", "yield.json", "yield.csv", "pickmap.csv", "pickmap.e142.xml",
            "bins_S1.png", "bins_S1.svg", "heat_S1_ocv_v.png"} <= set(names)
    for n in names:
        assert (outs[0] / n).read_bytes() == (outs[1] / n).read_bytes(), n
    assert read_rejects(outs[0] / "bins.csv") == {"S1": frozenset({37})}
    root = ET.parse(outs[0] / "pickmap.e142.xml").getroot()
    ns = {"e": root.tag[1:].split("}")[0]}
    codes = [e.text for e in root.iterfind(".//e:BinCode", ns)]
    assert len(codes) == NY and all(len(c) == 3 * NX for c in codes)
    assert codes[3][3 * 7:3 * 8] == "010"  # cell 37: row 3, col 7, bin 10
    sec = report_section(bin_maps([path], sheet["cells"], sheet["deck"]))
    assert sec.tables[0].rows[0][0] == "S1"
    assert {f.file for f in sec.figures} == {n for n in names if n.endswith(".png")}


def test_e142_grids_of_hex_and_mixed_layouts() -> None:
    hexa = read_cells(REPO / "examples" / "testmaps" / "hearable_round_cells.csv")
    s = split_grids(hexa)
    assert len(s.grids) == 1 and s.left_out == 0
    assert s.grids[0].nx * s.grids[0].ny == 2 * hexa.count  # every other position null
    mixed = read_cells(REPO / "examples" / "testmaps" / "wearable_patch_cells.csv")
    s = split_grids(mixed)
    assert sum(len(g.cells) for g in s.grids) + s.left_out == mixed.count
    assert len({g.rotation for g in s.grids}) == 2
    for g in s.grids:  # every cell sits at its grid position
        x = g.x0_nm + g.i * g.px_nm
        assert np.all(np.abs(x - np.rint(mixed.x[g.cells] * 1e6)) <= 100)


def test_shipped_examples_bin(tmp_path) -> None:
    """The committed example maps bin with the shipped and the example decks, every row kept."""
    ex = REPO / "examples" / "testmaps"
    r = bin_maps([ex / "wearable_patch_sheets.csv"], ex / "wearable_patch_cells.csv", None)
    assert r.counts.rows == r.table.filter(pl.col("map_row").is_not_null()).height
    assert len(r.sheet_ids) == 3 and r.counts.untested_cells == 2
    assert r.counts.duplicate_cells == 1
    r = bin_maps([ex / "hearable_round_sheet1.csv", ex / "hearable_round_sheet2.csv"],
                 ex / "hearable_round_cells.csv", ex / "hearable_tester.toml")
    assert r.counts.unmatched_rows == 0 and r.counts.untested_cells == 0
    assert "synthetic" in (ex / "hearable_round_sheet1.csv").read_text().lower()[:200]


@pytest.mark.parametrize(("origin", "axes", "rot", "uv", "xy"), [
    ("lower_left", "up_right", 0, (3.0, 4.0), (3.0, 4.0)),
    ("upper_left", "down_right", 0, (3.0, 4.0), (3.0, 16.0)),  # y measured down from the top
    ("lower_right", "up_left", 0, (3.0, 4.0), (17.0, 4.0)),
    ("upper_right", "down_left", 0, (3.0, 4.0), (17.0, 16.0)),
    ("lower_left", "up_right", 90, (3.0, 4.0), (-4.0, 3.0)),  # axes turned CCW: x points up
    ("lower_left", "up_right", 180, (3.0, 4.0), (-3.0, -4.0)),
    ("lower_left", "up_right", 270, (3.0, 4.0), (4.0, -3.0)),
])
def test_frame_known_answers(origin, axes, rot, uv, xy) -> None:
    """Independent of the inverse: a few tester points and where the frame must put them on a
    20 x 20 mm sheet."""
    f = frame_of(Transform(origin=origin, axis_direction=axes, rotation_deg=rot),
                 (20_000_000, 20_000_000))
    x, y = f.apply(np.array([uv[0]]), np.array([uv[1]]))
    assert (float(x[0]), float(y[0])) == pytest.approx(xy)
    f = frame_of(Transform(offset_mm=[1.0, 2.0]), (20_000_000, 20_000_000))
    x, y = f.apply(np.array([1.0]), np.array([2.0]))
    assert (float(x[0]), float(y[0])) == (0.0, 0.0)  # the offset is the corner's reading


def test_more_refusals(cli, sheet) -> None:
    d = sheet["dir"]
    empty = d / "empty.csv"
    empty.write_text("id,ocv_v,impedance_ohm\n")
    latin = d / "latin.csv"
    latin.write_bytes(b"id,ocv_v,impedance_ohm\n1,3.9,12\xb5\n")
    good = write_map(d / "S1.csv", _base_rows())
    many = d / "many.toml"
    many.write_text("[pictures]\nmax_sheets = 10000\n")
    lots = write_map(d / "lots.csv", [(f"S{k}", j, 3.9, 120.0) for k in range(150)
                                      for j in range(3)], "sheet,id,ocv_v,impedance_ohm")
    cases = [((empty,), (), "no data rows"), ((latin,), (), "not UTF-8"),
             ((good,), ("--sheet", "10x10"), "does not hold"),
             ((lots,), ("--rules", many), "figures to draw")]
    for k, (maps, extra, word) in enumerate(cases):
        out = d / f"o{k}"
        r = cli("bin", *maps, "--manifest", sheet["cells"], "--rules", sheet["deck"], *extra,
                "-o", out)
        assert_user_error(r, word)
        assert not out.exists(), word


def test_cli_table_names_the_first_problem_row(cli, sheet) -> None:
    rows = _base_rows()
    rows.append((999, 3.9, 120.0))
    path = write_map(sheet["dir"] / "S1.csv", rows)
    r = cli("bin", path, "--manifest", sheet["cells"], "--rules", sheet["deck"], "--no-pictures",
            "-o", sheet["dir"] / "out")
    assert r.code == 0, r.err
    assert "data row 101" in r.out and "no match" in r.out
    assert not list((sheet["dir"] / "out").glob("*.png"))


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(nx=st.integers(1, 12), ny=st.integers(1, 12), px=st.integers(1_000, 30_000),
       py=st.integers(1_000, 30_000), seed=st.integers(0, 1000))
def test_e142_codes_sit_at_their_grid_positions(tmp_path, nx, ny, px, py, seed) -> None:
    """A lattice with a few holes is one grid; each code row holds the cells' bins at their
    columns and the null bin at the holes."""
    rng = np.random.default_rng(seed)
    keep = rng.random(nx * ny) < 0.9
    keep[0] = keep[-1] = True  # the lattice's extent is fixed by its corners
    assume(keep.sum() * 2 >= nx * ny)
    grid_ = keep.reshape(ny, nx)  # the pitch along an axis is seen only where two neighbours
    assume(ny == 1 or bool((grid_[1:] & grid_[:-1]).any()))  # along it are both present
    assume(nx == 1 or bool((grid_[:, 1:] & grid_[:, :-1]).any()))
    idx = np.flatnonzero(keep)
    lines = ["id,row,col,x,y,rotation,pad_x,pad_y,field"]
    for k, g in enumerate(idx):
        r, c = divmod(int(g), nx)
        x, y = 5 + c * px / 1000, 5 + r * py / 1000
        lines.append(f"{k},{r},{c},{x:.6f},{y:.6f},0,{x:.6f},{y:.6f},0")
    cells = tmp_path / f"c{seed}.csv"
    cells.write_text("\n".join(lines) + "\n")
    m = read_cells(cells)
    s = split_grids(m)
    assert len(s.grids) == 1 and s.left_out == 0
    g = s.grids[0]
    assert (g.nx, g.ny) == (nx, ny)
    assert np.array_equal(g.j * nx + g.i, idx[g.cells])
