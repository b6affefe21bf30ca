"""`layoutgen layout` (the patterning layout: GDS/OASIS, .lyp, cells.csv, previews) and
`layoutgen drc FILE.gds` (the written file checked against the rule deck)."""

from __future__ import annotations

from pathlib import Path
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
from layoutgen.deck import load_deck
from layoutgen.drc import run_drc
from layoutgen.errors import LayoutgenError
from layoutgen.export.layout_files import write_layout_files
from layoutgen.fileio import LIFT_LIMITS, check_input, check_stem, staged_dir
from layoutgen.layout.assemble import build_layout
from layoutgen.tiling.engine import tile

OutOpt = Annotated[str, typer.Option("--out", "-o", help="Output folder.")]
NameOpt = Annotated[str, typer.Option("--name", help="File stem and GDS top-cell name.")]
FlatOpt = Annotated[bool, typer.Option("--flat", help="Write every polygon (no references).")]
OasisOpt = Annotated[bool, typer.Option("--oasis", help="Also write <name>.oas.")]
NoPreviewOpt = Annotated[bool, typer.Option("--no-preview", help="Skip preview.png/.svg.")]
CheckOpt = Annotated[bool, typer.Option("--drc", help="Run the DRC on the written file.")]


OverwriteOpt = Annotated[bool, typer.Option(
    "--overwrite", help="Replace the files layoutgen wrote in the output folder before "
                        "(a folder holding another job's files is refused without it).")]


def _check_name(name: str) -> None:

    check_stem(name, "--name")


def _print_drc(report, as_json: bool) -> None:  # noqa: ANN001
    if as_json:
        print_json(report.to_dict())
        return
    rows = [("file", str(report.gds_path), ""), ("cells", report.cell_count, "")]
    if report.manifest_count is not None:
        rows.append(("manifest cells", report.manifest_count, ""))
    rows += [("checks", len(report.checks), ""),
             ("violations", report.total, f"({len(report.violations)} rules)"),
             ("markers", str(report.marker_path), ""),
             ("time", report.seconds, "s")]
    print_table(rows, "drc: " + ("clean" if report.ok else "FAILED"))
    for v in report.violations:
        where = ", ".join(f"({x:g}, {y:g})" for x, y in v.locations[:3])
        more = " ..." if v.count > 3 and v.locations else ""
        typer.echo(f"violation {v.rule}: {v.count} x {v.message}"
                   + (f" at {where}{more} mm" if where else ""), err=True)


def register(app: typer.Typer) -> None:
    @app.command("layout")
    def layout_cmd(
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
        name: NameOpt = "sheet",
        flat: FlatOpt = False,
        oasis: OasisOpt = False,
        no_preview: NoPreviewOpt = False,
        drc: CheckOpt = False,
        overwrite: OverwriteOpt = False,
        as_json: JsonOpt = False,
    ) -> None:
        """Patterning layout: <name>.gds/.oas/.lyp/.rules.toml, cells.csv, preview.png/.svg."""

        _check_name(name)
        LIFT_LIMITS.set(force)
        sj = resolve(job, rules, sets, sheet, cell, shape, corner_radius, polygon, kerf, edge,
                     keepout, rotation, cut)
        deck, outline, spec = sj.deck, sj.shape, sj.spec
        tiling = tile(outline, spec, force=force)
        layout = build_layout(tiling, outline, deck)
        report = None
        with staged_dir(out, overwrite=overwrite) as tmp:
            info, files = write_layout_files(layout, deck, tmp, name, flat=flat, oasis=oasis,
                                             preview=not no_preview)
            if drc:  # on the staged file: the markers move in with the layout

                report = run_drc(tmp / f"{name}.gds", deck, tmp / "cells.csv")
                files.append(f"{name}.drc.gds")
        if report is not None:
            report.gds_path = Path(out) / f"{name}.gds"
            report.marker_path = Path(out) / f"{name}.drc.gds"
        summary = {
            "cells": layout.count, "strategy": tiling.strategy,
            "masters": [p.name for p in layout.patterns],
            "arrays": info.arrays, "single_references": info.single_refs, "flat": flat,
            "gds_bytes": info.gds_bytes, "oasis_bytes": info.oasis_bytes if oasis else None,
            "scan_fields": len(layout.fields),
            "fiducials": len(layout.features["FIDUCIAL"]),
            "contact_rails": len(layout.features["CONTACT_RAIL"]),
            "keepouts": len(layout.features["KEEPOUT"]),
            "notes": list(layout.notes), "out": str(out), "files": files,
        }
        if report is not None:
            summary["drc"] = report.to_dict()
        if as_json:
            print_json(summary)
        else:
            rows = [("cells", layout.count, f"({tiling.strategy})"),
                    ("masters", ", ".join(summary["masters"]), ""),
                    ("GDS", info.gds_bytes, "bytes" + (" (flat)" if flat else
                                                       f" ({info.arrays} arrays, "
                                                       f"{info.single_refs} single refs)"))]
            if oasis:
                rows.append(("OASIS", info.oasis_bytes, "bytes"))
            rows += [("scan fields", len(layout.fields),
                      f"of {deck.laser.field_mm:g} mm"),
                     ("fiducials", summary["fiducials"], ""),
                     ("contact rails", summary["contact_rails"], "")]
            print_table(rows, "layout")
            for note in layout.notes:
                typer.echo(f"note: {note}", err=True)
            typer.echo(f"wrote {', '.join(files)} to {out}/")
            if report is not None:
                _print_drc(report, False)
        if report is not None and not report.ok:
            raise typer.Exit(1)

    @app.command("drc")
    def drc_cmd(
        file: Annotated[str, typer.Argument(help="Layout file (.gds or .oas).")],
        rules: Annotated[list[str] | None, typer.Option(
            "--rules", "-r", help="Rule deck TOML (repeatable). Default: <name>.rules.toml "
                                  "beside FILE (written by `layoutgen layout`), else the "
                                  "shipped default deck.")] = None,
        sets: SetOpt = None,
        manifest: Annotated[str | None, typer.Option(
            "--manifest", help="cells.csv to check the cells against (default: cells.csv "
                               "beside FILE, if there)")] = None,
        out: Annotated[str | None, typer.Option(
            "--out", "-o", help="Folder for <name>.drc.gds (default: beside FILE).")] = None,
        force: Annotated[bool, typer.Option(
            "--force", help="Read input files over the size limit.")] = False,
        as_json: JsonOpt = False,
    ) -> None:
        """Check a layout file against the rule deck; exit 1 on violations (<name>.drc.gds)."""

        LIFT_LIMITS.set(force)
        path = check_input(file, "layout file", "layout")
        decks = list(rules or [])
        beside = path.with_name(path.stem + ".rules.toml")
        if not decks and beside.is_file():
            decks = [str(beside)]
        deck = load_deck(decks, sets or [])
        man = Path(manifest) if manifest else None
        if man is None and (path.parent / "cells.csv").is_file():
            man = path.parent / "cells.csv"
        if man is not None:
            if not man.exists():
                raise LayoutgenError(f"--manifest {manifest}: no such file")
            check_input(man, "manifest (cells.csv)", "manifest")
        marker = Path(out) / f"{path.stem}.drc.gds" if out else None
        report = run_drc(path, deck, man, marker)
        if not as_json:
            typer.echo(f"rules: {', '.join(decks) if decks else 'default deck'}"
                       + (f"; manifest: {man}" if man else "; no manifest"))
        _print_drc(report, as_json)
        if not report.ok:
            raise typer.Exit(1)
