"""`layoutgen size` (forward and inverse product sizing) and `layoutgen size sweep`."""

from __future__ import annotations

from typing import Annotated

import typer

from layoutgen.cli.common import JsonOpt, RulesOpt, SetOpt, deck_from, print_json, print_table
from layoutgen.fileio import write_text
from layoutgen.product import SizingText, product_rows, query_of_text
from layoutgen.product import size as size_query
from layoutgen.render.sweep import sweep_plot
from layoutgen.stages import compare_footprints, sheet_deck, sheet_figures
from layoutgen.sweep import run_sweep, sweep_csv

FootprintOpt = Annotated[
    str | None,
    typer.Option("--footprint", "-f",
                 help="Product outline WxH (e.g. 10x10, 12mmx8mm); for --shape circle the "
                      "diameter."),
]
ShapeOpt = Annotated[str, typer.Option("--shape", help="rect | rounded | circle.")]
RadiusOpt = Annotated[str, typer.Option("--corner-radius", help="Corner radius (rounded).")]
LayersOpt = Annotated[int | None, typer.Option("--layers", "-n", help="Cells in the stack.")]
CapacityOpt = Annotated[
    float | None, typer.Option("--capacity", "-c", help="Capacity target, mAh.")]
RetentionOpt = Annotated[
    float, typer.Option("--retention", help="End-of-life share of capacity to size for (0-1].")]
MaxThickOpt = Annotated[
    str | None, typer.Option("--max-thickness", "-t", help="Package height limit.")]
AspectOpt = Annotated[
    float | None, typer.Option("--aspect", help="Smallest-footprint query: width / height.")]
WidthOpt = Annotated[
    str | None, typer.Option("--width", help="Smallest-footprint query: fixed width.")]
SheetOpt = Annotated[
    str | None,
    typer.Option("--sheet", help="Also tile the cell on a WxL sheet: cells, products per sheet."),
]


def register(app: typer.Typer) -> None:
    size_app = typer.Typer(
        help="Size a product: layers, capacity, thickness, energy, VED; inverse queries.",
        invoke_without_command=True,
    )

    @size_app.callback(invoke_without_command=True)
    def size(
        ctx: typer.Context,
        footprint: FootprintOpt = None,
        shape: ShapeOpt = "rect",
        corner_radius: RadiusOpt = "0",
        layers: LayersOpt = None,
        capacity: CapacityOpt = None,
        retention: RetentionOpt = 1.0,
        max_thickness: MaxThickOpt = None,
        aspect: AspectOpt = None,
        width: WidthOpt = None,
        sheet: SheetOpt = None,
        rules: RulesOpt = None,
        sets: SetOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Forward: --footprint 10x10 --layers 12. Stack count: --footprint 10x10 --capacity 10.
        Smallest footprint: --capacity 10 --max-thickness 1.2 [--aspect 1.5 | --width 8].
        Most capacity in an envelope: --footprint 10x10 --max-thickness 1.0."""
        if ctx.invoked_subcommand is not None:
            return
        deck = deck_from(rules, sets)
        product = size_query(query_of_text(SizingText(footprint, shape, corner_radius, layers,
                                                capacity, retention, max_thickness, aspect,
                                                width)), deck)
        data = product.as_dict()
        rows = product_rows(product)
        if sheet:
            fig = sheet_figures(product, sheet_deck(deck, sheet))
            data.update(fig.as_dict())
            rows += fig.rows()
        if as_json:
            print_json(data)
        else:
            print_table(rows, "product")

    @size_app.command("compare")
    def compare(
        footprints: Annotated[list[str], typer.Option(
            "--footprint", "-f", help="Candidate footprint (repeat for each).")],
        shape: ShapeOpt = "rect",
        corner_radius: RadiusOpt = "0",
        layers: LayersOpt = None,
        capacity: CapacityOpt = None,
        retention: RetentionOpt = 1.0,
        max_thickness: MaxThickOpt = None,
        sheet: SheetOpt = None,
        rules: RulesOpt = None,
        sets: SetOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Candidate footprints side by side: layers, VED, cells per sheet, products per roll m."""

        deck = deck_from(rules, sets)
        table = compare_footprints(
            deck, [SizingText(fp, shape, corner_radius, layers, capacity, retention,
                              max_thickness) for fp in footprints], sheet)
        if as_json:
            print_json(table.as_dicts())
            return
        typer.echo("  ".join(f"{c:>19}" for c in table.columns))
        for row in table.rows:
            typer.echo("  ".join(f"{v:>19}" for v in row))

    @size_app.command("sweep")
    def sweep(
        param: Annotated[str, typer.Option("--param", help="Numeric deck key, section.key.")],
        start: Annotated[float, typer.Option("--from", help="First value.")],
        stop: Annotated[float, typer.Option("--to", help="Last value (inclusive).")],
        step: Annotated[float, typer.Option("--step", help="Increment (> 0).")],
        footprint: FootprintOpt = "10x10",
        shape: ShapeOpt = "rect",
        corner_radius: RadiusOpt = "0",
        layers: LayersOpt = None,
        capacity: CapacityOpt = None,
        retention: RetentionOpt = 1.0,
        max_thickness: MaxThickOpt = None,
        csv: Annotated[str | None, typer.Option("--csv", help="Write the table as CSV.")] = None,
        plot: Annotated[str | None, typer.Option("--plot", help="Write a VED plot (.png/.svg).")]
        = None,
        rules: RulesOpt = None,
        sets: SetOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Sweep one numeric deck key and tabulate the product at each value."""

        deck = deck_from(rules, sets)
        table = run_sweep(
            deck, param, start, stop, step,
            lambda d: size_query(query_of_text(SizingText(footprint, shape, corner_radius, layers,
                                                    capacity, retention, max_thickness)), d),
        )
        if csv:
            write_text(csv, sweep_csv(table))
        if plot:
            sweep_plot(table.as_dict(), plot)
        if as_json:
            print_json(table.as_dict())
            return
        typer.echo("  ".join(f"{c:>14}" for c in table.columns))
        for row in table.rows:
            typer.echo("  ".join(f"{'' if v is None else v:>14}" for v in row))

    app.add_typer(size_app, name="size")
