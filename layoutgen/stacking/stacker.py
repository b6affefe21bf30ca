"""The stacker: the window stacker, the anchored one on its leftovers, and on small lots the
anchored one (along impedance or OCV, from either end) when it does better: more stacks, then
less capacity used (less surplus). Deterministic."""

from __future__ import annotations

import numpy as np

from layoutgen.stacking.anchored import MAX_CELLS, anchored
from layoutgen.stacking.matching import Assignment, Spec, windowed


def _surplus(cap: np.ndarray, a: Assignment) -> int:
    return int(cap[a.stack >= 0].sum())


def _top_up(cap: np.ndarray, z: np.ndarray, v: np.ndarray, spec: Spec, a: Assignment
            ) -> Assignment:
    """More stacks from the cells `a` left over (anchored, when few enough)."""
    left = np.flatnonzero(a.stack < 0)
    if left.size < spec.n_min or left.size > MAX_CELLS:
        return a
    extra = anchored(cap, z, v, spec, left)
    if not extra.n_stacks:
        return a
    stack = a.stack.copy()
    hit = extra.stack >= 0
    stack[hit] = extra.stack[hit] + a.n_stacks
    return Assignment(stack=stack, n_stacks=a.n_stacks + extra.n_stacks)


def stack_cells(cap: np.ndarray, z: np.ndarray, v: np.ndarray, spec: Spec) -> Assignment:
    """Assign cells to matched stacks (stack number per cell, -1 left over)."""
    best = _top_up(cap, z, v, spec, windowed(cap, z, v, spec))
    if cap.size <= MAX_CELLS:
        for ocv_first in (False, True):
            for from_top in (False, True):
                alt = _top_up(cap, z, v, spec,
                              anchored(cap, z, v, spec, ocv_first=ocv_first, from_top=from_top))
                if (alt.n_stacks, -_surplus(cap, alt)) > (best.n_stacks, -_surplus(cap, best)):
                    best = alt
    return best
