"""Small hand-built sheets for the toolpath tests (Tiling objects made with numpy)."""

from __future__ import annotations

import numpy as np
import shapely

from layoutgen.deck import load_deck
from layoutgen.layout.assemble import build_layout
from layoutgen.shapes import circle, polygon, rect
from layoutgen.tiling.result import Tiling
from layoutgen.toolpath.generate import build_toolpath

KERF = 0.05


def tiling(x, y, rot, sheet, cell_area: float) -> Tiling:  # noqa: ANN001
    x, y, rot = (np.asarray(v, float) for v in (x, y, rot))
    o = np.lexsort((x, np.round(y, 6)))
    x, y, rot = x[o], y[o], rot[o]
    _, row = np.unique(np.round(y, 6), return_inverse=True)
    col = np.zeros(len(x), np.int64)
    for r in np.unique(row):
        m = row == r
        col[m] = np.arange(m.sum())
    return Tiling(x, y, rot, row.astype(np.int64), col, "hand", len(x), "hand", sheet,
                  sheet[0] * sheet[1], cell_area)


def deck(sheet=(40.0, 20.0), *sets: str):  # noqa: ANN001, ANN201
    base = [f"sheet.width_mm={sheet[0]}", f"sheet.length_mm={sheet[1]}", "sheet.edge_x_mm=2",
            "sheet.edge_y_mm=2", "layout.contact_rail_width_mm=0"]
    return load_deck([], base + list(sets))


def grid_case(*sets: str, nx: int = 6, ny: int = 4, w: float = 5.0, h: float = 3.0):
    """A regular grid of w x h rectangles on a 40 x 20 mm sheet."""
    xs = 2 + w / 2 + np.arange(nx) * (w + KERF)
    ys = 2 + h / 2 + np.arange(ny) * (h + KERF)
    gx, gy = np.meshgrid(xs, ys)
    shp = rect(w, h)
    t = tiling(gx.ravel(), gy.ravel(), np.zeros(gx.size), (40.0, 20.0), w * h)
    d = deck((40.0, 20.0), *sets)
    return build_layout(t, shp, d)


def mixed_case(*sets: str):
    """Guillotine blocks: 3 x 3 cells at 0 deg, then 2 x 3 cells rotated 90 deg."""
    w, h = 5.0, 3.0
    xs0 = 2 + w / 2 + np.arange(3) * (w + KERF)
    ys0 = 2 + h / 2 + np.arange(3) * (h + KERF)
    x0 = 2 + 3 * (w + KERF)
    xs1 = x0 + h / 2 + np.arange(2) * (h + KERF)
    ys1 = 2 + w / 2 + np.arange(3) * (w + KERF)
    a = np.meshgrid(xs0, ys0)
    b = np.meshgrid(xs1, ys1)
    x = np.r_[a[0].ravel(), b[0].ravel()]
    y = np.r_[a[1].ravel(), b[1].ravel()]
    rot = np.r_[np.zeros(9), np.full(6, 90.0)]
    t = tiling(x, y, rot, (40.0, 20.0), w * h)
    return build_layout(t, rect(w, h), deck((40.0, 20.0), *sets))


def hex_case(*sets: str, d: float = 3.0, rows: int = 4, cols: int = 10):
    """Circles on a hexagonal lattice (offset rows)."""
    p = d + KERF
    xs, ys = [], []
    for r in range(rows):
        for c in range(cols if r % 2 == 0 else cols - 1):
            xs.append(2 + d / 2 + c * p + (p / 2 if r % 2 else 0))
            ys.append(2 + d / 2 + r * p * np.sqrt(3) / 2)
    t = tiling(xs, ys, np.zeros(len(xs)), (40.0, 20.0), np.pi * d * d / 4)
    return build_layout(t, circle(d), deck((40.0, 20.0), *sets))


def polygon_case(*sets: str):
    """An L-shaped polygon cell (non-convex) on a small grid, two orientations."""
    shp = polygon(np.array([[0, 0], [4, 0], [4, 1.5], [2, 1.5], [2, 3], [0, 3]], float))
    xs = 2 + 2 + np.arange(4) * (4 + 0.5)
    ys = 2 + 1.5 + np.arange(2) * (3 + 0.5)
    gx, gy = np.meshgrid(xs, ys)
    rot = np.where(np.arange(gx.size) % 2 == 0, 0.0, 180.0)
    t = tiling(gx.ravel(), gy.ravel(), rot, (40.0, 20.0), shp.area)
    return build_layout(t, shp, deck((40.0, 20.0), "layout.pad_position=corner", *sets))


def cell_layer(layout, name: str) -> shapely.Geometry:  # noqa: ANN001
    """Union of one process layer over every cell of the layout (sheet mm)."""
    polys = []
    for i in range(layout.count):
        g = layout.patterns[layout.master[i]].layers[name]
        polys.append(shapely.affinity.translate(g, layout.x[i], layout.y[i]))
    return shapely.union_all(polys)


def cells(layout) -> list[shapely.Polygon]:  # noqa: ANN001
    return [shapely.affinity.translate(layout.patterns[layout.master[i]].layers["SINGULATION"],
                                       layout.x[i], layout.y[i]) for i in range(layout.count)]


def toolpath(layout):  # noqa: ANN001, ANN201
    return build_toolpath(layout)
