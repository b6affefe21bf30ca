"""report.html, parsed: every section, every table row with the value summary.json holds, every
figure present and decodable, every file listed with its size.

One small job runs through `layoutgen run`; `report_problems` checks its page against its own
summary.json with labels written out here (not taken from the report code), so a dropped,
added, mislabelled or wrong row fails. The planted faults prove each check can fail.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pytest

import refresh_references as R

JOB = """\
[product]
name = "report-check"
shape = "rect"
footprint = "7.4x5.3"
capacity_mah = 1
retention = 0.9

[sheet]
width_mm = 40
length_mm = 30
edge_x_mm = 2
edge_y_mm = 2

[lot]
products = 1000
cell_yield = 0.95
"""
SECTIONS = ["Product", "Sheet", "Laser job", "Lot plan", "Files"]
FIGURES = {"fig-preview": "preview.png", "fig-sheet": "sheet.png", "fig-toolpath": "toolpath.png"}
NUMBER = re.compile(r"^-?[\d,]+(\.\d+)?$")


def _number(text: str) -> float | None:
    return float(text.replace(",", "")) if NUMBER.match(text) else None


def _size(v: Any) -> str:
    return " x ".join(f"{x:g}" for x in v)


def _expected_rows(summary: dict[str, Any]) -> dict[str, list[tuple[str, Any, str]]]:
    """Per section: (label, the summary's value, unit) of every row the report must show."""
    p, s, lot = summary["product"], summary["sheet"], summary["lot"]
    footprint = f"round {p['footprint_mm'][0]:g}" if p["shape"] == "circle" \
        else _size(p["footprint_mm"])
    product = [("footprint", footprint, "mm"), ("shape", p["shape"], ""),
               ("cell outline", _size(p["cell_mm"]), "mm"),
               ("active area per cell", p["active_area_mm2"], "mm2"),
               ("cell capacity", p["cell_capacity_mAh"], "mAh"), ("layers", p["layers"], ""),
               ("capacity", p["capacity_mAh"], "mAh")]
    if p["retention"] < 1:
        product.append((f"end-of-life capacity (retention {p['retention']:g})",
                        p["eol_capacity_mAh"], "mAh"))
    product += [("energy", p["energy_mWh"], "mWh"), ("thickness", p["thickness_mm"], "mm"),
                ("layer pitch", p["layer_pitch_um"], "um"),
                ("VED packaged", p["ved_Wh_per_L"], "Wh/L"),
                ("VED unpackaged (cell as built)", p["ved_unpackaged_Wh_per_L"], "Wh/L")]
    orient = ", ".join(f"{k} deg: {v:,}" for k, v in s["orientations"].items())
    sheet = [("sheet", _size(s["sheet_mm"]), "mm"), ("cells per sheet", s["count"], ""),
             ("upper bound", s["upper_bound"], s["bound_method"]),
             ("strategy", s["strategy"], ""), ("orientations", orient, ""),
             ("utilization of the usable area", 100 * s["utilization"], "%"),
             ("utilization of the sheet", 100 * s["utilization_sheet"], "%")]
    lots = [("products in the lot", lot["products"], ""), ("cells per product", lot["layers"], ""),
            ("expected cell yield", 100 * lot["cell_yield"], "%"),
            ("good cells per sheet", lot["good_cells_per_sheet"], ""),
            ("products per sheet", lot["products_per_sheet"], ""), ("sheets", lot["sheets"], ""),
            ("roll length", lot["roll_m"], "m"), ("rolls", lot["rolls"], ""),
            ("cells to spare", lot["cells_to_spare"], "")]
    return {"Product": product, "Sheet": sheet, "Lot plan": lots}


def _same(shown: str, value: Any) -> bool:
    """The displayed text shows the value (numbers to their 4 significant digits)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        got = _number(shown)
        return got is not None and math.isclose(got, value, rel_tol=6e-4, abs_tol=1e-9)
    return shown == str(value)


def _check_table(where: str, rows: list[list[str]], header: list[str],
                 expected: list[tuple[str, Any, str]]) -> list[str]:
    out = [] if rows[:1] == [header] else [f"{where}: header {rows[:1]}, expected {header}"]
    body = rows[1:]
    labels = [r[0] for r in body]
    want = [e[0] for e in expected]
    if labels != want:
        out.append(f"{where}: rows {labels}, expected {want}")
    shown = {r[0]: r for r in body}
    for label, value, unit in expected:
        row = shown.get(label)
        if row is None:
            continue
        if len(row) != len(header) or not _same(row[1], value) or row[2] != unit:
            out.append(f"{where}, row {label!r}: shows {row[1:]}, summary.json has "
                       f"[{value!r}, {unit!r}]")
    return out


def _laser_parameter_problems(rows: list[list[str]], summary: dict[str, Any]) -> list[str]:
    """The laser-parameter table: one row per operation and machine profile, the job's own
    profile first, its times those of summary.json."""
    out = []
    ops = [op["name"] for op in summary["laser"]["operations"]]
    machine = summary["laser"]["metrics"]["machine"]
    body = rows[1:]
    if rows[0][:2] != ["operation", "machine"] or len(body) % len(ops) or len(body) < len(ops):
        return [f"laser parameters: rows {rows}, expected one per operation and profile"]
    first = body[:len(ops)]
    if [r[0] for r in first] != ops or any(not r[1].startswith(machine["name"]) for r in first):
        out.append(f"laser parameters: first rows {first}, expected {ops} on {machine['name']}")
    times = {op["name"]: op["time_s"] for op in summary["laser"]["operations"]}
    for r in first:
        got = _number(r[-2])  # shown to 0.1 s
        if r[0] in times and (got is None or abs(got - times[r[0]]) > 0.051):
            out.append(f"laser parameters, {r[0]}: time {r[-2]}, summary.json {times[r[0]]}")
    return out


def report_problems(page: R.ReportPage, summary: dict[str, Any], folder: Path) -> list[str]:
    """Every way the parsed report disagrees with the run's summary.json and folder."""
    out = list(page.problems)
    if page.sections != SECTIONS:
        out.append(f"sections {page.sections}, expected {SECTIONS}")
    if page.heading != summary["job"] or page.title != f"layoutgen: {summary['job']}":
        out.append(f"title {page.title!r} / heading {page.heading!r}: not the job's name")
    tables = {}
    for t in page.tables:  # each section's first table; the laser section has two
        tables.setdefault(t.section, t)
    extra = [t.section for t in page.tables if t is not tables[t.section]]
    if set(tables) != set(SECTIONS) or extra != ["Laser job"]:
        out.append(f"tables in sections {[t.section for t in page.tables]}: one per section "
                   "(two in Laser job)")
    else:
        out += _laser_parameter_problems(
            [t for t in page.tables if t.section == "Laser job"][1].rows, summary)
    header = ["quantity", "value", "unit"]
    for section, expected in _expected_rows(summary).items():
        if section in tables:
            out += _check_table(section, tables[section].rows, header, expected)
    ops = summary["laser"]["operations"]
    if "Laser job" in tables:
        rows = tables["Laser job"].rows
        head = ["operation", "paths", "mark length, mm", "jump length, mm", "passes", "fields",
                "time, s"]
        keys = ["segments", "mark_length_mm", "jump_length_mm", "passes", "fields", "time_s"]
        expect = [(op["name"], *[op[k] for k in keys]) for op in ops]
        if rows[:1] != [head] or [r[0] for r in rows[1:]] != [e[0] for e in expect]:
            out.append(f"Laser job: rows {rows}, expected {head} then {[e[0] for e in expect]}")
        for row, want in zip(rows[1:], expect, strict=False):
            if len(row) != len(want) or not all(_same(a, b) for a, b in
                                                zip(row[1:], want[1:], strict=True)):
                out.append(f"Laser job, row {row[0]!r}: shows {row[1:]}, summary.json has "
                           f"{list(want[1:])}")
    if "Files" in tables:
        on_disk = sorted(p.name for p in folder.iterdir() if p.is_file()
                         and p.name != "report.html")
        rows = tables["Files"].rows
        if rows[:1] != [["file", "bytes"]] or [r[0] for r in rows[1:]] != on_disk:
            out.append(f"Files: rows {[r[0] for r in rows]}, expected file then {on_disk}")
        for row in rows[1:]:
            if row[0] in on_disk and _number(row[1]) != (folder / row[0]).stat().st_size:
                out.append(f"Files, row {row[0]!r}: {row[1]} bytes, the file has "
                           f"{(folder / row[0]).stat().st_size}")
    figs = {f.figure_id: f for f in page.figures}
    if sorted(figs) != sorted(FIGURES) or len(figs) != len(page.figures):
        out.append(f"figures {[f.figure_id for f in page.figures]}, expected {sorted(FIGURES)}")
    for fid, file in FIGURES.items():
        fig = figs.get(fid)
        if fig is None:
            continue
        size = R.picture_size((folder / file).read_bytes(), file)
        if (fig.mime, fig.width, fig.height) != ("image/png", *size) or not fig.caption:
            out.append(f"figure {fid}: {fig.mime} {fig.width} x {fig.height} captioned "
                       f"{fig.caption!r}, {file} is {size[0]} x {size[1]}")
    s = summary["sheet"]
    proof = "proven optimal" if s["gap"] == 0 else f"{s['gap']:,} below the bound"
    time_s = summary["laser"]["total"]["time_s"]
    notes = [text for _, text in page.paragraphs]
    for note in (f"{s['count']:,} cells per sheet; {proof}.",
                 "DRC: clean" if summary["layout"]["drc"]["ok"] else "DRC: "):
        if not any(n.startswith(note) for n in notes):
            out.append(f"no paragraph {note!r} (paragraphs: {notes})")
    job_time = [n for n in notes if n.startswith("estimated job time per sheet: ")]
    shown = job_time[0].split(": ")[1].split(" s ")[0] if job_time else ""
    if not job_time or not _same(shown, time_s):
        out.append(f"job time paragraph {job_time}, summary.json has {time_s} s")
    return out


@pytest.fixture(scope="module")
def report_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small job through `layoutgen run` (a 40 x 30 mm sheet: quick)."""
    root = tmp_path_factory.mktemp("report")
    (root / "job.toml").write_text(JOB, encoding="utf-8")
    out = root / "out"
    try:
        R.layoutgen_main(["run", str(root / "job.toml"), "-o", str(out), "-q"])
    except SystemExit as exc:
        assert not exc.code, f"layoutgen run exited {exc.code}"
    return out


def _problems(folder: Path, html_text: str | None = None) -> list[str]:
    text = (folder / "report.html").read_text(encoding="utf-8") if html_text is None \
        else html_text
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    return report_problems(R.parse_report(text), summary, folder)


def test_report_shows_every_row_figure_and_file(report_run: Path) -> None:
    assert _problems(report_run) == []
    page = R.parse_report((report_run / "report.html").read_text(encoding="utf-8"))
    labels = page.table("Product").labels()
    assert "end-of-life capacity (retention 0.9)" in labels  # the job's retention is shown


def test_report_is_self_contained(report_run: Path) -> None:
    text = (report_run / "report.html").read_text(encoding="utf-8")
    assert not re.search(r"(src|href)=['\"]?(https?:|//)", text)
    assert "<script" not in text


# --------------------------------------------------------------------------- planted faults


def _html(report_run: Path) -> str:
    return (report_run / "report.html").read_text(encoding="utf-8")


def _row_cells(text: str, label: str) -> tuple[int, int]:
    """Start and end of the <tr> whose first cell is label."""
    i = text.index(f">{label}<")
    start = text.rindex("<tr", 0, i)
    return start, text.index("</tr>", i) + len("</tr>")


def test_planted_swapped_ved_rows_are_caught(report_run: Path) -> None:
    text = _html(report_run)
    a0, a1 = _row_cells(text, "VED packaged")
    b0, b1 = _row_cells(text, "VED unpackaged (cell as built)")
    row_a, row_b = text[a0:a1], text[b0:b1]
    va = re.findall(r"<td class='num'>([^<]*)</td>", row_a)[0]
    vb = re.findall(r"<td class='num'>([^<]*)</td>", row_b)[0]
    planted = text[:a0] + row_a.replace(va, vb) + text[a1:b0] + row_b.replace(vb, va) + text[b1:]
    problems = _problems(report_run, planted)
    assert any(p.startswith("Product, row 'VED packaged': shows") for p in problems), problems
    assert any("row 'VED unpackaged (cell as built)'" in p for p in problems), problems


def test_planted_dropped_row_is_caught(report_run: Path) -> None:
    text = _html(report_run)
    s0, s1 = _row_cells(text, "products per sheet")
    problems = _problems(report_run, text[:s0] + text[s1:])
    assert any(p.startswith("Lot plan: rows ") and "products per sheet" in p
               for p in problems), problems


def test_planted_unknown_row_is_caught(report_run: Path) -> None:
    text = _html(report_run)
    s0, s1 = _row_cells(text, "shape")
    problems = _problems(report_run, text[:s1] + text[s0:s1].replace(">shape<", ">colour<")
                         + text[s1:])
    assert any(p.startswith("Product: rows ") and "'colour'" in p for p in problems), problems


def test_planted_wrong_laser_value_is_caught(report_run: Path) -> None:
    text = _html(report_run)
    name = R.parse_report(text).table("Laser job").rows[1][0]
    s0, s1 = _row_cells(text, name)
    cells = re.findall(r"<td class='num'>([^<]*)</td>", text[s0:s1])
    row = text[s0:s1].replace(f">{cells[-1]}<", ">99,999<")
    problems = _problems(report_run, text[:s0] + row + text[s1:])
    assert any(p.startswith(f"Laser job, row {name!r}") for p in problems), problems


def test_planted_missing_or_broken_figure_is_caught(report_run: Path) -> None:
    text = _html(report_run)
    start = text.index("<figure id='fig-sheet'")
    end = text.index("</figure>", start) + len("</figure>")
    problems = _problems(report_run, text[:start] + text[end:])
    assert any(p.startswith("figures ") for p in problems), problems
    i = text.index("base64,", start) + 300
    problems = _problems(report_run, text[:i] + "////" + text[i + 4:])
    assert any("does not decode" in p for p in problems), problems


def test_planted_wrong_file_size_is_caught(report_run: Path) -> None:
    text = _html(report_run)
    s0, s1 = _row_cells(text, "cells.csv")
    row = re.sub(r"<td class='num'>[^<]*</td>", "<td class='num'>1</td>", text[s0:s1])
    problems = _problems(report_run, text[:s0] + row + text[s1:])
    assert any(p.startswith("Files, row 'cells.csv': 1 bytes") for p in problems), problems
