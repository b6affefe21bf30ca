"""`layoutgen size` (forward and inverse product sizing) and `layoutgen size sweep`."""

from __future__ import annotations

from typing import Annotated

import typer

from layoutgen import sizing
from layoutgen.cli.common import JsonOpt, RulesOpt, SetOpt, deck_from, print_json, print_table
from layoutgen.deck import with_values
from layoutgen.errors import LayoutgenError
from layoutgen.fileio import write_text
from layoutgen.product_sheet import sheet_figures
from layoutgen.render.sweep import sweep_plot
from layoutgen.sweep import run_sweep, sweep_csv
from layoutgen.units import parse_length, parse_positive_length, parse_size

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


def _sheet_deck(deck, sheet: str | None):  # noqa: ANN001, ANN202

    if not sheet:
        return deck
    sx, sy = parse_size(sheet, "--sheet")
    return with_values(deck, {"sheet.width_mm": sx, "sheet.length_mm": sy}, f"--sheet {sheet}")


def solve(deck, footprint: str | None, shape: str, corner_radius: str, layers: int | None,  # noqa: ANN001
          capacity: float | None, retention: float, max_thickness: str | None,
          aspect: float | None, width: str | None):  # noqa: ANN201
    """Dispatch one sizing query to the library (the flags decide which)."""

    r = parse_length(corner_radius, "--corner-radius")
    t_max = parse_positive_length(max_thickness, "--max-thickness") if max_thickness else None
    if t_max is not None:
        sizing.check_thickness(t_max)
    if capacity is not None:
        sizing.check_number(capacity, 0, sizing.MAX_CAPACITY_MAH, "--capacity", "mAh")
    sizing.check_number(retention, 0, 1, "--retention")
    if footprint is None:
        if capacity is None or t_max is None:
            raise LayoutgenError(
                "give --footprint (with --layers, --capacity or --max-thickness), or "
                "--capacity with --max-thickness for the smallest footprint")
        if layers is not None:
            raise LayoutgenError("--layers needs --footprint")
        w = parse_positive_length(width, "--width") if width else None
        return sizing.smallest_footprint(capacity, t_max, deck, shape=shape, aspect=aspect,
                                         width=w, corner_radius=r, retention=retention)
    if aspect is not None or width is not None:
        raise LayoutgenError("--aspect/--width belong to the smallest-footprint query "
                             "(--capacity with --max-thickness, no --footprint)")
    fx, fy = parse_size(footprint, "--footprint")
    if shape == "circle" and abs(fx - fy) > 1e-12:
        raise LayoutgenError(f"--footprint {footprint[:40]!r}: a circle takes one diameter "
                             "(e.g. 12)")
    fp = sizing.footprint_of(shape, fx, fy, r)
    if layers is not None:
        if capacity is not None:
            raise LayoutgenError("--layers and --capacity: give one of them")
        product = sizing.design(fp, layers, deck, retention)
        if t_max is not None and product.thickness_mm > t_max + 1e-12:
            raise LayoutgenError(
                f"--layers {layers}: the package is {product.thickness_mm:.4g} mm thick, over "
                f"--max-thickness {t_max:g} mm (at most {sizing.max_layers(t_max, deck)} layers "
                "fit)")
        return product
    if capacity is not None:
        return sizing.layers_for_capacity(fp, capacity, deck, retention, t_max)
    if t_max is not None:
        return sizing.most_capacity(fp, t_max, deck, retention)
    return sizing.design(fp, 1, deck, retention)


def product_rows(p) -> list[tuple[str, object, str]]:  # noqa: ANN001
    d = p.as_dict()
    fp = "round " + f"{d['footprint_mm'][0]:g}" if d["shape"] == "circle" else d["footprint_mm"]
    rows = [
        ("footprint", fp, "mm"),
        ("cell outline", d["cell_mm"], "mm"),
        ("active area / cell", d["active_area_mm2"], "mm2"),
        ("cell capacity", d["cell_capacity_mAh"], "mAh"),
        ("layers", d["layers"], ""),
        ("capacity", d["capacity_mAh"], "mAh"),
        (f"end-of-life capacity ({p.retention:g})", d["eol_capacity_mAh"], "mAh"),
        ("energy", d["energy_mWh"], "mWh"),
        ("thickness", d["thickness_mm"], "mm"),
        ("layer pitch", d["layer_pitch_um"], "um"),
        ("VED packaged", d["ved_Wh_per_L"], "Wh/L"),
        ("VED unpackaged (cell as built)", d["ved_unpackaged_Wh_per_L"], "Wh/L"),
    ]
    return [r for r in rows if p.retention < 1 or not r[0].startswith("end-of-life")]


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
        product = solve(deck, footprint, shape, corner_radius, layers, capacity, retention,
                        max_thickness, aspect, width)
        data = product.as_dict()
        rows = product_rows(product)
        if sheet:

            fig = sheet_figures(product, _sheet_deck(deck, sheet))
            data.update(fig)
            rows += [("cells per sheet", fig["cells_per_sheet"],
                      f"(bound {fig['cells_upper_bound']})"),
                     ("products per sheet", fig["products_per_sheet"], ""),
                     ("products per roll metre", fig["products_per_roll_m"], "")]
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
        sdeck = _sheet_deck(deck, sheet)
        cols = ["footprint", "layers", "capacity_mAh", "thickness_mm", "ved_Wh_per_L",
                "cells_per_sheet", "products_per_sheet", "products_per_roll_m"]
        table = []
        for fp in footprints:
            p = solve(deck, fp, shape, corner_radius, layers, capacity, retention,
                      max_thickness, None, None)
            d = p.as_dict()
            d.update(sheet_figures(p, sdeck))
            d["footprint"] = fp
            table.append({c: d[c] for c in cols})
        if as_json:
            print_json(table)
            return
        typer.echo("  ".join(f"{c:>19}" for c in cols))
        for row in table:
            typer.echo("  ".join(f"{row[c]:>19}" for c in cols))

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
            lambda d: solve(d, footprint, shape, corner_radius, layers, capacity, retention,
                            max_thickness, None, None),
        )
        if csv:

            write_text(csv, sweep_csv(table))
        if plot:
            sweep_plot(table, plot)
        if as_json:
            print_json(table)
            return
        cols = table["columns"]
        typer.echo("  ".join(f"{c:>14}" for c in cols))
        for row in table["rows"]:
            typer.echo("  ".join(f"{'' if v is None else v:>14}" for v in row))

    app.add_typer(size_app, name="size")
