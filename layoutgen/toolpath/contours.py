"""Per-master path templates (scribe passes, singulation contours, fiducial fills) and their
vectorised instancing on every cell of the sheet.

A template is built once per master cell (orientation) and start direction; the sheet's paths are
then gathered from the templates with numpy indexing: no Python object per cell.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely

from layoutgen.errors import LayoutgenError
from layoutgen.toolpath.model import Paths

N_DIRECTIONS = 8  # start-point candidates: the vertex facing each of 8 compass directions
DIRECTIONS = np.column_stack([np.cos(np.arange(N_DIRECTIONS) * 2 * np.pi / N_DIRECTIONS),
                              np.sin(np.arange(N_DIRECTIONS) * 2 * np.pi / N_DIRECTIONS)])
SOUTH_WEST = 5  # the start a naive job uses (lower-left): the "before" of the ordering report


def _ccw_ring(coords: np.ndarray) -> np.ndarray:
    """Vertices (k, 2) of a ring without the closing duplicate, counter-clockwise."""
    c = np.asarray(coords, float)
    if len(c) > 1 and np.allclose(c[0], c[-1]):
        c = c[:-1]
    x, y = c[:, 0], c[:, 1]
    if float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) < 0:
        c = c[::-1]
    keep = np.r_[True, np.any(np.abs(np.diff(c, axis=0)) > 1e-12, axis=1)]
    return c[keep]


def _loops(geom: shapely.Geometry) -> list[np.ndarray]:
    """Every boundary ring of a (multi)polygon, CCW, without closing duplicates."""
    out = []
    for poly in getattr(geom, "geoms", [geom]):
        if poly.is_empty or poly.geom_type != "Polygon":
            continue
        out.append(_ccw_ring(shapely.get_coordinates(poly.exterior)))
        out.extend(_ccw_ring(shapely.get_coordinates(r)) for r in poly.interiors)
    return [r for r in out if len(r) >= 3]


def start_at(ring: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """The closed loop (first vertex repeated last) starting at the vertex facing `direction`.

    The vertex of largest projection on the direction is a convex hull vertex, so tangents there
    lie outside the loop (where lead-ins go)."""
    k = int(np.argmax(ring @ direction - 1e-9 * np.arange(len(ring))))
    r = np.roll(ring, -k, axis=0)
    return np.vstack([r, r[:1]])


def _offset(poly: shapely.Polygon, d: float) -> shapely.Geometry:
    """Polygon offset by d (outward > 0), sharp corners kept (mitre)."""
    return poly.buffer(d, join_style="mitre", mitre_limit=10.0)


def scribe_passes(ring: shapely.Polygon, spot: float, overlap: float) -> list[np.ndarray]:
    """Centre lines of the parallel passes that scribe a ring polygon (outer edge, one hole).

    One pass on the ring's centre line if the ring is no wider than the spot; else passes from
    spot/2 inside the outer edge to spot/2 inside the inner edge, no further apart than
    spot x (1 - overlap). Returned inner pass first, each a CCW ring without closing vertex.
    """
    outer = shapely.Polygon(ring.exterior)
    if not ring.interiors:
        raise ValueError("scribe ring needs a hole (its inner edge)")
    inner = shapely.Polygon(ring.interiors[0])
    width = 2 * (outer.area - inner.area) / (outer.length + inner.length)  # mean ring width
    if width <= spot + 1e-9:
        offsets = [width / 2]
    else:
        pitch = spot * (1 - overlap)
        n = int(math.ceil((width - spot) / pitch - 1e-9)) + 1
        offsets = list(np.linspace(spot / 2, width - spot / 2, n))
    rings = []
    for d in offsets[::-1]:
        loops = _loops(_offset(outer, -d))
        if len(loops) != 1:
            raise LayoutgenError(
                f"process.isolation_width_um: the scribe pass {d * 1000:.3g} um inside the ring "
                "does not form one loop (the cell is too small for its scribe)")
        rings.append(loops[0])
    return rings


def fill_passes(poly: shapely.Polygon, spot: float, overlap: float) -> list[np.ndarray]:
    """Concentric passes that fill a small polygon (a fiducial cross) with a spot."""
    pitch = spot * (1 - overlap)
    rings: list[np.ndarray] = []
    d = spot / 2
    while True:
        inset = _offset(poly, -d)
        if inset.is_empty:
            if not rings:  # narrower than the spot: one pass on (about) the middle
                lo, hi = 0.0, d
                for _ in range(40):
                    mid = (lo + hi) / 2
                    lo, hi = (mid, hi) if not _offset(poly, -mid).is_empty else (lo, mid)
                rings.extend(_loops(_offset(poly, -lo)))
            break
        rings.extend(_loops(inset))
        if _offset(poly, -(d + spot / 2)).is_empty:
            break
        d += pitch
    return rings


def _arc_cut(path: np.ndarray, a: float, b: float) -> np.ndarray:
    """The part of a polyline between arc lengths a < b."""
    seg = np.hypot(*np.diff(path, axis=0).T)
    cum = np.r_[0.0, np.cumsum(seg)]
    inner = path[(cum > a) & (cum < b)]
    pa = np.array([np.interp(a, cum, path[:, 0]), np.interp(a, cum, path[:, 1])])
    pb = np.array([np.interp(b, cum, path[:, 0]), np.interp(b, cum, path[:, 1])])
    return np.vstack([pa, inner, pb])


def singulation_paths(loop: np.ndarray, lead: float, tabs: int, tab_gap: float,
                      what: str = "laser.microtabs") -> list[tuple[np.ndarray, bool]]:
    """A closed cut loop (first vertex repeated last) with micro-tabs and lead-in/out.

    Tabs are gaps of `tab_gap` (bridge width plus the spot) centred evenly round the loop, none
    at the start. Lead-in and lead-out are straight, tangent to the loop at the start (outside
    it: the start is a convex vertex). Returns (polyline, closed) pairs in marking order.
    """
    perim = float(np.hypot(*np.diff(loop, axis=0).T).sum())
    if tabs:
        if tabs * tab_gap >= 0.9 * perim:
            raise LayoutgenError(
                f"{what}: {tabs} tabs of {tab_gap * 1000:.4g} um (bridge + spot) do not fit on a "
                f"{perim:.4g} mm contour")
        centres = (np.arange(tabs) + 0.5) * perim / tabs
        edges = np.r_[0.0, np.column_stack([centres - tab_gap / 2,
                                            centres + tab_gap / 2]).ravel(), perim]
        pieces = [_arc_cut(loop, edges[2 * i], edges[2 * i + 1]) for i in range(tabs + 1)]
    else:
        pieces = [loop]
    if lead > 0:
        t_in = loop[1] - loop[0]
        t_in /= np.hypot(*t_in)
        t_out = loop[-1] - loop[-2]
        t_out /= np.hypot(*t_out)
        pieces[0] = np.vstack([loop[0] - lead * t_in, pieces[0]])
        pieces[-1] = np.vstack([pieces[-1], loop[-1] + lead * t_out])
    closed = not tabs and lead <= 0
    return [(p, closed) for p in pieces]


@dataclass(frozen=True)
class Templates:
    """Path sets per variant (master x start direction) in cell coordinates, flattened.

    Variant v owns vertices xy[pt_off[v]: pt_off[v] + pt_cnt[v]] and paths
    path_start[path_off[v]: path_off[v] + path_cnt[v]] (vertex offsets local to the variant).
    """

    xy: np.ndarray
    pt_off: np.ndarray
    pt_cnt: np.ndarray
    path_off: np.ndarray
    path_cnt: np.ndarray
    path_start: np.ndarray
    path_closed: np.ndarray
    n_dir: int

    @staticmethod
    def build(variants: list[list[tuple[np.ndarray, bool]]], n_dir: int) -> Templates:
        xy, pt_cnt, path_cnt, path_start, path_closed = [], [], [], [], []
        for paths in variants:
            local = 0
            for p, c in paths:
                path_start.append(local)
                path_closed.append(c)
                local += len(p)
                xy.append(np.asarray(p, float))
            pt_cnt.append(local)
            path_cnt.append(len(paths))
        pt_cnt_a = np.array(pt_cnt, np.int64)
        path_cnt_a = np.array(path_cnt, np.int64)
        return Templates(
            np.concatenate(xy) if xy else np.zeros((0, 2)),
            np.r_[0, np.cumsum(pt_cnt_a)[:-1]].astype(np.int64), pt_cnt_a,
            np.r_[0, np.cumsum(path_cnt_a)[:-1]].astype(np.int64), path_cnt_a,
            np.array(path_start, np.int64), np.array(path_closed, bool), n_dir)

    def extent(self, master: int) -> tuple[float, float, float, float]:
        """Bounding box (cell coordinates) of every variant of a master."""
        lo = np.full(2, np.inf)
        hi = np.full(2, -np.inf)
        for v in range(master * self.n_dir, (master + 1) * self.n_dir):
            pts = self.xy[self.pt_off[v]: self.pt_off[v] + self.pt_cnt[v]]
            if len(pts):
                lo = np.minimum(lo, pts.min(axis=0))
                hi = np.maximum(hi, pts.max(axis=0))
        return float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])

    def variant_ends(self, passes: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per variant (cell coordinates): where marking starts (first path's start), where the
        laser stands after its last path (marked `passes` times), and the jumps between its
        own paths. Variants without paths start and end at the cell centre."""
        v = np.arange(len(self.pt_cnt), dtype=np.int64)
        first = np.zeros((len(v), 2))
        exit_ = np.zeros((len(v), 2))
        inner = np.zeros(len(v))
        has = self.path_cnt[v] > 0
        if not has.any():
            return first, exit_, inner
        f, last, closed = self.endpoints(v[has], np.zeros((int(has.sum()), 2)))
        ex = np.where(closed[:, None] | (passes % 2 == 1), last, f)
        qc = self.path_cnt[v[has]]
        head = np.r_[0, np.cumsum(qc)[:-1]]
        tail = head + qc - 1
        first[has] = f[head]
        exit_[has] = ex[tail]
        step = np.r_[np.hypot(*(f[1:] - ex[:-1]).T), 0.0]  # exit of path k -> start of k + 1
        step[tail] = 0.0
        inner[has] = np.add.reduceat(step, head)
        return first, exit_, inner

    def endpoints(self, variant: np.ndarray, centre: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(first, last, closed) of every path the cells would get, without building them."""
        variant = np.asarray(variant, np.int64)
        qc = self.path_cnt[variant]
        qbase = np.r_[0, np.cumsum(qc)].astype(np.int64)
        powner = np.repeat(np.arange(len(variant), dtype=np.int64), qc)
        psrc = self.path_off[variant][powner] + (np.arange(int(qbase[-1]), dtype=np.int64)
                                                 - qbase[:-1][powner])
        vbase = self.pt_off[variant][powner]
        first_i = vbase + self.path_start[psrc]
        nxt = np.r_[self.path_start[1:], 0]
        is_last = (psrc - self.path_off[variant][powner]) == qc[powner] - 1
        end_local = np.where(is_last, self.pt_cnt[variant][powner], nxt[psrc])
        last_i = vbase + end_local - 1
        c = centre[powner]
        return self.xy[first_i] + c, self.xy[last_i] + c, self.path_closed[psrc]

    def instance(self, variant: np.ndarray, centre: np.ndarray, unit: np.ndarray,
                 field: np.ndarray) -> Paths:
        """The paths of every cell, in the given cell order (vectorised gather)."""
        variant = np.asarray(variant, np.int64)
        n = len(variant)
        if not n:
            return Paths.empty()
        pc = self.pt_cnt[variant]
        pbase = np.r_[0, np.cumsum(pc)].astype(np.int64)
        owner = np.repeat(np.arange(n, dtype=np.int64), pc)
        src = self.pt_off[variant][owner] + (np.arange(int(pbase[-1]), dtype=np.int64)
                                             - pbase[:-1][owner])
        xy = self.xy[src] + centre[owner]
        del owner, src
        qc = self.path_cnt[variant]
        qbase = np.r_[0, np.cumsum(qc)].astype(np.int64)
        powner = np.repeat(np.arange(n, dtype=np.int64), qc)
        psrc = self.path_off[variant][powner] + (np.arange(int(qbase[-1]), dtype=np.int64)
                                                 - qbase[:-1][powner])
        starts = np.r_[pbase[:-1][powner] + self.path_start[psrc], pbase[-1]].astype(np.int64)
        return Paths(xy, starts, self.path_closed[psrc], np.asarray(unit, np.int64)[powner],
                     np.asarray(field, np.int64)[powner])


def choose_direction(centre: np.ndarray, prev: np.ndarray) -> np.ndarray:
    """Per cell, the start direction (0..7) that faces the previous cell (or entry point)."""
    d = prev - centre
    return np.argmax(d @ DIRECTIONS.T, axis=1).astype(np.int64)
