"""Polygon cells (any `CellShape`; curves replaced by an outer polygon on the 1 nm grid):
lattice, double-lattice and bounding-box-grid packings in the usable rectangle [0, W] x [0, H].

Everything that is returned is decided on integers (nm). Floats only *propose*:

* Geometry: two cells at distance >= kerf <=> their translation lies outside the interior of the
  no-fit region NFP = A (+) (-B) (+) disc(kerf). A lattice (u, v) is valid when no lattice vector
  enters the motif's forbidden region F. The float search (shapely) tries first vectors u along
  many directions (the sheet axes, the directions of F's vertices, such as the diagonal notch of
  an L, and a uniform fan): u is the shortest vector along that direction outside F, and for
  every shift s of the next row the least lift h keeps all points k*v + j*u above F's upper
  envelope (found in the frame turned so that u lies along x). Motifs: one cell (lattice), or a
  cell and its 180-degree turn touching it (double lattice).
* Exact check: a proposed (u, v) is rounded to whole nm and checked against every lattice vector
  that can bring two cells within kerf: cells are split into convex pieces with integer
  vertices; two pieces are apart when a separating axis exists (integer projections) and, for a
  kerf k > 0, every vertex-to-edge squared distance is >= k^2 (compared as integers). A vector
  that fails is nudged outward (1, 2, 4, ... nm) until it passes.
* The lattice is fitted to the rectangle by counting lattice points in each part's box of
  admissible origins exactly (integer floor division), over sampled and refined phases.
* The cell's bounding-box grid is always a candidate: the exact rectangle engine
  (`rect_packing.pack_rectangles`, kerf-reduced), so a polygon never does worse than its box.
* The chosen placement is checked once more, pair by pair (bin grid of neighbours, each
  distinct relative pose checked exactly), and inside the rectangle, before it is returned.

Bound: the kerf-halo area bound (cells grown by kerf/2 are disjoint inside the usable area grown
by kerf/2), computed in floats from a halo area that is never too large and inflated by 1e-9, so
it can only be too high. The box grid's own bound is a bound for the box, not for the polygon,
and is not used.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable

import numpy as np
import shapely
import shapely.affinity
from shapely.geometry import Polygon

from layoutgen.errors import LayoutgenError
from layoutgen.shapes import CellShape, halo_area, outline_vertices, transform_vertices
from layoutgen.tiling.rect.packing import pack_rectangles
from layoutgen.units import NM_PER_MM, mm_to_nm

__all__ = ["pack_polygons", "pack_polygons_nm", "minkowski_sum", "no_fit_polygon",
           "transform_vertices"]

_EPS = 1e-9
_QS = 16  # quad segments of the proposal kerf disc (arcs inscribed: the exact check decides)
ALLOWED_ROTATIONS = (0, 90, 180, 270)
T_SAMPLES = 32  # touching offsets of the turned cell tried for a double lattice
T_KEEP = 4  # of which the densest (along the axes) get the full direction search
N_UNIFORM = 12  # uniform fan of first-vector directions (over 180 degrees)
MAX_DIRS = 48  # most first-vector directions searched per motif
N_FIT = 10  # densest proposals rounded, checked exactly and fitted to the rectangle
FIT_RATIO = 0.96  # ... and all proposals at least this dense relative to the best
MAX_FIT = 80  # ... up to this many (plus the axis-aligned ones)
PHASE_GRID = 16  # phase samples per lattice vector in the fundamental cell


def _is_convex(v: np.ndarray) -> bool:
    d1 = np.roll(v, -1, axis=0) - v
    d2 = np.roll(d1, -1, axis=0)
    cross = d1[:, 0] * d2[:, 1] - d1[:, 1] * d2[:, 0]
    return bool(np.all(cross >= -1e-12 * float(np.abs(d1).max()) ** 2))


def _pieces(v: np.ndarray) -> list[np.ndarray]:
    """Convex pieces of a simple polygon: itself if convex, else its constrained triangles."""
    if _is_convex(v):
        return [v]
    tris = shapely.constrained_delaunay_triangles(Polygon(v))
    return [np.asarray(t.exterior.coords)[:-1] for t in shapely.get_parts(tris)]


_HULL_POINTS = 4096  # convex pairs with more vertex sums are merged by edge angle (linear)


def _convex_sum(a: np.ndarray, b: np.ndarray) -> shapely.Geometry:
    """A (+) B for convex CCW polygons in O(|A| + |B|): edges merged by their angle."""
    def edges(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        i0 = int(np.lexsort((v[:, 0], v[:, 1]))[0])  # lowest, then leftmost vertex
        v = np.roll(v, -i0, axis=0)
        e = np.roll(v, -1, axis=0) - v
        e = e[np.any(e != 0, axis=1)]
        return v[0], e

    sa, ea = edges(np.asarray(a, float))
    sb, eb = edges(np.asarray(b, float))
    e = np.concatenate([ea, eb])
    ang = np.mod(np.arctan2(e[:, 1], e[:, 0]), 2 * math.pi)
    e = e[np.argsort(ang, kind="stable")]
    pts = sa + sb + np.vstack([np.zeros((1, 2)), np.cumsum(e, axis=0)[:-1]])
    return shapely.make_valid(Polygon(pts)) if not Polygon(pts).is_valid else Polygon(pts)


def minkowski_sum(a: np.ndarray, b: np.ndarray) -> shapely.Geometry:
    """A (+) B for simple polygons given as vertex arrays (exact up to float)."""
    pa, pb = _pieces(np.asarray(a, float)), _pieces(np.asarray(b, float))
    hulls = []
    for qa in pa:
        for qb in pb:
            if len(qa) * len(qb) > _HULL_POINTS:
                hulls.append(_convex_sum(qa, qb))
                continue
            pts = (qa[:, None, :] + qb[None, :, :]).reshape(-1, 2)
            hulls.append(shapely.multipoints(pts).convex_hull)
    return hulls[0] if len(hulls) == 1 else shapely.union_all(hulls)


def nfp_pieces(v: np.ndarray) -> int:
    """Convex-piece pairs the no-fit polygons of an outline take (cell and its half turn):
    4 for a convex outline, 4 (n - 2)^2 for a non-convex one of n vertices (triangles)."""
    n = len(v)
    return 4 if _is_convex(np.asarray(v, float)) else 4 * (n - 2) ** 2


def simplified_outline(v: np.ndarray, tol_nm: int) -> tuple[np.ndarray, int] | None:
    """(outline, reach): an integer CCW outline CONTAINING the integer outline v and no more
    than `reach` nm (2 to 5 tol_nm) from it, with fewer vertices: v buffered outward, simplified
    by tol_nm, snapped to the 1 nm grid and checked exactly (containment on integers); None
    when no simpler outline is found."""
    v = np.asarray(v, np.int64)
    orig = Polygon(v.astype(float))
    tol = max(1, int(tol_nm))
    for grow in (1, 2, 4):
        out = orig.buffer(grow * tol + 2, quad_segs=2)
        out = out.simplify(tol, preserve_topology=True)
        if out.geom_type != "Polygon" or len(out.interiors):
            continue
        out = shapely.geometry.polygon.orient(out, 1.0)
        vn = np.rint(np.asarray(out.exterior.coords)[:-1]).astype(np.int64)
        vn = vn[np.any(vn != np.roll(vn, 1, axis=0), axis=1)]
        if len(vn) < 3 or len(vn) >= len(v):
            continue
        cand = Polygon(vn.astype(float))
        if cand.is_valid and cand.area > 0 and cand.contains(orig):
            return vn, (grow + 1) * tol + 3
    return None


def _grow(geom: shapely.Geometry, dist: float) -> shapely.Geometry:
    """Offset by `dist`: straight parts exact (to float), round parts by inscribed arcs.

    Used for proposals only (every lattice is checked exactly afterwards), so there is no
    safety inflation that would cost cells along straight contacts.
    """
    if dist <= 1e-12:  # GEOS returns empty buffers for tiny distances
        return geom
    return geom.buffer(dist, quad_segs=_QS)


def no_fit_polygon(a: np.ndarray, b: np.ndarray, kerf: float) -> shapely.Geometry:
    """Translations t of B (+t) that bring it closer than kerf to A: interior of the result.

    Straight offsets are exact; at convex corners the kerf arc is inscribed (by a relative
    1 - cos(pi / 64) of the kerf), so the region is a proposal, not a proof.
    """
    return _grow(minkowski_sum(a, -np.asarray(b, float)), kerf)
class _Envelope:
    """Upper envelope top(x) = max y of a polygonal region on the vertical line at x.

    Boundary edges never cross, so between consecutive vertex abscissae one edge is on top and
    top(x) is linear there; at the abscissae themselves the envelope takes the largest value.
    """

    def __init__(self, geom: shapely.Geometry) -> None:
        segs = []
        for poly in shapely.get_parts(geom):
            for ring in [poly.exterior, *poly.interiors]:
                c = np.asarray(ring.coords)
                segs.append(np.column_stack([c[:-1], c[1:]]))
        s = np.concatenate(segs)
        xa, xb = np.minimum(s[:, 0], s[:, 2]), np.maximum(s[:, 0], s[:, 2])
        left = s[:, 0] <= s[:, 2]
        ya, yb = np.where(left, s[:, 1], s[:, 3]), np.where(left, s[:, 3], s[:, 1])
        vert = xb - xa <= 0
        slope = np.where(vert, 0.0, (yb - ya) / np.where(vert, 1.0, xb - xa))
        xs = np.unique(np.concatenate([xa, xb]))
        self.xs = xs

        def dense(xq: np.ndarray, at_vertex: bool) -> tuple[np.ndarray, np.ndarray]:
            xq = xq[:, None]
            inside = (xq >= xa) & (xq <= xb) if at_vertex else (xq > xa) & (xq < xb)
            y = np.where(vert, np.maximum(ya, yb), ya + slope * (xq - xa))
            y = np.where(inside, y, -np.inf)
            return y.max(axis=1), y.argmax(axis=1)

        self.at_x, _ = dense(xs, True)
        mid = (xs[:-1] + xs[1:]) / 2
        top_mid, e = dense(mid, False)
        self.yl = np.where(np.isfinite(top_mid), ya[e] + slope[e] * (xs[:-1] - xa[e]), -np.inf)
        self.yr = np.where(np.isfinite(top_mid), ya[e] + slope[e] * (xs[1:] - xa[e]), -np.inf)
        self.tol = 1e-9 * max(1.0, float(np.abs(xs).max()))

    def top(self, xq: np.ndarray) -> np.ndarray:
        xq = np.asarray(xq, float).ravel()
        xs = self.xs
        k = np.clip(np.searchsorted(xs, xq) - 1, 0, len(xs) - 2)
        t = np.clip((xq - xs[k]) / (xs[k + 1] - xs[k]), 0.0, 1.0)
        with np.errstate(invalid="ignore"):  # -inf - -inf in the gaps np.where discards
            out = np.where(np.isfinite(self.yl[k]), self.yl[k] + t * (self.yr[k] - self.yl[k]),
                           -np.inf)
        out = np.where((xq < xs[0] - self.tol) | (xq > xs[-1] + self.tol), -np.inf, out)
        near = np.clip(np.searchsorted(xs, xq), 0, len(xs) - 1)
        for nb in (near, np.maximum(near - 1, 0)):
            hit = np.abs(xs[nb] - xq) <= self.tol
            out = np.where(hit, np.maximum(out, self.at_x[nb]), out)
        return out


def _row_pitch(F: shapely.Geometry) -> float:
    """Smallest px such that every (j*px, 0), j >= 1, lies outside F's interior (safe choice)."""
    x1 = F.bounds[2]
    seg = shapely.LineString([(0.0, 0.0), (x1 + 1.0, 0.0)])
    return float(F.intersection(seg).bounds[2])


def _lift(env: _Envelope, F_bounds, px: float, s: np.ndarray, K: int) -> np.ndarray:
    """Least h >= 0 for each shift s putting all k*(s, h) + j*(px, 0), k = 1..K, above F."""
    wf = max(abs(F_bounds[0]), abs(F_bounds[2]))
    jr = np.arange(-math.ceil(wf / px) - 1, math.ceil(wf / px) + 2)
    h = np.zeros(len(s))
    for k in range(1, K + 1):
        r = np.mod(k * s, px)
        xq = (r[:, None] + jr[None, :] * px).ravel()
        top = env.top(xq).reshape(len(s), len(jr)).max(axis=1)
        h = np.maximum(h, top / k)
    return h


def _shift_candidates(F: shapely.Geometry, px: float, h_min: float, n_best: int = 4):
    """Good (s, h) for the second lattice vector: sampled, then refined near the best."""
    env = _Envelope(F)
    bnd = F.bounds
    K = max(1, math.ceil(bnd[3] / max(h_min, 1e-12)) + 1)
    K = min(K, 400)
    s = np.linspace(0.0, px, 129)[:-1]
    h = np.maximum(_lift(env, bnd, px, s, K), h_min)
    for _ in range(3):
        best = s[np.argsort(h, kind="stable")[:n_best]]
        step = px / (len(s) * 2)
        s_new = (best[:, None] + np.linspace(-step, step, 17)[None, :]).ravel() % px
        h_new = np.maximum(_lift(env, bnd, px, s_new, K), h_min)
        s, h = np.concatenate([s, s_new]), np.concatenate([h, h_new])
    order = np.lexsort((s, np.round(h, 12)))
    out: list[tuple[float, float]] = []
    seen: list[float] = []
    for i in order:
        if all(abs(s[i] - t) > px * 1e-3 for t in seen):
            out.append((float(s[i]), float(h[i])))
            seen.append(s[i])
        if len(out) >= n_best:
            break
    h0 = float(max(_lift(env, bnd, px, np.array([0.0]), K)[0], h_min))
    out.append((0.0, h0))
    return out


def _rot_ok(rotations: Iterable[float]) -> list[int]:
    try:
        rs = sorted({int(round(float(r))) % 360 for r in rotations})
        bad = [r for r in rotations if abs(float(r) - round(float(r))) > 1e-9
               or int(round(float(r))) % 360 not in ALLOWED_ROTATIONS]
    except (TypeError, ValueError) as exc:
        raise LayoutgenError("polygons: rotations must be numbers from 0, 90, 180, 270") from exc
    if bad or not rs:
        raise LayoutgenError(
            f"polygons: rotations {list(rotations)!r} not allowed (use a non-empty subset of "
            "0, 90, 180, 270)")
    return rs


# --------------------------------------------------------------------------- exact geometry


def _rot_q(v: np.ndarray, q: int) -> np.ndarray:
    """Integer points turned by q quarter turns CCW about the origin (exact)."""
    v = np.asarray(v, np.int64)
    x, y = v[..., 0], v[..., 1]
    q %= 4
    if q == 0:
        return v.copy()
    if q == 1:
        return np.stack([-y, x], axis=-1)
    if q == 2:
        return np.stack([-x, -y], axis=-1)
    return np.stack([y, -x], axis=-1)


def _rot_vec(w: tuple[int, int], q: int) -> tuple[int, int]:
    x, y = int(w[0]), int(w[1])
    for _ in range(q % 4):
        x, y = -y, x
    return x, y


def _area2(v) -> int:
    """Twice the signed area of an integer polygon (exact)."""
    n = len(v)
    return sum(int(v[i][0]) * int(v[(i + 1) % n][1]) - int(v[(i + 1) % n][0]) * int(v[i][1])
               for i in range(n))


def _convex_exact(v: np.ndarray) -> bool:
    """Counter-clockwise integer polygon without reflex vertices (exact)."""
    n = len(v)
    p = [(int(a), int(b)) for a, b in v]
    for i in range(n):
        (ax, ay), (bx, by), (cx, cy) = p[i], p[(i + 1) % n], p[(i + 2) % n]
        if (bx - ax) * (cy - by) - (by - ay) * (cx - bx) < 0:
            return False
    return True


def _int_pieces(v: np.ndarray) -> list[np.ndarray]:
    """Convex pieces with integer vertices covering the CCW integer polygon v exactly."""
    if _convex_exact(v):
        return [v]
    tris = shapely.constrained_delaunay_triangles(Polygon(v.astype(float)))
    out = []
    for t in shapely.get_parts(tris):
        c = np.rint(np.asarray(t.exterior.coords)[:-1]).astype(np.int64)
        if _area2(c) != 0:
            out.append(c)
    if sum(abs(_area2(c)) for c in out) != abs(_area2(v)):
        raise LayoutgenError("polygons: could not split the cell outline into triangles")
    return out


_SAFE = 1 << 29  # |coordinates| below this: int64 products and sums cannot overflow


def _arr(p: list, dtype) -> np.ndarray:
    return np.array(p, dtype=dtype).reshape(-1, 2)


def _dtype(p: list, q: list):
    try:
        m = max(int(np.abs(np.asarray(p, np.int64)).max()),
                int(np.abs(np.asarray(q, np.int64)).max()))
    except OverflowError:
        return object
    return np.int64 if m < _SAFE else object


def _separated(p: list, q: list, strict: bool) -> bool:
    """Convex p and q have an edge-normal separating axis (strict: positive gap); exact."""
    dt = _dtype(p, q)
    P_, Q_ = _arr(p, dt), _arr(q, dt)
    for poly in (P_, Q_):
        e = np.roll(poly, -1, axis=0) - poly
        n = np.column_stack([e[:, 1], -e[:, 0]])
        n = n[(n[:, 0] != 0) | (n[:, 1] != 0)]
        pa = P_ @ n.T
        pb = Q_ @ n.T
        amin, amax = pa.min(axis=0), pa.max(axis=0)
        bmin, bmax = pb.min(axis=0), pb.max(axis=0)
        sep = ((amax < bmin) | (bmax < amin)) if strict else ((amax <= bmin) | (bmax <= amin))
        if np.any(sep):
            return True
    return False


def _far(p: list, q: list, k2: int) -> bool:
    """Every vertex of p is at squared distance >= k2 from every edge of q (exact).

    Integer dot and cross products; cross^2 against k^2 |e|^2 is compared in floats where the
    two differ by more than a relative 1e-9 (far beyond rounding) and in Python integers where
    they do not."""
    dt = _dtype(p, q) if k2 < 1 << 56 else object
    P_, A = _arr(p, dt), _arr(q, dt)
    B = np.roll(A, -1, axis=0)
    # only vertices within k of q's box and edges within k of those vertices' box can be
    # closer than k (exact prefilter: keeps the work near the contact, not |p| x |q|)
    kk = math.isqrt(k2) + 1
    near = ((P_[:, 0] >= A[:, 0].min() - kk) & (P_[:, 0] <= A[:, 0].max() + kk)
            & (P_[:, 1] >= A[:, 1].min() - kk) & (P_[:, 1] <= A[:, 1].max() + kk))
    if not near.any():
        return True
    P_ = P_[near]
    x0, x1 = P_[:, 0].min() - kk, P_[:, 0].max() + kk
    y0, y1 = P_[:, 1].min() - kk, P_[:, 1].max() + kk
    keep = ((np.maximum(A[:, 0], B[:, 0]) >= x0) & (np.minimum(A[:, 0], B[:, 0]) <= x1)
            & (np.maximum(A[:, 1], B[:, 1]) >= y0) & (np.minimum(A[:, 1], B[:, 1]) <= y1))
    if not keep.any():
        return True
    A, B = A[keep], B[keep]
    E = B - A
    wx = P_[:, 0:1] - A[None, :, 0]
    wy = P_[:, 1:2] - A[None, :, 1]
    ex, ey = E[None, :, 0], E[None, :, 1]
    t = wx * ex + wy * ey
    ll = ex * ex + ey * ey
    da = wx * wx + wy * wy
    db = (P_[:, 0:1] - B[None, :, 0]) ** 2 + (P_[:, 1:2] - B[None, :, 1]) ** 2
    before, after = t <= 0, t >= ll
    if np.any(before & (da < k2)) or np.any(after & ~before & (db < k2)):
        return False
    mid = ~before & ~after
    if not np.any(mid):
        return True
    c = (ex * wy - ey * wx)[mid]
    lm = np.broadcast_to(ll, mid.shape)[mid]
    cf = np.asarray(c, float) ** 2
    rf = float(k2) * np.asarray(lm, float)
    if np.any(cf < rf * (1 - 1e-9)):
        return False
    unsure = np.flatnonzero(cf <= rf * (1 + 1e-9))
    return all(int(c[i]) ** 2 >= k2 * int(lm[i]) for i in unsure)


class _Geom:
    """A cell outline on the integer grid at its four quarter turns, with convex pieces."""

    def __init__(self, v0: np.ndarray, pieces0: list[np.ndarray] | None = None) -> None:
        v0 = np.asarray(v0, np.int64)
        if pieces0 is None:
            pieces0 = _int_pieces(v0)
        self.v = [_rot_q(v0, q) for q in range(4)]
        self.pieces = [[[(int(a), int(b)) for a, b in _rot_q(p, q)] for p in pieces0]
                       for q in range(4)]
        self.pbox = [[(min(a for a, _ in p), min(b for _, b in p), max(a for a, _ in p),
                       max(b for _, b in p)) for p in ps] for ps in self.pieces]
        self.box = [tuple(int(c) for c in (v[:, 0].min(), v[:, 1].min(), v[:, 0].max(),
                                            v[:, 1].max())) for v in self.v]
        self.reach = 2 * int(np.abs(v0).max()) + 1
        self._cache: dict[tuple[int, int, int, int, int], bool] = {}

    def pair_ok(self, qa: int, qb: int, dx: int, dy: int, k: int) -> bool:
        """Cell qa at the origin and cell qb at (dx, dy) are >= k apart (interiors disjoint
        for k == 0); exact integer arithmetic."""
        key = (qa % 4, qb % 4, int(dx), int(dy), int(k))
        hit = self._cache.get(key)
        if hit is None:
            hit = self._cache[key] = self._pair_ok(*key)
        return hit

    def _pair_ok(self, qa: int, qb: int, dx: int, dy: int, k: int) -> bool:
        k2 = k * k
        for pa, ba in zip(self.pieces[qa], self.pbox[qa], strict=True):
            for pb, bb in zip(self.pieces[qb], self.pbox[qb], strict=True):
                gx = max(bb[0] + dx - ba[2], ba[0] - bb[2] - dx)
                gy = max(bb[1] + dy - ba[3], ba[1] - bb[3] - dy)
                if (gx >= 0 or gy >= 0) if k == 0 else (gx >= k or gy >= k):
                    continue
                qt = [(x + dx, y + dy) for x, y in pb]
                if not _separated(pa, qt, strict=k > 0):
                    return False
                if k > 0 and not (_far(pa, qt, k2) and _far(qt, pa, k2)):
                    return False
        return True


def _gauss(u: tuple[int, int], v: tuple[int, int]) -> tuple[tuple[int, int], tuple[int, int]]:
    """Lagrange-Gauss reduced basis of the integer lattice spanned by u, v."""
    def n2(a):
        return a[0] * a[0] + a[1] * a[1]

    if n2(u) > n2(v):
        u, v = v, u
    while True:
        nu = n2(u)
        d = u[0] * v[0] + u[1] * v[1]
        m = (2 * d + nu) // (2 * nu)  # nearest integer to d / nu
        v = (v[0] - m * u[0], v[1] - m * u[1])
        if n2(v) >= nu:
            return u, v
        u, v = v, u


def _lattice_ok(geom: _Geom, parts: list[tuple[int, tuple[int, int]]], u: tuple[int, int],
                v: tuple[int, int], k: int) -> bool:
    """Exact: the motif lattice (parts at offsets, repeated by i*u + j*v) keeps all cells >= k
    apart. Every lattice vector whose cells' bounding boxes come within k is checked."""
    u = (int(u[0]), int(u[1]))
    v = (int(v[0]), int(v[1]))
    det = u[0] * v[1] - u[1] * v[0]
    if det == 0:
        return False
    a, b = _gauss(u, v)
    det = a[0] * b[1] - a[1] * b[0]
    offs = [o for _, o in parts]
    spread = max(abs(o1[c] - o2[c]) for o1 in offs for o2 in offs for c in (0, 1))
    r = geom.reach + k + spread
    ri = (r * abs(b[1]) + r * abs(b[0])) // abs(det) + 1
    rj = (r * abs(a[1]) + r * abs(a[0])) // abs(det) + 1
    for i in range(-ri, ri + 1):
        for j in range(-rj, rj + 1):
            wx, wy = i * a[0] + j * b[0], i * a[1] + j * b[1]
            if abs(wx) > r or abs(wy) > r:
                continue
            for ia, (qa, oa) in enumerate(parts):
                for ib, (qb, ob) in enumerate(parts):
                    if i == 0 and j == 0 and ia == ib:
                        continue
                    dx, dy = ob[0] + wx - oa[0], ob[1] + wy - oa[1]
                    ba, bb = geom.box[qa], geom.box[qb]
                    gx = max(bb[0] + dx - ba[2], ba[0] - bb[2] - dx)
                    gy = max(bb[1] + dy - ba[3], ba[1] - bb[3] - dy)
                    if (gx >= 0 or gy >= 0) if k == 0 else (gx >= k or gy >= k):
                        continue
                    if not geom.pair_ok(qa, qb, dx, dy, k):
                        return False
    return True


def check_placements(geom: _Geom, x: np.ndarray, y: np.ndarray, q: np.ndarray, W: int, H: int,
                     k: int) -> bool:
    """Exact: every cell (quarter turns q, origins x, y) inside [0, W] x [0, H] and every pair
    >= k apart. Neighbours from a bin grid; each distinct relative pose is checked once."""
    x, y, q = (np.asarray(a, np.int64) for a in (x, y, q))
    q = q % 4
    n = len(x)
    if n == 0:
        return True
    box = np.array(geom.box, np.int64)[q]
    if (x + box[:, 0] < 0).any() or (y + box[:, 1] < 0).any() or \
            (x + box[:, 2] > W).any() or (y + box[:, 3] > H).any():
        return False
    s = geom.reach + k + 1
    bx, by = np.floor_divide(x, s), np.floor_divide(y, s)
    bx, by = bx - bx.min(), by - by.min() + 1
    ny = int(by.max()) + 2
    key = bx * ny + by
    order = np.argsort(key, kind="stable")
    sk = key[order]
    pos = np.arange(n)
    pi, pj = [], []
    for ox, oy in ((0, 0), (1, -1), (1, 0), (1, 1), (0, 1)):
        nk = sk + ox * ny + oy
        lo = np.searchsorted(sk, nk, side="left")
        hi = np.searchsorted(sk, nk, side="right")
        if ox == 0 and oy == 0:
            lo = np.maximum(lo, pos + 1)
        cnt = np.maximum(hi - lo, 0)
        tot = int(cnt.sum())
        if tot == 0:
            continue
        first = np.repeat(lo - (np.cumsum(cnt) - cnt), cnt)
        pi.append(np.repeat(pos, cnt))
        pj.append(first + np.arange(tot))
    if not pi:
        return True
    i = order[np.concatenate(pi)]
    j = order[np.concatenate(pj)]
    dx, dy = x[j] - x[i], y[j] - y[i]
    ba, bb = box[i], box[j]
    gx = np.maximum(bb[:, 0] + dx - ba[:, 2], ba[:, 0] - bb[:, 2] - dx)
    gy = np.maximum(bb[:, 1] + dy - ba[:, 3], ba[:, 1] - bb[:, 3] - dy)
    near = ((gx < 0) & (gy < 0)) if k == 0 else ((gx < k) & (gy < k))
    if not near.any():
        return True
    poses = np.unique(np.column_stack([q[i][near], q[j][near], dx[near], dy[near]]), axis=0)
    return all(geom.pair_ok(int(a), int(b), int(c), int(d), k) for a, b, c, d in poses)
# --------------------------------------------------------------------------- fitting (exact)


def _cdiv(a, b):
    """Ceiling of a / b for integer arrays (b scalar, non-zero)."""
    return -np.floor_divide(-a, b)


def _ranges(bx, by, u, rect):
    """Integer i range with (bx, by) + i*u inside rect (x0, x1, y0, y1), elementwise."""
    x0, x1, y0, y1 = rect
    big = np.int64(1) << np.int64(60)
    lo = np.full(bx.shape, -big, np.int64)
    hi = np.full(bx.shape, big, np.int64)
    for b, c0, c1, uc in ((bx, x0, x1, u[0]), (by, y0, y1, u[1])):
        if uc > 0:
            lo = np.maximum(lo, _cdiv(c0 - b, uc))
            hi = np.minimum(hi, np.floor_divide(c1 - b, uc))
        elif uc < 0:
            lo = np.maximum(lo, _cdiv(c1 - b, uc))
            hi = np.minimum(hi, np.floor_divide(c0 - b, uc))
        else:
            bad = (b < c0) | (b > c1)
            hi = np.where(bad, lo - 1, hi)
    return lo, hi


def _rects(geom: _Geom, parts, W: int, H: int):
    """Per part: the box (x0, x1, y0, y1) of lattice points whose cell fits the rectangle."""
    out = []
    for qa, (ox, oy) in parts:
        b = geom.box[qa]
        out.append((-b[0] - ox, W - b[2] - ox, -b[1] - oy, H - b[3] - oy))
    return out


def _j_span(ox, oy, u, v, rect):
    """Lines j (points o + j*v + i*u) that can meet rect, as one range over all phases."""
    x0, x1, y0, y1 = rect
    det = u[0] * v[1] - u[1] * v[0]
    cs = [u[0] * (cy - oy) - u[1] * (cx - ox) for cx in (x0, x1) for cy in (y0, y1)]
    cmin = np.minimum.reduce(cs)
    cmax = np.maximum.reduce(cs)
    if det < 0:
        cmin, cmax = -cmax, -cmin
    d = abs(det)
    return int(_cdiv(cmin, d).min()), int(np.floor_divide(cmax, d).max())


def _count(phases: np.ndarray, rects, u, v) -> np.ndarray:
    """Exact number of cells for each phase (P, 2) of the lattice."""
    total = np.zeros(len(phases), np.int64)
    for rect in rects:
        if rect[1] < rect[0] or rect[3] < rect[2]:
            continue
        for c in range(0, len(phases), 256):
            ox = phases[c:c + 256, 0]
            oy = phases[c:c + 256, 1]
            j0, j1 = _j_span(ox, oy, u, v, rect)
            if j1 < j0:
                continue
            j = np.arange(j0, j1 + 1, dtype=np.int64)
            bx = ox[:, None] + j[None, :] * v[0]
            by = oy[:, None] + j[None, :] * v[1]
            lo, hi = _ranges(bx, by, u, rect)
            total[c:c + 256] += np.maximum(hi - lo + 1, 0).sum(axis=1)
    return total


def _fit(geom: _Geom, parts, u, v, W: int, H: int) -> tuple[int, tuple[int, int]]:
    """Best phase found for the lattice in the rectangle: (count, phase); exact counts."""
    rects = _rects(geom, parts, W, H)
    ok = [r for r in rects if r[1] >= r[0] and r[3] >= r[2]]
    if not ok:
        return 0, (0, 0)
    u = (int(u[0]), int(u[1]))
    v = (int(v[0]), int(v[1]))
    base = np.array([ok[0][0], ok[0][2]], float)
    uf, vf = np.array(u, float), np.array(v, float)
    g = (np.arange(PHASE_GRID) + 0.5) / PHASE_GRID
    a, b = np.meshgrid(g, g)
    ph = [np.rint(base + a.ravel()[:, None] * uf + b.ravel()[:, None] * vf)]
    ph.append(np.array([(r[i], r[j]) for r in ok for i in (0, 1) for j in (2, 3)], float))
    phases = np.concatenate(ph).astype(np.int64)
    counts = _count(phases, rects, u, v)
    step = 1.0 / PHASE_GRID
    for _ in range(3):
        top = phases[np.argsort(-counts, kind="stable")[:3]]
        loc = np.linspace(-step, step, 7)
        a, b = np.meshgrid(loc, loc)
        d = np.rint(a.ravel()[:, None] * uf + b.ravel()[:, None] * vf).astype(np.int64)
        new = (top[:, None, :] + d[None, :, :]).reshape(-1, 2)
        phases = np.concatenate([phases, new])
        counts = np.concatenate([counts, _count(new, rects, u, v)])
        step /= 3.5
    best = int(np.argmax(counts))
    return int(counts[best]), (int(phases[best, 0]), int(phases[best, 1]))


def _place(geom: _Geom, parts, u, v, W: int, H: int, phase):
    """Origins (x, y) and quarter turns of every cell of the lattice inside the rectangle."""
    xs, ys, qs = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    ox, oy = np.array([phase[0]], np.int64), np.array([phase[1]], np.int64)
    for (qa, off), rect in zip(parts, _rects(geom, parts, W, H), strict=True):
        if rect[1] < rect[0] or rect[3] < rect[2]:
            continue
        j0, j1 = _j_span(ox, oy, u, v, rect)
        if j1 < j0:
            continue
        j = np.arange(j0, j1 + 1, dtype=np.int64)
        bx, by = phase[0] + j * v[0], phase[1] + j * v[1]
        lo, hi = _ranges(bx, by, u, rect)
        cnt = np.maximum(hi - lo + 1, 0)
        i = np.repeat(lo, cnt) + np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        jr = np.repeat(j, cnt)
        xs.append(phase[0] + jr * v[0] + i * u[0] + off[0])
        ys.append(phase[1] + jr * v[1] + i * u[1] + off[1])
        qs.append(np.full(len(i), qa, np.int64))
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(qs)


def _centre(geom: _Geom, x, y, q, W: int, H: int):
    """Translate the layout (whole nm) to centre it in the rectangle: keeps every distance."""
    if len(x) == 0:
        return x, y
    box = np.array(geom.box, np.int64)[q % 4]
    x0, x1 = int((x + box[:, 0]).min()), int((x + box[:, 2]).max())
    y0, y1 = int((y + box[:, 1]).min()), int((y + box[:, 3]).max())
    return x + ((W - (x1 - x0)) // 2 - x0), y + ((H - (y1 - y0)) // 2 - y0)
# --------------------------------------------------------------------------- lattice search


def _motif_regions(parts_f, mks) -> shapely.Geometry:
    """Union of M(a, b) moved by offset_a - offset_b (M: Minkowski sums, no kerf)."""
    geoms = []
    for a in range(len(parts_f)):
        for b in range(len(parts_f)):
            d = parts_f[a][1] - parts_f[b][1]
            geoms.append(shapely.affinity.translate(mks[parts_f[a][0], parts_f[b][0]], *d))
    return geoms[0] if len(geoms) == 1 else shapely.union_all(geoms)


def _directions(M: shapely.Geometry, axes_only: bool) -> list[float]:
    """First-vector directions (radians, in [0, pi)): axes, F's vertex directions, a fan."""
    base = [0.0, math.pi / 2]
    if axes_only:
        return base
    pts = np.concatenate([np.asarray(p.exterior.coords)[:-1] for p in shapely.get_parts(M)])
    ang = np.mod(np.arctan2(pts[:, 1], pts[:, 0]), math.pi)
    ang = np.unique(np.round(ang, 7))
    if len(ang) > MAX_DIRS - N_UNIFORM - 2:
        ang = ang[np.linspace(0, len(ang) - 1, MAX_DIRS - N_UNIFORM - 2).astype(int)]
    fan = np.arange(N_UNIFORM) * math.pi / N_UNIFORM
    out: list[float] = []
    for t in [*base, *ang.tolist(), *fan.tolist()]:
        t = float(t) % math.pi
        if all(min(abs(t - s), math.pi - abs(t - s)) > 1e-6 for s in out):
            out.append(t)
    return out


def _proposals(F: shapely.Geometry, M: shapely.Geometry, n_parts: int, halo: float,
               axes_only: bool, n_best: int = 2):
    """Float lattice proposals (density, u, v, axis) for a motif's forbidden region F.

    Along the sheet axes more row shifts are kept: there the fit to the rectangle, not the
    density alone, decides on small sheets."""
    out = []
    for th in _directions(M, axes_only):
        c, s_ = math.cos(th), math.sin(th)
        axis = th in (0.0, math.pi / 2)
        Fr = F if th == 0.0 else shapely.affinity.rotate(F, -th, origin=(0, 0),
                                                         use_radians=True)
        px = _row_pitch(Fr)
        if not px > 0:
            continue
        for s, h in _shift_candidates(Fr, px, n_parts * halo / px, 2 * n_best if axis else n_best):
            if not h > 0:
                continue
            u = np.array([px * c, px * s_])
            v = np.array([s * c - h * s_, s * s_ + h * c])
            out.append((n_parts / (px * h), u, v, axis))
    return out


def _integer_lattice(geom: _Geom, parts, uf: np.ndarray, vf: np.ndarray, k: int):
    """Round a float lattice to whole nm, nudging it outward until the exact check passes."""
    nu = float(np.hypot(*uf))
    un = uf / nu
    sgn = 1.0 if uf[0] * vf[1] - uf[1] * vf[0] > 0 else -1.0
    nn = sgn * np.array([-un[1], un[0]])
    tried = set()
    for e in range(-1, 40):
        dlt = 0.0 if e < 0 else float(2 ** e)
        if dlt > 0.05 * nu:
            break
        for du, dv in ((0.0, dlt), (dlt, dlt), (dlt, 0.0)):
            ru, rv = np.rint(uf + du * un), np.rint(vf + dv * nn)
            u, v = (int(ru[0]), int(ru[1])), (int(rv[0]), int(rv[1]))
            if (u, v) in tried:
                continue
            tried.add((u, v))
            if _lattice_ok(geom, parts, u, v, k):
                return u, v
    return None


def _integer_offset(geom: _Geom, qa: int, qb: int, t: np.ndarray, k: int):
    """A whole-nm offset of cell qb from cell qa near t, pushed outward until >= k apart."""
    n = float(np.hypot(*t))
    d = t / n if n > 0 else np.array([1.0, 0.0])
    for e in range(-1, 40):
        dlt = 0.0 if e < 0 else float(2 ** e)
        w = tuple(int(c) for c in np.rint(t + dlt * d))
        if geom.pair_ok(qa, qb, w[0], w[1], k):
            return w
    return None


def _lattice_candidates(geom: _Geom, kerf: int, halo: float, double: bool):
    """Exact lattices (motif parts, u, v, density, name) from the float proposals."""
    v0 = geom.v[0].astype(float)
    v2 = geom.v[2].astype(float)
    polys = {0: v0, 2: v2}
    qs = (0, 2) if double else (0,)
    mks = {(a, b): minkowski_sum(polys[a], -polys[b]) for a in qs for b in qs}
    motifs = [("lattice", [(0, (0, 0))])]
    if double:
        ring = _grow(mks[0, 2], kerf)
        ring = max(shapely.get_parts(ring), key=lambda g: g.area).exterior
        ts = []
        for f in np.linspace(0, 1, T_SAMPLES + 1)[:-1]:
            t0 = np.array(ring.interpolate(f, normalized=True).coords[0])
            t = _integer_offset(geom, 0, 2, t0, kerf)
            if t is not None and t not in ts:
                ts.append(t)
        scored = []
        for t in ts:
            parts = [(0, (0, 0)), (2, t)]
            pf = [(qa, np.array(o, float)) for qa, o in parts]
            M = _motif_regions(pf, mks)
            pr = _proposals(_grow(M, kerf), M, 2, halo, axes_only=True, n_best=1)
            if pr:
                scored.append((max(p[0] for p in pr), parts))
        scored.sort(key=lambda s: -s[0])
        motifs += [("double lattice", p) for _, p in scored[:T_KEEP]]
    props = []
    for name, parts in motifs:
        pf = [(qa, np.array(o, float)) for qa, o in parts]
        M = _motif_regions(pf, mks)
        for dens, u, v, axis in _proposals(_grow(M, kerf), M, len(parts), halo, axes_only=False):
            props.append((dens, axis, name, parts, u, v))
    props.sort(key=lambda p: -p[0])
    # the densest, everything nearly as dense, and the axis-aligned lattices (edge effects
    # decide on small sheets); fitting is cheap next to the search
    chosen = [p for i, p in enumerate(props)
              if i < N_FIT or (p[0] >= FIT_RATIO * props[0][0] and i < MAX_FIT) or p[1]]
    out = []
    for _, _, name, parts, uf, vf in chosen:
        uv = _integer_lattice(geom, parts, uf, vf, kerf)
        if uv is not None:
            out.append((name, parts, uv[0], uv[1]))
    return out
# --------------------------------------------------------------------------- entry points


def _outline_nm(shape: CellShape, tolerance_nm: int) -> np.ndarray:
    """Integer CCW outline about the cell origin containing the true outline."""
    if shape.kind == "polygon":
        return shape.vertices_nm
    hw, hh = shape.width_nm // 2, shape.height_nm // 2
    if shape.kind == "rect":
        return np.array([[-hw, -hh], [hw, -hh], [hw, hh], [-hw, hh]], np.int64)
    v = outline_vertices(shape, tolerance_nm / NM_PER_MM, outer=True) * NM_PER_MM
    # Scale the (convex, origin-centred) tangent polygon so every edge line moves out by >= 1 nm
    # before the vertices are rounded (which moves edges by < 1 nm): it still contains the cell.
    e = np.roll(v, -1, axis=0) - v
    rho = np.abs(e[:, 0] * v[:, 1] - e[:, 1] * v[:, 0]) / np.hypot(e[:, 0], e[:, 1])
    vn = np.rint(v * (1.0 + 2.0 / float(rho.min()))).astype(np.int64)
    keep = np.any(vn != np.roll(vn, 1, axis=0), axis=1)
    return vn[keep]


def _box_vertices(v: np.ndarray, shape: CellShape) -> np.ndarray:
    """The cell's bounding box (exact for every kind) about its origin."""
    if shape.kind == "polygon":
        x0, y0 = v.min(axis=0)
        x1, y1 = v.max(axis=0)
    else:
        x0, x1 = -(shape.width_nm // 2), shape.width_nm - shape.width_nm // 2
        y0, y1 = -(shape.height_nm // 2), shape.height_nm - shape.height_nm // 2
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.int64)


def _box_grid(boxg: _Geom, quarters: list[int], W: int, H: int, k: int,
              max_cells: int | None = 10_000_000):
    """The bounding-box grid from the exact rectangle engine: (x, y, q, description)."""

    b = boxg.box[0]
    bw, bh = b[2] - b[0], b[3] - b[1]
    even = [q for q in quarters if q % 2 == 0]
    odd = [q for q in quarters if q % 2 == 1]
    rotation = "any" if even and odd else ("0" if even else "90")
    if bw + k > W + k and bh + k > W + k:
        return None
    try:
        res = pack_rectangles(int(W + k), int(H + k), int(bw + k), int(bh + k), cut="free",
                              rotation=rotation, max_cells=max_cells)
    except LayoutgenError:
        if max_cells is not None and (W + k) // (bw + k) * ((H + k) // (bh + k)) > max_cells:
            raise
        return None
    rects = np.rint(np.asarray(res.rects, float).reshape(-1, 4)).astype(np.int64)
    if len(rects) == 0:
        return None
    turned = rects[:, 2] != bw + k
    q_flat = even[0] if even else odd[0]
    q_turn = odd[0] if odd else even[0]
    q = np.where(turned, q_turn, q_flat).astype(np.int64)
    box = np.array(boxg.box, np.int64)[q]
    x = rects[:, 0] - box[:, 0]
    y = rects[:, 1] - box[:, 1]
    return x, y, q, f"bounding-box grid ({res.strategy}, {bw / NM_PER_MM:.6g} x " \
                    f"{bh / NM_PER_MM:.6g} mm box)"


def _halo_bound(shape: CellShape, W: int, H: int, k: int) -> tuple[int, str]:
    halo = halo_area(shape, k / NM_PER_MM / 2) * float(NM_PER_MM) ** 2  # never too large
    q = float((W + k) * (H + k)) / halo
    return (int(math.floor(q * (1 + 1e-9) + 1e-9)),
            "kerf-halo area bound: cells grown by kerf/2 are disjoint inside the usable area "
            "grown by kerf/2")


def _as_int(v: object, what: str) -> int:
    if isinstance(v, bool):
        raise LayoutgenError(f"polygons: {what} must be a whole number of nm, got {v!r}")
    try:
        return operator.index(v)  # type: ignore[arg-type]
    except TypeError:
        raise LayoutgenError(f"polygons: {what} must be a whole number of nm, got {v!r}") \
            from None


def _symmetric(v: np.ndarray) -> bool:
    """The outline equals its half turn up to a translation (exact)."""
    a = v - v.min(axis=0)
    t = -v
    b = t - t.min(axis=0)
    return bool(np.array_equal(a[np.lexsort(a.T[::-1])], b[np.lexsort(b.T[::-1])]))


def pack_polygons_nm(
    shape: CellShape,
    usable_w_nm: int,
    usable_h_nm: int,
    kerf_nm: int,
    rotations: tuple[float, ...] = ALLOWED_ROTATIONS,
    *,
    tolerance_nm: int = 1000,
    outline_nm: np.ndarray | None = None,
    max_cells: int | None = 10_000_000,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, str, int, str]:
    """Most copies of `shape` in [0, W] x [0, H] (integer nm), >= kerf apart.

    `outline_nm` (integer CCW vertices in the frame of `shape.vertices_nm`, containing the
    outline, e.g. from `simplified_outline`) is packed in place of the outline; the bound stays
    the outline's own. `max_cells` limits the bounding-box grid (tiling.max_cells; None: none).

    Returns (x_nm, y_nm, rotation_deg, strategy, upper_bound, bound_method): int64 positions of
    each cell's origin (the frame of `shape.vertices_nm`, turned about it by the rotation) in
    the usable area's frame, sorted by y then x. Every placement is checked exactly on integers
    before it is returned. Curved outlines are packed as an outer polygon on the 1 nm grid
    (tangent polygon within `tolerance_nm`), their bounding-box grid as the exact box.
    """
    if not isinstance(shape, CellShape):
        raise LayoutgenError("polygons: shape must be a CellShape")
    W = _as_int(usable_w_nm, "usable width")
    H = _as_int(usable_h_nm, "usable height")
    k = _as_int(kerf_nm, "kerf")
    for name, val in (("usable width", W), ("usable height", H)):
        if val <= 0:
            raise LayoutgenError(f"polygons: {name} must be > 0, got {val!r} nm")
    if k < 0:
        raise LayoutgenError(f"polygons: kerf must be >= 0, got {k!r} nm")
    quarters = [r // 90 for r in _rot_ok(rotations)]
    v0 = (_outline_nm(shape, max(1, int(tolerance_nm))) if outline_nm is None
          else np.asarray(outline_nm, np.int64))
    geom = _Geom(v0)
    boxv = _box_vertices(v0, shape)
    boxg = _Geom(boxv, [boxv])
    bound, method = _halo_bound(shape, W, H, k)
    halo = halo_area(shape, k / NM_PER_MM / 2) * float(NM_PER_MM) ** 2

    cands = []  # (count, order, geometry, x, y, q, description)
    grid = _box_grid(boxg, quarters, W, H, k, max_cells)
    if grid is not None:
        cands.append((len(grid[0]), 0, boxg, *grid))
    fits = any(geom.box[q][2] - geom.box[q][0] <= W and geom.box[q][3] - geom.box[q][1] <= H
               for q in quarters)
    if fits:
        double = not _symmetric(v0) and any((q + 2) % 4 in quarters for q in quarters)
        for name, parts, u, v in _lattice_candidates(geom, k, halo, double):
            for rho in (0, 1):
                opts = [r for r in (rho, rho + 2)
                        if all((qa + r) % 4 in quarters for qa, _ in parts)]
                if not opts:
                    continue
                r = opts[0]
                rp = [((qa + r) % 4, _rot_vec(o, r)) for qa, o in parts]
                ur, vr = _rot_vec(u, r), _rot_vec(v, r)
                n, phase = _fit(geom, rp, ur, vr, W, H)
                if n > 0:
                    degs = "/".join(str(qa * 90) for qa, _ in rp)
                    desc = (f"{name} {degs} deg (u = ({ur[0] / NM_PER_MM:.6g}, "
                            f"{ur[1] / NM_PER_MM:.6g}) mm, v = ({vr[0] / NM_PER_MM:.6g}, "
                            f"{vr[1] / NM_PER_MM:.6g}) mm)")
                    cands.append((n, len(cands) + 1, geom, (rp, ur, vr, phase), None, None,
                                  desc))
    cands.sort(key=lambda c: (-c[0], c[1]))
    x = y = q = np.zeros(0, np.int64)
    desc = "none (no cell fits)"
    for n, _, g, a, b, c, d in cands:
        if b is None:  # a lattice: realise it
            rp, ur, vr, phase = a
            a, b, c = _place(g, rp, ur, vr, W, H, phase)
            if len(a) != n:
                continue
            a, b = _centre(g, a, b, c, W, H)
        if check_placements(g, a, b, c, W, H, k):
            x, y, q, desc = a, b, c, d
            break
    if len(x) > bound:
        raise AssertionError(f"polygons: {len(x)} placed but the area bound is {bound}")
    order = np.lexsort((x, y))
    return (x[order].astype(np.int64), y[order].astype(np.int64),
            (q[order] * 90).astype(float), desc, bound, method)


def pack_polygons(
    shape: CellShape,
    usable_w: float,
    usable_h: float,
    *,
    kerf: float = 0.0,
    rotations: Iterable[float] = ALLOWED_ROTATIONS,
    tolerance_mm: float = 0.001,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, str, int, str]:
    """Most copies of `shape` in the usable rectangle [0, usable_w] x [0, usable_h] (mm).

    A thin wrapper of `pack_polygons_nm` (lengths go to the 1 nm grid, `mm_to_nm`). Returns
    (x, y, rotation_deg, strategy, upper_bound, bound_method): cell origins in mm (the frame of
    `shape.vertices`, not necessarily the exact box centre) relative to the rectangle's
    lower-left corner, sorted by y, then x.
    """
    if not isinstance(shape, CellShape):
        raise LayoutgenError("polygons: shape must be a CellShape")
    W, H, kerf = float(usable_w), float(usable_h), float(kerf)
    for name, val in (("usable width", W), ("usable height", H)):
        if not (math.isfinite(val) and val > 0):
            raise LayoutgenError(f"polygons: {name} must be a finite number > 0 mm, got {val!r}")
    if not (math.isfinite(kerf) and kerf >= 0):
        raise LayoutgenError(f"polygons: kerf must be a finite number >= 0 mm, got {kerf!r}")
    wn, hn = mm_to_nm(W), mm_to_nm(H)
    if wn <= 0 or hn <= 0:
        raise LayoutgenError("polygons: usable width and height must be at least 1 nm")
    x, y, r, desc, bound, method = pack_polygons_nm(
        shape, wn, hn, mm_to_nm(kerf), tuple(rotations),
        tolerance_nm=max(1, mm_to_nm(tolerance_mm)))
    return x / NM_PER_MM, y / NM_PER_MM, r, desc, bound, method
