"""Write a toolpath in the requested formats (the CLI and the main job call this)."""

from __future__ import annotations

from pathlib import Path

from layoutgen.errors import LayoutgenError
from layoutgen.export.dxf import write_dxf
from layoutgen.export.gcode import write_grbl, write_ngc
from layoutgen.export.job_json import write_job_json
from layoutgen.export.svg import write_svg
from layoutgen.toolpath.model import Toolpath

FORMATS = ("ngc", "gcode", "dxf", "svg", "json")
SUFFIX = {"ngc": ".ngc", "gcode": ".gcode", "dxf": ".dxf", "svg": ".svg", "json": ".job.json"}


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
                         formats: tuple[str, ...] = FORMATS) -> list[Path]:
    """Write each format as folder/stem.<suffix> (each file atomically); return the paths."""

    writers = {"ngc": write_ngc, "gcode": write_grbl, "dxf": write_dxf, "svg": write_svg,
               "json": write_job_json}
    folder = Path(folder)
    out = []
    for f in formats:
        out.append(writers[f](tp, folder / f"{stem}{SUFFIX[f]}"))
    return out
