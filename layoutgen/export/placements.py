"""Tiling outputs: placements CSV, the typed summary of a tiling and its JSON placements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from layoutgen.export.manifest import DECIMALS
from layoutgen.export.numbers import format_csv
from layoutgen.tiling.result import Tiling


def placements_csv(tiling: Tiling) -> str:
    """id,row,col,x,y,rotation (mm, degrees), one line per cell, written in bulk."""

    rot = tiling.rotation_deg
    rot_dec = 0 if np.all(np.abs(rot - np.round(rot)) < 1e-9) else DECIMALS
    cols = [(np.arange(1, tiling.count + 1), 0), (tiling.row, 0), (tiling.col, 0),
            (tiling.x, DECIMALS), (tiling.y, DECIMALS), (rot, rot_dec)]
    return format_csv(("id", "row", "col", "x", "y", "rotation"), cols).decode()


@dataclass(frozen=True)
class TilingSummary:
    """What a tiling says about the sheet (the `sheet` of summary.json, `tile --json`)."""

    count: int
    upper_bound: int
    gap: int
    bound_method: str
    strategy: str
    utilization: float        # of the usable area, rounded to 6 decimals
    utilization_sheet: float  # of the whole sheet
    sheet_mm: tuple[float, float]
    usable_box_mm: tuple[float, ...]
    kerf_mm: float | None
    cut: str | None
    orientations: tuple[tuple[str, int], ...]  # ("0", cells), ("90", cells) by angle

    @property
    def proven_optimal(self) -> bool:
        return self.gap == 0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, keys in the order summary.json has always had."""
        return {
            "count": self.count, "upper_bound": self.upper_bound, "gap": self.gap,
            "proven_optimal": self.proven_optimal, "bound_method": self.bound_method,
            "strategy": self.strategy, "utilization": self.utilization,
            "utilization_sheet": self.utilization_sheet, "sheet_mm": list(self.sheet_mm),
            "usable_box_mm": list(self.usable_box_mm), "kerf_mm": self.kerf_mm, "cut": self.cut,
            "orientations": dict(self.orientations),
        }


def tiling_summary(tiling: Tiling) -> TilingSummary:
    """Count, bound, gap, utilization, strategy and cells per orientation of a tiling."""
    angles, counts = np.unique(tiling.rotation_deg, return_counts=True)
    return TilingSummary(
        count=tiling.count, upper_bound=tiling.upper_bound, gap=tiling.gap,
        bound_method=tiling.bound_method, strategy=tiling.strategy,
        utilization=round(tiling.utilization_usable, 6),
        utilization_sheet=round(tiling.utilization_sheet, 6),
        sheet_mm=tiling.sheet_mm, usable_box_mm=tiling.usable_box_mm, kerf_mm=tiling.kerf_mm,
        cut=tiling.cut,
        orientations=tuple((f"{r:g}", int(c)) for r, c in zip(angles, counts, strict=True)))


def placements_list(tiling: Tiling) -> list[list[float]]:
    """[x, y, rotation] per cell (mm rounded to 6 decimals, degrees) for JSON."""
    return np.column_stack(
        [np.round(tiling.x, 6), np.round(tiling.y, 6), tiling.rotation_deg]).tolist()
