"""Tester coordinates to sheet coordinates, declared the SEMI E142 way.

The sheet frame is layoutgen's: origin at the sheet's lower-left corner, x to the right (across
the web), y up (along the web), mm. A tester frame is declared by the sheet corner its (0, 0)
refers to (`origin`), the directions its axes point (`axis_direction`: y up or down, x right or
left), a further counter-clockwise turn of both axes by a multiple of 90 degrees
(`rotation_deg`) and the tester coordinates of that corner (`offset_mm`):

    sheet = corner + e_x * (u - offset_u) + e_y * (v - offset_v)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from layoutgen.binning.bindeck import Transform
from layoutgen.errors import LayoutgenError
from layoutgen.units import nm_to_mm, to_nm

_CORNER = {"lower_left": (0, 0), "lower_right": (1, 0), "upper_left": (0, 1),
           "upper_right": (1, 1)}
_AXES = {"up_right": ((1, 0), (0, 1)), "up_left": ((-1, 0), (0, 1)),
         "down_right": ((1, 0), (0, -1)), "down_left": ((-1, 0), (0, -1))}
_QUARTER = {0: ((1, 0), (0, 1)), 90: ((0, -1), (1, 0)), 180: ((-1, 0), (0, -1)),
            270: ((0, 1), (-1, 0))}  # rotation matrices (rows) for CCW quarter turns


@dataclass(frozen=True)
class Frame:
    """A resolved tester frame: the sheet point of tester (offset), and the two axis vectors
    (integer unit vectors, so the map is exact up to the reading's own rounding)."""

    corner_nm: tuple[int, int]
    offset_nm: tuple[int, int]
    ex: tuple[int, int]
    ey: tuple[int, int]

    def apply(self, u_mm: np.ndarray, v_mm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Sheet coordinates (mm) of tester coordinates (mm)."""
        du = np.asarray(u_mm, float) - nm_to_mm(self.offset_nm[0])
        dv = np.asarray(v_mm, float) - nm_to_mm(self.offset_nm[1])
        x = nm_to_mm(self.corner_nm[0]) + self.ex[0] * du + self.ey[0] * dv
        y = nm_to_mm(self.corner_nm[1]) + self.ex[1] * du + self.ey[1] * dv
        return x, y


def frame_of(t: Transform, sheet_nm: tuple[int, int]) -> Frame:
    """The frame a deck's [transform] declares on a sheet of the given size (nm)."""
    cx, cy = _CORNER[t.origin]
    ex, ey = _AXES[t.axis_direction]
    r = _QUARTER[t.rotation_deg]

    def turn(v: tuple[int, int]) -> tuple[int, int]:
        return (r[0][0] * v[0] + r[0][1] * v[1], r[1][0] * v[0] + r[1][1] * v[1])

    off = (to_nm(t.offset_mm[0], "mm", "transform.offset_mm[0]"),
           to_nm(t.offset_mm[1], "mm", "transform.offset_mm[1]"))
    return Frame((cx * sheet_nm[0], cy * sheet_nm[1]), off, turn(ex), turn(ey))


def to_sheet(t: Transform, sheet_nm: tuple[int, int], u_mm: np.ndarray, v_mm: np.ndarray,
             *, tolerance_nm: int, where: str) -> tuple[np.ndarray, np.ndarray]:
    """Sheet coordinates of tester points; a transform that puts any point off the sheet
    (beyond the match tolerance) is refused, naming the first such row."""
    x, y = frame_of(t, sheet_nm).apply(u_mm, v_mm)
    tol = nm_to_mm(tolerance_nm)
    w, h = nm_to_mm(sheet_nm[0]), nm_to_mm(sheet_nm[1])
    off = ~((x >= -tol) & (x <= w + tol) & (y >= -tol) & (y <= h + tol))
    off |= ~(np.isfinite(x) & np.isfinite(y))
    if off.any():
        i = int(np.argmax(off))
        raise LayoutgenError(
            f"{where}: the transform (origin {t.origin}, axis_direction {t.axis_direction}, "
            f"rotation_deg {t.rotation_deg}, offset_mm {list(t.offset_mm)}) puts "
            f"{int(off.sum())} of {len(x)} tester points off the {w:g} x {h:g} mm sheet "
            f"(first: data row {i + 1}, tester ({u_mm[i]:g}, {v_mm[i]:g}) -> sheet "
            f"({x[i]:g}, {y[i]:g}) mm); check the [transform] keys")
    return x, y
