"""The pick list: the order a stacker takes the cells, sheet by sheet, then a serpentine over
each sheet (row by row, the column direction alternating), a path of length O(n log n) to
plan and within a row pitch of the shortest on a full grid. Maps without row/col: by y then x."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PickList:
    """Pick order (indices into the cells) and its travel over the sheets, mm."""

    order: np.ndarray          # int64 cell indices in pick order
    position: np.ndarray       # int64 per cell: position from the bottom of its stack (-1)
    travel_mm: float           # serpentine travel, summed over the sheets
    travel_map_order_mm: float  # the same cells taken in map order


def _travel(x: np.ndarray, y: np.ndarray, sheet: np.ndarray) -> float:
    if x.size < 2:
        return 0.0
    same = sheet[1:] == sheet[:-1]
    d = np.hypot(np.diff(x), np.diff(y))
    return float(np.nansum(np.where(same, d, 0.0)))


def pick_list(sheet: np.ndarray, row: np.ndarray, col: np.ndarray, x: np.ndarray,
              y: np.ndarray, stack: np.ndarray) -> PickList:
    """Order the cells in a stack (stack >= 0) for picking; positions follow the pick order."""
    used = np.flatnonzero(stack >= 0)
    has_grid = bool(used.size) and bool((row[used] >= 0).all() and (col[used] >= 0).all())
    if has_grid:
        r, c = row[used], col[used]
        c_key = np.where(r % 2 == 0, c, -c)
        order = used[np.lexsort((used, c_key, r, sheet[used]))]
    else:
        yk = np.nan_to_num(y[used], nan=0.0)
        xk = np.nan_to_num(x[used], nan=0.0)
        order = used[np.lexsort((used, xk, yk, sheet[used]))]
    position = np.full(stack.size, -1, dtype=np.int64)
    if order.size:
        s = stack[order]
        by = np.lexsort((np.arange(order.size), s))
        s_sorted = s[by]
        first = np.r_[True, s_sorted[1:] != s_sorted[:-1]]
        start = np.maximum.accumulate(np.where(first, np.arange(order.size), 0))
        position[order[by]] = np.arange(order.size) - start
    return PickList(order=order, position=position,
                    travel_mm=round(_travel(x[order], y[order], sheet[order]), 3),
                    travel_map_order_mm=round(_travel(x[used], y[used], sheet[used]), 3))
