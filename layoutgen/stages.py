"""The pipeline's named stages, each a function of typed inputs returning a frozen dataclass:

    size -> tile -> layout -> files -> DRC -> toolpath -> exports (-> report, in run.py)

`run.run_job` runs them all for a job file; `run.layout_sheet` and `run.toolpath_sheet` run the
prefixes behind `layoutgen layout` and `layoutgen toolpath`. Nothing here prints.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from layoutgen.deck import Deck, load_deck, with_values
from layoutgen.drc import DrcReport, run_drc
from layoutgen.errors import LayoutgenError
from layoutgen.export.gds import GdsInfo
from layoutgen.export.layout_files import write_layout_files
from layoutgen.export.placements import TilingSummary, placements_csv, tiling_summary
from layoutgen.export.toolpath_files import write_toolpath_files
from layoutgen.fileio import check_input, write_text
from layoutgen.job import Job
from layoutgen.layout.assemble import build_layout
from layoutgen.layout.model import SheetLayout
from layoutgen.lot import LotPlan, lot_plan
from layoutgen.product import Row, SizingText, query_of_text, resolve_deck, size, size_product
from layoutgen.render.tiling import tiling_preview
from layoutgen.render.toolpath import toolpath_preview
from layoutgen.report_model import ReportSection
from layoutgen.shapes import CellShape
from layoutgen.sizing import Product
from layoutgen.tiling.engine import SheetSpec, sheet_spec_from_deck, tile
from layoutgen.tiling.result import Tiling
from layoutgen.toolpath.generate import build_toolpath
from layoutgen.toolpath.metrics import job_metrics, rounded
from layoutgen.toolpath.model import Rejects, Toolpath
from layoutgen.toolpath.rejects import rejects_for_sheet
from layoutgen.units import parse_size

if TYPE_CHECKING:  # types only: the bin and stack stages load polars, scipy and matplotlib
    from layoutgen.binning.result import BinResult
    from layoutgen.stacking.stage import StackResult

LAYOUT_FORMATS = ("gds", "oasis")


# ---- size ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class SheetInputs:
    """What tiling needs: the deck (sheet flags applied), the cell outline and the sheet."""

    deck: Deck
    shape: CellShape  # the cell outline
    spec: SheetSpec


@dataclass(frozen=True)
class Sized:
    """The size stage: the job's deck and sized product, and the sheet its cell goes on."""

    deck: Deck
    product: Product
    sheet: SheetInputs


def size_stage(job: Job, rules: list[str] | None = None, sets: list[str] | None = None
               ) -> Sized:
    """Resolve the job's deck and size its product; the cell outline is what gets tiled."""
    deck = resolve_deck(job, rules, sets)
    product = size_product(job, deck)
    return Sized(deck, product, SheetInputs(deck, product.cell, sheet_spec_from_deck(deck)))


# ---- tile ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Tiled:
    """The tile stage: the placements and their summary."""

    tiling: Tiling
    summary: TilingSummary


def tile_stage(sheet: SheetInputs, *, force: bool = False) -> Tiled:
    """The most cells on the sheet, with the proven bound."""
    tiling = tile(sheet.shape, sheet.spec, force=force)
    return Tiled(tiling, tiling_summary(tiling))


def tiling_files_stage(tiled: Tiled, sheet: SheetInputs, folder: Path) -> tuple[str, ...]:
    """placements.csv and the tiling previews (preview.svg, preview.png) into folder."""
    write_text(folder / "placements.csv", placements_csv(tiled.tiling))
    tiling_preview(tiled.tiling, sheet.shape, sheet.spec,
                   [folder / "preview.svg", folder / "preview.png"])
    return ("placements.csv", "preview.svg", "preview.png")


def lot_stage(job: Job, product: Product, tiled: Tiled, sheet: SheetInputs) -> LotPlan:
    """Sheets and roll length for the job's lot at its cell yield."""
    return lot_plan(job.lot.products, product.layers, tiled.tiling.count, job.lot.cell_yield,
                    sheet.spec.length, sheet.deck.sheet.roll_length_m)


@dataclass(frozen=True)
class SheetFigures:
    """A sized product tiled on a sheet (`layoutgen size --sheet`, `size compare`)."""

    sheet_mm: tuple[float, float]
    cells_per_sheet: int
    cells_upper_bound: int
    tiling_strategy: str
    products_per_sheet: int
    products_per_roll_m: float

    def as_dict(self) -> dict[str, Any]:
        return {"sheet_mm": list(self.sheet_mm), "cells_per_sheet": self.cells_per_sheet,
                "cells_upper_bound": self.cells_upper_bound,
                "tiling_strategy": self.tiling_strategy,
                "products_per_sheet": self.products_per_sheet,
                "products_per_roll_m": self.products_per_roll_m}


    def rows(self) -> list[Row]:
        """The lines `size --sheet` adds to the product table."""
        return [("cells per sheet", self.cells_per_sheet, f"(bound {self.cells_upper_bound:,})"),
                ("products per sheet", self.products_per_sheet, ""),
                ("products per roll metre", self.products_per_roll_m, "")]


def sheet_deck(deck: Deck, sheet: str | None) -> Deck:
    """The deck with `--sheet WxL` applied (unchanged without one)."""
    if not sheet:
        return deck
    sx, sy = parse_size(sheet, "--sheet")
    return with_values(deck, {"sheet.width_mm": sx, "sheet.length_mm": sy}, f"--sheet {sheet}")


def sheet_figures(product: Product, deck: Deck) -> SheetFigures:
    """size -> tile: the product's cell on the deck's sheet; products need `layers` cells each."""
    spec = sheet_spec_from_deck(deck)
    tiling = tile_stage(SheetInputs(deck, product.cell, spec)).tiling
    per_sheet = tiling.count // product.layers
    return SheetFigures((spec.width, spec.length), tiling.count, tiling.upper_bound,
                        tiling.strategy, per_sheet, round(per_sheet / (spec.length / 1000), 3))


COMPARE_COLUMNS = ("footprint", "layers", "capacity_mAh", "thickness_mm", "ved_Wh_per_L",
                   "cells_per_sheet", "products_per_sheet", "products_per_roll_m")


@dataclass(frozen=True)
class CompareTable:
    """`layoutgen size compare`: one row per candidate footprint (COMPARE_COLUMNS)."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]

    def as_dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


def compare_footprints(deck: Deck, queries: list[SizingText], sheet: str | None = None
                       ) -> CompareTable:
    """size -> tile for each candidate: layers, capacity, VED, cells and products per sheet."""
    sdeck = sheet_deck(deck, sheet)
    rows = []
    for q in queries:
        p = size(query_of_text(q), deck)
        d = {**p.as_dict(), **sheet_figures(p, sdeck).as_dict(), "footprint": q.footprint}
        rows.append(tuple(d[c] for c in COMPARE_COLUMNS))
    return CompareTable(COMPARE_COLUMNS, tuple(rows))


# ---- layout, files, DRC --------------------------------------------------------------------

def layout_stage(tiled: Tiled, sheet: SheetInputs) -> SheetLayout:
    """The sheet layout: one master per orientation placed at every cell, sheet features."""
    return build_layout(tiled.tiling, sheet.shape, sheet.deck)


@dataclass(frozen=True)
class LayoutFiles:
    """The files stage: what the GDS writer reports and the file names written."""

    info: GdsInfo
    files: tuple[str, ...]


def files_stage(layout: SheetLayout, deck: Deck, folder: Path, name: str, *, flat: bool = False,
                oasis: bool = False, preview: bool = True) -> LayoutFiles:
    """<name>.gds (+ .oas), .lyp, .rules.toml, cells.csv (+ previews) into folder."""
    info, files = write_layout_files(layout, deck, folder, name, flat=flat, oasis=oasis,
                                     preview=preview)
    if not isinstance(info, GdsInfo):  # pragma: no cover - the writer's contract
        raise TypeError(f"write_layout_files returned {type(info).__name__}, not GdsInfo")
    return LayoutFiles(info, tuple(files))


def drc_stage(folder: Path, name: str, deck: Deck) -> DrcReport:
    """The DRC on the written <name>.gds against the deck and cells.csv (markers beside it)."""
    return run_drc(folder / f"{name}.gds", deck, folder / "cells.csv")


@dataclass(frozen=True)
class FileDrc:
    """`layoutgen drc FILE`: the decks and manifest used and the report."""

    decks: tuple[str, ...]
    manifest: Path | None
    report: DrcReport


def drc_of_file(file: str, rules: list[str], sets: list[str], manifest: str | None = None,
                out: str | None = None) -> FileDrc:
    """Check a written layout: its deck is --rules, else <name>.rules.toml beside it, else the
    shipped default; its manifest is --manifest, else cells.csv beside it if there."""
    path = check_input(file, "layout file", "layout")
    decks = list(rules)
    beside = path.with_name(path.stem + ".rules.toml")
    if not decks and beside.is_file():
        decks = [str(beside)]
    deck = load_deck(tuple(decks), tuple(sets))
    man = Path(manifest) if manifest else None
    if man is None and (path.parent / "cells.csv").is_file():
        man = path.parent / "cells.csv"
    if man is not None:
        if not man.exists():
            raise LayoutgenError(f"--manifest {manifest}: no such file")
        check_input(man, "manifest (cells.csv)", "manifest")
    marker = Path(out) / f"{path.stem}.drc.gds" if out else None
    return FileDrc(tuple(decks), man, run_drc(path, deck, man, marker))


# ---- toolpath, exports ---------------------------------------------------------------------

@dataclass(frozen=True)
class LaserJob:
    """The toolpath stage: the ordered toolpath and its job metrics (computed once)."""

    toolpath: Toolpath
    metrics: dict[str, Any]  # toolpath.metrics.job_metrics (lengths mm, times s)

    @property
    def metrics_rounded(self) -> dict[str, Any]:
        return rounded(self.metrics)


def toolpath_stage(layout: SheetLayout, rejects: Rejects | None = None) -> LaserJob:
    """Laser operations in process order, ordered and split into scan fields; their metrics.
    `rejects`: failing cells to mark or leave uncut (from a bins.csv)."""
    tp = build_toolpath(layout, rejects)
    return LaserJob(tp, job_metrics(tp))


def exports_stage(laser: LaserJob, folder: Path, stem: str, formats: tuple[str, ...], *,
                  preview: bool = True) -> tuple[str, ...]:
    """The laser job files in `formats` (+ toolpath.png); returns the names written."""
    files = [p.name for p in write_toolpath_files(laser.toolpath, folder, stem, formats)]
    if preview:
        toolpath_preview(laser.toolpath, folder / "toolpath.png")
        files.append("toolpath.png")
    return tuple(files)


def sheet_picture(tiled: Tiled, sheet: SheetInputs, folder: Path) -> str:
    """sheet.png: every cell, coloured by orientation."""
    tiling_preview(tiled.tiling, sheet.shape, sheet.spec, [folder / "sheet.png"])
    return "sheet.png"


def laser_formats(formats: tuple[str, ...]) -> tuple[str, ...]:
    """The laser file formats among a job's outputs.formats."""
    return tuple(f for f in formats if f not in LAYOUT_FORMATS)


def check_drc(report: DrcReport) -> None:
    """A run stops on a DRC failure of its own layout (a bug or a deck that cannot hold)."""
    if not report.ok:
        raise LayoutgenError(f"DRC failed on the written layout: {report.to_dict()}")


@dataclass(frozen=True)
class Binned:
    """The bin stage of a run: the bins, the files written under bins/, the laser's rejects."""

    result: BinResult
    files: tuple[str, ...]
    rejects: Rejects | None

    def summary(self) -> dict[str, object]:
        """The bins part of summary.json."""
        from layoutgen.binning.stage import bins_summary  # lazy: polars, scipy, matplotlib

        return bins_summary(self.result)

    def report_section(self) -> ReportSection:
        """The report's bins section, with the PNGs written under bins/."""
        from layoutgen.binning.stage import report_section  # lazy: polars, scipy, matplotlib

        return report_section(self.result, [f for f in self.files if f.endswith(".png")])


def bin_stage(job: Job, deck: Deck, product: Product, folder: Path) -> Binned:
    """Bin the job's tester maps against the run's own cells.csv (in `folder`), write the bin
    outputs and pictures into folder/bins/, and the failing cells of the sheet the laser job
    cuts (job [test].rejects)."""
    from layoutgen.binning.stage import bin_maps, write_bin_outputs  # lazy: polars, scipy

    t = job.test
    result = bin_maps([job.path(m) for m in t.maps], folder / "cells.csv",
                      [job.path(b) for b in t.bins], outline=product.cell,
                      sheet_nm=deck.sheet.size_nm, names=t.maps)  # as the job names them
    written = write_bin_outputs(result, folder / "bins")
    rejects = None
    if t.rejects != "none":
        rejects = bins_rejects(folder / "bins" / "bins.csv", t.rejects, t.sheet or None)
    return Binned(result, tuple(f"bins/{p.name}" for p in written), rejects)


@dataclass(frozen=True)
class Stacked:
    """The stack stage of a run: matched stacks of the passing cells and the files under
    stacks/."""

    result: StackResult
    files: tuple[str, ...]

    def report_section(self) -> ReportSection:
        """The report's stacks section, its figures under stacks/."""
        from layoutgen.stacking.stage import report_section  # lazy: polars, matplotlib

        sec = report_section(self.result)
        return replace(sec, figures=tuple(replace(f, file=f"stacks/{f.file}")
                                          for f in sec.figures))


def stack_stage(job: Job, folder: Path) -> Stacked:
    """Matched stacks from the run's bins.csv (folder/bins/), with the job's product target and
    limits; outputs into folder/stacks/."""
    from layoutgen.stacking.stage import (  # lazy: polars, matplotlib
        StackRequest,
        stack_cells,
        write_stack_outputs,
    )

    req = StackRequest(maps=(str(folder / "bins" / "bins.csv"),), job=job.source,
                       limits_file=str(job.path(job.test.stack_limits))
                       if job.test.stack_limits else None)
    result = stack_cells(req)
    written = write_stack_outputs(result, folder / "stacks")
    return Stacked(result, tuple(f"stacks/{p.name}" for p in written))


def bins_rejects(bins_csv: Path, mode: str, sheet_id: str | None) -> Rejects:
    """The failing cells of one sheet of a bins.csv, for the laser job (`mode` mark | skip)."""
    from layoutgen.binning.stage import read_rejects  # lazy: polars, scipy, matplotlib

    return rejects_for_sheet(read_rejects(bins_csv), mode, sheet_id)
