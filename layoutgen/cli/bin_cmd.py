"""`layoutgen bin`: tester maps + cells.csv + bin deck -> bins, yield by zone, pick maps."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from layoutgen.cli.common import JsonOpt, flag, print_json, print_table
from layoutgen.cli.sheet_opts import cell_shape_from
from layoutgen.fileio import LIFT_LIMITS
from layoutgen.units import parse_size_nm

MapsArg = Annotated[list[Path], typer.Argument(
    help="Tester maps (CSV, or Parquet): one sheet each, or a sheet column.", show_default=False)]
ManifestOpt = Annotated[Path, typer.Option(
    "--manifest", "-m", help="The sheet's cells.csv (from layout or run).", show_default=False)]
BinRulesOpt = Annotated[list[Path] | None, typer.Option(
    "--rules", "-r", help="Bin deck TOML merged over the shipped one (repeatable).")]
BinJobOpt = Annotated[Path | None, typer.Option(
    "--job", help="Job file: the true cell outline and the sheet size for pictures and zones.")]
TransformOpt = Annotated[list[str] | None, typer.Option(
    "--transform", help="Tester frame key=value over the deck's transform table: origin, "
                        "axis_direction, rotation_deg, offset_mm=DX,DY (repeatable).")]
OutOpt = Annotated[Path, typer.Option(
    "--out", "-o", help="Write bins.csv, yield.json, pick maps and pictures here.",
    show_default=False)]


def register(app: typer.Typer) -> None:
    @app.command("bin")
    def bin_cmd(
        maps: MapsArg,
        manifest: ManifestOpt,
        out: OutOpt,
        rules: BinRulesOpt = None,
        job: BinJobOpt = None,
        cell: Annotated[str | None, typer.Option(
            "--cell", help="Cell outline WxH (or a diameter) when no --job gives it.")] = None,
        shape: Annotated[str | None, typer.Option(
            "--shape", help="rect | rounded | circle (with --cell).")] = None,
        corner_radius: Annotated[str, typer.Option(
            "--corner-radius", help="Corner radius (rounded).")] = "0",
        polygon: Annotated[str | None, typer.Option(
            "--polygon", help="Cell outline from a file: .wkt/.txt or .dxf.")] = None,
        sheet: Annotated[str | None, typer.Option(
            "--sheet", help="Sheet WxL (default: the job's, else the manifest's extent).")
        ] = None,
        transform: TransformOpt = None,
        no_pictures: Annotated[bool, flag(
            "--no-pictures", help="Write no heat, bin or stacked maps.")] = False,
        force: Annotated[bool, flag(
            "--force", help="Read maps over the size limit; lift work limits.")] = False,
        as_json: JsonOpt = False,
        overwrite: Annotated[bool, flag(
            "--overwrite", help="Replace the files layoutgen wrote in the -o folder before.")
        ] = False,
    ) -> None:
        """Bin every cell of the tester maps; yield per sheet, lot and zone; pick maps."""
        from layoutgen.binning.stage import bin_command  # lazy: polars, scipy, matplotlib

        LIFT_LIMITS.set(force)
        outline = (cell_shape_from(cell, shape, corner_radius, polygon)
                   if cell or polygon else None)
        sheet_nm = parse_size_nm(sheet, "--sheet", allow_single=False) if sheet else None
        run = bin_command(maps, manifest, rules or [], out, outline=outline, job=job,
                          sheet_nm=sheet_nm, transform=transform or [],
                          pictures=not no_pictures, overwrite=overwrite)
        r = run.result
        if as_json:
            print_json({
                "sheets": [{"sheet": s.sheet, "cells": s.cells, "tested": s.tested,
                            "passed": s.passed, "yield": round(s.yield_, 6)} for s in r.sheets],
                "lot": {"cells": r.lot.cells, "passed": r.lot.passed,
                        "yield": round(r.lot.yield_, 6)},
                "problems": {p.kind: p.count for p in r.problems},
                "files": [p.name for p in run.files]})
            return
        rows = []
        for s in r.sheets:
            fails = ", ".join(f"{b.name} {b.cells:,}" for b in s.pareto if not b.passed)
            rows.append((f"sheet {s.sheet}", f"{100 * s.yield_:.2f} %",
                         f"({s.passed:,} of {s.cells:,}; {fails or 'no fails'})"))
        rows.append(("lot", f"{100 * r.lot.yield_:.2f} %",
                     f"({r.lot.passed:,} of {r.lot.cells:,} cells, {r.lot.sheets} sheets)"))
        rows.extend((p.kind.replace("_", " "), f"{p.count:,}",
                     f"(first: {p.first[0]})" if p.first else "") for p in r.problems)
        print_table(rows, "bin")
        typer.echo(f"wrote {len(run.files)} files to {out}/ (bins.csv, yield.json, pickmap.csv, "
                   "pickmap.e142.xml, pictures)")
