"""The self-contained HTML report of a run (inline images, no network)."""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Any

from layoutgen.fileio import write_text

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;
max-width:1100px;color:#222;padding:0 1em}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:2px solid #4C72B0;padding-bottom:.2em;
margin-top:1.6em}table{border-collapse:collapse;margin:.5em 0}td,th{padding:.25em .8em;
border-bottom:1px solid #ddd;text-align:left}td.num{text-align:right;font-variant-numeric:
tabular-nums}.figs{display:flex;flex-wrap:wrap;gap:1em}.figs figure{margin:0;max-width:100%}
.figs img{max-width:100%;border:1px solid #ccc}.muted{color:#777;font-size:.9em}
.ok{color:#2a7d2a;font-weight:bold}.warn{color:#b35c00;font-weight:bold}
"""


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:,.4g}" if abs(v) < 1e5 else f"{v:,.0f}"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, list | tuple):
        return " x ".join(_fmt(x) for x in v)
    return html.escape(str(v))


def _table(rows: list[tuple[str, Any, str]]) -> str:
    body = "".join(
        f"<tr><th>{html.escape(k)}</th><td class='num'>{_fmt(v)}</td>"
        f"<td>{html.escape(u)}</td></tr>" for k, v, u in rows)
    return f"<table>{body}</table>"


def _img(path: Path, caption: str) -> str:
    if not path.is_file():
        return ""
    data = path.read_bytes()
    if path.suffix == ".svg":
        src = "data:image/svg+xml;base64," + base64.b64encode(data).decode()
    else:
        src = "data:image/png;base64," + base64.b64encode(data).decode()
    return (f"<figure><img src='{src}' alt='{html.escape(caption)}'>"
            f"<figcaption class='muted'>{html.escape(caption)}</figcaption></figure>")


def render_report(summary: dict[str, Any], folder: Path, name: str) -> str:
    """The report as one HTML string; images are read from folder and inlined."""
    p, s, lot = summary["product"], summary["sheet"], summary["lot"]
    product_rows = [
        ("footprint", p["footprint_mm"] if p["shape"] != "circle"
         else f"round {p['footprint_mm'][0]:g}", "mm"),
        ("shape", p["shape"], ""),
        ("cell outline", p["cell_mm"], "mm"),
        ("active area per cell", p["active_area_mm2"], "mm2"),
        ("cell capacity", p["cell_capacity_mAh"], "mAh"),
        ("layers", p["layers"], ""),
        ("capacity", p["capacity_mAh"], "mAh"),
        (f"end-of-life capacity (retention {p['retention']:g})", p["eol_capacity_mAh"], "mAh"),
        ("energy", p["energy_mWh"], "mWh"),
        ("thickness", p["thickness_mm"], "mm"),
        ("VED packaged", p["ved_Wh_per_L"], "Wh/L"),
        ("VED unpackaged (cell as built)", p["ved_unpackaged_Wh_per_L"], "Wh/L"),
    ]
    gap = s["gap"]
    proof = ("<span class='ok'>proven optimal</span>" if gap == 0
             else f"<span class='warn'>{gap:,} below the bound</span>")
    sheet_rows = [
        ("sheet", s["sheet_mm"], "mm"),
        ("cells per sheet", s["count"], ""),
        ("upper bound", s["upper_bound"], s["bound_method"]),
        ("strategy", s["strategy"], ""),
        ("orientations", ", ".join(f"{k} deg: {v:,}" for k, v in s["orientations"].items()), ""),
        ("utilization of the usable area", 100 * s["utilization"], "%"),
        ("utilization of the sheet", 100 * s["utilization_sheet"], "%"),
    ]
    lot_rows = [
        ("products in the lot", lot["products"], ""),
        ("cells per product", lot["layers"], ""),
        ("expected cell yield", 100 * lot["cell_yield"], "%"),
        ("good cells per sheet", lot["good_cells_per_sheet"], ""),
        ("products per sheet", lot["products_per_sheet"], ""),
        ("sheets", lot["sheets"], ""),
        ("roll length", lot["roll_m"], "m"),
        ("rolls", lot["rolls"], ""),
        ("cells to spare", lot["cells_to_spare"], ""),
    ]
    laser = summary.get("laser") or {}
    laser_html = "<p class='muted'>no laser job in this run</p>"
    if laser.get("operations"):
        head = ("<tr><th>operation</th><th>paths</th><th>mark length, mm</th>"
                "<th>jump length, mm</th><th>passes</th><th>fields</th><th>time, s</th></tr>")
        body = "".join(
            f"<tr><td>{html.escape(op['name'])}</td><td class='num'>{_fmt(op['segments'])}</td>"
            f"<td class='num'>{_fmt(op['mark_length_mm'])}</td>"
            f"<td class='num'>{_fmt(op['jump_length_mm'])}</td>"
            f"<td class='num'>{_fmt(op['passes'])}</td><td class='num'>{_fmt(op['fields'])}</td>"
            f"<td class='num'>{_fmt(op['time_s'])}</td></tr>" for op in laser["operations"])
        total = laser.get("total", {})
        laser_html = (f"<table>{head}{body}</table><p>estimated job time per sheet: "
                      f"<b>{_fmt(total.get('time_s', 0.0))} s</b> "
                      f"({_fmt(total.get('time_s', 0.0) / 60)} min)</p>")
    files = sorted(f.name for f in folder.iterdir() if f.is_file() and f.name != "report.html")
    layout = summary.get("layout") or {}
    drc = layout.get("drc")
    drc_html = ""
    if drc is not None:
        drc_html = ("<p>DRC: " + ("<span class='ok'>clean</span>" if drc.get("ok") else
                    f"<span class='warn'>{drc.get('violations', '?')} violations</span>")
                    + "</p>")
    figs = "".join(_img(folder / f, c) for f, c in (
        ("preview.png", "patterning layout: the sheet (fiducials, contact rail, scan fields) "
                        "and one cell with every process layer"),
        ("sheet.png", "tiling: every cell, coloured by orientation"),
        ("toolpath.png", "laser job: marks by operation, jumps in grey")))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>layoutgen: {html.escape(name)}</title>
<style>{CSS}</style></head><body>
<h1>{html.escape(name)}</h1>
<p class="muted">patterning job written by layoutgen</p>
<h2>Product</h2>{_table(product_rows)}
<h2>Sheet</h2><p>{s['count']:,} cells per sheet; {proof}.</p>{_table(sheet_rows)}
<div class="figs">{figs}</div>{drc_html}
<h2>Laser job</h2>{laser_html}
<h2>Lot plan</h2>{_table(lot_rows)}
<h2>Files</h2><ul>{''.join(f'<li>{html.escape(f)}</li>' for f in files)}</ul>
</body></html>
"""


def write_report(path: Path, summary: dict[str, Any], folder: Path, name: str) -> None:
    """Write report.html (atomically)."""
    write_text(path, render_report(summary, folder, name))
