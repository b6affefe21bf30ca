"""Preview of a tiling: sheet, usable area, keep-outs (registry layer colours) and cells coloured
by orientation (the picture palette of `layoutgen.render.figure`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from layoutgen.render.figure import (
    SHEET_FACE,
    figure,
    layer_colour,
    orientation_colour,
    save_figure,
)
from layoutgen.shapes import CellShape, to_shapely
from layoutgen.tiling.result import Tiling

MAX_DRAWN = 60000


def tiling_preview(tiling: Tiling, shape: CellShape, spec, paths: list[str | Path]) -> None:  # noqa: ANN001
    """Draw the sheet with every cell (outlines as one collection per orientation)."""
    from matplotlib.collections import PolyCollection
    from matplotlib.patches import Patch, Rectangle


    w, h = spec.width, spec.length
    scale = 9.0 / max(w, h)
    for path in paths:
        fig, ax = figure((max(3.0, w * scale) + 2.5, max(3.0, h * scale) + 0.8))
        ax.add_patch(Rectangle((0, 0), w, h, facecolor=SHEET_FACE,
                               edgecolor=layer_colour("SHEET"), lw=0.8))
        x0, y0, x1, y1 = spec.usable_box
        ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False,
                               edgecolor=layer_colour("USABLE"), lw=0.6, ls="--"))
        keepout = layer_colour("KEEPOUT")
        for k in spec.keepouts:
            zone = k.geometry.buffer(k.clearance) if k.clearance else k.geometry
            for g in getattr(zone, "geoms", [zone]):
                ax.fill(*g.exterior.xy, facecolor=keepout, edgecolor=keepout, lw=0.6,
                        alpha=0.5)
        handles = []
        n = tiling.count
        step = max(1, n // MAX_DRAWN)
        for rot in sorted(set(np.round(tiling.rotation_deg, 6).tolist())):
            sel = np.flatnonzero(np.isclose(tiling.rotation_deg, rot))[::step]
            if not len(sel):
                continue
            base = np.asarray(to_shapely(shape, 0, 0, rot, 0.05).exterior.coords)
            verts = base[None, :, :] + np.column_stack([tiling.x[sel], tiling.y[sel]])[:, None, :]
            colour = orientation_colour(rot)
            ax.add_collection(PolyCollection(
                verts, facecolors=colour, edgecolors="white" if n < 5000 else "none",
                linewidths=0.2))
            handles.append(Patch(color=colour, label=f"{rot:g} deg ({len(sel) * step:,})"))
        ax.set_xlim(-0.02 * w, 1.02 * w)
        ax.set_ylim(-0.02 * h, 1.02 * h)
        ax.set_aspect("equal")
        ax.set_xlabel("x, mm")
        ax.set_ylabel("y, mm")
        title = (f"{n:,} cells ({tiling.strategy}); bound {tiling.upper_bound:,}"
                 + (" - optimal" if tiling.gap == 0 else f", gap {tiling.gap:,}"))
        if step > 1:
            title += f"; every {step}th cell drawn"
        ax.set_title(title, fontsize=9)
        if handles:
            ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8)
        save_figure(fig, path)

