"""Sheet assembly: cell masters placed on the sheet, sheet features, scan fields, manifest.

`build_layout(tiling, outline, deck)` turns placements (numpy arrays) into a `SheetLayout`: one
`CellPattern` per orientation used, the per-cell manifest arrays (id, row, col, x, y, rotation,
pad, scan field) and the sheet features (SHEET, USABLE, KEEPOUT, FIDUCIAL, CONTACT_RAIL, FIELD)
as shapely polygons in sheet millimetres. Nothing here is a Python object per cell: a regular
1,000,000-cell sheet lays out in well under a second.

Placements are the tiling's whole-nm centres (`Tiling.x_nm`, `y_nm`, kept as
`SheetLayout.x_nm`, `y_nm`; `x`, `y` are their correctly rounded mm images); the sheet, edges,
kerf and rail are read from the deck's decimals as integer nm (`sheet_nm`, `usable_box_nm`,
`kerf_nm`), so every decision here is integer arithmetic on the grid the GDS is written on.

Rules this module decides (documented in the issue and checked by `layoutgen.drc`):
- fiducials are crosses (arm `fiducial_size_um` long, `fiducial_width_um` wide) at the four
  sheet corners, `fiducial_margin_mm` in from each edge, and (if `fiducials_per_field`) at every
  interior scan-field corner; a candidate is dropped (with a note) unless it lies inside the sheet
  and at least the kerf away from every cell outline (decided on the integer nm grid, on the
  vertices the GDS holds, with the DRC's own engine) and every keep-out zone;
- the contact rail is a strip `contact_rail_width_mm` wide centred in the edge-exclusion strip on
  `contact_rail_side`, running between the corner fiducial zones, minus keep-outs; it is omitted
  (with a note) when the strip is narrower than the rail plus a kerf on each side;
- scan fields cover the whole sheet: columns along x, then rows within each column, each field
  window at most `laser.field_mm`; boundaries go mid-street where a street is within reach,
  else between cell centres (cells are never cut: each belongs to the field holding its centre
  and lies wholly inside that field's window; windows then overlap). Only a cell larger than
  the field cannot be held whole (noted).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import shapely
import shapely.affinity

from layoutgen.deck import Deck
from layoutgen.errors import LayoutgenError
from layoutgen.fields import scan_fields
from layoutgen.pattern import CELL_LAYERS, CellPattern, cell_pattern
from layoutgen.shapes import CellShape
from layoutgen.tiling.result import Tiling
from layoutgen.units import NM_PER_MM, mm_to_nm, nm_to_mm, to_nm

SHEET_LAYERS = ("SHEET", "USABLE", "KEEPOUT", "FIDUCIAL", "CONTACT_RAIL", "FIELD")

# Display style of every layer: (fill/frame colour, KLayout dither pattern, drawn filled in the
# previews). The .lyp file and the matplotlib previews both read this table.
LAYER_STYLE: dict[str, tuple[str, str, bool]] = {
    "SHEET": ("#808080", "I1", False),
    "USABLE": ("#a0a0ff", "I1", False),
    "KEEPOUT": ("#ff8000", "I5", True),
    "SINGULATION": ("#202020", "I1", False),
    "ISOLATION": ("#d00000", "I0", True),
    "CATHODE": ("#3060ff", "I9", True),
    "ELECTROLYTE": ("#40c040", "I5", True),
    "ANODE_CC": ("#c0a000", "I3", True),
    "PAD": ("#a000c0", "I0", True),
    "FIDUCIAL": ("#00a0a0", "I0", True),
    "CONTACT_RAIL": ("#707000", "I2", True),
    "LABEL": ("#000000", "I1", False),
    "FIELD": ("#ff00ff", "I1", False),
    "DRC_MARKER": ("#ff0000", "I0", True),
}

_ROT_DECIMALS = 6  # rotations equal to 1e-6 degree share one master


@dataclass(frozen=True)
class SheetLayout:
    """A patterned sheet: cell masters, per-cell arrays (manifest) and sheet features (mm).

    Per-cell arrays are all of length `count`, in the tiling's order (rows along y, then x);
    `master[i]` indexes `patterns`. `fields` is (n_fields, 4): x0, y0, x1, y1 of each scan field
    (columns along x, rows within a column: a partition of the sheet), `field[i]` the field
    holding cell i's centre, and `field_windows` the extent of each field's cells (at most
    laser.field_mm; within the field where its boundaries run in streets).
    `features[name]` are shapely polygons in sheet mm.
    """

    deck: Deck
    outline: CellShape
    patterns: tuple[CellPattern, ...]
    master: np.ndarray
    x: np.ndarray
    y: np.ndarray
    rotation_deg: np.ndarray
    row: np.ndarray
    col: np.ndarray
    pad_x: np.ndarray
    pad_y: np.ndarray
    field: np.ndarray
    fields: np.ndarray
    field_windows: np.ndarray
    features: dict[str, tuple[shapely.Polygon, ...]]
    keepout_clearance: tuple[float, ...]
    keepout_names: tuple[str, ...]
    notes: tuple[str, ...] = ()
    strategy: str = ""
    extras: dict = field(default_factory=dict)
    x_nm: np.ndarray | None = None
    y_nm: np.ndarray | None = None
    pad_x_nm: np.ndarray | None = None
    pad_y_nm: np.ndarray | None = None

    def __post_init__(self) -> None:
        # the exact placements (int64 nm); `x`, `y`, `pad_x`, `pad_y` are their mm images
        for name in ("x", "y", "pad_x", "pad_y"):
            if getattr(self, name + "_nm") is None:
                object.__setattr__(self, name + "_nm", floats_to_nm(getattr(self, name)))

    @property
    def count(self) -> int:
        return int(self.x.shape[0])

    @property
    def ids(self) -> np.ndarray:
        """Cell ids: 0 .. count-1 in manifest order."""
        return np.arange(self.count, dtype=np.int64)

    @property
    def sheet_mm(self) -> tuple[float, float]:
        return self.deck.sheet.width_mm, self.deck.sheet.length_mm

    @property
    def usable_box(self) -> tuple[float, float, float, float]:
        return usable_box(self.deck)

    @property
    def cells_cut_by_fields(self) -> int:
        """Cells no scan field holds whole (only cells larger than laser.field_mm)."""
        return int(self.extras.get("cells_cut_by_fields", 0))

    def label_positions(self) -> tuple[np.ndarray, np.ndarray]:
        """Anchor of each cell's id label (mm): above the pad if centred, else the centre."""
        off = np.array([_label_offset(p, self.deck) for p in self.patterns]).reshape(-1, 2)
        return self.x + off[self.master, 0], self.y + off[self.master, 1]


def floats_to_nm(mm: np.ndarray) -> np.ndarray:
    """mm floats that carry whole nm (placements) -> their int64 nm counts (exact)."""
    return np.rint(np.asarray(mm, float) * NM_PER_MM).astype(np.int64)


def snap_nm(xy_mm: np.ndarray) -> np.ndarray:
    """Cell-centred vertices (mm) -> int64 nm on the layout grid.

    A vertex that carries a whole nm count (every corner of a rect, pad and polygon vertex on
    the grid) is taken exactly; one that does not (points on a curve, drawn on the true outline)
    is rounded toward the cell centre, so the written outline never grows past the true one (a
    cell that clears its neighbours exactly still does on the grid). The GDS writer and the
    layout's own clearance decisions both use this.
    """
    q = np.asarray(xy_mm, float) * NM_PER_MM
    r = np.rint(q)
    return np.where(np.abs(q - r) <= 1e-3, r, np.trunc(q)).astype(np.int64)


def sheet_nm(deck: Deck) -> tuple[int, int]:
    """The sheet's width and length in nm (read exactly from the deck's decimals)."""
    return deck.sheet.size_nm


def usable_box_nm(deck: Deck) -> tuple[int, int, int, int]:
    """The sheet minus the edge exclusion: x0, y0, x1, y1 in whole nm."""
    return deck.sheet.usable_box_nm


def usable_box(deck: Deck) -> tuple[float, float, float, float]:
    """The sheet minus the edge exclusion: x0, y0, x1, y1 (mm images of `usable_box_nm`)."""
    return tuple(nm_to_mm(v) for v in usable_box_nm(deck))  # type: ignore[return-value]


def kerf_nm(deck: Deck) -> int:
    """tiling.kerf_um in whole nm (exact)."""
    return to_nm(deck.tiling.kerf_um, "um", "tiling.kerf_um")


def keepout_zones(deck: Deck) -> list[tuple[shapely.Geometry, float, str]]:
    """(geometry, clearance_mm, name) of every deck keep-out."""
    return [(k.geometry(), float(k.clearance_mm), k.name) for k in deck.tiling.keepouts]


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


def _label_offset(p: CellPattern, deck: Deck) -> tuple[float, float]:
    if deck.layout.pad_position != "center":
        return 0.0, 0.0
    d = deck.layout.pad_h_um / 2000 + deck.layout.label_height_um / 1000
    c, s = math.cos(math.radians(p.rotation_deg)), math.sin(math.radians(p.rotation_deg))
    pt = shapely.Point(-s * d, c * d)
    return (float(pt.x), float(pt.y)) if p.layers["ANODE_CC"].contains(pt) else (0.0, 0.0)


class _CellIndex:
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
        self.xs: np.ndarray | None = None

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


def _clear_of_cells(geom: shapely.Geometry, gap_nm: int, index: _CellIndex,
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
    import klayout.db as db

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


def _masters(tiling: Tiling, outline: CellShape, deck: Deck
             ) -> tuple[tuple[CellPattern, ...], np.ndarray]:
    raw = np.asarray(tiling.rotation_deg, float)
    if len(raw) and bool(np.all(raw == raw[0])):  # one orientation: the common case, one pass
        rot = np.full(1, round(float(raw[0]) % 360.0, _ROT_DECIMALS) % 360.0)
        pats = (cell_pattern(outline, deck, float(rot[0])),)
        return pats, np.zeros(len(raw), np.int32)
    rot = np.round(raw % 360.0, _ROT_DECIMALS) % 360.0
    inverse = np.zeros(len(rot), np.int32)
    values: list[float] = []
    left = np.ones(len(rot), bool)
    while left.any():  # few distinct rotations: one pass each, no sort of all cells
        v = float(rot[int(np.argmax(left))])
        hit = left & (rot == v)
        values.append(v)
        inverse[hit] = len(values) - 1
        left &= ~hit
        if len(values) > 360:
            raise LayoutgenError(f"tiling: more than 360 distinct rotations ({len(values)})")
    order = np.argsort(values, kind="stable")
    remap = np.empty(len(order), np.int32)
    remap[order] = np.arange(len(order), dtype=np.int32)
    uniq = [values[i] for i in order] or [0.0]
    pats = tuple(cell_pattern(outline, deck, float(r)) for r in uniq)
    names = [p.name for p in pats]
    if len(set(names)) != len(names):
        raise LayoutgenError(
            f"tiling rotations {', '.join(f'{r:g}' for r in uniq)} deg: orientations must "
            "differ by at least 1 degree (one master cell per whole degree)")
    return pats, remap[inverse] if len(values) else inverse


def build_layout(tiling: Tiling, outline: CellShape, deck: Deck) -> SheetLayout:
    """The patterned sheet of a tiling: masters, manifest arrays, sheet features, fields."""
    # the exact placements: whole nm (Tiling.x_nm / y_nm); the mm floats are their images
    x_nm = np.ascontiguousarray(tiling.x_nm, dtype=np.int64)
    y_nm = np.ascontiguousarray(tiling.y_nm, dtype=np.int64)
    x = x_nm / NM_PER_MM
    y = y_nm / NM_PER_MM
    n = len(x)
    if not (len(y) == len(tiling.rotation_deg) == len(tiling.row) == len(tiling.col) == n):
        raise ValueError("tiling arrays differ in length")
    sw, sl = deck.sheet.width_mm, deck.sheet.length_mm
    if (mm_to_nm(tiling.sheet_mm[0]), mm_to_nm(tiling.sheet_mm[1])) != sheet_nm(deck):
        raise LayoutgenError(
            f"tiling sheet {tiling.sheet_mm[0]:g} x {tiling.sheet_mm[1]:g} mm differs from the "
            f"deck's sheet {sw:g} x {sl:g} mm (sheet.width_mm, sheet.length_mm)")
    patterns, master = _masters(tiling, outline, deck)
    bounds = np.array([p.layers["SINGULATION"].bounds for p in patterns], float)
    pad = snap_nm(np.array([p.pad_center for p in patterns], float).reshape(-1, 2))
    notes: list[str] = []
    kerf_n = kerf_nm(deck)
    kerf = nm_to_mm(kerf_n)
    lay = deck.layout

    sheet_box = shapely.box(0, 0, sw, sl)
    ux0, uy0, ux1, uy1 = usable_box(deck)
    features: dict[str, list[shapely.Polygon]] = {k: [] for k in SHEET_LAYERS}
    features["SHEET"].append(sheet_box)
    features["USABLE"].append(shapely.box(ux0, uy0, ux1, uy1))
    zones = keepout_zones(deck)
    ko_clear: list[float] = []
    ko_names: list[str] = []
    for g, clearance, name in zones:
        for poly in getattr(g, "geoms", [g]):
            features["KEEPOUT"].append(shapely.orient_polygons(poly))
            ko_clear.append(clearance)
            ko_names.append(name)
    ko_grown = [g.buffer(c, quad_segs=16) if c > 0 else g for g, c, _ in zones]

    # scan fields (informational) and each cell's field
    fields, windows, field_of, n_cut = scan_fields(
        x, y, bounds[master].reshape(-1, 4), (sw, sl), deck.laser.field_mm)
    if n_cut:
        notes.append(f"{n_cut} cells are larger than a scan field (laser.field_mm = "
                     f"{deck.laser.field_mm:g} mm): no field holds them whole")
    features["FIELD"].extend(shapely.box(*f) for f in fields)

    # contact rail(s): exposed SS in the edge exclusion strip, clear of the corner fiducials
    fs, fw = lay.fiducial_size_um / 1000, lay.fiducial_width_um / 1000
    m = lay.fiducial_margin_mm
    rail_w = lay.contact_rail_width_mm
    if rail_w > 0:
        rails = _contact_rail(deck, kerf, fs, m, ko_grown)
        if rails is None:
            side = lay.contact_rail_side
            edge = deck.sheet.edge_x_mm if side in ("left", "right") else deck.sheet.edge_y_mm
            notes.append(
                f"contact rail left out: the {side} edge exclusion ({edge:g} mm) is narrower "
                f"than layout.contact_rail_width_mm ({rail_w:g}) plus the kerf on each side")
        else:
            features["CONTACT_RAIL"].extend(rails)

    # fiducials: sheet corners, then interior scan-field corners
    index = _CellIndex(x, y, master, bounds, x_nm, y_nm)
    corners = [(m, m), (sw - m, m), (m, sl - m), (sw - m, sl - m)]
    dropped: list[str] = []

    def _place(cx: float, cy: float) -> shapely.Polygon | None:
        cross = fiducial_cross(cx, cy, fs, fw)
        if not sheet_box.contains(cross):
            return None
        if any(cross.distance(z) < kerf or cross.intersects(z)
               for z in (*ko_grown, *features["CONTACT_RAIL"])):
            return None
        return cross if _clear_of_cells(cross, max(kerf_n, 1), index, patterns) else None

    for cx, cy in corners:
        cross = _place(cx, cy)
        if cross is None:
            dropped.append(f"({cx:g}, {cy:g})")
        else:
            features["FIDUCIAL"].append(cross)
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
                features["FIDUCIAL"].append(cross)
                kept += 1
        if kept < len(interior):
            notes.append(f"{len(interior) - kept} of {len(interior)} scan-field corner "
                         "fiducials left out (no clear street or area there)")

    return SheetLayout(
        deck=deck, outline=outline, patterns=patterns, master=master, x=x, y=y,
        rotation_deg=np.asarray([p.rotation_deg for p in patterns])[master] if n
        else np.zeros(0),
        row=np.asarray(tiling.row, np.int64), col=np.asarray(tiling.col, np.int64),
        pad_x=(x_nm + pad[master, 0]) / NM_PER_MM, pad_y=(y_nm + pad[master, 1]) / NM_PER_MM,
        field=field_of, fields=fields, field_windows=windows,
        features={k: tuple(v) for k, v in features.items()},
        keepout_clearance=tuple(ko_clear), keepout_names=tuple(ko_names),
        notes=tuple(notes), strategy=tiling.strategy,
        extras={"cells_cut_by_fields": n_cut, "upper_bound": tiling.upper_bound,
                "bound_method": tiling.bound_method},
        x_nm=x_nm, y_nm=y_nm, pad_x_nm=x_nm + pad[master, 0], pad_y_nm=y_nm + pad[master, 1],
    )


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


def cell_layer_names() -> tuple[str, ...]:
    """Layers drawn in every master cell (LABEL is written per placement, if enabled)."""
    return CELL_LAYERS
