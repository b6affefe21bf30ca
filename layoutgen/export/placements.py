"""Tiling outputs: placements CSV and the JSON summary."""

from __future__ import annotations

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


def tiling_summary(tiling: Tiling, with_placements: bool = True) -> dict[str, Any]:
    """JSON-ready summary: count, bound, gap, utilization, strategy (and placements)."""
    out: dict[str, Any] = {
        "count": tiling.count,
        "upper_bound": tiling.upper_bound,
        "gap": tiling.gap,
        "proven_optimal": tiling.gap == 0,
        "bound_method": tiling.bound_method,
        "strategy": tiling.strategy,
        "utilization": round(tiling.utilization_usable, 6),
        "utilization_sheet": round(tiling.utilization_sheet, 6),
        "sheet_mm": list(tiling.sheet_mm),
        "usable_box_mm": list(tiling.extras.get("usable_box", ())),
        "kerf_mm": tiling.extras.get("kerf_mm"),
        "cut": tiling.extras.get("cut"),
        "orientations": {f"{r:g}": int(c) for r, c in zip(*np.unique(
            tiling.rotation_deg, return_counts=True), strict=True)},
    }
    if with_placements:
        out["placements"] = np.column_stack(
            [np.round(tiling.x, 6), np.round(tiling.y, 6), tiling.rotation_deg]).tolist()
    return out
