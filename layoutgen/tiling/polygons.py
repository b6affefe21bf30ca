"""Polygon cells (any `CellShape`; curves replaced by their outer tangent polygon): lattice and
double-lattice packings in the usable rectangle [0, W] x [0, H].

Geometry: two cells at distance >= kerf <=> the translation between them lies outside the
interior of the no-fit polygon NFP = A (+) (-B) (+) disc(kerf) (Minkowski sums; non-convex
outlines via their triangles). A lattice (u, v) is valid when no lattice vector enters the
motif's forbidden region F. The search puts u = (px, 0) at the smallest pitch the row allows and,
for every shift s of the next row (sampled, then refined), lifts that row by the least h that
keeps all lattice points k*v + j*u above F's upper envelope; the lattice is then fitted to the
rectangle with its phase optimised per row. Motifs: one cell (lattice), or a cell and its 180
degree turn touching it (double lattice). Rows along y by solving the rotated problem.
Every candidate lattice is checked with shapely distances before use.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import shapely
from shapely.geometry import Polygon

from layoutgen.errors import LayoutgenError
from layoutgen.shapes import CellShape, halo_area, outline_vertices, transform_vertices

_EPS = 1e-9
_QS = 16  # quad segments for the kerf disc (grown outward so the approximation is safe)
ALLOWED_ROTATIONS = (0, 90, 180, 270)
T_SAMPLES = 16  # touching offsets of the turned cell tried for a double lattice
T_KEEP = 3  # of which the densest are fitted to the rectangle


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


def minkowski_sum(a: np.ndarray, b: np.ndarray) -> shapely.Geometry:
    """A (+) B for simple polygons given as vertex arrays (exact up to float)."""
    pa, pb = _pieces(a), _pieces(b)
    hulls = []
    for qa in pa:
        for qb in pb:
            pts = (qa[:, None, :] + qb[None, :, :]).reshape(-1, 2)
            hulls.append(shapely.multipoints(pts).convex_hull)
    return hulls[0] if len(hulls) == 1 else shapely.union_all(hulls)


def _grow(geom: shapely.Geometry, dist: float) -> shapely.Geometry:
    """Outward offset by `dist` whose polygonal arcs lie outside the true round offset."""
    if dist <= 1e-12:  # GEOS returns empty buffers for tiny distances; 1e-12 mm is nothing
        return geom
    return geom.buffer(dist / math.cos(math.pi / (4 * _QS)), quad_segs=_QS)


def no_fit_polygon(a: np.ndarray, b: np.ndarray, kerf: float) -> shapely.Geometry:
    """Translations t of B (+t) that bring it closer than kerf to A: interior of the result."""
    return _grow(minkowski_sum(a, -np.asarray(b)), kerf)


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
    out, seen = [], []
    for i in order:
        if all(abs(s[i] - t) > px * 1e-3 for t in seen):
            out.append((float(s[i]), float(h[i])))
            seen.append(s[i])
        if len(out) >= n_best:
            break
    h0 = float(max(_lift(env, bnd, px, np.array([0.0]), K)[0], h_min))
    out.append((0.0, h0))
    return out


def _lattice_ok(parts: list[np.ndarray], px: float, s: float, h: float, kerf: float,
                reach_x: float, reach_y: float) -> bool:
    """Shapely check: every motif part keeps >= kerf from all other cells of the lattice."""
    ri = math.ceil(reach_x / px) + 2
    rj = math.ceil(reach_y / max(h, 1e-12)) + 2
    ii, jj = np.meshgrid(np.arange(-ri - rj, ri + rj + 1), np.arange(-rj, rj + 1))
    ii, jj = ii.ravel(), jj.ravel()
    tx, ty = ii * px + jj * s, jj * h
    near = (np.abs(tx) <= reach_x + px) & (np.abs(ty) <= reach_y + h)
    tx, ty, zero = tx[near], ty[near], (ii[near] == 0) & (jj[near] == 0)
    for qa, va in enumerate(parts):
        pa = Polygon(va)
        for qb, vb in enumerate(parts):
            keep = ~zero if qa == qb else np.ones(len(tx), bool)
            c = vb[None, :, :] + np.column_stack([tx[keep], ty[keep]])[:, None, :]
            d = shapely.distance(pa, shapely.polygons(c))
            if len(d) and d.min() < kerf - 1e-9:
                return False
    return True


def _bboxes(parts: list[np.ndarray]) -> np.ndarray:
    return np.array([[v[:, 0].min(), v[:, 1].min(), v[:, 0].max(), v[:, 1].max()] for v in parts])


def _fit(parts: list[np.ndarray], px: float, s: float, h: float, W: float, H: float,
         max_rows: int = 64) -> tuple[int, float, float]:
    """Best phase (ox, oy) of the motif lattice in [0, W] x [0, H]: (count, ox, oy).

    Candidate phases put some part flush with the left edge in one of up to `max_rows` rows.
    """
    bb = _bboxes(parts)
    best = (0, 0.0, 0.0)
    for oy in sorted({float(np.mod(-b[1], h)) for b in bb}):
        rows = []
        for q, b in enumerate(bb):
            jlo = math.ceil((-oy - b[1]) / h - _EPS)
            jhi = math.floor((H - oy - b[3]) / h + _EPS)
            if jhi >= jlo:
                rows.append((q, np.arange(jlo, jhi + 1)))
        if not rows:
            continue
        oxs = {0.0}
        for q, j in rows:
            jj = j if len(j) <= max_rows else j[np.linspace(0, len(j) - 1, max_rows).astype(int)]
            oxs.update(np.round(np.mod(-bb[q, 0] - jj * s, px), 12).tolist())
        ox = np.array(sorted(oxs))
        total = np.zeros(len(ox), np.int64)
        for q, j in rows:
            base = ox[:, None] + j[None, :] * s
            lo = np.ceil((-bb[q, 0] - base) / px - _EPS)
            hi = np.floor((W - bb[q, 2] - base) / px + _EPS)
            total += np.maximum(hi - lo + 1, 0).astype(np.int64).sum(axis=1)
        k = int(np.argmax(total))
        if total[k] > best[0]:
            best = (int(total[k]), float(ox[k]), oy)
    return best


def _place(parts: list[np.ndarray], rots: list[float], offs: list[np.ndarray], px: float,
           s: float, h: float, W: float, H: float, ox: float, oy: float):
    """Centres and rotations of every motif part of the lattice that fits the rectangle."""
    bb = _bboxes(parts)
    xs, ys, rs = [np.zeros(0)], [np.zeros(0)], [np.zeros(0)]
    for q, b in enumerate(bb):
        jlo = math.ceil((-oy - b[1]) / h - _EPS)
        jhi = math.floor((H - oy - b[3]) / h + _EPS)
        if jhi < jlo:
            continue
        j = np.arange(jlo, jhi + 1)
        base = ox + j * s
        lo = np.ceil((-b[0] - base) / px - _EPS).astype(np.int64)
        cnt = np.maximum(np.floor((W - b[2] - base) / px + _EPS).astype(np.int64) - lo + 1, 0)
        jr = np.repeat(j, cnt)
        i = np.repeat(lo, cnt) + np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        xs.append(ox + jr * s + i * px + offs[q][0])
        ys.append(oy + jr * h + offs[q][1])
        rs.append(np.full(len(jr), rots[q]))
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(rs)



def _motif_region(parts_rel, nfps) -> shapely.Geometry:
    """Forbidden lattice vectors of a motif: union of NFP(a, b) moved by offset_a - offset_b."""
    F = None
    for a in range(len(parts_rel)):
        for b in range(len(parts_rel)):
            n = shapely.affinity.translate(nfps[a, b], *(parts_rel[a][2] - parts_rel[b][2]))
            F = n if F is None else F.union(n)
    return F


def _motif_density(parts_rel, nfps, halo: float) -> float:
    """Cells per unit area of the best lattice found for the motif (rows along x)."""
    F = _motif_region(parts_rel, nfps)
    px = _row_pitch(F)
    if not px > 0:
        return 0.0
    h = min(hh for _, hh in _shift_candidates(F, px, len(parts_rel) * halo / px, n_best=1))
    return len(parts_rel) / (px * h)


def _pack_motif(parts_rel: list[tuple[np.ndarray, float, np.ndarray]], nfps, W: float,
                H: float, kerf: float, halo: float, n_best: int = 4):
    """Best fitted lattice for a motif with rows along x.

    parts_rel: (vertices centred on the part's own centre, rotation, part centre offset);
    nfps[a, b]: no-fit polygon of part b around part a (both at the origin).
    Returns (count, placement parameters for `_place`, description) or None.
    """
    verts = [v + off for v, _, off in parts_rel]
    rots = [r for _, r, _ in parts_rel]
    offs = [off for _, _, off in parts_rel]
    F = _motif_region(parts_rel, nfps)
    px = _row_pitch(F)
    if not px > 0:
        return None
    h_min = len(verts) * halo / px
    best = None
    bnd = F.bounds
    for s, h in _shift_candidates(F, px, h_min, n_best):
        if not _lattice_ok(verts, px, s, h, kerf, max(-bnd[0], bnd[2]), max(-bnd[1], bnd[3])):
            continue
        count, ox, oy = _fit(verts, px, s, h, W, H)
        if best is None or count > best[0]:
            best = (count, (verts, rots, offs, px, s, h, W, H, ox, oy),
                    f"pitch {px:.6g} mm, row shift {s:.6g} mm, row step {h:.6g} mm")
    return best


def _centre(x, y, r, shape_parts: dict[float, np.ndarray], W: float, H: float):
    """Translate the whole layout to centre it in the rectangle (keeps every distance)."""
    if len(x) == 0:
        return x, y
    x0 = y0 = math.inf
    x1 = y1 = -math.inf
    for rot, v in shape_parts.items():
        m = r == rot
        if m.any():
            x0 = min(x0, x[m].min() + v[:, 0].min())
            x1 = max(x1, x[m].max() + v[:, 0].max())
            y0 = min(y0, y[m].min() + v[:, 1].min())
            y1 = max(y1, y[m].max() + v[:, 1].max())
    dx = (W - (x1 - x0)) / 2 - x0
    dy = (H - (y1 - y0)) / 2 - y0
    return x + dx, y + dy


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


def pack_polygons(
    shape: CellShape,
    usable_w: float,
    usable_h: float,
    *,
    kerf: float = 0.0,
    rotations: Iterable[float] = ALLOWED_ROTATIONS,
    tolerance_mm: float = 0.001,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, str, int, str]:
    """Most copies of `shape` in the usable rectangle [0, usable_w] x [0, usable_h].

    Cells lie inside the rectangle and are >= kerf apart. Curved outlines are packed as their
    outer tangent polygon (within `tolerance_mm`), so the true outlines are at least as far
    apart. Returns (x, y, rotation_deg, strategy, upper_bound, bound_method): centres relative
    to the rectangle's lower-left corner, rows along the web (sorted by y, then x).
    """
    if not isinstance(shape, CellShape):
        raise LayoutgenError("polygons: shape must be a CellShape")
    W, H, kerf = float(usable_w), float(usable_h), float(kerf)
    for name, v in (("usable width", W), ("usable height", H)):
        if not (math.isfinite(v) and v > 0):
            raise LayoutgenError(f"polygons: {name} must be a finite number > 0 mm, got {v!r}")
    if not (math.isfinite(kerf) and kerf >= 0):
        raise LayoutgenError(f"polygons: kerf must be a finite number >= 0 mm, got {kerf!r}")
    rots = _rot_ok(rotations)
    v0 = outline_vertices(shape, tolerance_mm, outer=True)
    halo = halo_area(shape, kerf / 2)
    bound = int(math.floor((W + kerf) * (H + kerf) / halo + 1e-9))
    method = ("kerf-halo area bound: cells grown by kerf/2 are disjoint inside the usable "
              "area grown by kerf/2")
    symmetric = Polygon(v0).symmetric_difference(Polygon(-v0)).area <= 1e-9 * Polygon(v0).area
    best = (0, None, "none (no cell fits)")
    large = W * H / halo > 5000
    seen: set[int] = set()
    for theta in rots:
        key = theta % 180 if symmetric else theta
        if key in seen:
            continue
        seen.add(key)
        motifs = [("lattice", [(theta, None)])]
        if not symmetric and (theta + 180) % 360 in rots and theta < 180:
            motifs.append(("double lattice", [(theta, None), ((theta + 180) % 360, "t")]))
        for name, spec in motifs:
            for along in ("x", "y"):
                res = _pack_spec(v0, spec, W, H, kerf, halo, along, large)
                if res is not None and res[0] > best[0]:
                    label = "/".join(f"{t}" for t, _ in spec)
                    best = (res[0], res[1], f"{name} {label} deg, rows along {along} ({res[2]})")
    count, plan, desc = best
    if plan is None:
        x = y = r = np.zeros(0)
    else:
        x, y, r = _realise(v0, plan, W, H)
        if len(x) != count:
            raise AssertionError(f"polygons: placed {len(x)} cells, expected {count}")
    if count > bound:
        raise AssertionError(f"polygons: {count} placed but the area bound is {bound}")
    order = np.lexsort((np.round(x, 9), np.round(y, 9)))
    return x[order], y[order], r[order], desc, bound, method


def _pack_spec(v0: np.ndarray, spec, W: float, H: float, kerf: float, halo: float, along: str,
               large: bool):
    """Best fitted lattice of one motif spec with rows along x or y.

    Returns (count, placement parameters, description) or None; `_realise` turns the
    parameters into sheet placements. `large` (many cells expected): fewer candidates are
    fitted, since the densest lattice then decides.
    """
    # rows along y: solve in the frame turned by -90 deg (x' = y, y' = W - x), then turn back
    turn = -90.0 if along == "y" else 0.0
    Wf, Hf = (H, W) if along == "y" else (W, H)
    base = [(transform_vertices(v0, 0, 0, theta + turn), theta) for theta, _ in spec]
    nfps = {(a, b): no_fit_polygon(base[a][0], base[b][0], kerf)
            for a in range(len(base)) for b in range(len(base))}
    if len(base) == 1:
        candidates = [[(base[0][0], base[0][1], np.zeros(2))]]
    else:
        ring = nfps[0, 1].exterior if nfps[0, 1].geom_type == "Polygon" else max(
            shapely.get_parts(nfps[0, 1]), key=lambda g: g.area).exterior
        ts = [np.array(ring.interpolate(f, normalized=True).coords[0])
              for f in np.linspace(0, 1, T_SAMPLES + 1)[:-1]]
        candidates = [[(base[0][0], base[0][1], np.zeros(2)), (base[1][0], base[1][1], t)]
                      for t in ts]
        dens = [_motif_density(c, nfps, halo) for c in candidates]
        keep = np.argsort(-np.asarray(dens), kind="stable")[:1 if large else T_KEEP]
        candidates = [candidates[i] for i in sorted(keep)]
    best = None
    for parts in candidates:
        res = _pack_motif(parts, nfps, Wf, Hf, kerf, halo, n_best=2 if large else 4)
        if res is not None and (best is None or res[0] > best[0]):
            best = res
    if best is None or best[0] == 0:
        return None
    count, params, desc = best
    return count, (params, along, turn, [float(t) for t, _ in spec]), desc


def _realise(v0: np.ndarray, plan, W: float, H: float):
    """Placements (x, y, rot) on the usable rectangle from `_pack_spec`'s parameters."""
    params, along, turn, thetas = plan
    Wf, Hf = (H, W) if along == "y" else (W, H)
    x, y, r = _place(*params)
    verts = {t: transform_vertices(v0, 0, 0, t + turn) for t in thetas}
    x, y = _centre(x, y, r, verts, Wf, Hf)
    if along == "y":
        x, y = W - y, x
    return x, y, np.mod(r, 360.0)
