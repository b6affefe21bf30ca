"""`layoutgen run JOB -o DIR`: the whole patterning job from a product spec."""

from __future__ import annotations

from typing import Annotated

import typer

from layoutgen.cli.common import JsonOpt, OverwriteOpt, ReadForceOpt, print_json, print_table
from layoutgen.fileio import LIFT_LIMITS
from layoutgen.job import load_job
from layoutgen.run import run_job, stages_of


def register(app: typer.Typer) -> None:
    @app.command("run")
    def run_cmd(
        job_file: Annotated[str, typer.Argument(help="Job file (TOML), e.g. examples/*.toml.")],
        out: Annotated[str, typer.Option("--out", "-o", help="Output folder.")] = "out",
        quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
        overwrite: OverwriteOpt = False,
        force: ReadForceOpt = False,
        as_json: JsonOpt = False,
    ) -> None:
        """Sizing -> tiling -> layout -> toolpaths -> exports, report.html and summary.json."""
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        LIFT_LIMITS.set(force)
        job = load_job(job_file)
        show = not (quiet or as_json)
        with Progress(TextColumn("{task.description:<10}"), BarColumn(), TimeElapsedColumn(),
                      disable=not show, transient=True) as bar:
            stages = stages_of(job)
            task = bar.add_task("start", total=len(stages))

            def step(stage: str) -> None:
                if stage != stages[0]:
                    bar.advance(task)
                bar.update(task, description=stage)

            result = run_job(job, out, step, overwrite=overwrite)
            bar.advance(task)
        if as_json:
            print_json(result.summary)
            return
        p, s, lot = result.product, result.tiled.summary, result.lot
        rows: list[tuple[str, object, str]] = [
            ("product", job.product.name, ""),
            ("layers", p.layers, ""),
            ("capacity", p.capacity_mAh, "mAh"),
            ("thickness", p.thickness_mm, "mm"),
            ("VED packaged / unpackaged",
             f"{p.ved_Wh_per_L:.0f} / {p.ved_unpackaged_Wh_per_L:.0f}", "Wh/L"),
            ("cells per sheet", s.count, f"(bound {s.upper_bound:,}, {s.strategy})"),
            ("products per sheet", lot.products_per_sheet, ""),
            ("sheets for the lot", lot.sheets, f"({lot.roll_m:g} m of roll)"),
        ]
        if result.laser.toolpath.operations:
            rows.append(("laser time per sheet", result.laser.metrics["total"]["time_s"], "s"))
        if result.binned is not None:
            lot_yield = result.binned.result.lot
            rows.append(("tested yield", f"{100 * lot_yield.yield_:.2f} %",
                         f"({lot_yield.passed:,} of {lot_yield.cells:,} cells, "
                         f"{lot_yield.sheets} sheets)"))
        if result.stacked is not None:
            st = result.stacked.result
            rows.append(("matched stacks", st.n_stacks, f"(bound {st.bounds.upper:,})"))
            rows.append(("more sheets (measured yield)", st.lot.more_sheets,
                         f"(at {100 * st.lot.confidence:g} % confidence)"))
        print_table(rows, "run")
        typer.echo(f"wrote {len(result.files)} files to {out}/ (open {out}/report.html)")
