"""EZCAD pen table written beside the DXF: one pen per operation colour, with the parameter
names of EZCAD2's pen dialog, as JSON and CSV (<stem>.pens.json, <stem>.pens.csv).

EZCAD imports a DXF's entities onto pens by colour; the table says which pen (the operation's
LightBurn index, the same number across files), which colour (the DXF ACI index and its RGB
from `technology.OPERATIONS`) and what to type into the pen: Loop Count (passes),
Speed(MM/Second), Power(%), Frequency(KHz), Q Pulse Width(ns), Start TC(US) (laser on delay),
Laser Off TC(US), Jump Speed(MM/Second). The values are the deck's, unclamped: EZCAD drives a
galvo head.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from layoutgen import technology
from layoutgen.export.dxf import aci, layer_name
from layoutgen.export.lightburn import cut_index
from layoutgen.fileio import write_text
from layoutgen.toolpath.model import Toolpath

COLUMNS = ("Pen", "Operation", "DXF Layer", "ACI", "Color", "Loop Count", "Speed(MM/Second)",
           "Power(%)", "Frequency(KHz)", "Q Pulse Width(ns)", "Start TC(US)",
           "Laser Off TC(US)", "Jump Speed(MM/Second)")


def pen_rows(tp: Toolpath) -> list[dict[str, Any]]:
    """One pen per operation, in process order."""
    rows = []
    for i, op in enumerate(tp.operations):
        p = op.params
        try:
            colour = technology.operation(op.name).colour
        except KeyError:
            colour = ""
        rows.append(dict(zip(COLUMNS, (
            cut_index(op.name, 10 + i), op.name, layer_name(op.name), aci(op.name), colour,
            p.passes, p.mark_speed_mm_s, p.power_pct, p.frequency_khz, p.pulse_width_ns,
            p.laser_on_delay_us, p.laser_off_delay_us, p.jump_speed_mm_s), strict=True)))
    return rows


def write_pen_table(tp: Toolpath, stem: str | Path) -> list[Path]:
    """Write <stem>.pens.json and <stem>.pens.csv (each atomically); return both paths."""
    stem = Path(stem)
    rows = pen_rows(tp)
    js = stem.with_name(stem.name + ".pens.json")
    csv = stem.with_name(stem.name + ".pens.csv")
    write_text(js, json.dumps({"format": "layoutgen-ezcad-pens/1", "pens": rows}, indent=1)
               + "\n")
    lines = [",".join(COLUMNS)] + [",".join(f"{r[c]:g}" if isinstance(r[c], float) else str(r[c])
                                            for c in COLUMNS) for r in rows]
    write_text(csv, "\n".join(lines) + "\n")
    return [js, csv]
