"""The main job: product spec -> sizing -> tiling -> layout -> toolpaths -> exports + report."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from layoutgen import sizing
from layoutgen.deck import Deck, load_deck
from layoutgen.errors import LayoutgenError
from layoutgen.job import Job
from layoutgen.lot import LotPlan, lot_plan
from layoutgen.tiling.result import Tiling

STAGES = ("sizing", "tiling", "layout", "toolpaths", "report")
Progress = Callable[[str], None]


@dataclass
class RunResult:
    """What a run produced: the stage objects and the files written (relative names)."""

    job: Job
    deck: Deck
    product: sizing.Product
    tiling: Tiling
    lot: LotPlan
    summary: dict[str, Any]
    files: list[str] = field(default_factory=list)


def resolve_deck(job: Job) -> Deck:
    """The job's deck: defaults <- its decks <- its overrides <- its [sheet] values."""
    return load_deck([job.path(d) for d in job.rules.decks], list(job.rules.set),
                     job.deck_flags())


def footprint_of_job(job: Job):  # noqa: ANN201
    """The product outline the job describes."""
    from layoutgen import shapes
    from layoutgen.units import parse_size

    p = job.product
    if p.shape == "polygon":
        return shapes.load_polygon(job.path(p.polygon))
    fx, fy = parse_size(p.footprint, "product.footprint")
    if p.shape == "circle":
        if abs(fx - fy) > 1e-12:
            raise LayoutgenError("product.footprint: a circle takes one diameter (e.g. '12')")
        return shapes.circle(fx)
    return sizing.footprint_of(p.shape, fx, fy, p.corner_radius_mm)


def size_product(job: Job, deck: Deck) -> sizing.Product:
    """Sizing as the job asks: layers, least layers for a capacity, or most in a thickness."""
    p = job.product
    fp = footprint_of_job(job)
    if p.layers is not None:
        prod = sizing.design(fp, p.layers, deck, p.retention)
        if p.max_thickness_mm is not None and prod.thickness_mm > p.max_thickness_mm:
            raise LayoutgenError(
                f"product.layers {p.layers}: {prod.thickness_mm:.4g} mm thick, over "
                f"max_thickness_mm {p.max_thickness_mm:g}")
        return prod
    if p.capacity_mah is not None:
        return sizing.layers_for_capacity(fp, p.capacity_mah, deck, p.retention,
                                          p.max_thickness_mm)
    if p.max_thickness_mm is not None:
        return sizing.most_capacity(fp, p.max_thickness_mm, deck, p.retention)
    return sizing.design(fp, 1, deck, p.retention)


def run_job(job: Job, out_dir: str | Path, progress: Progress | None = None) -> RunResult:
    """Run every stage and write every output into out_dir (staged: all or nothing)."""
    from layoutgen.fileio import staged_dir
    from layoutgen.tiling.engine import sheet_spec_from_deck, tile

    say = progress or (lambda _stage: None)
    say("sizing")
    deck = resolve_deck(job)
    product = size_product(job, deck)
    say("tiling")
    spec = sheet_spec_from_deck(deck)
    tiling = tile(product.cell, spec)
    lot = lot_plan(job.lot.products, product.layers, tiling.count, job.lot.cell_yield,
                   spec.length, deck.sheet.roll_length_m)
    name = job.product.name
    summary: dict[str, Any] = {
        "job": name,
        "product": product.as_dict(),
        "sheet": _sheet_summary(tiling),
        "lot": lot.as_dict(),
    }
    files: list[str] = []
    with staged_dir(out_dir) as tmp:
        say("layout")
        summary["layout"] = _layout_stage(job, deck, product, tiling, spec, tmp, files)
        say("toolpaths")
        summary["laser"] = _toolpath_stage(job, deck, product, tiling, tmp, files)
        say("report")
        from layoutgen.report import write_report

        (tmp / "summary.json").write_text(json.dumps(summary, indent=2) + "\n",
                                          encoding="utf-8")
        files.append("summary.json")
        write_report(tmp / "report.html", summary, tmp, name)
        files.append("report.html")
    return RunResult(job, deck, product, tiling, lot, summary, sorted(files))


def _sheet_summary(tiling: Tiling) -> dict[str, Any]:
    from layoutgen.tiling.export import tiling_summary

    return tiling_summary(tiling, with_placements=False)


def _layout_stage(job: Job, deck: Deck, product: sizing.Product, tiling: Tiling, spec,  # noqa: ANN001
                  tmp: Path, files: list[str]) -> dict[str, Any]:
    from layoutgen.tiling.export import placements_csv
    from layoutgen.tiling.preview import tiling_preview

    (tmp / "placements.csv").write_text(placements_csv(tiling), encoding="utf-8")
    files.append("placements.csv")
    tiling_preview(tiling, product.cell, spec, [tmp / "sheet.png"])
    files.append("sheet.png")
    return {}


def _toolpath_stage(job: Job, deck: Deck, product: sizing.Product, tiling: Tiling,
                    tmp: Path, files: list[str]) -> dict[str, Any]:
    return {}
