"""Sheet features around the cells: keep-out zones, the contact rail, fiducials, label anchors.

Rules decided here (checked independently by `layoutgen.drc`):
- fiducials are crosses (arm `fiducial_size_um` long, `fiducial_width_um` wide) at the four
  sheet corners, `fiducial_margin_mm` in from each edge, and (if `fiducials_per_field`) at every
  interior scan-field corner; a candidate is dropped (with a note) unless it lies inside the sheet
  and at least the kerf away from every cell outline (decided on the integer nm grid, on the
  vertices the GDS holds, with the DRC's own engine) and every keep-out zone;
- the contact rail is a strip `contact_rail_width_mm` wide centred in the edge-exclusion strip on
  `contact_rail_side`, running between the corner fiducial zones, minus keep-outs; it is omitted
  (with a note) when the strip is narrower than the rail plus a kerf on each side.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely

from layoutgen.deck import Deck
from layoutgen.layout.grid import floats_to_nm, kerf_nm, sheet_nm, snap_nm, usable_box_nm
from layoutgen.pattern import CellPattern
from layoutgen.units import mm_to_nm, nm_to_mm, to_nm


@dataclass(frozen=True)
class Keepouts:
    """The deck's keep-outs as sheet features: one polygon each (multi-part zones split), its
    clearance and zone name, and every zone grown by its clearance (what others keep clear of)."""

    polygons: tuple[shapely.Polygon, ...]
    clearance_mm: tuple[float, ...]
    names: tuple[str, ...]
    grown: tuple[shapely.Geometry, ...]


@dataclass(frozen=True)
class Placed:
    """Features one step placed, and the notes saying what it left out and why."""

    polygons: tuple[shapely.Polygon, ...]
    notes: tuple[str, ...] = ()


def keepout_zones(deck: Deck) -> list[tuple[shapely.Geometry, float, str]]:
    """(geometry, clearance_mm, name) of every deck keep-out."""
    return [(k.geometry(), float(k.clearance_mm), k.name) for k in deck.tiling.keepouts]


def keepouts(deck: Deck) -> Keepouts:
    """The KEEPOUT features of the deck's keep-out zones."""
    zones = keepout_zones(deck)
    polys: list[shapely.Polygon] = []
    clear: list[float] = []
    names: list[str] = []
    for g, clearance, name in zones:
        for poly in getattr(g, "geoms", [g]):
            polys.append(shapely.orient_polygons(poly))
            clear.append(clearance)
            names.append(name)
    grown = tuple(g.buffer(c, quad_segs=16) if c > 0 else g for g, c, _ in zones)
    return Keepouts(tuple(polys), tuple(clear), tuple(names), grown)


def fiducial_cross(cx: float, cy: float, size_mm: float, width_mm: float) -> shapely.Polygon:
    """A cross of two arms `size_mm` long and `width_mm` wide centred on (cx, cy).

    Every vertex is on the 1 nm grid: the centre rounds to the nearest nm, the half sizes down
    (an odd nm count gives a cross 1 nm smaller, never larger than asked).
    """
    cxn, cyn = mm_to_nm(cx), mm_to_nm(cy)
    an, bn = mm_to_nm(size_mm) // 2, mm_to_nm(width_mm) // 2
    cx, cy, a, b = nm_to_mm(cxn), nm_to_mm(cyn), nm_to_mm(an), nm_to_mm(bn)
    pts = [(a, -b), (a, b), (b, b), (b, a), (-b, a), (-b, b), (-a, b), (-a, -b), (-b, -b),
           (-b, -a), (b, -a), (b, -b)]
    return shapely.Polygon([(cx + px, cy + py) for px, py in pts])


def label_offset(p: CellPattern, deck: Deck) -> tuple[float, float]:
    """Where a master's id label sits relative to the cell centre (mm): above a centred pad
    if that point is on the anode collector, else the centre."""
    if deck.layout.pad_position != "center":
        return 0.0, 0.0
    d = deck.layout.pad_h_um / 2000 + deck.layout.label_height_um / 1000
    c, s = math.cos(math.radians(p.rotation_deg)), math.sin(math.radians(p.rotation_deg))
    pt = shapely.Point(-s * d, c * d)
    return (float(pt.x), float(pt.y)) if p.layers["ANODE_CC"].contains(pt) else (0.0, 0.0)


class CellIndex:
    """'Which cells are near this box' queries without per-cell objects: a scan of all cells
    for the first few queries, then an index of cells sorted by x."""

    def __init__(self, x: np.ndarray, y: np.ndarray, master: np.ndarray,
                 bounds: np.ndarray, x_nm: np.ndarray | None = None,
                 y_nm: np.ndarray | None = None) -> None:
        self.x, self.y, self.master, self.bounds = x, y, master, bounds
        self.x_nm = floats_to_nm(x) if x_nm is None else x_nm
        self.y_nm = floats_to_nm(y) if y_nm is None else y_nm
        self.reach = float(np.abs(bounds).max()) if len(bounds) else 0.0
        self.queries = 0
        self.order: np.ndarray | None = None
        self.xs: np.ndarray = np.zeros(0)

    def near(self, box: tuple[float, float, float, float]) -> np.ndarray:
        """Indices of cells whose bounding box may come within `box`."""
        x0, y0, x1, y1 = box
        self.queries += 1
        if self.queries > 8 and self.order is None:
            self.order = np.argsort(self.x, kind="stable")
            self.xs = self.x[self.order]
        if self.order is None:
            idx = np.flatnonzero((self.x >= x0 - self.reach) & (self.x <= x1 + self.reach))
        else:
            lo = np.searchsorted(self.xs, x0 - self.reach, "left")
            hi = np.searchsorted(self.xs, x1 + self.reach, "right")
            idx = self.order[lo:hi]
        b = self.bounds[self.master[idx]]
        keep = ((self.x[idx] + b[:, 0] <= x1) & (self.x[idx] + b[:, 2] >= x0)
                & (self.y[idx] + b[:, 1] <= y1) & (self.y[idx] + b[:, 3] >= y0))
        return idx[keep]


def clear_of_cells(geom: shapely.Geometry, gap_nm: int, index: CellIndex,
                   patterns: tuple[CellPattern, ...]) -> bool:
    """True if `geom` (vertices on the nm grid) is at least `gap_nm` from every cell outline
    as written to the GDS (touching fails).

    Decided on the integer grid with klayout.db, the engine `layoutgen drc` checks with, on
    the very vertices the writer emits: no float distance, no epsilon.
    """
    gap = nm_to_mm(gap_nm)
    x0, y0, x1, y1 = geom.bounds
    idx = index.near((x0 - gap, y0 - gap, x1 + gap, y1 + gap))
    if not len(idx):
        return True
    import klayout.db as db  # heavy: loaded only when a feature has cells near it

    rings: dict[int, np.ndarray] = {}
    cells = db.Region()
    for i in idx.tolist():
        m = int(index.master[i])
        if m not in rings:
            rings[m] = snap_nm(shapely.get_coordinates(
                patterns[m].layers["SINGULATION"].exterior)[:-1])
        ring = rings[m] + np.array([index.x_nm[i], index.y_nm[i]], np.int64)
        cells.insert(db.Polygon([db.Point(int(a), int(b)) for a, b in ring.tolist()]))
    g = floats_to_nm(shapely.get_coordinates(geom.exterior)[:-1])
    other = db.Region(db.Polygon([db.Point(int(a), int(b)) for a, b in g.tolist()]))
    if not cells.interacting(other).is_empty():
        return False
    return gap_nm <= 0 or cells.separation_check(other, int(gap_nm)).is_empty()


def contact_rails(deck: Deck, grown_keepouts: tuple[shapely.Geometry, ...]) -> Placed:
    """The CONTACT_RAIL features (exposed SS in the edge exclusion strip, clear of the corner
    fiducials and the keep-outs), or a note saying why there is none."""
    lay = deck.layout
    rail_w = lay.contact_rail_width_mm
    if rail_w <= 0:
        return Placed(())
    rails = _contact_rail(deck, nm_to_mm(kerf_nm(deck)), lay.fiducial_size_um / 1000,
                          lay.fiducial_margin_mm, list(grown_keepouts))
    if rails is None:
        side = lay.contact_rail_side
        edge = deck.sheet.edge_x_mm if side in ("left", "right") else deck.sheet.edge_y_mm
        return Placed((), (
            f"contact rail left out: the {side} edge exclusion ({edge:g} mm) is narrower "
            f"than layout.contact_rail_width_mm ({rail_w:g}) plus the kerf on each side",))
    return Placed(tuple(rails))


def _contact_rail(deck: Deck, kerf: float, fid_size: float, margin: float,
                  keepouts: list[shapely.Geometry]) -> list[shapely.Polygon] | None:
    """The rail strip(s), decided and drawn in whole nm (the rail's edges sit on the grid, so
    its clearance from the usable area is what the GDS holds)."""
    lay = deck.layout
    w = to_nm(lay.contact_rail_width_mm, "mm", "layout.contact_rail_width_mm")
    side = lay.contact_rail_side
    sw, sl = sheet_nm(deck)
    ex, ey, _, _ = usable_box_nm(deck)
    across = ex if side in ("left", "right") else ey
    gap = max(mm_to_nm(kerf), 1000)
    if across < w + 2 * gap:
        return None
    length = sl if side in ("left", "right") else sw
    fs = mm_to_nm(fid_size)
    end = mm_to_nm(margin) + fs // 2 + max(gap, fs // 2 + fs % 2)  # clear of corner fiducials
    a = (across - w) // 2  # >= gap from the sheet edge, and b >= gap from the usable area
    b = a + w
    if length - 2 * end <= w:
        return None
    if side == "left":
        box = (a, end, b, length - end)
    elif side == "right":
        box = (sw - b, end, sw - a, length - end)
    elif side == "bottom":
        box = (end, a, length - end, b)
    else:
        box = (end, sl - b, length - end, sl - a)
    rail = shapely.box(*(nm_to_mm(v) for v in box))
    g = nm_to_mm(gap)
    for k in keepouts:
        rail = rail.difference(k.buffer(g, quad_segs=16))
    parts = [p for p in getattr(rail, "geoms", [rail]) if not p.is_empty and p.area > 0]
    return [shapely.orient_polygons(p) for p in parts] or None


def fiducials(deck: Deck, fields: np.ndarray, index: CellIndex,
              patterns: tuple[CellPattern, ...], avoid: tuple[shapely.Geometry, ...]) -> Placed:
    """The FIDUCIAL crosses: the sheet corners, then (if `layout.fiducials_per_field`) every
    interior scan-field corner; each kept only if on the sheet, at least the kerf from every
    cell outline (`clear_of_cells`) and clear of `avoid` (grown keep-outs, contact rails)."""
    lay = deck.layout
    sw, sl = deck.sheet.width_mm, deck.sheet.length_mm
    fs, fw = lay.fiducial_size_um / 1000, lay.fiducial_width_um / 1000
    m = lay.fiducial_margin_mm
    kerf_n = kerf_nm(deck)
    kerf = nm_to_mm(kerf_n)
    sheet_box = shapely.box(0, 0, sw, sl)
    placed: list[shapely.Polygon] = []
    notes: list[str] = []

    def _place(cx: float, cy: float) -> shapely.Polygon | None:
        cross = fiducial_cross(cx, cy, fs, fw)
        if not sheet_box.contains(cross):
            return None
        if any(cross.distance(z) < kerf or cross.intersects(z) for z in avoid):
            return None
        return cross if clear_of_cells(cross, max(kerf_n, 1), index, patterns) else None

    dropped: list[str] = []
    for cx, cy in [(m, m), (sw - m, m), (m, sl - m), (sw - m, sl - m)]:
        cross = _place(cx, cy)
        if cross is None:
            dropped.append(f"({cx:g}, {cy:g})")
        else:
            placed.append(cross)
    if dropped:
        notes.append(
            f"corner fiducial(s) at {', '.join(dropped)} mm left out: they would lie within "
            f"the kerf of a cell or keep-out or off the sheet (layout.fiducial_margin_mm = {m:g};"
            " widen sheet.edge_*_mm or move the margin)")
    if lay.fiducials_per_field and len(fields) > 1:
        pts = np.unique(np.round(np.concatenate([fields[:, [0, 1]], fields[:, [2, 1]],
                                                 fields[:, [0, 3]], fields[:, [2, 3]]]), 9),
                        axis=0)
        interior = pts[(pts[:, 0] > 0) & (pts[:, 0] < sw) & (pts[:, 1] > 0) & (pts[:, 1] < sl)]
        kept = 0
        for cx, cy in interior:
            cross = _place(float(cx), float(cy))
            if cross is not None:
                placed.append(cross)
                kept += 1
        if kept < len(interior):
            notes.append(f"{len(interior) - kept} of {len(interior)} scan-field corner "
                         "fiducials left out (no clear street or area there)")
    return Placed(tuple(placed), tuple(notes))
