"""The process layers of one cell, from its singulation outline and the deck.

One `CellPattern` per orientation used on the sheet. Every layer is a shapely geometry in mm,
centred on the cell centre and already rotated. The GDS writer, the DRC and the laser toolpaths
all take their geometry from here, and the CATHODE area is exactly what sizing counts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import shapely

from layoutgen import cellgeom
from layoutgen.deck import Deck
from layoutgen.errors import LayoutgenError
from layoutgen.fileio import LIFT_LIMITS
from layoutgen.shapes import (
    CellShape,
    _arc_step,
    curve_radius,
    describe,
    outline_vertices,
    transform_vertices,
)
from layoutgen.technology import CELL_LAYER_NAMES


def pass_count(width: float, spot: float, overlap: float) -> int:
    """Parallel passes of a spot (overlapping by `overlap`) that scribe a band `width` wide
    (the same count `scribe_passes` lays down; a fill of a bar 2 x width wide takes as many)."""
    if width <= spot + 1e-9:
        return 1
    return int(math.ceil((width - spot) / (spot * (1 - overlap)) - 1e-9)) + 1


@dataclass(frozen=True)
class CellPattern:
    """One master cell: process layers (shapely, cell-centred, rotated) and the probe pad."""

    rotation_deg: float
    outline: CellShape
    layers: dict[str, shapely.Polygon]
    pad_center: tuple[float, float]

    @property
    def name(self) -> str:
        return f"CELL_R{int(round(self.rotation_deg)) % 360:03d}"


def _rot(pts, rotation_deg: float):  # noqa: ANN001, ANN202
    return transform_vertices(pts, 0.0, 0.0, rotation_deg)


def _poly(shape: CellShape, rotation_deg: float, tol_mm: float) -> shapely.Polygon:
    return shapely.Polygon(_rot(outline_vertices(shape, tol_mm), rotation_deg))


def _pad_centre(anode: CellShape, pad_w: float, pad_h: float, deck: Deck,
                tol_mm: float = 0.001) -> tuple[float, float]:
    if deck.layout.pad_position == "center":
        return 0.0, 0.0
    # lower-left corner, inside the anode collector's bounding box by the pad's half size,
    # moved inward until the pad lies inside the collector outline (rounded/circle/polygon)
    ax, ay = anode.width / 2, anode.height / 2
    cx, cy = -ax + pad_w / 2, -ay + pad_h / 2
    if anode.kind == "rect":
        return cx, cy
    poly = _poly(anode, 0.0, tol_mm)

    def fits(t: float) -> bool:
        x, y = cx * (1 - t), cy * (1 - t)
        return poly.contains(shapely.box(x - pad_w / 2, y - pad_h / 2, x + pad_w / 2,
                                         y + pad_h / 2))

    if fits(0.0) or not fits(1.0):
        return cx, cy  # fits at the corner, or nowhere on the diagonal (reported by the caller)
    lo, hi = 0.0, 1.0  # bisect for the pad nearest the corner (to 1 nm)
    while (hi - lo) * max(abs(cx), abs(cy)) > 1e-6:
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if fits(mid) else (mid, hi)
    return cx * (1 - hi), cy * (1 - hi)


def outline_segments(outline: CellShape, tol_mm: float) -> int:
    """Vertices of the outline drawn with chords of sagitta <= tol_mm (estimated, no drawing)."""

    if outline.kind == "polygon" and outline.vertices is not None:
        return len(outline.vertices)
    if outline.kind == "rect":
        return 4
    step = _arc_step(curve_radius(outline), tol_mm, False)
    return 4 * (math.ceil((math.pi / 2) / step - 1e-9) + 1)


def check_work(outline: CellShape, deck: Deck) -> None:
    """Estimate, from the deck and the outline alone, the work the layout and the laser job
    will take (outline segments, scan fields, scribe and fill passes); refuse one that is over
    its limit with the key, the estimate and the limit (not under --force: LIFT_LIMITS)."""

    if LIFT_LIMITS.get():
        return
    lay, las = deck.layout, deck.laser
    n = outline_segments(outline, lay.chord_tolerance_um / 1000)
    if n > lay.max_outline_vertices and outline.kind == "polygon":
        raise LayoutgenError(
            f"{outline.source or 'polygon cell'}: the outline has {n:,} vertices, over "
            f"layout.max_outline_vertices = {lay.max_outline_vertices:,} (the layout and the "
            "laser paths draw the true outline); simplify it or pass --force")
    if n > lay.max_outline_vertices:
        raise LayoutgenError(
            f"layout.chord_tolerance_um = {lay.chord_tolerance_um:g}: the {describe(outline)} "
            f"outline takes about {n:,} vertices, over layout.max_outline_vertices = "
            f"{lay.max_outline_vertices:,}; raise the tolerance or pass --force")
    f = las.field_mm
    nf = math.ceil(deck.sheet.width_mm / f - 1e-9) * math.ceil(deck.sheet.length_mm / f - 1e-9)
    if nf > las.max_scan_fields:
        raise LayoutgenError(
            f"laser.field_mm = {f:g}: the {deck.sheet.width_mm:g} x {deck.sheet.length_mm:g} mm "
            f"sheet takes about {nf:,} scan fields, over laser.max_scan_fields = "
            f"{las.max_scan_fields:,}; use a larger field or pass --force")
    ov = las.scribe_overlap
    jobs = [("laser.isolation.spot_um", las.isolation, deck.process.isolation_width_um),
            ("laser.fiducial.spot_um", las.fiducial, lay.fiducial_width_um / 2)]
    for key, op, width in jobs:
        spot = op.spot_um
        if not op.enabled:
            continue
        npass = pass_count(width / 1000, spot / 1000, ov)
        if npass > las.max_scribe_passes:
            raise LayoutgenError(
                f"{key} = {spot:g} with laser.scribe_overlap = {ov:g}: a {width:g} um band "
                f"takes {npass:,} passes, over laser.max_scribe_passes = "
                f"{las.max_scribe_passes:,}; use a larger spot or pass --force")


def cell_pattern(outline: CellShape, deck: Deck, rotation_deg: float = 0.0) -> CellPattern:
    """Every process layer of one cell at a rotation (its work estimated first)."""
    check_work(outline, deck)
    tol = deck.layout.chord_tolerance_um / 1000
    shapes = cellgeom.layer_shapes(outline, deck)
    sing = _poly(shapes["SINGULATION"], rotation_deg, tol)
    iso_out = _poly(shapes["ISOLATION_OUTER"], rotation_deg, tol)
    iso_in = _poly(shapes["ISOLATION_INNER"], rotation_deg, tol)
    isolation = shapely.Polygon(iso_out.exterior.coords, [iso_in.exterior.coords[::-1]])
    anode_shape = shapes["ANODE_CC"]
    anode = _poly(anode_shape, rotation_deg, tol)
    pw, ph = deck.layout.pad_w_um / 1000, deck.layout.pad_h_um / 1000
    cx, cy = _pad_centre(anode_shape, pw, ph, deck, tol)
    pad0 = shapely.box(cx - pw / 2, cy - ph / 2, cx + pw / 2, cy + ph / 2)
    if not _poly(anode_shape, 0.0, tol).contains(pad0):
        raise LayoutgenError(
            f"layout.pad_w_um/pad_h_um: a {pw:g} x {ph:g} mm probe pad at the "
            f"{deck.layout.pad_position} does not fit on the {anode_shape.width:.4g} x "
            f"{anode_shape.height:.4g} mm anode collector")
    pad = shapely.Polygon(_rot(shapely.get_coordinates(pad0.exterior)[:-1], rotation_deg))
    pc = _rot(shapely.get_coordinates(shapely.Point(cx, cy)), rotation_deg)[0]
    drawn = {
        "SINGULATION": sing,
        "ISOLATION": isolation,
        "ELECTROLYTE": _poly(shapes["ELECTROLYTE"], rotation_deg, tol),
        "CATHODE": _poly(shapes["CATHODE"], rotation_deg, tol),
        "ANODE_CC": anode,
        "PAD": pad,
    }
    layers = {name: drawn[name] for name in CELL_LAYER_NAMES}  # the registry's cell layers
    return CellPattern(float(rotation_deg) % 360, outline, layers, (float(pc[0]), float(pc[1])))
