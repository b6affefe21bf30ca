"""Previews of a sheet layout: the whole sheet and one cell zoomed in, with a layer legend.

Cells are drawn as one PolyCollection per orientation (vertices broadcast with numpy); above
`RASTER_CELLS` cells the sheet panel shows an aggregated raster of cell coverage instead, so a
1,000,000-cell sheet previews in about a second. Layers are drawn in the registry's draw
order with its colours (those of the .lyp file, via `layoutgen.render.figure`). Files are
deterministic.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from layoutgen.cellgeom import process_insets_mm
from layoutgen.layout.model import SheetLayout
from layoutgen.render.figure import (
    FRAME_COLOUR,
    TRANSPARENT,
    figure,
    layer_colour,
    layer_filled,
    save_figure,
)
from layoutgen.technology import CELL_LAYER_NAMES, LAYER_NAMES, SHEET_LAYER_NAMES

RASTER_CELLS = 50_000  # above this, the sheet panel is an aggregated raster
VECTOR_SVG_CELLS = 5_000  # above this, the cell collection is rasterised inside SVG files


def _path(geom: shapely.Geometry) -> Any:
    """A matplotlib Path of a shapely polygon (holes included)."""
    from matplotlib.path import Path as MPath

    verts, codes = [], []
    for poly in getattr(geom, "geoms", [geom]):
        for ring in [poly.exterior, *poly.interiors]:
            c = np.asarray(ring.coords)
            verts.append(c)
            codes.append(np.r_[MPath.MOVETO, np.full(len(c) - 2, MPath.LINETO),
                               MPath.CLOSEPOLY])
    return MPath(np.concatenate(verts), np.concatenate(codes).astype(np.uint8))


def _patch(geom: shapely.Geometry, name: str, *, filled: bool | None = None,
           alpha: float = 0.6, lw: float = 0.8, label: str | None = None) -> Any:
    from matplotlib.patches import PathPatch

    colour = layer_colour(name)
    fill = layer_filled(name) if filled is None else filled
    return PathPatch(_path(geom), facecolor=colour if fill else "none", edgecolor=colour,
                     alpha=alpha if fill else 1.0, lw=lw, label=label)


def _sheet_panel(ax: Any, layout: SheetLayout, svg: bool) -> None:
    """Every layer in the registry's draw order: sheet features as shapes (fiducials as
    markers), the cells once at their bottom layer's place."""
    sw, sl = layout.sheet_mm
    cells_drawn = False
    for name in LAYER_NAMES:
        if name in CELL_LAYER_NAMES:
            if not cells_drawn:
                _cells(ax, layout, svg)
                cells_drawn = True
        elif name == "FIDUCIAL":
            _fiducial_marks(ax, layout.features[name])
        elif name in SHEET_LAYER_NAMES:
            for g in layout.features[name]:
                ax.add_patch(_feature_patch(g, name))
    ax.set_xlim(-0.02 * sw, 1.02 * sw)
    ax.set_ylim(-0.02 * sl, 1.02 * sl)
    ax.set_aspect("equal")
    ax.set_xlabel("x (mm)")
    ax.set_ylabel("y (mm)")
    ax.set_title(f"{layout.count:,} cells on {sw:g} x {sl:g} mm, {len(layout.fields)} scan "
                 "fields", fontsize=9)


# line width of each unfilled sheet layer on the sheet panel (filled ones: 0.8, half opaque)
_OUTLINE_WIDTH = {"FIELD": 0.3, "USABLE": 0.6, "SHEET": 1.0}


def _feature_patch(g: shapely.Geometry, name: str) -> Any:
    if layer_filled(name):
        return _patch(g, name, alpha=0.5)
    p = _patch(g, name, lw=_OUTLINE_WIDTH.get(name, 0.8))
    if name == "USABLE":
        p.set_linestyle("--")
    return p


def _fiducial_marks(ax: Any, crosses: Sequence[shapely.Geometry]) -> None:
    if crosses:
        c = np.array([g.centroid.coords[0] for g in crosses])
        ax.plot(c[:, 0], c[:, 1], "+", color=layer_colour("FIDUCIAL"), ms=6, mew=1.2)


def _cells(ax: Any, layout: SheetLayout, svg: bool) -> None:
    """Every cell: CATHODE-coloured outlines, or a coverage raster above RASTER_CELLS."""
    from matplotlib.collections import PolyCollection

    sw, sl = layout.sheet_mm
    n = layout.count
    colour = layer_colour("CATHODE")
    if n > RASTER_CELLS:
        from matplotlib.colors import LinearSegmentedColormap

        px = 800
        area = np.array([p.layers["SINGULATION"].area for p in layout.patterns])[layout.master]
        hist, _, _ = np.histogram2d(layout.x, layout.y, bins=(px, max(1, int(px * sl / sw))),
                                    range=((0, sw), (0, sl)), weights=area)
        cell_area = (sw / px) * (sl / max(1, int(px * sl / sw)))
        cover = np.clip(hist.T / cell_area, 0, 1)
        cmap = LinearSegmentedColormap.from_list("cells", [TRANSPARENT, colour])
        ax.imshow(cover, origin="lower", extent=(0, sw, 0, sl), cmap=cmap, vmin=0, vmax=1,
                  interpolation="nearest")
    elif n:
        for m, pat in enumerate(layout.patterns):
            sel = layout.master == m
            base = np.asarray(pat.layers["SINGULATION"].exterior.coords)
            verts = base[None, :, :] + np.column_stack([layout.x[sel], layout.y[sel]])[:, None]
            coll = PolyCollection(verts, facecolors=colour,
                                  edgecolors=layer_colour("SINGULATION"),
                                  linewidths=0.1 if n > 2000 else 0.3, alpha=0.75)
            coll.set_rasterized(svg and n > VECTOR_SVG_CELLS)
            ax.add_collection(coll)


def _cell_panel(ax: Any, layout: SheetLayout) -> None:
    counts = np.bincount(layout.master, minlength=len(layout.patterns))
    m = int(np.argmax(counts)) if len(counts) else 0
    pat = layout.patterns[m]
    layers = layout.deck.layers
    for name in CELL_LAYER_NAMES:
        geom = pat.layers.get(name)
        if geom is None:
            continue
        ld = getattr(layers, name)
        ax.add_patch(_patch(geom, name, alpha=0.45 if name != "ISOLATION" else 0.8,
                            label=f"{name} {ld[0]}/{ld[1]}"))
    sing = pat.layers["SINGULATION"]
    x0, y0, x1, y1 = sing.bounds
    _edge_inset(ax, pat, layout)
    pad = 0.06 * max(x1 - x0, y1 - y0)
    ax.set_xlim(x0 - pad, x1 + pad)
    ax.set_ylim(y0 - pad, y1 + pad)
    ax.set_aspect("equal")
    ax.set_xlabel("x (mm, cell centre)")
    ax.set_title(f"{pat.name}: one cell ({int(counts[m]) if len(counts) else 0:,} placed)",
                 fontsize=9)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=7, frameon=False)


def _edge_inset(ax: Any, pat: Any, layout: SheetLayout) -> None:
    """A zoom on the left edge of the cell: cut, clearance, scribe, overhang, setback."""

    sing = pat.layers["SINGULATION"]
    x0, y0, x1, y1 = sing.bounds
    yc = 0.5 * (y0 + y1)
    hit = shapely.LineString([(x0 - 1, yc), (x1 + 1, yc)]).intersection(sing)
    ex = hit.bounds[0] if not hit.is_empty else x0
    d = max(process_insets_mm(layout.deck).values())
    if d <= 0 or d > 0.2 * (x1 - x0):
        return
    w = 3.5 * d
    sub = ax.inset_axes((0.56, 0.05, 0.4, 0.4))
    for name in CELL_LAYER_NAMES:
        geom = pat.layers.get(name)
        if geom is not None:
            sub.add_patch(_patch(geom, name, alpha=0.45 if name != "ISOLATION" else 0.8))
    sub.set_xlim(ex - 0.5 * d, ex - 0.5 * d + w)
    sub.set_ylim(yc - 0.5 * w, yc + 0.5 * w)
    sub.set_aspect("equal")
    sub.tick_params(labelsize=6)
    sub.set_title(f"left edge, {w * 1000:.0f} um wide", fontsize=7)
    ax.indicate_inset_zoom(sub, edgecolor=FRAME_COLOUR)


def write_previews(layout: SheetLayout, paths: Sequence[str | Path]) -> list[Path]:
    """Write the sheet + cell preview to each path (.png or .svg)."""
    out = []
    for p in paths:
        path = Path(p)
        fig, ax = figure((11.0, 5.2))
        ax.remove()
        ax_sheet = fig.add_subplot(1, 2, 1)
        ax_cell = fig.add_subplot(1, 2, 2)
        _sheet_panel(ax_sheet, layout, svg=path.suffix.lower() == ".svg")
        _cell_panel(ax_cell, layout)
        save_figure(fig, path)
        out.append(path)
    return out
