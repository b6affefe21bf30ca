"""The main job: product spec -> sizing -> tiling -> layout -> toolpaths -> exports + report."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from layoutgen import shapes, sizing
from layoutgen.deck import Deck, load_deck
from layoutgen.drc import run_drc
from layoutgen.errors import LayoutgenError
from layoutgen.export.layout_files import write_layout_files
from layoutgen.export.placements import tiling_summary
from layoutgen.export.toolpath_files import write_toolpath_files
from layoutgen.fileio import check_out_dir, check_stem, checkpoint, staged_dir, write_text
from layoutgen.job import Job
from layoutgen.layout.assemble import build_layout
from layoutgen.lot import LotPlan, lot_plan
from layoutgen.render.tiling import tiling_preview
from layoutgen.render.toolpath import toolpath_preview
from layoutgen.report import write_report
from layoutgen.tiling.engine import sheet_spec_from_deck, tile
from layoutgen.tiling.result import Tiling
from layoutgen.toolpath.generate import build_toolpath
from layoutgen.toolpath.metrics import job_metrics, rounded
from layoutgen.units import parse_size

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


def resolve_deck(job: Job, rules: list[str] | None = None, sets: list[str] | None = None
                 ) -> Deck:
    """The job's deck: defaults <- its decks <- --rules <- its overrides <- --set <- [sheet],
    with every check `layoutgen rules check` makes (errors name the job file and its key)."""
    decks = [job.path(d) for d in job.rules.decks] + list(rules or [])
    return load_deck(decks, [*job.deck_overrides(), *(sets or [])], job.deck_flags(),
                     run_checks=True)


def footprint_of_job(job: Job):  # noqa: ANN201
    """The product outline the job describes."""

    p = job.product
    names = sizing.Names.job(job.source)
    if p.shape == "polygon":
        fp = shapes.load_polygon(job.path(p.polygon))
        sizing.check_footprint(fp, names)
        return fp
    fx, fy = parse_size(p.footprint, f"{job.source}: product.footprint")
    if p.shape == "circle" and abs(fx - fy) > 1e-12:
        raise LayoutgenError(f"{job.source}: product.footprint = {p.footprint!r}: a circle takes "
                             "one diameter (e.g. '12')")
    return sizing.footprint_of(p.shape, fx, fy, p.corner_radius_mm, names)


def size_product(job: Job, deck: Deck) -> sizing.Product:
    """Sizing as the job asks: layers, least layers for a capacity, or most in a thickness."""
    p = job.product
    names = sizing.Names.job(job.source)
    fp = footprint_of_job(job)
    if p.layers is not None:
        prod = sizing.design(fp, p.layers, deck, p.retention, names)
        if p.max_thickness_mm is not None and prod.thickness_mm > p.max_thickness_mm:
            raise LayoutgenError(
                f"{job.source}: {names.said('layers', p.layers)}: {prod.thickness_mm:.4g} mm "
                f"thick, over {names.said('max_thickness', p.max_thickness_mm, ' mm')}")
        return prod
    if p.capacity_mah is not None:
        return sizing.layers_for_capacity(fp, p.capacity_mah, deck, p.retention,
                                          p.max_thickness_mm, names)
    if p.max_thickness_mm is not None:
        return sizing.most_capacity(fp, p.max_thickness_mm, deck, p.retention, names)
    return sizing.design(fp, 1, deck, p.retention, names)


def job_error(job: Job, exc: LayoutgenError) -> LayoutgenError:
    """A tiling error about the cell, said of the job key that gave it (not --cell)."""
    text = str(exc)
    if not text.startswith("--cell "):
        return exc
    what = (f"product.polygon = {job.product.polygon[:60]!r}" if job.product.shape == "polygon"
            else f"product.footprint = {job.product.footprint[:60]!r}")
    return LayoutgenError(f"{job.source}: {what}: its cell {text.removeprefix('--cell ')}")


def run_job(job: Job, out_dir: str | Path, progress: Progress | None = None, *,
            overwrite: bool = False) -> RunResult:
    """Run every stage and write every output into out_dir (staged: all or nothing; a folder
    holding another job's files is refused unless `overwrite`)."""

    def say(stage: str) -> None:
        checkpoint()  # a signal lost in a finaliser stops the run here
        if progress is not None:
            progress(stage)

    check_stem(job.product.name, f"{job.source}: product.name")
    check_out_dir(out_dir)
    say("sizing")
    deck = resolve_deck(job)
    product = size_product(job, deck)
    say("tiling")
    spec = sheet_spec_from_deck(deck)
    try:
        tiling = tile(product.cell, spec)
    except LayoutgenError as exc:
        raise job_error(job, exc) from None
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
    if "gds" not in job.outputs.formats:
        raise LayoutgenError("outputs.formats must include 'gds' (the layout every stage uses)")
    with staged_dir(out_dir, overwrite=overwrite) as tmp:
        say("layout")
        layout, summary["layout"] = _layout_stage(job, deck, product, tiling, spec, tmp, files)
        say("toolpaths")
        summary["laser"] = _toolpath_stage(job, layout, tmp, files)
        say("report")

        write_text(tmp / "summary.json", json.dumps(summary, indent=2) + "\n")
        files.append("summary.json")
        write_report(tmp / "report.html", summary, tmp, name)
        files.append("report.html")
    return RunResult(job, deck, product, tiling, lot, summary, sorted(files))


def _sheet_summary(tiling: Tiling) -> dict[str, Any]:

    return tiling_summary(tiling, with_placements=False)


def _layout_stage(job: Job, deck: Deck, product: sizing.Product, tiling: Tiling, spec,  # noqa: ANN001
                  tmp: Path, files: list[str]) -> tuple[Any, dict[str, Any]]:
    """GDS (+ OASIS) + .lyp + cells.csv + previews; the DRC runs on the written GDS."""

    name = job.product.name
    layout = build_layout(tiling, product.cell, deck)
    info, written = write_layout_files(layout, deck, tmp, name,
                                       oasis="oasis" in job.outputs.formats)
    tiling_preview(tiling, product.cell, spec, [tmp / "sheet.png"])
    files += [*written, "sheet.png"]
    drc = run_drc(tmp / f"{name}.gds", deck, tmp / "cells.csv")
    files.append(f"{name}.drc.gds")
    if not drc.ok:
        raise LayoutgenError(f"DRC failed on the written layout: {drc.to_dict()}")
    return layout, {
        "cells": layout.count,
        "masters": [p.name for p in layout.patterns],
        "gds_bytes": info.gds_bytes,
        "arrays": info.arrays,
        "single_references": info.single_refs,
        "scan_fields": len(layout.fields),
        "notes": list(layout.notes),
        "drc": {"ok": bool(drc.ok), "violations": len(drc.violations)},
    }


def _toolpath_stage(job: Job, layout, tmp: Path, files: list[str]) -> dict[str, Any]:  # noqa: ANN001
    """Laser job files in the formats the job asks for, a toolpath preview and the metrics."""

    tp = build_toolpath(layout)
    laser_formats = tuple(f for f in job.outputs.formats if f not in ("gds", "oasis"))
    files += [p.name for p in write_toolpath_files(tp, tmp, job.product.name, laser_formats)]
    toolpath_preview(tp, tmp / "toolpath.png")
    files.append("toolpath.png")
    m = rounded(job_metrics(tp))
    ops = [{"name": op.name, "segments": m["operations"][op.name]["strokes"],
            "mark_length_mm": m["operations"][op.name]["mark_total_mm"],
            "jump_length_mm": m["operations"][op.name]["jump_mm"],
            "passes": op.params.passes, "fields": m["operations"][op.name]["fields"],
            "time_s": m["operations"][op.name]["time_s"]} for op in tp.operations]
    return {"operations": ops, "total": m["total"], "metrics": m}
