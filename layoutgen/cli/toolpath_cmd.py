"""`layoutgen toolpath`: the laser job of a sheet (G-code, DXF, SVG, JSON job) and its metrics."""

from __future__ import annotations

from typing import Annotated

import typer

from layoutgen.cli.common import JsonOpt, RulesOpt, SetOpt, print_json, print_table
from layoutgen.cli.sheet_opts import (
    CellOpt,
    CutOpt,
    EdgeOpt,
    ForceOpt,
    JobOpt,
    KeepoutOpt,
    KerfOpt,
    PolygonOpt,
    RadiusOpt,
    RotationOpt,
    ShapeOpt,
    SheetOpt,
    resolve,
)
from layoutgen.export.job_json import job_header
from layoutgen.export.toolpath_files import parse_formats, write_toolpath_files
from layoutgen.fileio import LIFT_LIMITS, check_stem, staged_dir
from layoutgen.layout.assemble import build_layout
from layoutgen.render.toolpath import toolpath_preview
from layoutgen.tiling.engine import tile
from layoutgen.toolpath.generate import build_toolpath
from layoutgen.toolpath.metrics import job_metrics

OutOpt = Annotated[str, typer.Option("--out", "-o", help="Output folder.")]
FormatOpt = Annotated[
    str, typer.Option("--format", "-f", help="Comma-separated: ngc, gcode, dxf, svg, json "
                                             "(or all).")]
StemOpt = Annotated[str, typer.Option("--name", help="File name stem (job.ngc, job.dxf, ...).")]
PreviewOpt = Annotated[bool, typer.Option("--preview", help="Also draw toolpath.png.")]
OverwriteOpt = Annotated[bool, typer.Option(
    "--overwrite", help="Replace the files layoutgen wrote in the output folder before "
                        "(a folder holding another job's files is refused without it).")]


def register(app: typer.Typer) -> None:
    @app.command("toolpath")
    def toolpath_cmd(
        sheet: SheetOpt = None,
        cell: CellOpt = None,
        shape: ShapeOpt = None,
        corner_radius: RadiusOpt = "0",
        polygon: PolygonOpt = None,
        kerf: KerfOpt = None,
        edge: EdgeOpt = None,
        keepout: KeepoutOpt = None,
        rotation: RotationOpt = None,
        cut: CutOpt = None,
        job: JobOpt = None,
        rules: RulesOpt = None,
        sets: SetOpt = None,
        force: ForceOpt = False,
        out: OutOpt = "out",
        formats: FormatOpt = "all",
        name: StemOpt = "job",
        preview: PreviewOpt = False,
        overwrite: OverwriteOpt = False,
        as_json: JsonOpt = False,
    ) -> None:
        """Laser toolpaths: fiducials, isolation scribes, singulation; ordered, split in scan
        fields, written as .ngc (LinuxCNC), .gcode (GRBL), .dxf, .svg and .job.json."""

        fmts = parse_formats(formats)
        check_stem(name, "--name")
        LIFT_LIMITS.set(force)
        sj = resolve(job, rules, sets, sheet, cell, shape, corner_radius, polygon, kerf, edge,
                     keepout, rotation, cut)
        deck, outline, spec = sj.deck, sj.shape, sj.spec
        tiling = tile(outline, spec, force=force)
        layout = build_layout(tiling, outline, deck)
        tp = build_toolpath(layout)
        with staged_dir(out, overwrite=overwrite) as tmp:
            files = [p.name for p in write_toolpath_files(tp, tmp, name, fmts)]
            if preview:

                toolpath_preview(tp, tmp / "toolpath.png")
                files.append("toolpath.png")
        m = job_metrics(tp)
        if as_json:

            head = job_header(tp)
            head["cells"] = tiling.count
            head["files"] = files
            print_json(head)
            return
        rows = [("cells", tiling.count, ""),
                ("singulation", tp.info.get("singulation_paths") or "off", ""),
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
        for note in tp.info.get("notes", ()):
            typer.echo(f"note: {note}")
        typer.echo(f"wrote {', '.join(files)} to {out}/")
