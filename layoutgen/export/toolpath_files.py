"""Write a toolpath in the requested formats (the CLI and the main job call this)."""

from __future__ import annotations

from pathlib import Path

from layoutgen.errors import LayoutgenError
from layoutgen.export.dxf import write_dxf
from layoutgen.export.ezcad import write_pen_table
from layoutgen.export.gcode import write_grbl, write_ngc
from layoutgen.export.job_json import write_job_json
from layoutgen.export.lightburn import write_lightburn
from layoutgen.export.svg import write_svg
from layoutgen.machine import Machine
from layoutgen.toolpath.model import Toolpath

FORMATS = ("ngc", "gcode", "dxf", "svg", "json", "lbrn2")
SUFFIX = {"ngc": ".ngc", "gcode": ".gcode", "dxf": ".dxf", "svg": ".svg", "json": ".job.json",
          "lbrn2": ".lbrn2"}


def parse_formats(text: str | None, flag: str = "--format") -> tuple[str, ...]:
    """'ngc,dxf' -> ("ngc", "dxf"); None or 'all' -> every format."""
    if text is None or text.strip().lower() == "all":
        return FORMATS
    items = [t.strip().lower() for t in text.split(",") if t.strip()]
    bad = [t for t in items if t not in FORMATS]
    if bad or not items:
        raise LayoutgenError(f"{flag} {text!r}: unknown format {', '.join(bad) or '(none)'} "
                             f"(allowed: {', '.join(FORMATS)}, or all)")
    return tuple(dict.fromkeys(items))


def write_toolpath_files(tp: Toolpath, folder: str | Path, stem: str = "job",
                         formats: tuple[str, ...] = FORMATS,
                         machine: Machine | None = None) -> list[Path]:
    """Write each format as folder/stem.<suffix> (each file atomically; the DXF with its EZCAD
    pen table, stem.pens.json and stem.pens.csv) for `machine` (default: the toolpath's, else
    the galvo profile); return the paths."""
    folder = Path(folder)
    out: list[Path] = []
    for f in formats:
        target = folder / f"{stem}{SUFFIX[f]}"
        if f == "ngc":
            out.append(write_ngc(tp, target, machine))
        elif f == "gcode":
            out.append(write_grbl(tp, target, machine))
        elif f == "dxf":
            out.append(write_dxf(tp, target))
            out += write_pen_table(tp, folder / stem)
        elif f == "svg":
            out.append(write_svg(tp, target))
        elif f == "json":
            out.append(write_job_json(tp, target, machine))
        else:
            out.append(write_lightburn(tp, target, machine))
    return out
