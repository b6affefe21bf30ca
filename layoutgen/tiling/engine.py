"""The tiling front end: sheet rules + cell outline -> placements, strategy and upper bound.

Dispatches by outline: rectangles and rounded rectangles (by their box) go to the identical-
rectangle packer on the reduced problem (L' = L - 2e + k, l' = l + k), circles to the lattice /
small-count circle packer, polygons to the (double-)lattice packer; keep-outs to the block
decomposition that packs the free area around them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely

from layoutgen.deck import Deck
from layoutgen.errors import LayoutgenError
from layoutgen.shapes import CellShape, area, describe
from layoutgen.tiling.result import Tiling


@dataclass(frozen=True)
class KeepoutRegion:
    """A keep-out in sheet coordinates; cells stay `clearance` mm away from it."""

    geometry: shapely.Geometry
    clearance: float
    name: str = "keepout"


@dataclass(frozen=True)
class SheetSpec:
    """Everything tiling needs about the sheet, in mm."""

    width: float
    length: float
    edge_x: float
    edge_y: float
    kerf: float
    rotation: str = "any"
    cut: str = "free"
    keepouts: tuple[KeepoutRegion, ...] = field(default_factory=tuple)
    max_cells: int = 50_000_000

    @property
    def usable_box(self) -> tuple[float, float, float, float]:
        return (self.edge_x, self.edge_y, self.width - self.edge_x, self.length - self.edge_y)

    @property
    def usable_size(self) -> tuple[float, float]:
        x0, y0, x1, y1 = self.usable_box
        return x1 - x0, y1 - y0


def keepout_geometry(k) -> shapely.Geometry:  # noqa: ANN001
    """The shapely geometry of a deck keep-out (rectangle or WKT polygon)."""
    if k.wkt:
        try:
            g = shapely.from_wkt(k.wkt)
        except shapely.errors.GEOSException as exc:
            raise LayoutgenError(f"tiling.keepouts {k.name}: cannot read WKT "
                                 f"({str(exc).splitlines()[0]})") from None
        if g is None or g.geom_type not in ("Polygon", "MultiPolygon") or not g.is_valid:
            raise LayoutgenError(f"tiling.keepouts {k.name}: the WKT must be a valid polygon")
        return g
    return shapely.box(k.x_mm, k.y_mm, k.x_mm + k.w_mm, k.y_mm + k.h_mm)


def sheet_spec_from_deck(deck: Deck) -> SheetSpec:
    """The SheetSpec the deck describes (CLI flags arrive as deck overrides)."""
    sh, t = deck.sheet, deck.tiling
    spec = SheetSpec(
        width=sh.width_mm, length=sh.length_mm, edge_x=sh.edge_x_mm, edge_y=sh.edge_y_mm,
        kerf=t.kerf_um / 1000, rotation=t.rotation, cut=t.cut,
        keepouts=tuple(KeepoutRegion(keepout_geometry(k), k.clearance_mm, k.name)
                       for k in t.keepouts),
        max_cells=t.max_cells,
    )
    check_sheet(spec)
    return spec


def check_sheet(spec: SheetSpec) -> None:
    """Reject sheets with no usable area and keep-outs outside the sheet."""
    uw, uh = spec.usable_size
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


def _check_fits(shape: CellShape, spec: SheetSpec) -> None:
    uw, uh = spec.usable_size
    best_short = None
    for rot in orientations(shape, spec.rotation):
        w, h = (shape.width, shape.height) if rot % 180 == 0 else (shape.height, shape.width)
        short = (max(0.0, w - uw), max(0.0, h - uh))
        if short == (0.0, 0.0):
            return
        if best_short is None or sum(short) < sum(best_short[0]):
            best_short = (short, w, h)
    (sx, sy), w, h = best_short
    parts = [f"{sx:.4g} mm short in x" if sx > 0 else "", f"{sy:.4g} mm short in y" if sy > 0
             else ""]
    raise LayoutgenError(
        f"--cell {shape.width:g} x {shape.height:g} mm does not fit the usable area "
        f"{uw:g} x {uh:g} mm ({', '.join(p for p in parts if p)}; rotation {spec.rotation})")


def estimate_count(shape: CellShape, spec: SheetSpec) -> int:
    """Cells the usable area could hold at most by area (with the kerf halo)."""
    uw, uh = spec.usable_size
    k = spec.kerf
    return int((uw + k) * (uh + k) // ((shape.width + k) * (shape.height + k)))


def tile(shape: CellShape, spec: SheetSpec, *, force: bool = False) -> Tiling:
    """Place the most cells of `shape` on the sheet; placements sorted in rows along y."""
    check_sheet(spec)
    _check_fits(shape, spec)
    est = estimate_count(shape, spec)
    if est > spec.max_cells and not force:
        raise LayoutgenError(
            f"about {est:,} cells requested, over the limit of {spec.max_cells:,} "
            "(tiling.max_cells); pass --force to go ahead")
    if spec.keepouts:
        from layoutgen.tiling.keepout_front import tile_with_keepouts

        x, y, rot, strategy, ub, method = tile_with_keepouts(shape, spec)
    elif shape.kind in ("rect", "rounded"):
        x, y, rot, strategy, ub, method = _tile_rects(shape, spec, spec.usable_box)
    elif shape.kind == "circle":
        x, y, rot, strategy, ub, method = _tile_circles(shape, spec)
    else:
        x, y, rot, strategy, ub, method = _tile_polygons(shape, spec)
    return make_tiling(x, y, rot, strategy, ub, method, shape, spec)


def _tile_rects(shape: CellShape, spec: SheetSpec, box: tuple[float, float, float, float]
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, str, int, str]:
    from layoutgen.tiling.rect_packing import pack_rectangles

    k = spec.kerf
    x0, y0, x1, y1 = box
    a, b = shape.width + k, shape.height + k
    res = pack_rectangles(x1 - x0 + k, y1 - y0 + k, a, b, cut=spec.cut, rotation=spec.rotation)
    r = np.asarray(res.rects, dtype=float).reshape(-1, 4)
    if shape.width == shape.height:
        rot = np.zeros(len(r))
    else:
        rot = np.where(np.abs(r[:, 2] - a) <= 1e-9 * max(1.0, a), 0.0, 90.0)
    x = x0 + r[:, 0] + (r[:, 2] - k) / 2
    y = y0 + r[:, 1] + (r[:, 3] - k) / 2
    return x, y, rot, res.strategy, int(res.upper_bound), res.bound_method


def _tile_circles(shape: CellShape, spec: SheetSpec
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, str, int, str]:
    from layoutgen.tiling.circles import pack_circles

    x, y, strategy, ub, method = pack_circles(spec.width, spec.length, shape.width,
                                              kerf=spec.kerf, edge_x=spec.edge_x,
                                              edge_y=spec.edge_y)
    return np.asarray(x, float), np.asarray(y, float), np.zeros(len(x)), strategy, ub, method


def _tile_polygons(shape: CellShape, spec: SheetSpec
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, str, int, str]:
    from layoutgen.tiling.polygons import pack_polygons

    uw, uh = spec.usable_size
    rots = tuple(orientations(shape, spec.rotation))
    x, y, rot, strategy, ub, method = pack_polygons(shape, uw, uh, kerf=spec.kerf,
                                                    rotations=rots)
    return (np.asarray(x, float) + spec.edge_x, np.asarray(y, float) + spec.edge_y,
            np.asarray(rot, float), strategy, ub, method)


def make_tiling(x: np.ndarray, y: np.ndarray, rot: np.ndarray, strategy: str, upper_bound: int,
                bound_method: str, shape: CellShape, spec: SheetSpec) -> Tiling:
    """Sort placements into rows along y (then x) and number rows and columns."""
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    rot = np.asarray(rot, float) % 360
    yr = np.round(y, 6)
    order = np.lexsort((np.round(x, 6), yr))
    x, y, rot, yr = x[order], y[order], rot[order], yr[order]
    if len(x):
        _, row = np.unique(yr, return_inverse=True)
        starts = np.flatnonzero(np.r_[True, row[1:] != row[:-1]])
        counts = np.diff(np.r_[starts, len(row)])
        col = np.arange(len(row)) - np.repeat(starts, counts)
    else:
        row = np.zeros(0, int)
        col = np.zeros(0, int)
    if len(x) > int(upper_bound):  # a bound below a found packing is a bug, never a result
        raise AssertionError(f"{strategy}: {len(x)} cells beat the '{bound_method}' bound "
                             f"{upper_bound}")
    uw, uh = spec.usable_size
    free = uw * uh - sum(k.geometry.intersection(shapely.box(*spec.usable_box)).area
                         for k in spec.keepouts)
    return Tiling(
        x=x, y=y, rotation_deg=rot, row=row.astype(np.int64), col=col.astype(np.int64),
        strategy=strategy, upper_bound=int(upper_bound), bound_method=bound_method,
        sheet_mm=(spec.width, spec.length), usable_area_mm2=float(free),
        cell_area_mm2=area(shape),
        extras={"usable_box": spec.usable_box, "kerf_mm": spec.kerf, "cut": spec.cut,
                "rotation": spec.rotation, "cell": describe(shape)},
    )


def verify_tiling(tiling: Tiling, shape: CellShape, spec: SheetSpec):  # noqa: ANN201
    """Run the independent check (shapely, not the packers' arithmetic) on a tiling."""
    from layoutgen.tiling.verify import verify_placements

    usable = shapely.box(*spec.usable_box)
    return verify_placements(
        shape, tiling.x, tiling.y, tiling.rotation_deg, usable=usable, kerf=spec.kerf,
        keepouts=[(k.geometry, k.clearance) for k in spec.keepouts])

