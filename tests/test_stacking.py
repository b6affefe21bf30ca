"""`layoutgen stack`: matched stacks verified by the independent checker, bounds against a
brute-force optimum, planted cases where the naive order fails, bad input, outputs."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from layoutgen.cli import app, main
from layoutgen.errors import LayoutgenError
from layoutgen.report import render_section
from layoutgen.stacking import matching, stacker
from layoutgen.stacking.bounds import upper_bounds
from layoutgen.stacking.check import check_stacks, read_maps, read_stacks_csv
from layoutgen.stacking.limits import load_limits
from layoutgen.stacking.lotplan import measured_lot_plan
from layoutgen.stacking.naive import naive_stacks
from layoutgen.stacking.picklist import pick_list
from layoutgen.stacking.stage import (
    StackRequest,
    report_section,
    stack_cells,
    write_stack_outputs,
)
from layoutgen.stacking.synthetic import sheet_frame, write_map
from layoutgen.stacking.target import Options

runner = CliRunner()
MICRO = 1_000_000


def _map(tmp: Path, name: str, rows: list[tuple[float, float, float, bool]]) -> Path:
    """A bins.csv with one cell per (capacity mAh, impedance ohm, ocv V, pass) in map order."""
    n = len(rows)
    frame = pl.DataFrame({
        "sheet": [name] * n, "id": list(range(n)), "row": [i // 10 for i in range(n)],
        "col": [i % 10 for i in range(n)], "x": [float(i % 10) for i in range(n)],
        "y": [float(i // 10) for i in range(n)],
        "ocv_v": [r[2] for r in rows], "impedance_ohm": [r[1] for r in rows],
        "capacity_mah": [r[0] for r in rows], "bin_code": [1 if r[3] else 7 for r in rows],
        "bin_name": ["good" if r[3] else "fail" for r in rows],
        "pass": ["true" if r[3] else "false" for r in rows], "rule": [""] * n,
    })
    return write_map(frame, tmp / f"{name}.csv")


def _stack(tmp: Path, maps: list[Path], *args: str, out: str = "out") -> tuple[int, str]:
    res = runner.invoke(app, ["stack", *map(str, maps), "-o", str(tmp / out), "--overwrite",
                              *args])
    return res.exit_code, res.output


def _error(tmp: Path, maps: list[Path], *args: str) -> str:
    """A user error, both ways: CliRunner on the typer app raises the one-line LayoutgenError
    (nothing written), and the real entry point turns it into exit 2 with that one line on
    stderr and no traceback. Returns the line."""
    out = tmp / "err_out"
    argv = ["stack", *map(str, maps), "-o", str(out), *args]
    res = runner.invoke(app, argv)
    assert isinstance(res.exception, LayoutgenError), (res.exit_code, res.output)
    text = str(res.exception)
    assert "\n" not in text
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert not out.exists()
    return text


def _verify(tmp: Path, maps: list[Path], out: str, target: float, retention: float,
            n: tuple[int, int], z: float, v: float, nominal: float | None = None) -> int:
    """The independent checker over the written stacks.csv; the number of stacks."""
    stacks = read_stacks_csv(tmp / out / "stacks.csv")
    rep = check_stacks(read_maps(maps), stacks, target_mah=target, retention=retention,
                       n_min=n[0], n_max=n[1], max_impedance_spread=z, max_ocv_spread_mv=v,
                       nominal_mah=nominal)
    assert rep.ok, rep.problems[:5]
    return rep.stacks


# --------------------------------------------------------------------------- planted cases


def test_naive_breaks_the_impedance_limit_matching_pairs_like_with_like(tmp_path: Path) -> None:
    # map order alternates 10 and 20 ohm: every naive pair is 100 % apart; matching pairs them
    rows = [(1.0, 10.0 if i % 2 == 0 else 20.0, 4.0, True) for i in range(40)]
    m = _map(tmp_path, "S1", rows)
    code, out = _stack(tmp_path, [m], "--capacity", "2", "--layers", "2", "--json")
    assert code == 0, out
    d = json.loads(out)
    assert d["naive"]["products"] == 0 and d["naive"]["over_spread"] == 20
    assert d["products"] == 20 == d["upper_bound"]
    assert _verify(tmp_path, [m], "out", 2, 1.0, (2, 2), 0.1, 20) == 20


def test_naive_misses_capacity_balancing_finds_it(tmp_path: Path) -> None:
    # sorted in the map: two big then two small, repeated; big+big and small+small fail/waste
    rows = []
    for _ in range(10):
        rows += [(1.2, 20.0, 4.0, True), (1.2, 20.1, 4.0, True), (0.8, 20.2, 4.0, True),
                 (0.8, 20.3, 4.0, True)]
    m = _map(tmp_path, "S1", rows)
    code, out = _stack(tmp_path, [m], "--capacity", "2", "--layers", "2", "--json")
    assert code == 0, out
    d = json.loads(out)
    assert d["naive"]["products"] == 10 and d["naive"]["short_capacity"] == 10
    assert d["products"] == 20 == d["upper_bound"]
    assert _verify(tmp_path, [m], "out", 2, 1.0, (2, 2), 0.1, 20) == 20


def test_naive_breaks_the_ocv_limit(tmp_path: Path) -> None:
    rows = [(1.0, 20.0, 3.9 if i % 2 else 4.1, True) for i in range(30)]
    m = _map(tmp_path, "S1", rows)
    code, out = _stack(tmp_path, [m], "--capacity", "3", "--layers", "3", "--json")
    assert code == 0, out
    d = json.loads(out)
    assert d["naive"]["products"] == 0
    assert d["products"] == 10 == d["upper_bound"]
    assert _verify(tmp_path, [m], "out", 3, 1.0, (3, 3), 0.1, 20) == 10


def test_failing_cells_are_never_stacked(tmp_path: Path) -> None:
    rows = [(1.0, 20.0, 4.0, i % 4 != 0) for i in range(40)]  # 10 fail
    m = _map(tmp_path, "S1", rows)
    code, out = _stack(tmp_path, [m], "--capacity", "2", "--layers", "2")
    assert code == 0, out
    assert _verify(tmp_path, [m], "out", 2, 1.0, (2, 2), 0.1, 20) == 15


def test_generated_sheets_checked_and_near_the_bound(tmp_path: Path) -> None:
    maps = [write_map(sheet_frame(f"S{i}", 30, 40, i, capacity_mah=0.5037),
                      tmp_path / f"s{i}.csv") for i in range(3)]
    req = StackRequest(maps=tuple(map(str, maps)), options=Options(
        footprint="10x10", capacity=10, retention=0.95))
    r = stack_cells(req)
    assert r.spec.fixed and r.spec.n_min == 21
    assert r.naive.products <= r.n_stacks <= r.bounds.upper
    assert r.n_stacks >= 0.97 * r.bounds.upper
    write_stack_outputs(r, tmp_path / "out")
    assert _verify(tmp_path, maps, "out", 10, 0.95, (21, 21), 0.1, 20) == r.n_stacks
    # free N within the thickness limit, tighter OCV window
    req = StackRequest(maps=tuple(map(str, maps)), options=Options(
        footprint="10x10", capacity=10, retention=0.95, max_thickness="1.2"),
        sets=("stack.cells=free", "stack.max_ocv_spread_mv=12"))
    r = stack_cells(req)
    assert not r.spec.fixed
    write_stack_outputs(r, tmp_path / "free")
    assert _verify(tmp_path, maps, "free", 10, 0.95, (1, r.spec.n_max), 0.1, 12) == r.n_stacks
    assert r.naive.products <= r.n_stacks <= r.bounds.upper
    assert (r.stack_thickness_mm <= 1.2 + 1e-9).all()


def test_nominal_capacity_when_the_map_has_none(tmp_path: Path) -> None:
    m = write_map(sheet_frame("S0", 20, 30, 3, with_capacity=False), tmp_path / "s.csv")
    req = StackRequest(maps=(str(m),), options=Options(footprint="10x10", capacity=10,
                                                       retention=0.95))
    r = stack_cells(req)
    assert not r.cells.measured_capacity and "nominal" in r.notes[0]
    write_stack_outputs(r, tmp_path / "out")
    nominal = r.target.nominal_cell_mah
    assert nominal is not None
    assert _verify(tmp_path, [m], "out", 10, 0.95, (21, 21), 0.1, 20,
                   nominal=round(nominal, 6)) == r.n_stacks > 0


# --------------------------------------------------------------------------- the checker fails


def test_checker_catches_planted_faults(tmp_path: Path) -> None:
    rows = [(1.0, 20.0 + (i % 3), 4.0, i != 5) for i in range(20)]
    m = _map(tmp_path, "S1", rows)
    maps = read_maps([m])
    kw = dict(target_mah=2, retention=1.0, n_min=2, n_max=2, max_impedance_spread=0.1,
              max_ocv_spread_mv=20)
    assert check_stacks(maps, [[("S1", "0"), ("S1", "3")]], **kw).ok
    bad = {
        "twice": [[("S1", "0"), ("S1", "3")], [("S1", "0"), ("S1", "6")]],
        "failed": [[("S1", "5"), ("S1", "8")]],
        "spread": [[("S1", "0"), ("S1", "2")]],   # 20 vs 22 ohm: 10 % is allowed ...
        "size": [[("S1", "0"), ("S1", "3"), ("S1", "6")]],
        "missing": [[("S1", "0"), ("S1", "99")]],
    }
    for what, stacks in bad.items():
        rep = check_stacks(maps, stacks, **{**kw, "max_impedance_spread": 0.09}
                           if what == "spread" else kw)
        assert not rep.ok, what
    assert not check_stacks(maps, [[("S1", "0"), ("S1", "3")]],
                            **{**kw, "target_mah": 2.000001}).ok


# --------------------------------------------------------------------------- exact reference


def _brute(cap: list[int], z: list[int], v: list[int], spec: matching.Spec) -> int:
    """The most stacks, by exhaustive search (tiny inputs only)."""
    n = len(cap)

    def ok(g: tuple[int, ...]) -> bool:
        zz = [z[i] for i in g]
        vv = [v[i] for i in g]
        return (sum(cap[i] for i in g) >= spec.need_nah
                and max(zz) * MICRO <= min(zz) * (MICRO + spec.z_ppm)
                and max(vv) - min(vv) <= spec.v_uv)

    best = 0

    def go(rest: tuple[int, ...], count: int) -> None:
        nonlocal best
        best = max(best, count)
        if len(rest) < spec.n_min or count + len(rest) // spec.n_min <= best:
            return
        first, others = rest[0], rest[1:]
        go(others, count)
        for size in range(spec.n_min, min(spec.n_max, len(rest)) + 1):
            for combo in itertools.combinations(others, size - 1):
                g = (first, *combo)
                if ok(g):
                    go(tuple(i for i in others if i not in combo), count + 1)

    go(tuple(range(n)), 0)
    return best


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_bounds_hold_and_stacks_are_valid_on_tiny_lots(data: st.DataObject) -> None:
    n = data.draw(st.integers(2, 9))
    n_min = data.draw(st.integers(1, 3))
    fixed = data.draw(st.booleans())
    n_max = n_min if fixed else data.draw(st.integers(n_min, 4))
    cap = data.draw(st.lists(st.integers(1, 10), min_size=n, max_size=n))
    z = data.draw(st.lists(st.integers(90, 130), min_size=n, max_size=n))
    v = data.draw(st.lists(st.integers(0, 30), min_size=n, max_size=n))
    need = data.draw(st.integers(1, 25))
    spec = matching.Spec(need_nah=need, n_min=n_min, n_max=n_max, z_ppm=100_000, v_uv=10)
    ca, za, va = (np.array(a, dtype=np.int64) for a in (cap, z, v))
    exact = _brute(cap, z, v, spec)
    b = upper_bounds(ca, za, va, need, n_min, n_max, spec.z_ppm, spec.v_uv)
    assert b.upper >= exact
    a = stacker.stack_cells(ca, za, va, spec)
    assert a.n_stacks <= exact
    naive, _ = naive_stacks(ca, za, va, need, n_min, n_max, spec.z_ppm, spec.v_uv)
    assert naive.products <= exact
    for s in range(a.n_stacks):
        g = np.flatnonzero(a.stack == s)
        assert n_min <= g.size <= n_max
        assert ca[g].sum() >= need
        assert za[g].max() * MICRO <= za[g].min() * (MICRO + spec.z_ppm)
        assert va[g].max() - va[g].min() <= spec.v_uv
    assume(exact > 0)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 6), st.floats(0.0, 0.04))
def test_matching_meets_every_limit_on_random_maps(seed: int, n: int, margin: float) -> None:
    rng = np.random.default_rng(seed)
    m = 400
    cap = np.rint(rng.normal(0.5, 0.03, m) * MICRO).astype(np.int64)
    z = np.rint(rng.lognormal(np.log(20), 0.08, m) * MICRO).astype(np.int64)
    v = np.rint(rng.normal(4.0, 0.01, m) * MICRO).astype(np.int64)
    need = int(n * 0.5 * (1 - margin) * MICRO)
    spec = matching.Spec(need_nah=need, n_min=n, n_max=n, z_ppm=100_000, v_uv=15_000)
    a = stacker.stack_cells(cap, z, v, spec)
    b = upper_bounds(cap, z, v, need, n, n, spec.z_ppm, spec.v_uv)
    assert a.n_stacks <= b.upper
    sizes = np.bincount(a.stack[a.stack >= 0], minlength=a.n_stacks)
    assert (sizes == n).all()
    for s in range(a.n_stacks):
        g = a.stack == s
        assert cap[g].sum() >= need
        assert z[g].max() * MICRO <= z[g].min() * (MICRO + spec.z_ppm)
        assert v[g].max() - v[g].min() <= spec.v_uv


def test_planted_fault_in_the_stacker_is_caught() -> None:
    """The in-test verification can fail: a stacker that ignores the OCV limit is caught."""
    rng = np.random.default_rng(1)
    cap = np.full(60, MICRO, dtype=np.int64)
    z = np.full(60, 20 * MICRO, dtype=np.int64)
    v = np.rint(rng.normal(4.0, 0.05, 60) * MICRO).astype(np.int64)
    loose = matching.Spec(need_nah=2 * MICRO, n_min=2, n_max=2, z_ppm=100_000, v_uv=10**9)
    a = stacker.stack_cells(cap, z, v, loose)
    spreads = [int(np.ptp(v[a.stack == s])) for s in range(a.n_stacks)]
    assert max(spreads) > 20_000  # would fail the 20 mV check


# --------------------------------------------------------------------------- bad input


def test_impossible_target_one_line_exit_2(tmp_path: Path) -> None:
    m = _map(tmp_path, "S1", [(1.0, 20.0, 4.0, True)] * 10)
    line = _error(tmp_path, [m], "--capacity", "5", "--layers", "2")
    assert "cannot be reached" in line and "give 2 mAh, 3 mAh short" in line


def test_limits_no_pair_meets_one_line_exit_2(tmp_path: Path) -> None:
    rows = [(1.0, 10.0 * 1.5 ** i, 4.0, True) for i in range(8)]
    m = _map(tmp_path, "S1", rows)
    line = _error(tmp_path, [m], "--capacity", "2", "--layers", "2")
    assert "no pair of passing cells meets stack.max_impedance_spread" in line
    assert "0.4 over" in line
    rows = [(1.0, 20.0, 4.0 + 0.05 * i, True) for i in range(8)]
    m = _map(tmp_path, "S2", rows)
    line = _error(tmp_path, [m], "--capacity", "2", "--layers", "2")
    assert "stack.max_ocv_spread_mv = 20 mV" in line and "30 mV over" in line


def test_empty_pass_list_one_line_exit_2(tmp_path: Path) -> None:
    m = _map(tmp_path, "S1", [(1.0, 20.0, 4.0, False)] * 12)
    line = _error(tmp_path, [m], "--capacity", "2", "--layers", "2")
    assert "no passing cells in the maps (0 of 12 rows pass); a stack needs 2" in line
    (tmp_path / "head.csv").write_text("sheet,id,impedance_ohm,ocv_v,pass\n")
    line = _error(tmp_path, [tmp_path / "head.csv"], "--capacity", "2", "--layers", "2")
    assert "0 of 0 rows pass" in line


@pytest.mark.parametrize("args, text", [
    (["--set", "stack.max_ocv_spread_mv=-1"], "stack.max_ocv_spread_mv = -1"),
    (["--set", "stack.cells=maybe"], "stack.cells"),
    (["--set", "stack.nope=1"], "unknown stack limit 'nope'"),
    (["--limits", "missing.toml"], "stack limits file not found"),
    (["--set", "stack.cells=fixed", "--set", "stack.confidence=2"], "stack.confidence = 2"),
    ([], "not a number"),
])
def test_bad_limits_and_maps_exit_2(tmp_path: Path, args: list[str], text: str) -> None:
    m = _map(tmp_path, "S1", [(1.0, 20.0, 4.0, True)] * 4)
    if not args:
        (tmp_path / "bad.csv").write_text("sheet,id,impedance_ohm,ocv_v,pass\nS,1,x,4,true\n")
        m = tmp_path / "bad.csv"
    line = _error(tmp_path, [m], "--capacity", "2", "--layers", "2", *args)
    assert text in line


def test_limits_file(tmp_path: Path) -> None:
    f = tmp_path / "limits.toml"
    f.write_text("[stack]\nmax_impedance_spread = 0.05\ncells = 'free'\n")
    lim = load_limits(f, ["stack.max_ocv_spread_mv=7.5"])
    assert (lim.max_impedance_spread, lim.cells, lim.max_ocv_spread_mv) == (0.05, "free", 7.5)
    f.write_text("[stack]\nmax_impedance_spread = 'wide'\n")
    with pytest.raises(LayoutgenError, match="limits.toml: stack.max_impedance_spread"):
        load_limits(f)


# --------------------------------------------------------------------------- outputs


def test_outputs_deterministic_and_complete(tmp_path: Path) -> None:
    maps = [write_map(sheet_frame(f"S{i}", 20, 25, 10 + i, capacity_mah=0.5037),
                      tmp_path / f"s{i}.csv") for i in range(2)]
    args = ["--capacity", "10", "--retention", "0.95", "--footprint", "10x10"]
    assert _stack(tmp_path, maps, *args, out="a")[0] == 0
    assert _stack(tmp_path, maps, *args, out="b")[0] == 0
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert {"stacks.csv", "stack_summary.csv", "picklist.csv", "leftovers.csv",
            "stack_summary.json", "stack_capacity.png", "stack_capacity.svg",
            "stack_spreads.png", "stack_spreads.svg"} <= set(names)
    for n in names:
        assert (tmp_path / "a" / n).read_bytes() == (tmp_path / "b" / n).read_bytes(), n
    left = pl.read_csv(tmp_path / "a" / "leftovers.csv")
    stacks = pl.read_csv(tmp_path / "a" / "stacks.csv")
    passing = sum(pl.read_csv(m).filter(pl.col("pass")).height for m in maps)
    assert left.height + stacks.height == passing
    assert set(left["reason"].to_list()) <= {"no_match", "window_short"}


def test_pick_list_serpentine_by_sheet() -> None:
    sheet = np.array([1, 1, 0, 0, 0, 0])
    row = np.array([0, 0, 0, 0, 1, 1])
    col = np.array([0, 1, 0, 1, 0, 1])
    x, y = col.astype(float), row.astype(float)
    stack = np.array([0, 0, 1, 1, 0, 1])
    p = pick_list(sheet, row, col, x, y, stack)
    assert p.order.tolist() == [2, 3, 5, 4, 0, 1]   # sheet 0 first, row 1 right to left
    assert sorted(p.position[stack == 0].tolist()) == [0, 1, 2]
    assert p.travel_mm == 4.0


def test_lot_plan_from_measured_yield() -> None:
    flat = measured_lot_plan(1000, np.full(4, 100), np.full(4, 5.0), 20, 300.0, 0.95, 0)
    assert (flat.products_short, flat.more_sheets_expected, flat.more_sheets) == (980, 196, 196)
    spread = measured_lot_plan(1000, np.full(4, 100), np.array([2.0, 4, 6, 8]), 20, 300.0,
                               0.95, 0)
    assert spread.more_sheets_expected == 196 and spread.more_sheets > 196
    assert spread.more_sheets == measured_lot_plan(1000, np.full(4, 100),
                                                   np.array([2.0, 4, 6, 8]), 20, 300.0, 0.95,
                                                   0).more_sheets
    done = measured_lot_plan(10, np.full(2, 100), np.array([6.0, 6.0]), 12, 300.0, 0.95, 0)
    assert done.more_sheets == 0


def test_report_section_renders_with_its_pictures(tmp_path: Path) -> None:
    maps = [write_map(sheet_frame("S0", 20, 25, 4, capacity_mah=0.5037), tmp_path / "s.csv")]
    r = stack_cells(StackRequest(maps=tuple(map(str, maps)), options=Options(
        footprint="10x10", capacity=10, retention=0.95)))
    write_stack_outputs(r, tmp_path / "out")
    sec = report_section(r)
    assert sec.id == "stacks" and [t.id for t in sec.tables] == ["stack-table",
                                                                  "stack-lot-table"]
    html_text = render_section(sec, tmp_path / "out")
    assert "<section id" in html_text and html_text.count("data:image/png;base64") == 2
    assert f"{r.n_stacks:,}" in html_text or str(r.n_stacks) in html_text


def test_job_gives_target_n_and_order_and_the_lot_plan(tmp_path: Path) -> None:
    job = Path(__file__).resolve().parents[1] / "examples" / "wearable_patch.toml"
    maps = [write_map(sheet_frame(f"W{i}", 17, 18, 20 + i, capacity_mah=1.6831),
                      tmp_path / f"w{i}.csv") for i in range(4)]
    r = stack_cells(StackRequest(maps=tuple(map(str, maps)), job=str(job)))
    assert (r.spec.n_min, r.target.capacity_mah, r.target.retention) == (7, 10, 0.95)
    lot = r.lot
    assert lot.order == 20000 and lot.sheets_measured == 4 and lot.products_made == r.n_stacks
    assert abs(lot.products_per_sheet_mean * 4 - r.n_stacks) < 1e-6
    assert lot.more_sheets >= lot.more_sheets_expected >= (20000 - r.n_stacks) // 120
    write_stack_outputs(r, tmp_path / "out")
    assert _verify(tmp_path, maps, "out", 10, 0.95, (7, 7), 0.1, 20) == r.n_stacks
    d = json.loads((tmp_path / "out" / "stack_summary.json").read_text())
    assert d["lot"]["more_sheets"] == lot.more_sheets and d["upper_bound"] == r.bounds.upper
