"""What `layoutgen bin` found: bins, yield per sheet and lot, input accounting (typed)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from layoutgen.binning.bindeck import BinDeck
from layoutgen.binning.classify import DynamicLimit
from layoutgen.binning.geometry import SheetGeometry
from layoutgen.binning.ingest import Problem
from layoutgen.binning.zones import ZoneYield
from layoutgen.export.manifest import Manifest


@dataclass(frozen=True)
class BinCount:
    """Cells of one bin."""

    code: int
    name: str
    passed: bool
    cells: int


@dataclass(frozen=True)
class SheetYield:
    """Yield figures of one sheet."""

    sheet: str
    cells: int  # cells of the manifest
    tested: int  # cells with at least one row
    passed: int
    unmatched_rows: int
    pareto: tuple[BinCount, ...]  # bins with cells, most cells first
    zones: tuple[ZoneYield, ...]
    dynamic: tuple[DynamicLimit, ...]
    conditions: tuple[tuple[str, tuple[str, ...]], ...]

    @property
    def yield_(self) -> float:
        return self.passed / self.cells if self.cells else 0.0


@dataclass(frozen=True)
class LotYield:
    """Yield figures of all sheets together."""

    sheets: int
    cells: int
    passed: int
    pareto: tuple[BinCount, ...]
    zones: tuple[ZoneYield, ...]

    @property
    def yield_(self) -> float:
        return self.passed / self.cells if self.cells else 0.0


@dataclass(frozen=True)
class InputCounts:
    """Every input row accounted for: rows = matched + unmatched; bins.csv holds every row
    once and one row more per untested cell."""

    rows: int
    matched_rows: int
    unmatched_rows: int
    duplicate_rows: int
    duplicate_cells: int
    non_numeric_rows: int
    untested_cells: int


@dataclass(frozen=True)
class BinResult:
    """Everything `bin` found. `table` is bins.csv (polars); `cell_bins[s, i]` is the deck bin
    index of manifest cell i on sheet s and `cell_values[p][s, i]` its value (NaN: none)."""

    deck: BinDeck
    deck_sources: tuple[str, ...]
    maps: tuple[str, ...]
    manifest: Manifest
    geometry: SheetGeometry
    parameters: tuple[str, ...]
    units: dict[str, str]
    sheet_ids: tuple[str, ...]
    table: pl.DataFrame
    cell_bins: np.ndarray
    cell_values: dict[str, np.ndarray]
    sheets: tuple[SheetYield, ...]
    lot: LotYield
    counts: InputCounts
    problems: tuple[Problem, ...]
