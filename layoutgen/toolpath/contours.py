"""Per-master path templates (scribe passes, singulation contours, fiducial fills) and their
vectorised instancing on every cell of the sheet.

A template is built once per master cell (orientation) and start direction; the sheet's paths are
then gathered from the templates with numpy indexing: no Python object per cell. Runs of template
vertices that lie on a circular arc (circles, rounded corners, round inner corners), drawn by the
arc within the chord tolerance, are marked once per template (`arc_codes`) for the writers that
draw arcs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely

from layoutgen.errors import LayoutgenError
from layoutgen.pattern import pass_count
from layoutgen.toolpath.model import ARC_CCW, ARC_CW, ARC_INSIDE, ARC_LINE, Paths, circumcentres

N_DIRECTIONS = 8  # start-point candidates: the vertex facing each of 8 compass directions
DIRECTIONS = np.column_stack([np.cos(np.arange(N_DIRECTIONS) * 2 * np.pi / N_DIRECTIONS),
                              np.sin(np.arange(N_DIRECTIONS) * 2 * np.pi / N_DIRECTIONS)])
SOUTH_WEST = 5  # the start a naive job uses (lower-left): the "before" of the ordering report
MAX_ARC_SWEEP = math.radians(190)  # one arc at most (a full circle takes two)
MIN_ARC_RADIUS = 0.01  # mm: smaller curves stay chords (10 x the G-code resolution)
MAX_ARC_RADIUS = 1000.0  # mm: flatter runs are straight lines


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
        n = pass_count(width, spot, overlap)
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


def _arc_fit(pts: np.ndarray, tol: float) -> int:
    """ARC_CW / ARC_CCW if the polyline (>= 3 vertices) is drawn within `tol` by the circular
    arc from its first to its last vertex through its middle vertex, else 0.

    Within tol: every vertex lies within tol of the circle, every chord within tol of the arc
    (its sagitta), the chords turn one way round the centre, the arc spans at most
    MAX_ARC_SWEEP."""
    a, b, c = pts[:1], pts[(len(pts) - 1) // 2: (len(pts) - 1) // 2 + 1], pts[-1:]
    u, v = b - a, c - a
    if abs(u[0, 0] * v[0, 1] - u[0, 1] * v[0, 0]) <= 1e-12 * float((u * u).sum() + (v * v).sum()):
        return 0
    centre = circumcentres(a, b, c)[0]
    rel = pts - centre
    rad = np.hypot(rel[:, 0], rel[:, 1])
    r = float(rad[0])
    if not MIN_ARC_RADIUS <= r <= MAX_ARC_RADIUS or np.max(np.abs(rad - r)) > tol:
        return 0
    cross = rel[:-1, 0] * rel[1:, 1] - rel[:-1, 1] * rel[1:, 0]
    dot = (rel[:-1] * rel[1:]).sum(axis=1)
    if not (np.all(cross > 0) or np.all(cross < 0)):
        return 0
    if float(np.arctan2(np.abs(cross), dot).sum()) > MAX_ARC_SWEEP:
        return 0
    chord = np.hypot(*np.diff(pts, axis=0).T)
    if np.any(r - np.abs(cross) / chord > tol):  # arc bulge beyond each chord
        return 0
    return ARC_CCW if cross[0] > 0 else ARC_CW


def arc_codes(path: np.ndarray, tol: float) -> np.ndarray:
    """ARC_* per vertex of a polyline: maximal runs of >= 2 steps that an arc draws within
    `tol` (see _arc_fit) become arcs, found greedily from the start; the rest stay straight."""
    n = len(path)
    codes = np.full(n, ARC_LINE, np.int8)
    s = 0
    while s < n - 2:
        e, kind = s + 2, _arc_fit(path[s:s + 3], tol)
        if not kind:
            s += 1
            continue
        while e + 1 < n:
            k = _arc_fit(path[s:e + 2], tol)
            if not k:
                break
            e, kind = e + 1, k
        codes[s + 1:e] = ARC_INSIDE
        codes[e] = kind
        s = e
    return codes


@dataclass(frozen=True)
class Templates:
    """Path sets per variant (master x start direction) in cell coordinates, flattened.

    Variant v owns vertices xy[pt_off[v]: pt_off[v] + pt_cnt[v]] and paths
    path_start[path_off[v]: path_off[v] + path_cnt[v]] (vertex offsets local to the variant).
    arcs: ARC_* per vertex (None: all straight), carried into the instanced paths.
    """

    xy: np.ndarray
    pt_off: np.ndarray
    pt_cnt: np.ndarray
    path_off: np.ndarray
    path_cnt: np.ndarray
    path_start: np.ndarray
    path_closed: np.ndarray
    n_dir: int
    arcs: np.ndarray | None = None

    @staticmethod
    def build(variants: list[list[tuple[np.ndarray, bool]]], n_dir: int,
              arc_tol: float | None = None) -> Templates:
        """Flatten the variants' (polyline, closed) lists; with `arc_tol`, runs of vertices on
        circular arcs (within arc_tol, see arc_codes) are marked as arcs."""
        xy, pt_cnt, path_cnt, path_start, path_closed, arcs = [], [], [], [], [], []
        for paths in variants:
            local = 0
            for p, c in paths:
                path_start.append(local)
                path_closed.append(c)
                local += len(p)
                xy.append(np.asarray(p, float))
                if arc_tol is not None:
                    arcs.append(arc_codes(xy[-1], arc_tol))
            pt_cnt.append(local)
            path_cnt.append(len(paths))
        pt_cnt_a = np.array(pt_cnt, np.int64)
        path_cnt_a = np.array(path_cnt, np.int64)
        return Templates(
            np.concatenate(xy) if xy else np.zeros((0, 2)),
            np.r_[0, np.cumsum(pt_cnt_a)[:-1]].astype(np.int64), pt_cnt_a,
            np.r_[0, np.cumsum(path_cnt_a)[:-1]].astype(np.int64), path_cnt_a,
            np.array(path_start, np.int64), np.array(path_closed, bool), n_dir,
            (np.concatenate(arcs) if arcs else np.zeros(0, np.int8)) if arc_tol is not None
            else None)

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

    def variant_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """(V, 2) lower-left and upper-right corners of each variant's vertices (cell
        coordinates; inf / -inf for a variant without vertices)."""
        v = len(self.pt_cnt)
        lo = np.full((v, 2), np.inf)
        hi = np.full((v, 2), -np.inf)
        has = np.flatnonzero(self.pt_cnt > 0)
        if len(has):
            lo[has] = np.minimum.reduceat(self.xy, self.pt_off[has], axis=0)
            hi[has] = np.maximum.reduceat(self.xy, self.pt_off[has], axis=0)
        return lo, hi

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
        unit = np.asarray(unit, np.int64)
        field = np.asarray(field, np.int64)
        used = np.unique(variant)
        k, q = self.pt_cnt[used], self.path_cnt[used]
        if np.all(k == k[0]) and np.all(q == q[0]) and k[0] > 0 and q[0] > 0:
            return self._instance_uniform(variant, centre, unit, field, used, int(k[0]),
                                          int(q[0]))
        pc = self.pt_cnt[variant]
        pbase = np.r_[0, np.cumsum(pc)].astype(np.int64)
        owner = np.repeat(np.arange(n, dtype=np.int64), pc)
        src = self.pt_off[variant][owner] + (np.arange(int(pbase[-1]), dtype=np.int64)
                                             - pbase[:-1][owner])
        xy = self.xy[src] + centre[owner]
        arcs = self.arcs[src] if self.arcs is not None else None
        del owner, src
        qc = self.path_cnt[variant]
        qbase = np.r_[0, np.cumsum(qc)].astype(np.int64)
        powner = np.repeat(np.arange(n, dtype=np.int64), qc)
        psrc = self.path_off[variant][powner] + (np.arange(int(qbase[-1]), dtype=np.int64)
                                                 - qbase[:-1][powner])
        starts = np.r_[pbase[:-1][powner] + self.path_start[psrc], pbase[-1]].astype(np.int64)
        return Paths(xy, starts, self.path_closed[psrc], unit[powner], field[powner], arcs)

    def _instance_uniform(self, variant: np.ndarray, centre: np.ndarray, unit: np.ndarray,
                          field: np.ndarray, used: np.ndarray, k: int, q: int) -> Paths:
        """instance() when every variant used has k vertices in q paths: one block gather."""
        slot = np.zeros(int(used.max()) + 1, np.int64)
        slot[used] = np.arange(len(used))
        s = slot[variant]
        vi = self.pt_off[used][:, None] + np.arange(k)
        pi = self.path_off[used][:, None] + np.arange(q)
        n = len(variant)
        xy = self.xy[vi][s]
        xy += np.asarray(centre, float)[:, None, :]
        xy = xy.reshape(n * k, 2)
        arcs = self.arcs[vi][s].reshape(-1) if self.arcs is not None else None
        starts = np.empty(n * q + 1, np.int64)
        starts[:-1] = (self.path_start[pi][s] + k * np.arange(n, dtype=np.int64)[:, None]
                       ).reshape(-1)
        starts[-1] = n * k
        return Paths(xy, starts, self.path_closed[pi][s].reshape(-1), np.repeat(unit, q),
                     np.repeat(field, q), arcs)
