"""`layoutgen tile`: the most cells on a sheet, with a proven upper bound."""

from __future__ import annotations

from typing import Annotated

import typer

from layoutgen.cli.common import JsonOpt, OverwriteOpt, print_json, print_table
from layoutgen.cli.sheet_opts import sheet_options
from layoutgen.fileio import LIFT_LIMITS
from layoutgen.run import tile_sheet
from layoutgen.sheet_request import SheetRequest

OutOpt = Annotated[
    str | None,
    typer.Option("--out", "-o", help="Write placements.csv, preview.svg and preview.png here."),
]
VerifyOpt = Annotated[
    bool, typer.Option("--verify", help="Run the independent overlap/kerf/keep-out check.")]


def register(app: typer.Typer) -> None:
    @app.command("tile")
    @sheet_options(job=False)
    def tile_cmd(
        request: SheetRequest,
        force: bool = False,
        verify: VerifyOpt = False,
        as_json: JsonOpt = False,
        out: OutOpt = None,
        overwrite: OverwriteOpt = False,
    ) -> None:
        """Place the most cell outlines on the sheet (kerf, edges, keep-outs, rotation)."""

        LIFT_LIMITS.set(force)
        run = tile_sheet(request, out, verify=verify, force=force, overwrite=overwrite)
        if as_json:
            print_json(run.as_dict(placements=True))
        else:
            t, s = run.tiled.tiling, run.tiled.summary
            rows: list[tuple[str, object, str]] = [
                ("cell", t.cell, ""),
                ("sheet", s.sheet_mm, "mm"),
                ("cells", s.count, ""),
                ("upper bound", s.upper_bound, f"({s.bound_method})"),
                ("gap", s.gap, "(proven optimal)" if s.proven_optimal else ""),
                ("strategy", s.strategy, ""),
                ("orientations", ", ".join(f"{k} deg: {v:,}" for k, v in s.orientations), ""),
                ("utilization (usable)", 100 * t.utilization_usable, "%"),
                ("utilization (sheet)", 100 * t.utilization_sheet, "%"),
            ]
            if run.check is not None:
                rows.append(("independent check", "pass" if run.check.ok else "FAIL", ""))
            print_table(rows, "tiling")
            if out:
                typer.echo(f"wrote {out}/{', '.join(run.files)}")
        if run.check is not None and not run.check.ok:
            for m in list(run.check.messages)[:10]:
                typer.echo(f"violation: {m}", err=True)
            raise typer.Exit(1)
