"""`layoutgen run`, job files, the lot plan and `size --sheet` / `size compare`."""

from __future__ import annotations

import csv
import json

import pytest

from conftest import REPO, assert_user_error
from layoutgen.lot import lot_plan
from layoutgen.stacking.check import check_stacks, read_maps, read_stacks_csv


def test_lot_plan_arithmetic() -> None:
    plan = lot_plan(products=1000, layers=7, cells_per_sheet=310, cell_yield=0.9,
                    sheet_length_mm=300, roll_length_m=500)
    # by hand: 310 x 0.9 = 279 good cells; 279 / 7 = 39.86 -> 39 products a sheet;
    # 1000 / 39 = 25.6 -> 26 sheets; 26 x 0.3 m = 7.8 m of a 500 m roll (0.0156 rolls);
    # 26 x 279 = 7254 good cells for 7000 needed -> 254 to spare
    assert plan.good_cells_per_sheet == 279
    assert plan.products_per_sheet == 39
    assert plan.sheets == 26
    assert plan.roll_m == pytest.approx(7.8, abs=1e-9)
    assert plan.rolls == pytest.approx(0.0156, abs=1e-9)
    assert plan.cells_to_spare == 254
    # exactly at a whole sheet: 39 products need 1 sheet, 40 need 2
    assert lot_plan(39, 7, 310, 0.9, 300, 500).sheets == 1
    assert lot_plan(40, 7, 310, 0.9, 300, 500).sheets == 2


def test_run_wearable_example(cli, tmp_path) -> None:
    out = tmp_path / "out"
    r = cli("run", str(REPO / "examples" / "wearable_patch.toml"), "-o", out, "-q")
    assert r.code == 0, r.err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["product"]["eol_capacity_mAh"] >= 10
    assert summary["product"]["thickness_mm"] <= 1.0
    assert summary["sheet"]["count"] <= summary["sheet"]["upper_bound"]
    html = (out / "report.html").read_text()
    assert "data:image/png;base64," in html and "http" not in html.replace("http-equiv", "")
    assert "Lot plan" in html
    tables = _parse(html).tables
    product = {row[0]: row[1] for row in tables["product-table"][1:]}
    assert product["VED packaged"] == fmt(summary["product"]["ved_Wh_per_L"])
    assert product["layers"] == fmt(summary["product"]["layers"])
    assert product["thickness"] == fmt(summary["product"]["thickness_mm"])
    sheet = {row[0]: row[1] for row in tables["sheet-table"][1:]}
    assert sheet["cells per sheet"] == fmt(summary["sheet"]["count"])
    lot = {row[0]: row[1] for row in tables["lot-table"][1:]}
    assert lot["sheets"] == fmt(summary["lot"]["sheets"])
    assert len(tables["lot-table"]) == 1 + 9
    laser = tables["laser-table"]
    assert [r[0] for r in laser[1:]] == [op["name"] for op in summary["laser"]["operations"]]
    linked = [r[0] for r in tables["files-table"][1:]]
    assert linked == sorted(p.relative_to(out).as_posix() for p in out.rglob("*")
                            if p.is_file() and p.name != "report.html")
    _check_tested_run(out, summary, tables)
    first = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    cli("run", str(REPO / "examples" / "wearable_patch.toml"), "-o", out, "-q", "--overwrite")
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == first


def _check_tested_run(out, summary: dict, tables: dict) -> None:  # noqa: ANN001
    """The wearable job's [test] maps: bins and stacks in the run, the failing cells of WP-001
    marked by the laser job, every stack verified by the independent checker."""
    with open(out / "bins" / "bins.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    failing = {int(r["id"]) for r in rows if r["sheet"] == "WP-001" and r["pass"] != "true"}
    assert failing and summary["bins"]["lot"]["cells"] == 3 * summary["sheet"]["count"]
    assert summary["bins"]["lot"]["passed"] == len({(r["sheet"], r["id"]) for r in rows
                                                    if r["pass"] == "true"})
    job = json.loads(next(out.glob("*.job.json")).read_text())
    (reject,) = [op for op in job["operations"] if op["name"] == "reject"]
    assert sorted(set(reject["stroke_cells"]["ids"])) == sorted(failing)
    st = summary["stacks"]
    assert 0 < st["products"] <= st["upper_bound"]
    stacks = read_stacks_csv(out / "stacks" / "stacks.csv")
    assert len(stacks) == st["products"]
    report = check_stacks(read_maps([out / "bins" / "bins.csv"]), stacks,
                          target_mah=10, retention=0.95, n_min=7, n_max=7,
                          max_impedance_spread=st["limits"]["max_impedance_spread"],
                          max_ocv_spread_mv=st["limits"]["max_ocv_spread_mv"])
    assert report.problems == [], report.problems[:3]
    assert {"bins-yield", "bins-pareto"} <= set(tables)


def test_iot_example_mixes_orientations(cli, tmp_path) -> None:
    r = cli("run", str(REPO / "examples" / "iot_small.toml"), "-o", tmp_path, "--json")
    assert r.code == 0, r.err
    orient = json.loads(r.out)["sheet"]["orientations"]
    assert len(orient) == 2


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("[product]\nname='x'\nfootprint='10x10'\nfoo=1\n", ["job.toml", "product.foo",
                                                            "unknown key"]),
        ("[product]\nname='x'\n", ["job.toml", "footprint is required"]),
        ("[product]\nname='x'\nfootprint='10x10'\ncapacity_mah=500\nmax_thickness_mm=0.5\n",
         ["most that fits"]),
        ("[product]\nname='bad name'\nfootprint='10x10'\n", ["product.name"]),
        ("[product\n", ["not valid TOML"]),
        ("[product]\nname='x'\nfootprint='10x10'\n[lot]\ncell_yield=1.5\n", ["lot.cell_yield"]),
    ],
)
def test_bad_jobs(cli, tmp_path, content: str, words: list[str]) -> None:
    job = tmp_path / "job.toml"
    job.write_text(content)
    out = tmp_path / "out"
    assert_user_error(cli("run", job, "-o", out), *words)
    assert not out.exists() or not any(p for p in out.iterdir())


def test_size_on_sheet_and_compare(cli) -> None:
    d = json.loads(cli("size", "-f", "10x10", "-c", "10", "--sheet", "300x300", "--json").out)
    assert d["cells_per_sheet"] >= 28 * 28
    assert d["products_per_sheet"] == d["cells_per_sheet"] // d["layers"]
    r = cli("size", "compare", "-f", "10x10", "-f", "12x8", "-c", "10", "--json")
    rows = json.loads(r.out)
    assert [row["footprint"] for row in rows] == ["10x10", "12x8"]
    assert all(row["cells_per_sheet"] > 0 for row in rows)


# ---- the report's structure, the display formatter, one sizing implementation ----------------

from html.parser import HTMLParser  # noqa: E402

from hypothesis import assume, given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from layoutgen.display import fmt  # noqa: E402
from layoutgen.report import render_report, render_table  # noqa: E402
from layoutgen.report_model import ReportSection, ReportTable  # noqa: E402


class _Tables(HTMLParser):
    """table id -> list of rows (cell texts), the header row first; section ids."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.row_ids: list[str] = []
        self.sections: list[str] = []
        self._table: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "section":
            self.sections.append(a["id"] or "")
        elif tag == "table":
            self._table = a["id"] or ""
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self.tables[self._table].append([])
            if a.get("id"):
                self.row_ids.append(a["id"] or "")
        elif tag in ("td", "th") and self._table is not None:
            self._cell = []

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._table is not None:
            self.tables[self._table][-1].append("".join(self._cell))
            self._cell = None
        elif tag == "table":
            self._table = None


def _parse(text: str) -> _Tables:
    p = _Tables()
    p.feed(text)
    return p


def test_report_renders_plugged_sections_parseably(tmp_path) -> None:
    extra = ReportSection("bins", "Bins", (ReportTable(
        "bins-table", ("bin", "cells"), (("A", fmt(2845)), ("B", fmt(39600.0)))),),
        notes=("from the tester maps",))
    (tmp_path / "bins.csv").write_text("x\n")
    p = _parse(render_report("demo", [extra], tmp_path))
    assert p.sections == ["bins", "files"]
    assert p.tables["bins-table"] == [["bin", "cells"], ["A", "2,845"], ["B", "39,600"]]
    assert p.tables["files-table"][1] == ["bins.csv", "2"]
    assert p.row_ids == ["bins-table-a", "bins-table-b", "files-table-bins-csv"]


def test_duplicate_row_labels_get_distinct_ids() -> None:
    t = ReportTable("t", ("k", "v"), (("x", "1"), ("x", "2")))
    assert "id='t-x'" in render_table(t) and "id='t-x-2'" in render_table(t)


@pytest.mark.parametrize(("value", "shown"), [
    (2845, "2,845"), (39600.0, "39,600"), (0.5037123, "0.5037"), (551.26, "551.3"),
    (1163.7, "1,164"), (9999.7, "10,000"), (0.0, "0"), (0.00001234, "0.00001234"),
    ((9.0, 9.0), "9 x 9"), ("five-block", "five-block"), (True, "True")])
def test_display_format(value: object, shown: str) -> None:
    assert fmt(value) == shown


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_display_never_uses_exponents(v: float) -> None:
    assume(v != 0)
    text = fmt(v)
    assert "e" not in text and "E" not in text
    assert abs(float(text.replace(",", "")) - v) <= max(abs(v) * 1e-3, 0.5)


def test_job_and_flags_size_through_one_implementation(tmp_path) -> None:
    from layoutgen.deck import load_deck
    from layoutgen.job import load_job
    from layoutgen.product import SizingText, query_of_text, resolve_deck, size, size_product

    job_file = tmp_path / "job.toml"
    job_file.write_text("[product]\nname='x'\nfootprint='10x10'\ncapacity_mah=10\n"
                        "retention=0.8\nmax_thickness_mm=1.5\n")
    job = load_job(job_file)
    by_job = size_product(job, resolve_deck(job))
    by_flags = size(query_of_text(SizingText("10x10", capacity=10, retention=0.8,
                                             max_thickness="1.5")), load_deck([], []))
    assert by_job == by_flags and by_job.eol_capacity_mAh >= 10
    over = tmp_path / "over.toml"
    over.write_text("[product]\nname='x'\nfootprint='10x10'\nlayers=90\nmax_thickness_mm=1\n")
    job = load_job(over)
    with pytest.raises(Exception, match=r"over\.toml: product\.layers = 90: .*at most \d+ layers"):
        size_product(job, resolve_deck(job))


def test_one_outline_reader_names_flags_or_job_keys(tmp_path) -> None:
    """product.outline_of serves `--cell`, `--footprint` and a job's product.footprint alike;
    its errors name what the user wrote."""
    from layoutgen.errors import LayoutgenError
    from layoutgen.job import load_job
    from layoutgen.product import OutlineNames, footprint_of_job, outline_of

    assert outline_of("circle", "12") == outline_of("circle", "12x12")
    with pytest.raises(LayoutgenError, match=r"^--cell 12x10: a circle takes one diameter"):
        outline_of("circle", "12x10")
    with pytest.raises(LayoutgenError, match=r"^--footprint is required"):
        outline_of("rect", None, names=OutlineNames(size="--footprint"))
    with pytest.raises(LayoutgenError, match=r"^--shape hexagon: unknown"):
        outline_of("hexagon", "10x10")
    job = tmp_path / "job.toml"
    job.write_text("[product]\nname='x'\nshape='circle'\nfootprint='12x10'\n")
    with pytest.raises(LayoutgenError, match=r"job\.toml: product\.footprint = '12x10': a circle"):
        footprint_of_job(load_job(job))
    job.write_text("[product]\nname='x'\nshape='rounded'\nfootprint='10x8'\n"
                   "corner_radius_mm=2\n")
    assert footprint_of_job(load_job(job)) == outline_of("rounded", "10x8", 2.0)
