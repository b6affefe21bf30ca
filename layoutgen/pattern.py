"""The process layers of one cell, from its singulation outline and the deck.

One `CellPattern` per orientation used on the sheet. Every layer is a shapely geometry in mm,
centred on the cell centre and already rotated. The GDS writer, the DRC and the laser toolpaths
all take their geometry from here, and the CATHODE area is exactly what sizing counts.
"""

from __future__ import annotations

from dataclasses import dataclass

import shapely

from layoutgen import cellgeom
from layoutgen.deck import Deck
from layoutgen.errors import LayoutgenError
from layoutgen.shapes import CellShape, outline_vertices, transform_vertices

CELL_LAYERS = ("SINGULATION", "ISOLATION", "ELECTROLYTE", "CATHODE", "ANODE_CC", "PAD")


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


def cell_pattern(outline: CellShape, deck: Deck, rotation_deg: float = 0.0) -> CellPattern:
    """Every process layer of one cell at a rotation."""
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
    layers = {
        "SINGULATION": sing,
        "ISOLATION": isolation,
        "ELECTROLYTE": _poly(shapes["ELECTROLYTE"], rotation_deg, tol),
        "CATHODE": _poly(shapes["CATHODE"], rotation_deg, tol),
        "ANODE_CC": anode,
        "PAD": pad,
    }
    return CellPattern(float(rotation_deg) % 360, outline, layers, (float(pc[0]), float(pc[1])))
