"""The independent check: are placed cells disjoint, kerf apart, inside the usable area and clear
of keep-outs?

It shares no arithmetic with the packers: every cell is rebuilt from its shape and pose, as its
exact *core* (box, segment, point or polygon; see `shapes.core_vertices`) grown by a disc of the
shape's curve radius r, so distances between curved cells are exact: street = dist(cores) - 2r.
Neighbour candidates come from a uniform bin grid over the cells' bounding boxes (numpy, no
Python object per cell); exact distances are then taken with numpy for axis-aligned box/point
cores (the 1M-cell fast path) and with shapely (GEOS) for rotated or polygon cells.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import cast

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from layoutgen.errors import LayoutgenError
from layoutgen.shapes import CellShape, core_vertices, transform_vertices


@dataclass(frozen=True)
class VerifyReport:
    """Outcome of `verify_placements`; counts are of violating cell pairs / cells."""

    ok: bool
    n_cells: int
    overlaps: int
    kerf_violations: int
    outside: int
    keepout_violations: int
    min_street_mm: float
    messages: tuple[str, ...] = ()
    bad_pairs: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), np.int64), repr=False)
    bad_cells: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64), repr=False)

    def summary(self) -> str:
        if self.ok:
            return f"ok: {self.n_cells} cells, min street {self.min_street_mm:.6g} mm"
        return (
            f"FAILED: {self.n_cells} cells, {self.overlaps} overlapping pairs, "
            f"{self.kerf_violations} pairs closer than the kerf, {self.outside} outside, "
            f"{self.keepout_violations} in keep-outs; " + "; ".join(self.messages[:3])
        )


@dataclass
class _Cells:
    """Cells as cores: bounding boxes of the cores plus (lazily) their shapely geometries."""

    x0: np.ndarray
    y0: np.ndarray
    x1: np.ndarray
    y1: np.ndarray
    r: float
    boxes: bool  # True: cores are axis-aligned boxes (possibly degenerate: segments, points)
    coords: list[tuple[np.ndarray, np.ndarray]]  # (cell indices, (m, k, 2) core vertices)
    _geoms: np.ndarray | None = None

    def geoms(self, idx: np.ndarray) -> np.ndarray:
        """Shapely core geometries of cells `idx`."""
        if self.boxes:
            x0, y0, x1, y1 = self.x0[idx], self.y0[idx], self.x1[idx], self.y1[idx]
            pts = (x0 == x1) & (y0 == y1)
            out = np.empty(len(idx), dtype=object)
            out[pts] = shapely.points(x0[pts], y0[pts])
            seg = ~pts & ((x0 == x1) | (y0 == y1))
            if seg.any():
                c = np.stack([np.column_stack([x0[seg], y0[seg]]),
                              np.column_stack([x1[seg], y1[seg]])], axis=1)
                out[seg] = shapely.linestrings(c)
            box = ~pts & ~seg
            if box.any():
                out[box] = shapely.box(x0[box], y0[box], x1[box], y1[box])
            return out
        if self._geoms is None:
            g = np.empty(len(self.x0), dtype=object)
            for cell_idx, c in self.coords:
                k = c.shape[1]
                if k == 1:
                    g[cell_idx] = shapely.points(c[:, 0, :])
                elif k == 2:
                    g[cell_idx] = shapely.linestrings(c)
                else:
                    g[cell_idx] = shapely.polygons(c)
            self._geoms = g
        return self._geoms[idx]


def _build_cells(shape: CellShape, x: np.ndarray, y: np.ndarray, rot: np.ndarray) -> _Cells:
    core, r = core_vertices(shape)
    uniform = bool(np.all(rot == rot[0]))
    q = np.round(rot[:1] / 90.0) if uniform else np.round(rot / 90.0)
    quarter = np.abs((rot[:1] if uniform else rot) / 90.0 - q) < 1e-9
    if shape.kind != "polygon" and bool(np.all(quarter)):
        hx, hy = float(np.abs(core[:, 0]).max()), float(np.abs(core[:, 1]).max())
        odd = (q.astype(np.int64) % 2) == 1
        ex = np.where(odd, hy, hx)
        ey = np.where(odd, hx, hy)
        return _Cells(x - ex, y - ey, x + ex, y + ey, r, True, [])
    n = len(x)
    x0, y0, x1, y1 = (np.empty(n) for _ in range(4))
    key = np.round(np.mod(rot, 360.0), 9)
    key[key >= 360.0] = 0.0
    angles, inverse = np.unique(key, return_inverse=True)
    coords = []
    for a_i, ang in enumerate(angles):
        idx = np.flatnonzero(inverse == a_i)
        v = transform_vertices(core, 0.0, 0.0, float(ang))
        c = v[None, :, :] + np.column_stack([x[idx], y[idx]])[:, None, :]
        coords.append((idx, c))
        x0[idx] = x[idx] + v[:, 0].min()
        x1[idx] = x[idx] + v[:, 0].max()
        y0[idx] = y[idx] + v[:, 1].min()
        y1[idx] = y[idx] + v[:, 1].max()
    return _Cells(x0, y0, x1, y1, r, False, coords)


def near_pairs(
    x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray, reach: float,
    chunk: int = 4_000_000,
) -> tuple[np.ndarray, np.ndarray]:
    """All pairs i < j (in no particular order) of boxes whose gap along both x and y is <= reach.

    Uniform bin grid on the box centres; deterministic.
    """
    n = len(x0)
    e = np.zeros(0, np.int64)
    if n < 2:
        return e, e
    reach = max(float(reach), 0.0)
    g = max(float(np.max(x1 - x0)), float(np.max(y1 - y0)), 1e-9) + reach
    g *= 1.0 + 1e-9
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    bx = np.floor((cx - cx.min()) / g).astype(np.int64)
    by = np.floor((cy - cy.min()) / g).astype(np.int64)
    nby = int(by.max()) + 3
    key = (bx + 1) * nby + (by + 1)
    order = np.argsort(key, kind="stable")
    skey = key[order]
    first = np.flatnonzero(np.r_[True, skey[1:] != skey[:-1]])
    ukey = skey[first]
    ucnt = np.diff(np.r_[first, n])
    out_i, out_j = [], []
    for ox, oy in [(0, 0), (1, -1), (1, 0), (1, 1), (0, 1)]:
        nb = ukey + ox * nby + oy
        k = np.minimum(np.searchsorted(ukey, nb), len(ukey) - 1)
        found = np.flatnonzero(ukey[k] == nb)
        sa, ca = first[found], ucnt[found]
        sb, cb = first[k[found]], ucnt[k[found]]
        prod = ca * cb
        cum = np.cumsum(prod)
        lo = 0
        while lo < len(prod):
            hi = int(np.searchsorted(cum, (cum[lo - 1] if lo else 0) + chunk, "right"))
            hi = max(hi, lo + 1)
            pr = prod[lo:hi]
            tot = int(pr.sum())
            if tot:
                rep = np.repeat(np.arange(lo, hi), pr)
                t = np.arange(tot) - np.repeat(np.cumsum(pr) - pr, pr)
                a, b = t // cb[rep], t % cb[rep]
                if ox == 0 and oy == 0:
                    keep = a < b
                    rep, a, b = rep[keep], a[keep], b[keep]
                ii, jj = order[sa[rep] + a], order[sb[rep] + b]
                gx = np.maximum(x0[jj] - x1[ii], x0[ii] - x1[jj])
                gy = np.maximum(y0[jj] - y1[ii], y0[ii] - y1[jj])
                keep = (gx <= reach) & (gy <= reach)
                ii, jj = ii[keep], jj[keep]
                out_i.append(np.minimum(ii, jj))
                out_j.append(np.maximum(ii, jj))
            lo = hi
    if not out_i:
        return e, e
    return np.concatenate(out_i), np.concatenate(out_j)


def keepout_pair(i: int, item: object) -> tuple[BaseGeometry, float]:
    """A (geometry, clearance_mm) keep-out pair, checked: the clearance a finite number >= 0."""
    try:
        geom, raw = cast(tuple[BaseGeometry, float], item)
        clearance = float(raw)
    except (TypeError, ValueError) as exc:
        raise LayoutgenError(f"keep-out {i}: expected (shapely geometry, clearance_mm)") from exc
    if not (math.isfinite(clearance) and clearance >= 0):
        raise LayoutgenError(
            f"keep-out {i}: clearance must be a number >= 0 mm, got {clearance!r}")
    return geom, clearance


def _keepout_hits(cells: _Cells, keepouts: Iterable[tuple[BaseGeometry, float]],
                  tol: float) -> list[np.ndarray]:
    """For each keep-out, the cells closer than its clearance or reaching into it (beyond tol).

    A keep-out of clearance 0 still may not enter a cell (a fiducial point may touch a cell's
    edge, not lie inside it).
    """
    out = []
    r = cells.r
    for k_i, item in enumerate(keepouts):
        geom, clearance = keepout_pair(k_i, item)
        if geom is None or geom.is_empty:
            out.append(np.zeros(0, np.int64))
            continue
        need = clearance + r
        kx0, ky0, kx1, ky1 = geom.bounds
        cand = np.flatnonzero((cells.x1 >= kx0 - need) & (cells.x0 <= kx1 + need)
                              & (cells.y1 >= ky0 - need) & (cells.y0 <= ky1 + need))
        if not len(cand):
            out.append(np.zeros(0, np.int64))
            continue
        core = cells.geoms(cand)
        # signed gap: negative when the keep-out reaches into the cell (exact for r > 0)
        gap = shapely.distance(geom, core) - r
        hit = gap < clearance - tol
        if r == 0:  # polygon cells: the keep-out must not enter the interior (clearance 0)
            touch = np.flatnonzero(~hit & (gap <= 0))
            if len(touch):
                inner = shapely.buffer(core[touch], -tol, join_style="mitre") if tol > 0 else \
                    core[touch]
                hit[touch] = shapely.intersects(inner, geom) & ~shapely.touches(inner, geom)
        out.append(cand[hit])
    return out


def keepout_mask(
    shape: CellShape,
    x: np.ndarray,
    y: np.ndarray,
    rot: np.ndarray | float,
    keepouts: Iterable[tuple[BaseGeometry, float]],
    tol: float = 0.0,
) -> np.ndarray:
    """Boolean mask of the cells closer than a keep-out's clearance (exact distances)."""
    xa = np.asarray(x, dtype=float).ravel()
    ya = np.asarray(y, dtype=float).ravel()
    mask = np.zeros(len(xa), bool)
    if len(xa) == 0:
        return mask
    ra = np.broadcast_to(np.asarray(rot, dtype=float), xa.shape).astype(float).ravel()
    cells = _build_cells(shape, xa, ya, ra)
    for hit in _keepout_hits(cells, keepouts, tol):
        mask[hit] = True
    return mask


def _is_axis_rectangle(geom: BaseGeometry) -> bool:
    if geom.geom_type != "Polygon" or len(geom.interiors):
        return False
    env = geom.envelope
    return env.area > 0 and abs(geom.area - env.area) <= 1e-12 * env.area


def verify_placements(
    shape: CellShape,
    x: Sequence[float] | np.ndarray,
    y: Sequence[float] | np.ndarray,
    rot: Sequence[float] | np.ndarray | float = 0.0,
    *,
    usable: BaseGeometry | None,
    kerf: float = 0.0,
    keepouts: Iterable[tuple[BaseGeometry, float]] = (),
    tol: float = 1e-6,
    max_messages: int = 8,
) -> VerifyReport:
    """Check placed cells (centres x, y in mm; rotation CCW in degrees).

    Violations (each beyond `tol` mm): two cells' interiors overlap; the street (shortest
    distance) between two cells is < `kerf`; a cell is not inside `usable` (None: not checked);
    a cell is closer than `clearance` to a keep-out geometry. `min_street_mm` is the smallest
    street among neighbours (pairs whose bounding boxes are within kerf + a quarter of the cell's
    short side); inf if there are none.
    """
    xa = np.asarray(x, dtype=float).ravel()
    ya = np.asarray(y, dtype=float).ravel()
    ra = np.broadcast_to(np.asarray(rot, dtype=float), xa.shape).astype(float).ravel()
    if xa.shape != ya.shape:
        raise LayoutgenError(f"verify: x and y differ in length ({len(xa)} vs {len(ya)})")
    if not (math.isfinite(kerf) and kerf >= 0):
        raise LayoutgenError(f"verify: kerf must be a finite number >= 0 mm, got {kerf!r}")
    n = len(xa)
    msgs: list[str] = []
    bad_cells: list[np.ndarray] = []
    if n == 0:
        return VerifyReport(True, 0, 0, 0, 0, 0, math.inf, ())
    if not (np.all(np.isfinite(xa)) and np.all(np.isfinite(ya)) and np.all(np.isfinite(ra))):
        raise LayoutgenError("verify: placements contain NaN or infinite values")
    cells = _build_cells(shape, xa, ya, ra)
    r = cells.r

    # --- pairs: overlaps and streets -------------------------------------------------------
    window = 0.25 * min(shape.width, shape.height)
    i, j = near_pairs(cells.x0, cells.y0, cells.x1, cells.y1, kerf + 2 * r + window)
    if cells.boxes:
        gx = np.maximum(np.maximum(cells.x0[j] - cells.x1[i], cells.x0[i] - cells.x1[j]), 0.0)
        gy = np.maximum(np.maximum(cells.y0[j] - cells.y1[i], cells.y0[i] - cells.y1[j]), 0.0)
        core_d = np.hypot(gx, gy)
    else:
        core_d = shapely.distance(cells.geoms(i), cells.geoms(j)) if len(i) else np.zeros(0)
    street = core_d - 2 * r
    bad = street < kerf - tol
    if r > 0:
        overlap = core_d < 2 * r - tol
    elif cells.boxes:
        px = np.minimum(cells.x1[i], cells.x1[j]) - np.maximum(cells.x0[i], cells.x0[j])
        py = np.minimum(cells.y1[i], cells.y1[j]) - np.maximum(cells.y0[i], cells.y0[j])
        overlap = (px > tol) & (py > tol)
    else:
        overlap = np.zeros(len(i), bool)
        touch = np.flatnonzero(core_d <= tol)
        if len(touch):
            inter = shapely.area(shapely.intersection(cells.geoms(i[touch]),
                                                      cells.geoms(j[touch])))
            overlap[touch] = inter > tol * max(shape.width, shape.height)
    bad |= overlap
    n_overlap = int(overlap.sum())
    n_kerf = int(bad.sum())
    min_street = float(np.maximum(street, 0.0).min()) if len(street) else math.inf
    if n_overlap:
        min_street = 0.0
    for a, b, s, ov in zip(i[bad][:max_messages], j[bad][:max_messages], street[bad],
                           overlap[bad], strict=False):
        if ov:
            msgs.append(f"cells {a} and {b} overlap")
        else:
            msgs.append(f"cells {a} and {b}: street {s:.6g} mm < kerf {kerf:g} mm")

    # --- usable area -------------------------------------------------------------------------
    n_out = 0
    if usable is not None:
        if _is_axis_rectangle(usable):
            ux0, uy0, ux1, uy1 = usable.bounds
            out = ((cells.x0 - r < ux0 - tol) | (cells.y0 - r < uy0 - tol)
                   | (cells.x1 + r > ux1 + tol) | (cells.y1 + r > uy1 + tol))
        else:
            grown = usable.buffer(tol, join_style="mitre")
            shapely.prepare(grown)
            core_g = cells.geoms(np.arange(n))
            out = ~shapely.covers(grown, core_g)
            if r > 0:
                out |= shapely.distance(usable.boundary, core_g) < r - tol
        out_idx = np.flatnonzero(out)
        n_out = len(out_idx)
        bad_cells.append(out_idx)
        msgs.extend(f"cell {c} at ({xa[c]:.6g}, {ya[c]:.6g}) is not inside the usable area"
                    for c in out_idx[:max_messages])

    # --- keep-outs --------------------------------------------------------------------------
    n_keep = 0
    for k_i, hit in enumerate(_keepout_hits(cells, keepouts, tol)):
        n_keep += len(hit)
        bad_cells.append(hit)
        msgs.extend(f"cell {c} at ({xa[c]:.6g}, {ya[c]:.6g}) is too close to keep-out {k_i}"
                    for c in hit[:max_messages])

    ok = n_kerf == 0 and n_out == 0 and n_keep == 0
    bc = np.unique(np.concatenate(bad_cells)) if bad_cells else np.zeros(0, np.int64)
    return VerifyReport(
        ok=ok, n_cells=n, overlaps=n_overlap, kerf_violations=n_kerf, outside=n_out,
        keepout_violations=n_keep, min_street_mm=min_street,
        messages=tuple(msgs[: 3 * max_messages]),
        bad_pairs=np.column_stack([i[bad], j[bad]]).astype(np.int64), bad_cells=bc,
    )
