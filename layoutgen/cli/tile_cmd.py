"""`layoutgen tile`: the most cells on a sheet, with a proven upper bound."""

from __future__ import annotations

from typing import Annotated

import typer

from layoutgen.cli.common import JsonOpt, RulesOpt, SetOpt, print_json, print_table
from layoutgen.cli.sheet_opts import (
    CellOpt,
    CutOpt,
    EdgeOpt,
    ForceOpt,
    KeepoutOpt,
    KerfOpt,
    PolygonOpt,
    RadiusOpt,
    RotationOpt,
    ShapeOpt,
    SheetOpt,
    resolve_sheet,
)
from layoutgen.export.placements import placements_csv, tiling_summary
from layoutgen.fileio import LIFT_LIMITS, staged_dir
from layoutgen.render.tiling import tiling_preview
from layoutgen.tiling.engine import tile, verify_tiling

OutOpt = Annotated[
    str | None,
    typer.Option("--out", "-o", help="Write placements.csv, preview.svg and preview.png here."),
]
VerifyOpt = Annotated[
    bool, typer.Option("--verify", help="Run the independent overlap/kerf/keep-out check.")]


def register(app: typer.Typer) -> None:
    @app.command("tile")
    def tile_cmd(
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
        rules: RulesOpt = None,
        sets: SetOpt = None,
        force: ForceOpt = False,
        verify: VerifyOpt = False,
        as_json: JsonOpt = False,
        out: OutOpt = None,
        overwrite: Annotated[bool, typer.Option(
            "--overwrite", help="Replace the files layoutgen wrote in the -o folder before "
                                "(a folder holding another job's files is refused without it).")
        ] = False,
    ) -> None:
        """Place the most cell outlines on the sheet (kerf, edges, keep-outs, rotation)."""

        LIFT_LIMITS.set(force)
        job = resolve_sheet(rules, sets, sheet, cell, shape, corner_radius, polygon, kerf, edge,
                            keepout, rotation, cut)
        tiling = tile(job.shape, job.spec, force=force)
        report = verify_tiling(tiling, job.shape, job.spec) if verify else None
        if out is not None:
            write_tiling_outputs(out, tiling, job, overwrite=overwrite)
        summary = tiling_summary(tiling, with_placements=as_json)
        if report is not None:
            summary["verify"] = {"ok": bool(report.ok), "messages": list(report.messages)[:10]}
        if as_json:
            print_json(summary)
        else:
            rows = [
                ("cell", tiling.extras["cell"], ""),
                ("sheet", summary["sheet_mm"], "mm"),
                ("cells", tiling.count, ""),
                ("upper bound", tiling.upper_bound, f"({tiling.bound_method})"),
                ("gap", tiling.gap, "(proven optimal)" if tiling.gap == 0 else ""),
                ("strategy", tiling.strategy, ""),
                ("orientations", ", ".join(f"{k} deg: {v:,}"
                                           for k, v in summary["orientations"].items()), ""),
                ("utilization (usable)", 100 * tiling.utilization_usable, "%"),
                ("utilization (sheet)", 100 * tiling.utilization_sheet, "%"),
            ]
            if report is not None:
                rows.append(("independent check", "pass" if report.ok else "FAIL", ""))
            print_table(rows, "tiling")
            if out:
                typer.echo(f"wrote {out}/placements.csv, preview.svg, preview.png")
        if report is not None and not report.ok:
            for m in list(report.messages)[:10]:
                typer.echo(f"violation: {m}", err=True)
            raise typer.Exit(1)


def write_tiling_outputs(out: str, tiling, job, *, overwrite: bool = False) -> None:  # noqa: ANN001
    """placements.csv + previews, staged so a failure leaves nothing half-written (a folder
    holding another job's files is refused unless `overwrite`)."""

    with staged_dir(out, overwrite=overwrite) as tmp:
        (tmp / "placements.csv").write_text(placements_csv(tiling), encoding="utf-8")
        tiling_preview(tiling, job.shape, job.spec, [tmp / "preview.svg", tmp / "preview.png"])
