"""Packing around keep-outs (fiducials, clamps, test structures) so the rest of the sheet is
still packed well, not a grid with holes punched out of it.

Rules (exact): a cell stays >= `clearance` from its keep-out and >= `kerf` from every other
cell. Each keep-out is turned into an obstacle rectangle, its bounding box grown by its
clearance (a superset of keep-out (+) disc(clearance), so any cell outside it is clear). The free
part of the usable box is cut into rectangular blocks and each block is packed independently
with the caller's block packer, which must put cells inside the rectangle it is given (no kerf
to the rectangle's edge) and be translation invariant (we call it with the block at the origin).
Blocks closer than the kerf to another block are shrunk by kerf/2 on each facing side, so cells
of different blocks are >= kerf apart.

Decompositions tried, best count kept (ties keep the earlier one):
  holes        the full usable box packed once, cells violating a keep-out removed (baseline);
  guillotine   best recursive guillotine cut along obstacle edges, each piece packed whole or
               (if it still meets an obstacle) as a grid with holes (memoised, budgeted);
  bands-h      horizontal bands at obstacle edges, cut at obstacles, merged vertically;
  bands-v      the same with vertical bands.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from layoutgen.errors import LayoutgenError
from layoutgen.shapes import CellShape, halo_area
from layoutgen.tiling.circles import pack_circles_nm
from layoutgen.tiling.polygons import pack_polygons_nm
from layoutgen.tiling.rect.packing import pack_int
from layoutgen.tiling.verify import keepout_mask, keepout_pair
from layoutgen.units import NM_PER_MM, mm_to_nm, nm_to_mm

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in whole nm
Placements = tuple[np.ndarray, np.ndarray, np.ndarray]  # centres (nm), rotation (degrees)
BlockPacker = Callable[[int, int, int, int], Placements]

STRATEGIES = ("holes", "guillotine", "bands-h", "bands-v")
_TOL = 1e-9


@dataclass(frozen=True)
class KeepoutPacking:
    """Cells placed around keep-outs (sheet mm; rows along the web)."""

    x: np.ndarray
    y: np.ndarray
    rotation_deg: np.ndarray
    strategy: str
    blocks: tuple[Box, ...]  # rectangles handed to the block packer (after kerf shrinking)
    upper_bound: int
    bound_method: str
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return int(self.x.shape[0])


def _floor_nm(mm: float) -> int:
    v = mm * NM_PER_MM
    n = round(v)
    return n if abs(v - n) < 1e-3 else math.floor(v)


def _ceil_nm(mm: float) -> int:
    v = mm * NM_PER_MM
    n = round(v)
    return n if abs(v - n) < 1e-3 else math.ceil(v)


def _obstacles(usable: Box, keepouts: Sequence[tuple[BaseGeometry, int]]) -> list[Box]:
    """Obstacle boxes in nm: each keep-out's box grown by its clearance, rounded outward."""
    ux0, uy0, ux1, uy1 = usable
    out = []
    for i, item in enumerate(keepouts):
        try:
            geom, c = item
        except (TypeError, ValueError) as exc:
            raise LayoutgenError(
                f"keep-out {i}: expected (shapely geometry, clearance)") from exc
        if not isinstance(geom, BaseGeometry):
            raise LayoutgenError(f"keep-out {i}: geometry must be a shapely geometry")
        if geom.is_empty:
            continue
        bx0, by0, bx1, by1 = geom.bounds
        pad = c if c > 0 or geom.area > 0 else 1  # a bare point or line may not enter a cell
        x0, y0 = max(_floor_nm(bx0) - pad, ux0), max(_floor_nm(by0) - pad, uy0)
        x1, y1 = min(_ceil_nm(bx1) + pad, ux1), min(_ceil_nm(by1) + pad, uy1)
        if x1 > x0 and y1 > y0:
            out.append((x0, y0, x1, y1))
    return out


def _overlaps(a: Box, b: Box) -> bool:
    """Interiors intersect."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _covered(a: Box, obs: list[Box]) -> bool:
    return any(o[0] <= a[0] and o[1] <= a[1] and o[2] >= a[2] and o[3] >= a[3] for o in obs)


def _hits(region: Box, obs: list[Box]) -> list[Box]:
    return [o for o in obs if _overlaps(region, o)]


def _halves(kerf: float) -> tuple[float, float]:
    """(left/bottom, right/top) shares of the kerf: whole nm for an int kerf, summing to it."""
    if isinstance(kerf, int | np.integer):
        return int(kerf) - int(kerf) // 2, int(kerf) // 2
    return kerf / 2, kerf / 2


def shrink_blocks(blocks: list[Box], kerf: float) -> list[Box]:
    """Shrink, by kerf/2, each side of a block that faces another block closer than kerf.

    Afterwards any two blocks are >= kerf apart (two blocks with disjoint interiors are split
    by an axis-parallel line; both sides facing it move away from it by kerf/2).
    """
    if kerf <= 0:
        return list(blocks)
    lo, hi = _halves(kerf)
    n = len(blocks)
    cut: list[list[float]] = [[0, 0, 0, 0] for _ in range(n)]  # left, bottom, right, top
    for a in range(n):
        A = blocks[a]
        for b in range(n):
            if a == b:
                continue
            B = blocks[b]
            gx = max(B[0] - A[2], A[0] - B[2], 0)
            gy = max(B[1] - A[3], A[1] - B[3], 0)
            if gx * gx + gy * gy >= kerf * kerf:
                continue
            if B[0] >= A[2] - _TOL:
                cut[a][2] = hi
            if B[2] <= A[0] + _TOL:
                cut[a][0] = lo
            if B[1] >= A[3] - _TOL:
                cut[a][3] = hi
            if B[3] <= A[1] + _TOL:
                cut[a][1] = lo
    return [(b[0] + c[0], b[1] + c[1], b[2] - c[2], b[3] - c[3])  # type: ignore[misc]
            for b, c in zip(blocks, cut, strict=True)]  # whole nm for an int kerf (_halves)


def _bands(usable: Box, obs: list[Box]) -> list[Box]:
    """Horizontal bands at obstacle y-edges, split at obstacles, merged vertically."""
    ux0, uy0, ux1, uy1 = usable
    ys = sorted({uy0, uy1, *[o[1] for o in obs], *[o[3] for o in obs]})
    ys = [y for y in ys if uy0 <= y <= uy1]
    open_blocks: dict[tuple[int, int], int] = {}  # (x0, x1) -> y0 of the growing block
    done: list[Box] = []
    for ya, yb in zip(ys[:-1], ys[1:], strict=True):
        if yb - ya <= 0:
            continue
        blockers = sorted((o[0], o[2]) for o in obs if o[1] < yb and o[3] > ya)
        free, x = [], ux0
        for a, b in blockers:
            if a > x:
                free.append((x, a))
            x = max(x, b)
        if x < ux1:
            free.append((x, ux1))
        now = {}
        for iv in free:
            now[iv] = open_blocks.pop(iv, ya)
        for (x0, x1), y0 in open_blocks.items():
            done.append((x0, y0, x1, ya))
        open_blocks = now
    for (x0, x1), y0 in open_blocks.items():
        done.append((x0, y0, x1, uy1))
    return sorted(b for b in done if b[2] > b[0] and b[3] > b[1])


def _transpose(b: Box) -> Box:
    return (b[1], b[0], b[3], b[2])


class _Packer:
    """Block packer with memo by block size (translation invariance)."""

    def __init__(self, pack_block: BlockPacker) -> None:
        self.pack_block = pack_block
        self.memo: dict[tuple[float, float], Placements] = {}

    def placements(self, b: Box) -> Placements:
        w, h = b[2] - b[0], b[3] - b[1]
        if w <= 0 or h <= 0:
            return _empty()
        key = (int(w), int(h))
        if key not in self.memo:
            x, y, r = self.pack_block(0, 0, key[0], key[1])
            x = np.asarray(x, np.int64).ravel()
            y = np.asarray(y, np.int64).ravel()
            r = np.broadcast_to(np.asarray(r, float), x.shape).astype(float)
            self.memo[key] = (x, y, r)
        x, y, r = self.memo[key]
        return x + b[0], y + b[1], r

    def count(self, b: Box) -> int:
        return len(self.placements(b)[0])


def _guillotine(usable: Box, obs: list[Box], kerf: float, packer: _Packer,
                holes: Callable[[Box], Placements], budget: int, max_calls: int):
    """Best guillotine partition along obstacle edges; leaves are packed whole (no obstacle)
    or as a grid with holes. Sides made by a cut are shrunk by kerf/2. None when over budget.

    Returns the list of (block as given to the packer, kind) leaves.
    """
    memo: dict[Box, tuple[int, list[tuple[Box, str]]]] = {}
    ux0, uy0, ux1, uy1 = usable

    lo, hi = _halves(kerf)

    def shrunk(b: Box) -> Box:
        return (b[0] + (lo if b[0] > ux0 + _TOL else 0), b[1] + (lo if b[1] > uy0 + _TOL else 0),
                b[2] - (hi if b[2] < ux1 - _TOL else 0),
                b[3] - (hi if b[3] < uy1 - _TOL else 0))  # type: ignore[return-value]

    def best(region: Box) -> tuple[int, list[tuple[Box, str]]]:
        if region in memo:
            return memo[region]
        if len(memo) > budget or len(packer.memo) > max_calls:
            raise _OverBudget
        hit = _hits(region, obs)
        if not hit:
            res = (packer.count(shrunk(region)), [(shrunk(region), "block")])
        elif _covered(region, hit):
            res = (0, [])
        else:
            res = (len(holes(shrunk(region))[0]), [(shrunk(region), "holes")])
            xs = sorted({v for o in hit for v in (o[0], o[2]) if region[0] < v < region[2]})
            ys = sorted({v for o in hit for v in (o[1], o[3]) if region[1] < v < region[3]})
            for c in xs:
                a, b = best((region[0], region[1], c, region[3])), best((c, region[1], region[2],
                                                                         region[3]))
                if a[0] + b[0] > res[0]:
                    res = (a[0] + b[0], a[1] + b[1])
            for c in ys:
                a, b = best((region[0], region[1], region[2], c)), best((region[0], c, region[2],
                                                                         region[3]))
                if a[0] + b[0] > res[0]:
                    res = (a[0] + b[0], a[1] + b[1])
        memo[region] = res
        return res

    try:
        return best(usable)[1]
    except _OverBudget:
        return None


class _OverBudget(Exception):
    pass


def free_area_bound(usable: Box, keepouts: Sequence[tuple[BaseGeometry, float]],
                    shape: CellShape, kerf: float) -> int:
    """Kerf-halo area bound on the free area.

    Cells lie in F = usable minus (keep-out (+) disc(clearance)); grown by kerf/2 they are
    disjoint and inside F (+) disc(kerf/2). Areas are over-estimated (polygonal round buffers are
    inscribed, the outward buffer mitred) and the cell halo area is exact or under-estimated.
    """
    F = shapely.box(*usable)
    cut = [g.buffer(c, quad_segs=32) if c > 1e-9 else g for g, c in keepouts if not g.is_empty]
    cut = [g for g in cut if g.area > 0]
    if cut:
        F = F.difference(shapely.union_all(cut))
    # (GEOS returns an empty buffer for sub-1e-12 distances: treat those as 0)
    grown = F.buffer(kerf / 2, join_style="mitre", mitre_limit=10.0) if kerf > 1e-9 else F
    # float areas: inflated so rounding can only raise the bound, never lower it
    return int(math.floor(grown.area / halo_area(shape, kerf / 2) * (1 + 1e-9) + 1e-9))


def pack_with_keepouts_nm(
    usable: Box,
    keepouts: Sequence[tuple[BaseGeometry, int]],
    pack_block: BlockPacker,
    *,
    shape: CellShape,
    kerf: int = 0,
    strategies: Sequence[str] = STRATEGIES,
    base_upper_bound: int | None = None,
    guillotine_budget: int = 400,
    max_block_calls: int = 80,
    rect_cell: tuple[int, int] | None = None,
) -> KeepoutPacking:
    """Pack the usable box (x0, y0, x1, y1, whole nm) around keep-outs [(geometry in mm,
    clearance in nm)]; placements (cell centres) come back in whole nm.

    `rect_cell=(l, w)` (rectangular cells) works on the kerf-reduced problem instead: a cell is
    its box plus the kerf on its right and top, the usable box grows by the kerf, an obstacle
    [o0, o1] becomes [o0 + k, o1], and blocks need no shrinking (disjoint reduced boxes are
    cells >= kerf apart), so the decomposition and its area bound are exact on the grid; the
    block packer then packs reduced blocks as they are.

    `pack_block(x0, y0, x1, y1) -> (x, y, rotation_deg)` packs one rectangle in nm (see module
    doc); `shape` is the cell outline it places (for the exact keep-out test of the holes
    baseline and the area bound). `base_upper_bound`, a bound for the usable box without
    keep-outs, is also a valid bound here and is used when smaller. The guillotine search is
    skipped (the other strategies remain) when it needs more than `guillotine_budget` regions or
    `max_block_calls` distinct block sizes.
    """
    ux0, uy0, ux1, uy1 = (int(v) for v in usable)
    if not (ux1 > ux0 and uy1 > uy0):
        raise LayoutgenError(f"keep-outs: usable box {usable!r} is empty (need x1 > x0, y1 > y0)")
    kerf = int(kerf)
    if kerf < 0:
        raise LayoutgenError(f"keep-outs: kerf must be >= 0, got {kerf!r}")
    unknown = [s for s in strategies if s not in STRATEGIES]
    if unknown or not strategies:
        raise LayoutgenError(
            f"keep-outs: unknown strategies {unknown!r} (allowed: {', '.join(STRATEGIES)})")
    U: Box = (ux0, uy0, ux1, uy1)
    keepouts = [(g, int(c)) for g, c in keepouts]
    obs = _obstacles(U, keepouts)
    reduced_bound = None
    if rect_cell is not None:
        U = (ux0, uy0, ux1 + kerf, uy1 + kerf)
        obs = [(max(o[0] + kerf, ux0), max(o[1] + kerf, uy0), o[2], o[3])
               for o in _obstacles((ux0 - kerf, uy0 - kerf, *U[2:]), keepouts)]
        obs = [o for o in obs if o[2] > o[0] and o[3] > o[1]]
        reduced_bound = _reduced_area_bound(U, keepouts, kerf, rect_cell)
        kerf_shrink = 0
    else:
        kerf_shrink = kerf
    keepouts_mm = [(g, nm_to_mm(c)) for g, c in keepouts]
    packer = _Packer(pack_block)
    results: list[tuple[str, Placements, list[Box]]] = []
    holes_memo: dict[Box, Placements] = {}

    def holes(b: Box) -> Placements:
        """Pack the box whole, then drop the cells that violate a keep-out (exact test)."""
        if b not in holes_memo:
            x, y, r = packer.placements(b)
            bad = (keepout_mask(shape, x / NM_PER_MM, y / NM_PER_MM, r, keepouts_mm)
                   if keepouts else np.zeros(len(x), bool))
            holes_memo[b] = (x[~bad], y[~bad], r[~bad])
        return holes_memo[b]

    def join(parts: list[Placements]) -> Placements:
        if not parts:
            z = np.zeros(0, np.int64)
            return z, z, np.zeros(0)
        return (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]),
                np.concatenate([p[2] for p in parts]))

    for strat in strategies:
        if strat == "holes":
            results.append((strat, holes(U), [U]))
            continue
        if strat == "guillotine":
            leaves = _guillotine(U, obs, kerf_shrink, packer, holes, guillotine_budget,
                                 max_block_calls)
            if leaves is None:
                continue
            parts = [holes(b) if kind == "holes" else packer.placements(b) for b, kind in leaves]
            results.append((strat, join(parts), sorted(b for b, _ in leaves)))
            continue
        if strat == "bands-h":
            blocks = _bands(U, obs)
        else:
            blocks = [_transpose(b) for b in _bands(_transpose(U), [_transpose(o) for o in obs])]
        blocks = shrink_blocks(sorted(blocks), kerf_shrink)
        results.append((strat, join([packer.placements(b) for b in blocks]), blocks))
    if not results:  # only the guillotine search was asked for and it ran over budget
        results.append(("holes", holes(U), [U]))
    counts = {s: len(p[0]) for s, p, _ in results}
    strat, (x, y, r), blocks = max(results, key=lambda t: len(t[1][0]))
    order = np.lexsort((x, y))
    if reduced_bound is not None:
        bound = reduced_bound
        method = "area bound of the kerf-reduced free area (exact, whole nm)"
    else:
        bound = free_area_bound(tuple(nm_to_mm(v) for v in U), keepouts_mm, shape,  # type: ignore
                                nm_to_mm(kerf))
        method = "kerf-halo area bound on the free area (usable minus keep-outs and clearances)"
    if base_upper_bound is not None and base_upper_bound < bound:
        bound, method = int(base_upper_bound), "bound of the usable area without keep-outs"
    return KeepoutPacking(x[order], y[order], r[order], strat, tuple(blocks), bound, method,
                          counts)


def _union_area(boxes: list[Box]) -> int:
    """Exact area of a union of integer boxes (coordinate compression)."""
    xs = sorted({v for b in boxes for v in (b[0], b[2])})
    total = 0
    for xa, xb in zip(xs[:-1], xs[1:], strict=True):
        spans = sorted((b[1], b[3]) for b in boxes if b[0] <= xa and b[2] >= xb)
        covered, top = 0, None
        for y0, y1 in spans:
            if top is None or y0 > top:
                covered += y1 - y0
                top = y1
            elif y1 > top:
                covered += y1 - top
                top = y1
        total += covered * (xb - xa)
    return total


def _reduced_area_bound(U: Box, keepouts: Sequence[tuple[BaseGeometry, int]], kerf: int,
                        cell: tuple[int, int]) -> int:
    """Area bound on the kerf-reduced problem: reduced cell boxes ((l + k) x (w + k)) are
    disjoint, inside the grown usable box and off the reduced forbidden region. Only parts of
    the true forbidden set are subtracted (a rectangular keep-out grown by its clearance along
    x and along y, never its rounded corners), so the bound holds for the real problem."""
    cl, cw = cell
    forbidden: list[Box] = []
    for geom, c in keepouts:
        if geom.is_empty or not geom.equals(geom.envelope) or geom.area <= 0:
            continue  # only rectangular keep-outs are counted (a subset: still a valid bound)
        bx0, by0, bx1, by1 = geom.bounds
        x0, y0, x1, y1 = _ceil_nm(bx0), _ceil_nm(by0), _floor_nm(bx1), _floor_nm(by1)
        for r in ((x0 - c, y0, x1 + c, y1), (x0, y0 - c, x1, y1 + c)):
            rx0, ry0 = max(r[0] + kerf, U[0]), max(r[1] + kerf, U[1])
            rx1, ry1 = min(r[2], U[2]), min(r[3], U[3])
            if rx1 > rx0 and ry1 > ry0:
                forbidden.append((rx0, ry0, rx1, ry1))
    free = (U[2] - U[0]) * (U[3] - U[1]) - (_union_area(forbidden) if forbidden else 0)
    return free // ((cl + kerf) * (cw + kerf))


def pack_with_keepouts(
    usable: tuple[float, float, float, float],
    keepouts: Sequence[tuple[BaseGeometry, float]],
    pack_block: Callable[[float, float, float, float], Placements],
    *,
    shape: CellShape,
    kerf: float = 0.0,
    **kwargs: object,
) -> KeepoutPacking:
    """`pack_with_keepouts_nm` in millimetres: usable box, clearances, kerf and the block
    packer's coordinates in mm (converted exactly to and from whole nm)."""
    try:
        x0, y0, x1, y1 = (mm_to_nm(float(v)) for v in usable)
        box = (x0, y0, x1, y1)
    except (TypeError, ValueError) as exc:
        raise LayoutgenError("keep-outs: usable must be a box (x0, y0, x1, y1) in mm") from exc
    kerf = float(kerf)
    if not (math.isfinite(kerf) and kerf >= 0):
        raise LayoutgenError(f"keep-outs: kerf must be a number >= 0 mm, got {kerf!r}")
    kos = []
    for i, item in enumerate(keepouts):
        geom, c = keepout_pair(i, item)
        kos.append((geom, mm_to_nm(c)))

    def pack_nm(x0: int, y0: int, x1: int, y1: int) -> Placements:
        x, y, r = pack_block(nm_to_mm(x0), nm_to_mm(y0), nm_to_mm(x1), nm_to_mm(y1))
        return (np.rint(np.asarray(x, float) * NM_PER_MM).astype(np.int64),
                np.rint(np.asarray(y, float) * NM_PER_MM).astype(np.int64), r)

    res = pack_with_keepouts_nm(box, kos, pack_nm, shape=shape, kerf=mm_to_nm(kerf),
                                **kwargs)  # type: ignore[arg-type]
    return KeepoutPacking(res.x / NM_PER_MM, res.y / NM_PER_MM, res.rotation_deg, res.strategy,
                          tuple(tuple(nm_to_mm(v) for v in b) for b in res.blocks),  # type: ignore
                          res.upper_bound, res.bound_method, res.counts)


# --- block packers for the three cell families (whole nm) ------------------------------------

def _empty() -> Placements:
    z = np.zeros(0, np.int64)
    return z, z, np.zeros(0)


def circle_block_packer_nm(d: int, kerf: int) -> BlockPacker:
    """Block packer for circles of diameter d nm (best of the circle strategies per block)."""

    def pack(x0: int, y0: int, x1: int, y1: int) -> Placements:
        if x1 - x0 < d or y1 - y0 < d:
            return _empty()
        x, y, *_ = pack_circles_nm(x1 - x0, y1 - y0, d, kerf)
        return np.asarray(x, np.int64) + x0, np.asarray(y, np.int64) + y0, np.zeros(len(x))

    return pack


def polygon_block_packer_nm(shape: CellShape, kerf: int,
                            rotations: Sequence[float] = (0, 90, 180, 270),
                            outline_nm: np.ndarray | None = None) -> BlockPacker:
    """Block packer for polygon cells via `pack_polygons_nm` (packing `outline_nm`, an outline
    containing the cell's, when given)."""

    def pack(x0: int, y0: int, x1: int, y1: int) -> Placements:
        if x1 - x0 <= 0 or y1 - y0 <= 0:
            return _empty()
        x, y, r, *_ = pack_polygons_nm(shape, x1 - x0, y1 - y0, kerf, tuple(rotations),
                                       outline_nm=outline_nm, max_cells=None)
        return np.asarray(x, np.int64) + x0, np.asarray(y, np.int64) + y0, np.asarray(r, float)

    return pack


def rect_block_packer_nm(length: int, width: int, kerf: int, *, cut: str = "free",
                         rotation: str = "any", time_limit_s: float = 2.0) -> BlockPacker:
    """Block packer for length x width nm rectangles via `rect_packing.pack_int`.

    Kerf reduction: a B_w x B_h block holds the cells exactly when (B_w + k) x (B_h + k) holds
    (l + k) x (w + k) items without kerf. Rotation 0 puts `length` along x, 90 along y.
    """
    reduced = rect_reduced_packer_nm(length, width, kerf, cut=cut, rotation=rotation,
                                     time_limit_s=time_limit_s)

    def pack(x0: int, y0: int, x1: int, y1: int) -> Placements:
        return reduced(x0, y0, x1 + kerf, y1 + kerf)

    return pack


def rect_reduced_packer_nm(length: int, width: int, kerf: int, *, cut: str = "free",
                           rotation: str = "any", time_limit_s: float = 2.0) -> BlockPacker:
    """Block packer for kerf-reduced blocks (see `pack_with_keepouts_nm(rect_cell=...)`): the
    block is packed with (l + k) x (w + k) boxes as it is; each cell sits at its box's corner."""

    def pack(x0: int, y0: int, x1: int, y1: int) -> Placements:
        bw, bh = x1 - x0, y1 - y0
        if bw < min(length, width) + kerf or bh < min(length, width) + kerf:
            return _empty()
        res = pack_int(bw, bh, length + kerf, width + kerf, cut=cut, rotation=rotation,
                       time_limit_s=time_limit_s)
        rects = np.asarray(res.rects, np.int64).reshape(-1, 4)
        cx = x0 + rects[:, 0] + (rects[:, 2] - kerf) // 2
        cy = y0 + rects[:, 1] + (rects[:, 3] - kerf) // 2
        rot = np.where(rects[:, 2] == length + kerf, 0.0, 90.0)
        if length == width:
            rot = np.zeros(len(cx))
        return cx, cy, rot

    return pack


def _in_mm(packer_nm: BlockPacker) -> Callable[[float, float, float, float], Placements]:
    def pack(x0: float, y0: float, x1: float, y1: float) -> Placements:
        x, y, r = packer_nm(mm_to_nm(x0), mm_to_nm(y0), mm_to_nm(x1), mm_to_nm(y1))
        return x / NM_PER_MM, y / NM_PER_MM, r

    return pack


def circle_block_packer(d: float, kerf: float) -> Callable[[float, float, float, float],
                                                             Placements]:
    """`circle_block_packer_nm` in mm."""
    return _in_mm(circle_block_packer_nm(mm_to_nm(d), mm_to_nm(kerf)))


def polygon_block_packer(shape: CellShape, kerf: float,
                         rotations: Sequence[float] = (0, 90, 180, 270)
                         ) -> Callable[[float, float, float, float], Placements]:
    """`polygon_block_packer_nm` in mm."""
    return _in_mm(polygon_block_packer_nm(shape, mm_to_nm(kerf), rotations))


def rect_block_packer(length: float, width: float, kerf: float, *, cut: str = "free",
                      rotation: str = "any", time_limit_s: float = 2.0
                      ) -> Callable[[float, float, float, float], Placements]:
    """`rect_block_packer_nm` in mm."""
    return _in_mm(rect_block_packer_nm(mm_to_nm(length), mm_to_nm(width), mm_to_nm(kerf),
                                       cut=cut, rotation=rotation, time_limit_s=time_limit_s))
