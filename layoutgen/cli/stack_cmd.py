"""`layoutgen stack BINS... (--job JOB | --capacity MAH ...) -o DIR`: matched stacks."""

from __future__ import annotations

from typing import Annotated

import typer

from layoutgen.cli.common import JsonOpt, RulesOpt, flag, print_json, print_table
from layoutgen.cli.size_cmd import (
    CapacityOpt,
    FootprintOpt,
    LayersOpt,
    MaxThickOpt,
    RadiusOpt,
    RetentionOpt,
    ShapeOpt,
)
from layoutgen.fileio import LIFT_LIMITS
from layoutgen.stacking.target import Options

SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", help="A stack limit stack.KEY=VALUE (max_impedance_spread, "
                               "max_ocv_spread_mv, cells, confidence, seed) or a deck key "
                               "section.key=value (repeatable)."),
]


def register(app: typer.Typer) -> None:
    @app.command("stack")
    def stack(
        maps: Annotated[list[str], typer.Argument(help="bins.csv maps (one or many sheets).")],
        job: Annotated[str | None, typer.Option(
            "--job", help="Job file: the product's capacity, retention, layers, thickness "
                          "and the order (lot.products).")] = None,
        footprint: FootprintOpt = None,
        shape: ShapeOpt = "rect",
        corner_radius: RadiusOpt = "0",
        layers: LayersOpt = None,
        capacity: CapacityOpt = None,
        retention: RetentionOpt = 1.0,
        max_thickness: MaxThickOpt = None,
        products: Annotated[int | None, typer.Option(
            "--products", help="Order size for the lot plan (default: the job's "
                               "lot.products, else 1000).")] = None,
        limits: Annotated[str | None, typer.Option(
            "--limits", help="TOML file of stack limits: a 'stack' table of the stack.* keys "
                             "(docs/stacking.md)."
        )] = None,
        out: Annotated[str, typer.Option("--out", "-o", help="Output folder.")] = "out",
        overwrite: Annotated[bool, flag("--overwrite", help="Replace files layoutgen wrote "
                                        "in the output folder before.")] = False,
        force: Annotated[bool, flag("--force", help="Read maps over the size and cell-count "
                                    "limits.")] = False,
        rules: RulesOpt = None,
        sets: SetOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Matched stacks from the passing cells: products vs upper bound and the naive order,
        stacks.csv, pick list, leftovers, pictures, lot plan from the measured yield.
        Limits: --set stack.max_impedance_spread=0.1, stack.max_ocv_spread_mv=20,
        stack.cells=fixed|free."""
        from layoutgen.stacking.stage import (  # lazy: polars, matplotlib
            StackRequest,
            stack_and_write,
            summary_rows,
        )

        LIFT_LIMITS.set(force)
        req = StackRequest(
            maps=tuple(maps), job=job,
            options=Options(footprint=footprint, shape=shape, corner_radius=corner_radius,
                            layers=layers, capacity=capacity, retention=retention,
                            max_thickness=max_thickness, products=products),
            rules=tuple(rules or ()), sets=tuple(sets or ()), limits_file=limits)
        result = stack_and_write(req, out, overwrite=overwrite)
        if as_json:
            print_json(result.summary())
            return
        for note in result.notes:
            typer.echo(f"note: {note}")
        print_table(summary_rows(result), f"stacks -> {out}")
