"""The self-contained HTML report of a run (inline images, no network), rendered from the typed
stage results as a list of `ReportSection`s (layoutgen/report_model.py) so stages outside the
core pipeline (bins, stacks, laser parameters) plug in the same way.

Structure a parser can rely on: each section is `<section id=ID>` with one `<h2>`; each table is
`<table id=TABLE>` with a `<thead>` row of `<th>` and `<tbody>` rows `<tr id=TABLE-ROWSLUG>` of
`<td>` (display strings from `layoutgen.display.fmt`); each figure is `<figure id=fig-STEM>`;
the Files table links every file of the run folder.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Sequence
from pathlib import Path

from layoutgen.display import fmt
from layoutgen.drc import DrcReport
from layoutgen.fileio import write_text
from layoutgen.lot import LotPlan
from layoutgen.machine import shipped_profiles
from layoutgen.product import product_rows
from layoutgen.report_model import ReportFigure, ReportSection, ReportTable
from layoutgen.sizing import Product
from layoutgen.stages import LaserJob, Tiled
from layoutgen.toolpath.metrics import laser_parameter_rows

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;
max-width:1100px;color:#222;padding:0 1em}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:2px solid #4C72B0;padding-bottom:.2em;
margin-top:1.6em}table{border-collapse:collapse;margin:.5em 0}td,th{padding:.25em .8em;
border-bottom:1px solid #ddd;text-align:left}td.num{text-align:right;font-variant-numeric:
tabular-nums}.figs{display:flex;flex-wrap:wrap;gap:1em}.figs figure{margin:0;max-width:100%}
.figs img{max-width:100%;border:1px solid #ccc}.muted{color:#777;font-size:.9em}
a{color:#4C72B0}.ok{color:#2a7d2a;font-weight:bold}.warn{color:#b35c00;font-weight:bold}
"""


ROW_HEADER = ("quantity", "value", "unit")
Row = tuple[str, object, str]

FIGURES = (
    ReportFigure("preview.png", "patterning layout: the sheet (fiducials, contact rail, scan "
                                "fields) and one cell with every process layer"),
    ReportFigure("sheet.png", "tiling: every cell, coloured by orientation"),
    ReportFigure("toolpath.png", "laser job: marks by operation, jumps in grey"),
)


def value_table(table_id: str, rows: Sequence[Row], caption: str = "") -> ReportTable:
    """(label, value, unit) rows as a three-column table of display strings."""
    return ReportTable(table_id, ROW_HEADER,
                       tuple((label, fmt(value), unit) for label, value, unit in rows), caption)


def product_section(product: Product) -> ReportSection:
    return ReportSection("product", "Product", (value_table("product-table",
                                                            product_rows(product)),))


def sheet_section(tiled: Tiled, drc: DrcReport | None) -> ReportSection:
    s = tiled.summary
    proof = "proven optimal" if s.gap == 0 else f"{fmt(s.gap)} below the bound"
    rows: list[Row] = [
        ("sheet", s.sheet_mm, "mm"),
        ("cells per sheet", s.count, ""),
        ("upper bound", s.upper_bound, s.bound_method),
        ("strategy", s.strategy, ""),
        ("orientations", ", ".join(f"{k} deg: {fmt(v)}" for k, v in s.orientations), ""),
        ("utilization of the usable area", 100 * s.utilization, "%"),
        ("utilization of the sheet", 100 * s.utilization_sheet, "%"),
    ]
    notes = [f"{fmt(s.count)} cells per sheet; {proof}."]
    if drc is not None:
        notes.append("DRC: clean" if drc.ok else f"DRC: {fmt(drc.total)} violations")
    return ReportSection("sheet", "Sheet", (value_table("sheet-table", rows),), FIGURES,
                         tuple(notes))


LASER_HEADER = ("operation", "paths", "mark length, mm", "jump length, mm", "passes", "fields",
                "time, s")


def laser_section(laser: LaserJob | None) -> ReportSection:
    if laser is None or not laser.toolpath.operations:
        return ReportSection("laser", "Laser job", notes=("no laser job in this run",))
    m = laser.metrics_rounded
    rows = []
    for op in laser.toolpath.operations:
        om = m["operations"][op.name]
        rows.append((op.name, fmt(om["strokes"]), fmt(om["mark_total_mm"]), fmt(om["jump_mm"]),
                     fmt(op.params.passes), fmt(om["fields"]), fmt(om["time_s"])))
    t = float(m["total"]["time_s"])
    tp = laser.toolpath
    others = tuple(p for p in shipped_profiles() if p != tp.machine)
    head, *params = laser_parameter_rows(tp, (tp.machine, *others))
    return ReportSection(
        "laser", "Laser job", (ReportTable("laser-table", LASER_HEADER, tuple(rows)),
                               ReportTable("laser-parameters", head, tuple(params),
                                           "Laser parameters per operation and machine "
                                           "profile (the files are written for the first)")),
        notes=(f"estimated job time per sheet: {fmt(t)} s ({fmt(t / 60)} min) on the "
               f"{tp.machine.name} ({tp.machine.kind})",))


def lot_section(lot: LotPlan) -> ReportSection:
    rows: list[Row] = [
        ("products in the lot", lot.products, ""),
        ("cells per product", lot.layers, ""),
        ("expected cell yield", 100 * lot.cell_yield, "%"),
        ("good cells per sheet", lot.good_cells_per_sheet, ""),
        ("products per sheet", lot.products_per_sheet, ""),
        ("sheets", lot.sheets, ""),
        ("roll length", lot.roll_m, "m"),
        ("rolls", lot.rolls, ""),
        ("cells to spare", lot.cells_to_spare, ""),
    ]
    return ReportSection("lot", "Lot plan", (value_table("lot-table", rows),))


def files_section(folder: Path) -> ReportSection:
    """Every file of the run folder but the report itself, linked (relative names)."""
    names = sorted(f.relative_to(folder).as_posix() for f in folder.rglob("*")
                   if f.is_file() and f.name != "report.html")
    rows = tuple((name, fmt((folder / name).stat().st_size)) for name in names)
    return ReportSection("files", "Files", (ReportTable("files-table", ("file", "bytes"), rows),))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "row"


def _img(folder: Path, fig: ReportFigure) -> str:
    path = folder / fig.file
    if not path.is_file():
        return ""
    kind = "svg+xml" if path.suffix == ".svg" else "png"
    src = f"data:image/{kind};base64," + base64.b64encode(path.read_bytes()).decode()
    cap = html.escape(fig.caption)
    return (f"<figure id='fig-{_slug(path.stem)}'><img src='{src}' alt='{cap}'>"
            f"<figcaption class='muted'>{cap}</figcaption></figure>")


def _cell(table: ReportTable, col: int, text: str) -> str:
    if table.id == "files-table" and col == 0:
        return f"<td><a href='{html.escape(text)}'>{html.escape(text)}</a></td>"
    num = " class='num'" if col > 0 and table.header[col] not in ("unit",) else ""
    return f"<td{num}>{html.escape(text)}</td>"


def render_table(table: ReportTable) -> str:
    """One table: a header row of <th>, one <tr id=TABLE-SLUG> per row."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in table.header)
    seen: dict[str, int] = {}
    body = []
    for row in table.rows:
        slug = _slug(row[0]) if row else "row"
        seen[slug] = seen.get(slug, 0) + 1
        rid = f"{table.id}-{slug}" + (f"-{seen[slug]}" if seen[slug] > 1 else "")
        cells = "".join(_cell(table, i, text) for i, text in enumerate(row))
        body.append(f"<tr id='{html.escape(rid)}'>{cells}</tr>")
    cap = f"<caption>{html.escape(table.caption)}</caption>" if table.caption else ""
    return (f"<table id='{html.escape(table.id)}'>{cap}<thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>")


def render_section(section: ReportSection, folder: Path) -> str:
    notes = "".join(f"<p>{html.escape(n)}</p>" for n in section.notes)
    tables = "".join(render_table(t) for t in section.tables)
    figs = "".join(_img(folder, f) for f in section.figures)
    figs = f"<div class='figs'>{figs}</div>" if figs else ""
    return (f"<section id='{html.escape(section.id)}'><h2>{html.escape(section.title)}</h2>"
            f"{notes}{tables}{figs}</section>\n")


def run_sections(product: Product, tiled: Tiled, lot: LotPlan, drc: DrcReport | None,
                 laser: LaserJob | None) -> list[ReportSection]:
    """The core pipeline's sections in report order (Files is added last by the renderer)."""
    return [product_section(product), sheet_section(tiled, drc), laser_section(laser),
            lot_section(lot)]


def render_report(name: str, sections: Sequence[ReportSection], folder: Path) -> str:
    """The report as one HTML string: the sections, then the Files table of folder; images are
    read from folder and inlined."""
    parts = "".join(render_section(s, folder) for s in [*sections, files_section(folder)])
    title = html.escape(name)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>layoutgen: {title}</title>
<style>{CSS}</style></head><body>
<h1>{title}</h1>
<p class="muted">patterning job written by layoutgen</p>
{parts}</body></html>
"""


def write_report(path: Path, name: str, sections: Sequence[ReportSection]) -> None:
    """Write report.html (atomically) from its sections; figures are read beside it."""
    write_text(path, render_report(name, sections, path.parent))
