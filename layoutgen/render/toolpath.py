"""A picture of the laser job: marks in their operation's registry colour, jumps as thin grey
lines, scan fields and the sheet in their layer colours."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from layoutgen.render.figure import (
    JUMP_COLOUR,
    figure,
    layer_colour,
    operation_colour,
    save_figure,
)
from layoutgen.toolpath.model import Toolpath

MAX_SEGMENTS = 400_000  # above this, strokes are thinned evenly for the picture


def toolpath_preview(tp: Toolpath, path: str | Path, jumps: bool = True) -> None:
    """Write the job preview (PNG or SVG, atomically)."""
    from matplotlib.collections import LineCollection


    w, h = tp.sheet_mm
    fig, ax = figure((8.0, 8.0 * h / w if w else 8.0))
    ax.add_patch(_rect(0, 0, w, h, layer_colour("SHEET")))
    for x0, y0, x1, y1 in tp.fields.windows:
        ax.add_patch(_rect(x0, y0, x1 - x0, y1 - y0, layer_colour("FIELD"), ls=":"))
    pos = np.asarray(tp.start_xy, float)
    for op in tp.operations:
        p = op.paths
        if not p.count:
            continue
        step = max(1, int(np.ceil(len(p.xy) / MAX_SEGMENTS)))
        keep = np.arange(0, p.count, step)
        segs = []
        for k in keep.tolist():
            xy = p.path(k)
            segs.append(xy)
        ax.add_collection(LineCollection(segs, colors=operation_colour(op.name),
                                         linewidths=0.6, label=f"{op.name} ({p.count:,})"))
        if jumps:
            ex = p.exit_points(op.params.passes)
            prev = np.vstack([pos.reshape(1, 2), ex[:-1]])
            js = np.stack([prev, p.first], axis=1)[keep]
            ax.add_collection(LineCollection(js, colors=JUMP_COLOUR,  # type: ignore[arg-type]
                                             linewidths=0.3))  # (n, 2, 2) array: n segments
            pos = ex[-1]
    ax.set_xlim(-0.02 * w, 1.02 * w)
    ax.set_ylim(-0.02 * h, 1.02 * h)
    ax.set_aspect("equal")
    ax.set_xlabel("x (mm)")
    ax.set_ylabel("y (mm)")
    ax.legend(loc="upper right", fontsize=7)
    ax.set_title("laser job: marks by operation, jumps grey, scan fields dotted", fontsize=9)
    save_figure(fig, path)


def _rect(x: float, y: float, w: float, h: float, color: str, ls: str = "-"):  # noqa: ANN202
    from matplotlib.patches import Rectangle

    return Rectangle((x, y), w, h, fill=False, edgecolor=color, linewidth=0.6, linestyle=ls)
