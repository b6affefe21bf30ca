"""`layoutgen toolpath`: the laser job of a sheet (G-code, DXF, SVG, JSON job) and its metrics."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from layoutgen.cli.common import JsonOpt, OverwriteOpt, print_json, print_table
from layoutgen.cli.sheet_opts import sheet_options
from layoutgen.export.toolpath_files import parse_formats
from layoutgen.fileio import LIFT_LIMITS
from layoutgen.run import ToolpathOptions, toolpath_sheet
from layoutgen.sheet_request import SheetRequest

OutOpt = Annotated[str, typer.Option("--out", "-o", help="Output folder.")]
FormatOpt = Annotated[
    str, typer.Option("--format", "-f", help="Comma-separated: ngc, gcode, dxf, svg, json "
                                             "(or all).")]
StemOpt = Annotated[str, typer.Option("--name", help="File name stem (job.ngc, job.dxf, ...).")]
PreviewOpt = Annotated[bool, typer.Option("--preview", help="Also draw toolpath.png.")]
BinsOpt = Annotated[Path | None, typer.Option(
    "--bins", help="bins.csv from `layoutgen bin`: its failing cells get --rejects.")]
RejectsOpt = Annotated[str, typer.Option(
    "--rejects", help="With --bins: mark (a reject cross on each failing cell) or skip (leave "
                      "their singulation contours out; contour singulation only).")]
SheetIdOpt = Annotated[str | None, typer.Option(
    "--sheet-id", help="With --bins: the sheet of bins.csv this job cuts (if it holds several).")]


def register(app: typer.Typer) -> None:
    @app.command("toolpath")
    @sheet_options(job=True)
    def toolpath_cmd(
        request: SheetRequest,
        force: bool = False,
        out: OutOpt = "out",
        formats: FormatOpt = "all",
        name: StemOpt = "job",
        preview: PreviewOpt = False,
        bins: BinsOpt = None,
        rejects: RejectsOpt = "mark",
        sheet_id: SheetIdOpt = None,
        overwrite: OverwriteOpt = False,
        as_json: JsonOpt = False,
    ) -> None:
        """Laser toolpaths: fiducials, isolation scribes, singulation; ordered, split in scan
        fields, written as .ngc (LinuxCNC), .gcode (GRBL), .dxf, .svg and .job.json."""

        fmts = parse_formats(formats)
        LIFT_LIMITS.set(force)
        run = toolpath_sheet(request, out, ToolpathOptions(
            name=name, formats=fmts, preview=preview, force=force, overwrite=overwrite,
            bins=bins, rejects=rejects, sheet_id=sheet_id))
        head = run.as_dict()
        if as_json:
            print_json(head)
            return
        tp, m = run.laser.toolpath, run.laser.metrics
        rows: list[tuple[str, object, str]] = [
            ("cells", run.tiled.tiling.count, ""),
            ("singulation", head["singulation_paths"] or "off", ""),
            ("scan fields", f"{tp.fields.count} of {tp.fields.size_mm:g} mm "
                            f"({tp.fields.source})", "")]
        for op in tp.operations:
            om = m["operations"][op.name]
            rows.append((f"{op.name}: marks", om["mark_total_mm"],
                         f"mm ({om['strokes']:,} strokes x {op.params.passes} passes)"))
            rows.append((f"{op.name}: jumps", om["jump_mm"],
                         f"mm (generated order {op.jump_before_mm:,.1f} mm)"))
            rows.append((f"{op.name}: time", om["time_s"], "s"))
        t = m["total"]
        rows += [("total marks", t["mark_total_mm"], "mm"), ("total jumps", t["jump_mm"], "mm"),
                 ("field moves", t["field_moves"], ""), ("job time", t["time_s"], "s")]
        print_table(rows, "toolpath")
        for note in head["notes"]:
            typer.echo(f"note: {note}")
        typer.echo(f"wrote {', '.join(run.files)} to {out}/")
