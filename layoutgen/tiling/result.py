"""Plain data objects that the tiling stage hands on."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from layoutgen.units import NM_PER_MM


@dataclass(frozen=True)
class RectPacking:
    """Identical rectangles packed in a rectangle (the reduced, kerf-free problem).

    `rects` is an (n, 4) float array of x0, y0, dx, dy (lower-left corner and extent) in the
    reduced coordinates; dx == l means the cell lies with its first dimension along x.
    """

    count: int
    rects: np.ndarray
    strategy: str
    upper_bound: int
    bound_method: str

    @property
    def proven_optimal(self) -> bool:
        return self.count >= self.upper_bound


@dataclass(frozen=True)
class Tiling:
    """Cells placed on a sheet: centres in sheet mm, rotation in degrees, rows along the web."""

    x: np.ndarray
    y: np.ndarray
    rotation_deg: np.ndarray
    row: np.ndarray
    col: np.ndarray
    strategy: str
    upper_bound: int
    bound_method: str
    sheet_mm: tuple[float, float]
    usable_area_mm2: float
    cell_area_mm2: float
    usable_box_mm: tuple[float, ...] = ()  # x0, y0, x1, y1 of the usable area (() if unknown)
    kerf_mm: float | None = None
    cut: str | None = None               # "free" | "guillotine"
    rotation: str | None = None          # "any" | "0" | "90"
    cell: str = ""                       # the outline, described for people

    @property
    def count(self) -> int:
        return int(self.x.shape[0])

    @property
    def x_nm(self) -> np.ndarray:
        """Cell centres along x in integer nm (exact: `x` carries whole nm counts)."""
        return np.rint(np.asarray(self.x, float) * NM_PER_MM).astype(np.int64)

    @property
    def y_nm(self) -> np.ndarray:
        """Cell centres along y in integer nm (exact)."""
        return np.rint(np.asarray(self.y, float) * NM_PER_MM).astype(np.int64)

    @property
    def proven_optimal(self) -> bool:
        """True only when the count meets a bound proven for the user's problem."""
        return self.count >= self.upper_bound

    @property
    def gap(self) -> int:
        return max(0, self.upper_bound - self.count)

    @property
    def utilization_sheet(self) -> float:
        return self.count * self.cell_area_mm2 / (self.sheet_mm[0] * self.sheet_mm[1])

    @property
    def utilization_usable(self) -> float:
        if not self.usable_area_mm2:
            return 0.0
        return self.count * self.cell_area_mm2 / self.usable_area_mm2
