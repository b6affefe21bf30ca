"""The tiling front end: sheet rules + cell outline -> placements, strategy and upper bound.

Dispatches by outline: rectangles and rounded rectangles (by their box) go to the identical-
rectangle packer on the reduced problem (L' = L - 2e + k, l' = l + k), circles to the lattice /
small-count circle packer, polygons to the (double-)lattice packer; keep-outs to the block
decomposition that packs the free area around them.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np
import shapely

from layoutgen.deck import Deck, usable_box_nm
from layoutgen.errors import LayoutgenError
from layoutgen.fileio import LIFT_LIMITS
from layoutgen.shapes import CellShape, area, describe
from layoutgen.tiling import keepouts as ko
from layoutgen.tiling.circles import pack_circles_nm
from layoutgen.tiling.polygons import nfp_pieces, pack_polygons_nm, simplified_outline
from layoutgen.tiling.rect.packing import pack_int
from layoutgen.tiling.result import Tiling
from layoutgen.tiling.verify import verify_placements
from layoutgen.units import NM_PER_MM, nm_to_mm, to_nm


@dataclass(frozen=True)
class KeepoutRegion:
    """A keep-out in sheet coordinates (mm); cells stay `clearance_nm` away from it."""

    geometry: shapely.Geometry
    clearance_nm: int
    name: str = "keepout"

    @property
    def clearance(self) -> float:
        return nm_to_mm(self.clearance_nm)


@dataclass(frozen=True)
class SheetSpec:
    """Everything tiling needs about the sheet, as whole nanometres (exact)."""

    width_nm: int
    length_nm: int
    edge_x_nm: int
    edge_y_nm: int
    kerf_nm: int
    rotation: str = "any"
    cut: str = "free"
    keepouts: tuple[KeepoutRegion, ...] = field(default_factory=tuple)
    max_cells: int = 10_000_000
    max_polygon_vertices: int = 1000
    max_nfp_pieces: int = 20_000
    chord_tolerance_nm: int = 1000

    @property
    def usable_box_nm(self) -> tuple[int, int, int, int]:
        return usable_box_nm(self.width_nm, self.length_nm, self.edge_x_nm, self.edge_y_nm)

    @property
    def usable_size_nm(self) -> tuple[int, int]:
        return (self.width_nm - 2 * self.edge_x_nm, self.length_nm - 2 * self.edge_y_nm)

    # millimetre views (floats carrying the exact nm counts) for display and float kernels
    @property
    def width(self) -> float:
        return nm_to_mm(self.width_nm)

    @property
    def length(self) -> float:
        return nm_to_mm(self.length_nm)

    @property
    def edge_x(self) -> float:
        return nm_to_mm(self.edge_x_nm)

    @property
    def edge_y(self) -> float:
        return nm_to_mm(self.edge_y_nm)

    @property
    def kerf(self) -> float:
        return nm_to_mm(self.kerf_nm)

    @property
    def usable_box(self) -> tuple[float, float, float, float]:
        return tuple(nm_to_mm(v) for v in self.usable_box_nm)  # type: ignore[return-value]

    @property
    def usable_size(self) -> tuple[float, float]:
        uw, uh = self.usable_size_nm
        return nm_to_mm(uw), nm_to_mm(uh)


def sheet_spec_from_deck(deck: Deck) -> SheetSpec:
    """The SheetSpec the deck describes (CLI flags arrive as deck overrides)."""
    sh, t = deck.sheet, deck.tiling
    spec = SheetSpec(
        width_nm=to_nm(sh.width_mm, "mm", "sheet.width_mm"),
        length_nm=to_nm(sh.length_mm, "mm", "sheet.length_mm"),
        edge_x_nm=to_nm(sh.edge_x_mm, "mm", "sheet.edge_x_mm"),
        edge_y_nm=to_nm(sh.edge_y_mm, "mm", "sheet.edge_y_mm"),
        kerf_nm=to_nm(t.kerf_um, "um", "tiling.kerf_um"), rotation=t.rotation, cut=t.cut,
        keepouts=tuple(KeepoutRegion(k.geometry(),
                                     to_nm(k.clearance_mm, "mm", f"tiling.keepouts {k.name}"),
                                     k.name)
                       for k in t.keepouts),
        max_cells=t.max_cells, max_polygon_vertices=t.max_polygon_vertices,
        max_nfp_pieces=t.max_nfp_pieces,
        chord_tolerance_nm=to_nm(deck.layout.chord_tolerance_um, "um", "layout.chord_tolerance_um"),
    )
    check_sheet(spec)
    return spec


def check_sheet(spec: SheetSpec) -> None:
    """Reject sheets with no usable area and keep-outs outside the sheet."""
    uw, uh = spec.usable_size_nm
    if uw <= 0 or uh <= 0:
        raise LayoutgenError(
            f"--edge: edge exclusion {spec.edge_x:g}/{spec.edge_y:g} mm leaves no usable area on "
            f"a {spec.width:g} x {spec.length:g} mm sheet")
    sheet = shapely.box(0, 0, spec.width, spec.length)
    for k in spec.keepouts:
        if not sheet.buffer(1e-9).contains(k.geometry):
            b = k.geometry.bounds
            raise LayoutgenError(
                f"--keepout {k.name} ({b[0]:g},{b[1]:g})-({b[2]:g},{b[3]:g}) lies outside the "
                f"{spec.width:g} x {spec.length:g} mm sheet (keep-outs must be inside it)")


def orientations(shape: CellShape, rotation: str) -> list[float]:
    if shape.kind == "circle":
        return [0.0]
    if rotation == "0":
        return [0.0]
    if rotation == "90":
        return [90.0]
    if shape.kind == "polygon":
        return [0.0, 90.0, 180.0, 270.0]
    return [0.0, 90.0]


def rotated_box_nm(shape: CellShape, rot: float) -> tuple[int, int]:
    """The cell's bounding box (w, h) in nm at a rotation that is a multiple of 90 degrees."""
    w, h = shape.width_nm, shape.height_nm
    return (w, h) if rot % 180 == 0 else (h, w)


def _check_fits(shape: CellShape, spec: SheetSpec) -> None:
    uw, uh = spec.usable_size_nm
    best: tuple[int, int] | None = None
    for rot in orientations(shape, spec.rotation):
        w, h = rotated_box_nm(shape, rot)
        short = (max(0, w - uw), max(0, h - uh))
        if short == (0, 0):
            return
        if best is None or sum(short) < sum(best):
            best = short
    assert best is not None
    sx, sy = best
    parts = [f"{nm_to_mm(sx):g} mm short in x" if sx > 0 else "",
             f"{nm_to_mm(sy):g} mm short in y" if sy > 0 else ""]
    uwm, uhm = spec.usable_size
    raise LayoutgenError(
        f"--cell {shape.width:g} x {shape.height:g} mm does not fit the usable area "
        f"{uwm:g} x {uhm:g} mm ({', '.join(p for p in parts if p)}; rotation {spec.rotation})")


def estimate_count(shape: CellShape, spec: SheetSpec) -> int:
    """Cells the usable area could hold at most, from the sizes alone (no array allocated):
    rectangles by their box, circles at the hexagonal density, polygons by their area."""
    uw, uh = spec.usable_size_nm
    k = spec.kerf_nm
    box = (uw + k) * (uh + k)
    if shape.kind == "circle":
        return math.ceil(box / (math.sqrt(3) / 2 * float(shape.width_nm + k) ** 2))
    if shape.kind == "polygon":
        return math.ceil(box / (area(shape) * float(NM_PER_MM) ** 2))
    return box // ((shape.width_nm + k) * (shape.height_nm + k))


def _cell_name(shape: CellShape) -> str:
    return shape.source or f"cell {describe(shape)}"


def polygon_outline(shape: CellShape, spec: SheetSpec, force: bool = False
                    ) -> tuple[np.ndarray | None, str]:
    """The outline the polygon packer works on, estimated before any work: (vertices or None
    for the outline itself, note). An outline over tiling.max_polygon_vertices or whose no-fit
    polygons take over tiling.max_nfp_pieces convex-piece pairs is simplified outward within
    layout.chord_tolerance_um (the result contains it, so cells still never come closer than
    the kerf); if it is still over, it is refused unless `force`."""

    v = shape.vertices_nm
    n, pieces = len(v), nfp_pieces(v)
    if n <= spec.max_polygon_vertices and pieces <= spec.max_nfp_pieces:
        return None, ""
    tol = spec.chord_tolerance_nm
    simple = simplified_outline(v, tol)
    s = None if simple is None else simple[0]
    if simple is not None:
        ns, ps = len(simple[0]), nfp_pieces(simple[0])
        if force or (ns <= spec.max_polygon_vertices and ps <= spec.max_nfp_pieces):
            return simple[0], (f"outline simplified outward from {n:,} to {ns:,} vertices "
                               f"within {simple[1] / 1000:g} um (contains the outline)")
    if force:
        return None, ""
    ns, ps = (n, pieces) if s is None else (len(s), nfp_pieces(s))
    after = (f" (no simpler outline contains it within layout.chord_tolerance_um = "
             f"{tol / 1000:g} um)" if s is None else
             f" ({ns:,} vertices, {ps:,} pieces after simplifying within "
             f"layout.chord_tolerance_um = {tol / 1000:g} um)")
    if ns > spec.max_polygon_vertices:
        raise LayoutgenError(
            f"{_cell_name(shape)}: {n:,} vertices{after}, over tiling.max_polygon_vertices = "
            f"{spec.max_polygon_vertices:,}; simplify the outline or pass --force")
    raise LayoutgenError(
        f"{_cell_name(shape)}: a {n:,}-vertex non-convex outline takes about {pieces:,} no-fit "
        f"polygon pieces{after}, over tiling.max_nfp_pieces = {spec.max_nfp_pieces:,}; "
        "simplify the outline or pass --force")


def tile(shape: CellShape, spec: SheetSpec, *, force: bool = False) -> Tiling:
    """Place the most cells of `shape` on the sheet; placements sorted in rows along y.

    The work is estimated first (cells, polygon vertices, no-fit pieces) and refused over the
    deck's limits unless `force` (or --force, `fileio.LIFT_LIMITS`)."""

    force = force or LIFT_LIMITS.get()
    check_sheet(spec)
    _check_fits(shape, spec)
    est = estimate_count(shape, spec)
    if est > spec.max_cells and not force:
        raise LayoutgenError(
            f"{_cell_name(shape)}: about {est:,} cells on the {spec.width:g} x {spec.length:g} "
            f"mm sheet, over tiling.max_cells = {spec.max_cells:,}; pass --force to go ahead")
    outline, note = (polygon_outline(shape, spec, force)
                     if shape.kind == "polygon" and not _is_axis_rectangle(shape)
                     else (None, ""))
    if spec.keepouts:
        x, y, rot, strategy, ub, method = _tile_with_keepouts(shape, spec, force)
    elif shape.kind in ("rect", "rounded"):
        x, y, rot, strategy, ub, method = _tile_rects(shape, spec, spec.usable_box_nm)
    elif shape.kind == "circle":
        x, y, rot, strategy, ub, method = _tile_circles(shape, spec)
    elif _is_axis_rectangle(shape):
        x, y, rot, strategy, ub, method = _tile_rect_polygon(shape, spec)
    else:
        x, y, rot, strategy, ub, method = _tile_polygons(shape, spec, outline,
                                                         None if force else spec.max_cells)
    if note:
        strategy = f"{strategy}; {note}"
    return make_tiling(x, y, rot, strategy, ub, method, shape, spec)


Placed = tuple[np.ndarray, np.ndarray, np.ndarray, str, int, str]  # x_nm, y_nm, rot, ...


def _tile_with_keepouts(shape: CellShape, spec: SheetSpec, force: bool) -> Placed:
    """A sheet with keep-outs: the block packer for the cell family packs the free area around
    them; the free sheet's bound caps the decomposition's."""
    k = spec.kerf_nm
    rect_cell = None
    packer: ko.BlockPacker
    if shape.kind in ("rect", "rounded"):
        rect_cell = (shape.width_nm, shape.height_nm)
        packer = ko.rect_reduced_packer_nm(shape.width_nm, shape.height_nm, k, cut=spec.cut,
                                           rotation=spec.rotation)
    elif shape.kind == "circle":
        packer = ko.circle_block_packer_nm(shape.width_nm, k)
    else:
        outline, _ = polygon_outline(shape, spec, force)
        packer = ko.polygon_block_packer_nm(shape, k, orientations(shape, spec.rotation), outline)
    free = tile(shape, dataclasses.replace(spec, keepouts=()), force=force)
    res = ko.pack_with_keepouts_nm(
        spec.usable_box_nm, [(z.geometry, z.clearance_nm) for z in spec.keepouts], packer,
        shape=shape, kerf=k, base_upper_bound=free.upper_bound, rect_cell=rect_cell)
    return (np.asarray(res.x, np.int64), np.asarray(res.y, np.int64),
            np.asarray(res.rotation_deg, float), f"keep-outs/{res.strategy}",
            int(res.upper_bound), res.bound_method)


def _tile_rects(shape: CellShape, spec: SheetSpec, box: tuple[int, int, int, int]) -> Placed:
    """Rectangles by their box on the reduced problem (L' = L + k, l' = l + k), in nm."""

    k = spec.kerf_nm
    x0, y0, x1, y1 = box
    a, b = shape.width_nm + k, shape.height_nm + k
    res = pack_int(x1 - x0 + k, y1 - y0 + k, a, b, cut=spec.cut, rotation=spec.rotation)
    r = np.asarray(res.rects, dtype=np.int64).reshape(-1, 4)
    rot = np.zeros(len(r)) if a == b else np.where(r[:, 2] == a, 0.0, 90.0)
    x = x0 + r[:, 0] + (r[:, 2] - k) // 2  # cell sizes are even nm: the centre is exact
    y = y0 + r[:, 1] + (r[:, 3] - k) // 2
    return x, y, rot, res.strategy, int(res.upper_bound), res.bound_method


def _is_axis_rectangle(shape: CellShape) -> bool:
    """A polygon cell that is an axis-parallel rectangle (4 corners on its box)."""
    v = shape.vertices_nm
    if len(v) != 4:
        return False
    xs, ys = set(v[:, 0].tolist()), set(v[:, 1].tolist())
    return len(xs) == 2 and len(ys) == 2


def _tile_rect_polygon(shape: CellShape, spec: SheetSpec) -> Placed:
    """A rectangle given as a polygon goes through the rectangle engine (same count, same
    bound); each cell's origin is its box corner minus the rotated outline's lower-left."""
    v = shape.vertices_nm
    x, y, rot, strategy, ub, method = _tile_rects(shape, spec, spec.usable_box_nm)
    w, h = shape.width_nm, shape.height_nm
    turned = rot == 90.0
    # box lower-left from the rect engine's centre convention (corner + size // 2)
    llx = x - np.where(turned, h // 2, w // 2)
    lly = y - np.where(turned, w // 2, h // 2)
    # outline lower-left relative to the origin: (min x, min y) at 0, (-max y, min x) at 90
    ox = np.where(turned, -v[:, 1].max(), v[:, 0].min())
    oy = np.where(turned, v[:, 0].min(), v[:, 1].min())
    return llx - ox, lly - oy, rot, strategy, ub, method


def _tile_circles(shape: CellShape, spec: SheetSpec) -> Placed:

    uw, uh = spec.usable_size_nm
    x, y, strategy, ub, method = pack_circles_nm(uw, uh, shape.width_nm, spec.kerf_nm)
    x = np.asarray(x, np.int64) + spec.edge_x_nm
    y = np.asarray(y, np.int64) + spec.edge_y_nm
    return x, y, np.zeros(len(x)), strategy, int(ub), method


def _tile_polygons(shape: CellShape, spec: SheetSpec, outline: np.ndarray | None = None,
                   max_cells: int | None = None) -> Placed:

    uw, uh = spec.usable_size_nm
    rots = tuple(orientations(shape, spec.rotation))
    x, y, rot, strategy, ub, method = pack_polygons_nm(shape, uw, uh, spec.kerf_nm, rots,
                                                       outline_nm=outline, max_cells=max_cells)
    return (np.asarray(x, np.int64) + spec.edge_x_nm, np.asarray(y, np.int64) + spec.edge_y_nm,
            np.asarray(rot, float), strategy, int(ub), method)


def make_tiling(x_nm: np.ndarray, y_nm: np.ndarray, rot: np.ndarray, strategy: str,
                upper_bound: int, bound_method: str, shape: CellShape, spec: SheetSpec
                ) -> Tiling:
    """Sort placements (centres in whole nm) into rows along y (then x), number rows, columns."""
    xi = np.asarray(x_nm, dtype=np.int64).reshape(-1)
    yi = np.asarray(y_nm, dtype=np.int64).reshape(-1)
    rot = np.asarray(rot, float).reshape(-1) % 360
    order = np.lexsort((xi, yi))
    xi, yi, rot = xi[order], yi[order], rot[order]
    if len(xi):
        _, row = np.unique(yi, return_inverse=True)
        starts = np.flatnonzero(np.r_[True, row[1:] != row[:-1]])
        counts = np.diff(np.r_[starts, len(row)])
        col = np.arange(len(row)) - np.repeat(starts, counts)
    else:
        row = np.zeros(0, int)
        col = np.zeros(0, int)
    if len(xi) > int(upper_bound):  # a bound below a found packing is a bug, never a result
        raise AssertionError(f"{strategy}: {len(xi)} cells beat the '{bound_method}' bound "
                             f"{upper_bound}")
    uw, uh = spec.usable_size
    free = uw * uh - sum(k.geometry.intersection(shapely.box(*spec.usable_box)).area
                         for k in spec.keepouts)
    return Tiling(
        x=xi / NM_PER_MM, y=yi / NM_PER_MM, rotation_deg=rot, row=row.astype(np.int64),
        col=col.astype(np.int64),
        strategy=strategy, upper_bound=int(upper_bound), bound_method=bound_method,
        sheet_mm=(spec.width, spec.length), usable_area_mm2=float(free),
        cell_area_mm2=area(shape),
        usable_box_mm=tuple(spec.usable_box), kerf_mm=spec.kerf, cut=spec.cut,
        rotation=spec.rotation, cell=describe(shape),
    )


def verify_tiling(tiling: Tiling, shape: CellShape, spec: SheetSpec):  # noqa: ANN201
    """Run the independent check (shapely, not the packers' arithmetic) on a tiling."""

    usable = shapely.box(*spec.usable_box)
    return verify_placements(
        shape, tiling.x, tiling.y, tiling.rotation_deg, usable=usable, kerf=spec.kerf,
        keepouts=[(k.geometry, k.clearance) for k in spec.keepouts])

