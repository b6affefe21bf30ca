"""Process geometry of one cell: the insets that turn a footprint into the cell's layers.

The one place where outlines shrink: packaging (footprint -> cell outline = singulation cut) and
process rules (cell outline -> isolation scribe, LiPON, cathode, anode collector). Sizing counts
the cathode area from `layer_shapes(...)["CATHODE"]` and the layout draws the very same shapes.
"""

from __future__ import annotations

import dataclasses
import math

import shapely

from layoutgen.deck import Deck
from layoutgen.errors import LayoutgenError
from layoutgen.shapes import CellShape, area
from layoutgen.units import NM_PER_MM, mm_to_nm, nm_to_mm, to_nm


def _grid_nm(mm: float) -> int | None:
    """The whole nm count a mm float carries, or None if it carries none (off the grid)."""
    n = mm_to_nm(mm)
    return n if abs(float(mm) * NM_PER_MM - n) <= 1e-3 else None


def inset(shape: CellShape, d_mm: float, what: str = "outline") -> CellShape:
    """The shape shrunk by d_mm on every side (exact erosion for rect, rounded, circle)."""
    if d_mm < 0:
        raise ValueError("inset distance must be >= 0")
    if d_mm == 0:
        return shape
    d_nm, w_nm, h_nm = _grid_nm(d_mm), _grid_nm(shape.width), _grid_nm(shape.height)
    exact = d_nm is not None and w_nm is not None and h_nm is not None
    # on the 1 nm grid: integer arithmetic, the result's mm are exact images of nm
    if d_nm is not None and w_nm is not None and h_nm is not None:
        w, h = nm_to_mm(w_nm - 2 * d_nm), nm_to_mm(h_nm - 2 * d_nm)
    else:
        w, h = shape.width - 2 * d_mm, shape.height - 2 * d_mm
    if w <= 1e-9 or h <= 1e-9:
        raise LayoutgenError(
            f"{what}: a {shape.width:g} x {shape.height:g} mm outline inset by {d_mm:g} mm on "
            f"each side leaves no area (needs more than {2 * d_mm:g} mm in each dimension)"
        )
    if shape.kind == "rect":
        return dataclasses.replace(shape, width=w, height=h)
    if shape.kind == "circle":
        return dataclasses.replace(shape, width=w, height=w, corner_radius=w / 2)
    if shape.kind == "rounded":
        r_nm = _grid_nm(shape.corner_radius)
        if d_nm is not None and exact and r_nm is not None:
            r = nm_to_mm(max(r_nm - d_nm, 0))
        else:
            r = max(shape.corner_radius - d_mm, 0.0)
        kind = "rounded" if r > 0 else "rect"
        return dataclasses.replace(shape, kind=kind, width=w, height=h, corner_radius=r)
    return _inset_polygon(shape, d_mm, what)


def _quarter_segments(radius_mm: float, tolerance_mm: float = 1e-3) -> int:
    """Segments per quarter circle so arcs of this radius stay within the tolerance."""
    if radius_mm <= tolerance_mm:
        return 8
    step = 2 * math.acos(1 - tolerance_mm / radius_mm)
    return max(8, math.ceil(math.pi / 2 / step))


def _inset_polygon(shape: CellShape, d_mm: float, what: str) -> CellShape:
    poly = shapely.Polygon(shape.vertices)
    eroded = poly.buffer(-d_mm, quad_segs=_quarter_segments(d_mm))
    if eroded.is_empty or eroded.geom_type != "Polygon":
        raise LayoutgenError(
            f"{what}: the polygon inset by {d_mm:g} mm on each side leaves "
            + ("no area" if eroded.is_empty else "several separate pieces")
        )
    # vertices stay in the outline's frame (centred on the OUTLINE's box), so every layer of a
    # cell shares one origin; width/height are the eroded polygon's own extents
    coords = shapely.get_coordinates(shapely.orient_polygons(eroded).exterior)[:-1]
    minx, miny, maxx, maxy = eroded.bounds
    return dataclasses.replace(shape, width=maxx - minx, height=maxy - miny, vertices=coords)


def process_insets_nm(deck: Deck) -> dict[str, int]:
    """Inset of each process layer's outer edge from the singulation outline, in whole nm.

    The deck's um values are read exactly (their decimal text, never `um / 1000` in binary)
    and summed as integers; a rule finer than 1 nm is refused, naming its key.
    """
    p = deck.process

    def nm(key: str) -> int:
        return to_nm(getattr(p, key), "um", f"process.{key}")

    scribe_out = nm("singulation_clearance_um")
    scribe_in = scribe_out + nm("isolation_width_um")
    return {
        "ISOLATION_OUTER": scribe_out,
        "ISOLATION_INNER": scribe_in,
        "ELECTROLYTE": scribe_in,
        "CATHODE": scribe_in + nm("electrolyte_overhang_um"),
        "ANODE_CC": scribe_in + nm("anode_cc_setback_um"),
    }


def process_insets_mm(deck: Deck) -> dict[str, float]:
    """Inset of each process layer's outer edge from the singulation outline, in mm (the
    correctly rounded images of `process_insets_nm`)."""
    return {k: nm_to_mm(v) for k, v in process_insets_nm(deck).items()}


def cell_outline(footprint: CellShape, deck: Deck) -> CellShape:
    """The singulation outline of the cell that goes into a product of this footprint."""
    return inset(footprint, deck.package.border_mm, "footprint minus package.border_mm")


def layer_shapes(outline: CellShape, deck: Deck) -> dict[str, CellShape]:
    """Every process layer's outline of one cell, from its singulation outline."""
    out: dict[str, CellShape] = {"SINGULATION": outline}
    for name, d in process_insets_mm(deck).items():
        out[name] = inset(outline, d, f"cell outline minus process rules ({name})")
    return out


def active_shape(outline: CellShape, deck: Deck) -> CellShape:
    """The cathode (active) outline: what sizing counts and the layout draws on CATHODE."""
    return layer_shapes(outline, deck)["CATHODE"]


def active_area_mm2(outline: CellShape, deck: Deck) -> float:
    """Active (cathode) area of a cell of this singulation outline, mm2."""
    return area(active_shape(outline, deck))
