"""The layout's integer grid: mm floats to whole nm, and the deck's sheet, usable box and kerf
read exactly from its decimals (every layout decision is integer arithmetic on this grid, the
grid the GDS is written on)."""

from __future__ import annotations

import numpy as np

from layoutgen.deck import Deck
from layoutgen.units import NM_PER_MM, nm_to_mm, to_nm


def floats_to_nm(mm: np.ndarray) -> np.ndarray:
    """mm floats that carry whole nm (placements) -> their int64 nm counts (exact)."""
    return np.rint(np.asarray(mm, float) * NM_PER_MM).astype(np.int64)


def snap_nm(xy_mm: np.ndarray) -> np.ndarray:
    """Cell-centred vertices (mm) -> int64 nm on the layout grid.

    A vertex that carries a whole nm count (every corner of a rect, pad and polygon vertex on
    the grid) is taken exactly; one that does not (points on a curve, drawn on the true outline)
    is rounded toward the cell centre, so the written outline never grows past the true one (a
    cell that clears its neighbours exactly still does on the grid). The GDS writer and the
    layout's own clearance decisions both use this.
    """
    q = np.asarray(xy_mm, float) * NM_PER_MM
    r = np.rint(q)
    return np.where(np.abs(q - r) <= 1e-3, r, np.trunc(q)).astype(np.int64)


def sheet_nm(deck: Deck) -> tuple[int, int]:
    """The sheet's width and length in nm (read exactly from the deck's decimals)."""
    return deck.sheet.size_nm


def usable_box_nm(deck: Deck) -> tuple[int, int, int, int]:
    """The sheet minus the edge exclusion: x0, y0, x1, y1 in whole nm."""
    return deck.sheet.usable_box_nm


def usable_box(deck: Deck) -> tuple[float, float, float, float]:
    """The sheet minus the edge exclusion: x0, y0, x1, y1 (mm images of `usable_box_nm`)."""
    x0, y0, x1, y1 = usable_box_nm(deck)
    return nm_to_mm(x0), nm_to_mm(y0), nm_to_mm(x1), nm_to_mm(y1)


def kerf_nm(deck: Deck) -> int:
    """tiling.kerf_um in whole nm (exact)."""
    return to_nm(deck.tiling.kerf_um, "um", "tiling.kerf_um")
