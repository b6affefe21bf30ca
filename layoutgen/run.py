"""The main job and the pipeline's prefixes: one straight sequence of the named stages in
`layoutgen.stages` (size -> tile -> layout -> files -> DRC -> toolpath -> exports -> report).

`run_job` runs them all for a job file and writes summary.json and report.html from their typed
results; `layout_sheet` (tile -> layout -> files [-> DRC]) and `toolpath_sheet` (tile -> layout
-> toolpath -> exports) are the prefixes behind `layoutgen layout` and `layoutgen toolpath`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from layoutgen.deck import Deck
from layoutgen.drc import DrcReport
from layoutgen.errors import LayoutgenError
from layoutgen.export.job_json import job_header
from layoutgen.export.placements import placements_list
from layoutgen.fileio import check_out_dir, check_stem, checkpoint, staged_dir, write_text
from layoutgen.job import Job
from layoutgen.layout.model import SheetLayout
from layoutgen.lot import LotPlan
from layoutgen.report import run_sections, write_report
from layoutgen.report_model import ReportSection
from layoutgen.sheet_request import SheetRequest, sheet_inputs
from layoutgen.sizing import Product
from layoutgen.stages import (
    Binned,
    LaserJob,
    LayoutFiles,
    SheetInputs,
    Stacked,
    Tiled,
    bin_stage,
    bins_rejects,
    check_drc,
    drc_stage,
    exports_stage,
    files_stage,
    laser_formats,
    layout_stage,
    lot_stage,
    sheet_picture,
    size_stage,
    stack_stage,
    tile_stage,
    tiling_files_stage,
    toolpath_stage,
)
from layoutgen.tiling.engine import verify_tiling
from layoutgen.tiling.result import Tiling
from layoutgen.tiling.verify import VerifyReport


def stages_of(job: Job) -> tuple[str, ...]:
    """The stages a run of `job` goes through, in order (bins and stacks with tester maps)."""
    bins = ("bins",) if job.test.maps else ()
    stacks = ("stacks",) if job.test.maps and job.test.stack else ()
    return ("sizing", "tiling", "layout", *bins, "toolpaths", *stacks, "report")
Progress = Callable[[str], None]
ExtraSections = Callable[["RunResult"], Sequence[ReportSection]]


@dataclass(frozen=True)
class RunResult:
    """What a run produced: every stage's result and the files written (relative names)."""

    job: Job
    deck: Deck
    product: Product
    tiled: Tiled
    lot: LotPlan
    layout: SheetLayout
    layout_files: LayoutFiles
    drc: DrcReport
    laser: LaserJob
    files: tuple[str, ...] = ()
    binned: Binned | None = None  # with tester maps ([test].maps)
    stacked: Stacked | None = None

    @property
    def tiling(self) -> Tiling:
        return self.tiled.tiling

    @property
    def summary(self) -> dict[str, Any]:
        """summary.json, built from the stage results."""
        return run_summary(self)


def run_summary(r: RunResult) -> dict[str, Any]:
    """The run's summary (summary.json and `run --json`): job, product, sheet, lot, layout,
    laser; keys as they have always been."""
    info = r.layout_files.info
    m = r.laser.metrics_rounded
    ops = [{"name": op.name, "segments": m["operations"][op.name]["strokes"],
            "mark_length_mm": m["operations"][op.name]["mark_total_mm"],
            "jump_length_mm": m["operations"][op.name]["jump_mm"],
            "passes": op.params.passes, "fields": m["operations"][op.name]["fields"],
            "time_s": m["operations"][op.name]["time_s"]} for op in r.laser.toolpath.operations]
    return {
        "job": r.job.product.name,
        "product": r.product.as_dict(),
        "sheet": r.tiled.summary.as_dict(),
        "lot": r.lot.as_dict(),
        "layout": {
            "cells": r.layout.count,
            "masters": [p.name for p in r.layout.patterns],
            "gds_bytes": info.gds_bytes,
            "arrays": info.arrays,
            "single_references": info.single_refs,
            "scan_fields": len(r.layout.fields),
            "notes": list(r.layout.notes),
            "drc": {"ok": bool(r.drc.ok), "violations": len(r.drc.violations)},
        },
        "laser": {"operations": ops, "total": m["total"], "metrics": m},
        **({"bins": r.binned.summary()} if r.binned is not None else {}),
        **({"stacks": r.stacked.result.summary()} if r.stacked is not None else {}),
    }


def job_error(job: Job, exc: LayoutgenError) -> LayoutgenError:
    """A tiling error about the cell, said of the job key that gave it (not --cell)."""
    text = str(exc)
    if not text.startswith("--cell "):
        return exc
    what = (f"product.polygon = {job.product.polygon[:60]!r}" if job.product.shape == "polygon"
            else f"product.footprint = {job.product.footprint[:60]!r}")
    return LayoutgenError(f"{job.source}: {what}: its cell {text.removeprefix('--cell ')}")


def run_job(job: Job, out_dir: str | Path, progress: Progress | None = None, *,
            overwrite: bool = False, extra_sections: ExtraSections | None = None) -> RunResult:
    """Run every stage and write every output into out_dir (staged: all or nothing; a folder
    holding another job's files is refused unless `overwrite`). `extra_sections` adds report
    sections made from the result (bins, stacks, ...)."""

    def say(stage: str) -> None:
        checkpoint()  # a signal lost in a finaliser stops the run here
        if progress is not None:
            progress(stage)

    name = job.product.name
    check_stem(name, f"{job.source}: product.name")
    check_out_dir(out_dir)
    say("sizing")
    sized = size_stage(job)
    say("tiling")
    try:
        tiled = tile_stage(sized.sheet)
    except LayoutgenError as exc:
        raise job_error(job, exc) from None
    lot = lot_stage(job, sized.product, tiled, sized.sheet)
    if "gds" not in job.outputs.formats:
        raise LayoutgenError("outputs.formats must include 'gds' (the layout every stage uses)")
    with staged_dir(out_dir, overwrite=overwrite) as tmp:
        say("layout")
        layout = layout_stage(tiled, sized.sheet)
        written = files_stage(layout, sized.deck, tmp, name,
                              oasis="oasis" in job.outputs.formats)
        files = [*written.files, sheet_picture(tiled, sized.sheet, tmp)]
        drc = drc_stage(tmp, name, sized.deck)
        files.append(f"{name}.drc.gds")
        check_drc(drc)
        binned = None
        if job.test.maps:
            say("bins")
            binned = bin_stage(job, sized.deck, sized.product, tmp)
            files += binned.files
        say("toolpaths")
        laser = toolpath_stage(layout, binned.rejects if binned is not None else None)
        files += exports_stage(laser, tmp, name, laser_formats(job.outputs.formats))
        stacked = None
        if binned is not None and job.test.stack:
            say("stacks")
            stacked = stack_stage(job, tmp)
            files += stacked.files
        say("report")
        result = RunResult(job, sized.deck, sized.product, tiled, lot, layout, written, drc,
                           laser, binned=binned, stacked=stacked)
        write_text(tmp / "summary.json", json.dumps(run_summary(result), indent=2) + "\n")
        files.append("summary.json")
        sections = run_sections(sized.product, tiled, lot, drc, laser)
        if binned is not None:
            sections.append(binned.report_section())
        if stacked is not None:
            sections.append(stacked.report_section())
        if extra_sections is not None:
            sections += extra_sections(result)
        write_report(tmp / "report.html", name, sections)
        files.append("report.html")
    return replace(result, files=tuple(sorted(files)))


# ---- prefixes: `layoutgen tile`, `layoutgen layout` and `layoutgen toolpath` ---------------

@dataclass(frozen=True)
class TileRun:
    """tile [-> independent check] [-> placements.csv + previews] of one sheet."""

    sheet: SheetInputs
    tiled: Tiled
    check: VerifyReport | None
    out: str | None
    files: tuple[str, ...]

    def as_dict(self, placements: bool = False) -> dict[str, Any]:
        """`tile --json`: the tiling summary (+ placements, + the check's outcome)."""
        out = self.tiled.summary.as_dict()
        if placements:
            out["placements"] = placements_list(self.tiled.tiling)
        if self.check is not None:
            out["verify"] = {"ok": bool(self.check.ok),
                             "messages": list(self.check.messages)[:10]}
        return out


def tile_sheet(sheet: SheetInputs | SheetRequest, out: str | Path | None = None, *,
               verify: bool = False, force: bool = False, overwrite: bool = False) -> TileRun:
    """The most cells on one sheet; the independent check and the files when asked."""
    sheet = _inputs(sheet)
    tiled = tile_stage(sheet, force=force)
    check = verify_tiling(tiled.tiling, sheet.shape, sheet.spec) if verify else None
    files: tuple[str, ...] = ()
    if out is not None:
        with staged_dir(out, overwrite=overwrite) as tmp:
            files = tiling_files_stage(tiled, sheet, tmp)
    return TileRun(sheet, tiled, check, None if out is None else str(out), files)


@dataclass(frozen=True)
class LayoutOptions:
    """What `layoutgen layout` writes: file stem, flat or referenced, OASIS, previews, DRC."""

    name: str = "sheet"
    flat: bool = False
    oasis: bool = False
    preview: bool = True
    drc: bool = False
    force: bool = False
    overwrite: bool = False


@dataclass(frozen=True)
class LayoutRun:
    """tile -> layout -> files [-> DRC] of one sheet."""

    sheet: SheetInputs
    tiled: Tiled
    layout: SheetLayout
    written: LayoutFiles
    drc: DrcReport | None
    options: LayoutOptions
    out: str
    files: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """`layout --json`."""
        info, layout = self.written.info, self.layout
        out: dict[str, Any] = {
            "cells": layout.count, "strategy": self.tiled.tiling.strategy,
            "masters": [p.name for p in layout.patterns],
            "arrays": info.arrays, "single_references": info.single_refs,
            "flat": self.options.flat, "gds_bytes": info.gds_bytes,
            "oasis_bytes": info.oasis_bytes if self.options.oasis else None,
            "scan_fields": len(layout.fields),
            "fiducials": len(layout.features["FIDUCIAL"]),
            "contact_rails": len(layout.features["CONTACT_RAIL"]),
            "keepouts": len(layout.features["KEEPOUT"]),
            "notes": list(layout.notes), "out": self.out, "files": list(self.files),
        }
        if self.drc is not None:
            out["drc"] = self.drc.to_dict()
        return out


def _inputs(sheet: SheetInputs | SheetRequest) -> SheetInputs:
    return sheet if isinstance(sheet, SheetInputs) else sheet_inputs(sheet)


def layout_sheet(sheet: SheetInputs | SheetRequest, out: str | Path, opts: LayoutOptions
                 ) -> LayoutRun:
    """The patterning layout of one sheet into out (staged: all or nothing)."""
    check_stem(opts.name, "--name")
    sheet = _inputs(sheet)
    tiled = tile_stage(sheet, force=opts.force)
    layout = layout_stage(tiled, sheet)
    drc = None
    with staged_dir(out, overwrite=opts.overwrite) as tmp:
        written = files_stage(layout, sheet.deck, tmp, opts.name, flat=opts.flat,
                              oasis=opts.oasis, preview=opts.preview)
        files = list(written.files)
        if opts.drc:  # on the staged file: the markers move in with the layout
            drc = drc_stage(tmp, opts.name, sheet.deck)
            files.append(f"{opts.name}.drc.gds")
    if drc is not None:  # name the files where they now are
        drc.gds_path = Path(out) / f"{opts.name}.gds"
        drc.marker_path = Path(out) / f"{opts.name}.drc.gds"
    return LayoutRun(sheet, tiled, layout, written, drc, opts, str(out), tuple(files))


@dataclass(frozen=True)
class ToolpathOptions:
    """What `layoutgen toolpath` writes: file stem, formats, the preview."""

    name: str = "job"
    formats: tuple[str, ...] = ()
    preview: bool = False
    force: bool = False
    overwrite: bool = False
    bins: Path | None = None  # a bins.csv (layoutgen bin): its failing cells ...
    rejects: str = "mark"  # ... get a reject cross ("mark") or are left uncut ("skip")
    sheet_id: str | None = None  # the bins.csv sheet this job cuts (if it holds several)


@dataclass(frozen=True)
class ToolpathRun:
    """tile -> layout -> toolpath -> exports of one sheet."""

    tiled: Tiled
    laser: LaserJob
    out: str
    files: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """`toolpath --json`: the laser job's header, the cell count and the files."""
        head = job_header(self.laser.toolpath)
        head["cells"] = self.tiled.tiling.count
        head["files"] = list(self.files)
        return head


def toolpath_sheet(sheet: SheetInputs | SheetRequest, out: str | Path, opts: ToolpathOptions
                   ) -> ToolpathRun:
    """The laser job of one sheet into out (staged: all or nothing)."""
    check_stem(opts.name, "--name")
    sheet = _inputs(sheet)
    rejects = (bins_rejects(opts.bins, opts.rejects, opts.sheet_id)
               if opts.bins is not None else None)
    tiled = tile_stage(sheet, force=opts.force)
    laser = toolpath_stage(layout_stage(tiled, sheet), rejects)
    with staged_dir(out, overwrite=opts.overwrite) as tmp:
        files = exports_stage(laser, tmp, opts.name, opts.formats, preview=opts.preview)
    return ToolpathRun(tiled, laser, str(out), files)
