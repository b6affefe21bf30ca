"""Failing cells on the laser: which they are (`rejects_for_sheet`), the reject cross marked on
each ("mark") and the singulation contours left out ("skip").

A reject cross is an X of two strokes along the cell's diagonals, each `layout.fiducial_size_um`
long (the fiducial cross's size; an X, so a vision system never takes it for a fiducial's +),
shrunk where needed to stay half a spot inside the cell's outline; it is marked with the fiducial
operation's parameter set, as operation "reject" (its colour: `technology.operation("reject")`).
"""

from __future__ import annotations

import math

import numpy as np
import shapely

from layoutgen.deck import Deck
from layoutgen.errors import LayoutgenError
from layoutgen.pattern import CellPattern
from layoutgen.toolpath.model import Paths, Rejects


def rejects_for_sheet(by_sheet: dict[str, frozenset[int]], mode: str,
                      sheet_id: str | None = None) -> Rejects:
    """The failing cells of one sheet from a bins.csv reading (sheet id -> failing ids, as
    `layoutgen.binning.stage.read_rejects` returns): the sheet named, or the only one."""
    if mode not in ("mark", "skip"):
        raise LayoutgenError(f"rejects = {mode!r}: use mark (a cross on each failing cell) or "
                             "skip (leave their singulation contours out)")
    names = list(by_sheet)
    shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
    if sheet_id is None:
        if len(names) != 1:
            raise LayoutgenError(f"bins.csv holds {len(names)} sheets ({shown}): name the one "
                                 "this job cuts (sheet id)")
        sheet_id = names[0]
    if sheet_id not in by_sheet:
        raise LayoutgenError(f"sheet id {sheet_id[:60]!r} is not in bins.csv (it holds "
                             f"{shown or 'no sheets'})")
    return Rejects(frozenset(by_sheet[sheet_id]), mode)


def failing_cells(rejects: Rejects, count: int) -> np.ndarray:
    """Sorted failing cell ids, each checked to be on the sheet (ids 0 .. count - 1)."""
    ids = np.array(sorted(rejects.ids), np.int64)
    bad = ids[(ids < 0) | (ids >= count)]
    if len(bad):
        raise LayoutgenError(
            f"rejects: {len(bad)} failing cell id(s) are not on this sheet (ids 0..{count - 1};"
            f" e.g. {int(bad[0])}): is bins.csv for this layout?")
    return ids


def cross_half(pattern: CellPattern, size_mm: float, spot_mm: float) -> float:
    """Half the side of the square an X spans on a master (the X's arms are its diagonals):
    from the fiducial size, shrunk until the X lies half a spot inside the outline."""
    inside = pattern.layers["SINGULATION"].buffer(-spot_mm / 2)
    d = size_mm / (2 * math.sqrt(2))

    def fits(h: float) -> bool:
        x = shapely.MultiLineString([[(-h, -h), (h, h)], [(-h, h), (h, -h)]])
        return bool(inside.contains(x))

    if fits(d):
        return d
    lo, hi = 0.0, d
    for _ in range(40):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if fits(mid) else (lo, mid)
    if lo < spot_mm:
        raise LayoutgenError(
            f"rejects = mark: a reject cross does not fit in the cell {pattern.name} (less than "
            f"a spot of {spot_mm * 1000:g} um inside its outline); use skip")
    return lo


def reject_crosses(patterns: tuple[CellPattern, ...], master: np.ndarray, centre: np.ndarray,
                   ids: np.ndarray, deck: Deck) -> Paths:
    """Two strokes per failing cell (ids, in the given order): the X's rising then falling
    diagonal, `unit` = the cell id."""
    fs = deck.layout.fiducial_size_um / 1000
    spot = deck.laser.fiducial.spot_um / 1000
    half = np.array([cross_half(p, fs, spot) for p in patterns], float)
    if not len(ids):
        return Paths.empty()
    h = half[master[ids]]
    c = centre[ids]
    one = np.stack([c - h[:, None], c + h[:, None],
                    c + np.column_stack([-h, h]), c + np.column_stack([h, -h])], axis=1)
    xy = one.reshape(-1, 2)
    n = 2 * len(ids)
    return Paths(xy, np.arange(0, 2 * n + 1, 2, dtype=np.int64), np.zeros(n, bool),
                 np.repeat(ids, 2), np.zeros(n, np.int64))
