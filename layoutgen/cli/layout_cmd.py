"""`layoutgen layout` (the patterning layout: GDS/OASIS, .lyp, cells.csv, previews) and
`layoutgen drc FILE.gds` (the written file checked against the rule deck)."""

from __future__ import annotations

from typing import Annotated

import typer

from layoutgen.cli.common import (
    JsonOpt,
    OverwriteOpt,
    ReadForceOpt,
    SetOpt,
    print_json,
    print_table,
)
from layoutgen.cli.sheet_opts import sheet_options
from layoutgen.drc import DrcReport
from layoutgen.fileio import LIFT_LIMITS
from layoutgen.run import LayoutOptions, layout_sheet
from layoutgen.sheet_request import SheetRequest
from layoutgen.stages import drc_of_file

OutOpt = Annotated[str, typer.Option("--out", "-o", help="Output folder.")]
NameOpt = Annotated[str, typer.Option("--name", help="File stem and GDS top-cell name.")]
FlatOpt = Annotated[bool, typer.Option("--flat", help="Write every polygon (no references).")]
OasisOpt = Annotated[bool, typer.Option("--oasis", help="Also write <name>.oas.")]
NoPreviewOpt = Annotated[bool, typer.Option("--no-preview", help="Skip preview.png/.svg.")]
CheckOpt = Annotated[bool, typer.Option("--drc", help="Run the DRC on the written file.")]


def _print_drc(report: DrcReport, as_json: bool) -> None:
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
    @sheet_options(job=True)
    def layout_cmd(
        request: SheetRequest,
        force: bool = False,
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

        LIFT_LIMITS.set(force)
        run = layout_sheet(request, out, LayoutOptions(
            name=name, flat=flat, oasis=oasis, preview=not no_preview, drc=drc, force=force,
            overwrite=overwrite))
        if as_json:
            print_json(run.as_dict())
        else:
            layout, info = run.layout, run.written.info
            rows: list[tuple[str, object, str]] = [
                ("cells", layout.count, f"({run.tiled.tiling.strategy})"),
                ("masters", ", ".join(p.name for p in layout.patterns), ""),
                ("GDS", info.gds_bytes, "bytes" + (" (flat)" if flat else
                                                   f" ({info.arrays} arrays, "
                                                   f"{info.single_refs} single refs)"))]
            if oasis:
                rows.append(("OASIS", info.oasis_bytes, "bytes"))
            rows += [("scan fields", len(layout.fields),
                      f"of {run.sheet.deck.laser.field_mm:g} mm"),
                     ("fiducials", len(layout.features["FIDUCIAL"]), ""),
                     ("contact rails", len(layout.features["CONTACT_RAIL"]), "")]
            print_table(rows, "layout")
            for note in layout.notes:
                typer.echo(f"note: {note}", err=True)
            typer.echo(f"wrote {', '.join(run.files)} to {out}/")
            if run.drc is not None:
                _print_drc(run.drc, False)
        if run.drc is not None and not run.drc.ok:
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
        force: ReadForceOpt = False,
        as_json: JsonOpt = False,
    ) -> None:
        """Check a layout file against the rule deck; exit 1 on violations (<name>.drc.gds)."""

        LIFT_LIMITS.set(force)
        checked = drc_of_file(file, list(rules or []), list(sets or []), manifest, out)
        if not as_json:
            typer.echo(f"rules: {', '.join(checked.decks) if checked.decks else 'default deck'}"
                       + (f"; manifest: {checked.manifest}" if checked.manifest
                          else "; no manifest"))
        _print_drc(checked.report, as_json)
        if not checked.report.ok:
            raise typer.Exit(1)
