"""Sheet assembly: cell masters placed on the sheet, sheet features, scan fields.

`build_layout(tiling, outline, deck)` turns placements (numpy arrays) into a `SheetLayout`: one
`CellPattern` per orientation used (`masters`), the per-cell manifest arrays (id, row, col, x,
y, rotation, pad, scan field) and the sheet features (`SheetFeatures`: SHEET, USABLE, KEEPOUT,
FIDUCIAL, CONTACT_RAIL, FIELD) as shapely polygons in sheet millimetres. Nothing here is a Python
object per cell: a regular 1,000,000-cell sheet lays out in well under a second.

Placements are the tiling's whole-nm centres (`Tiling.x_nm`, `y_nm`, kept as
`SheetLayout.x_nm`, `y_nm`; `x`, `y` are their correctly rounded mm images); the sheet, edges,
kerf and rail are read from the deck's decimals as integer nm (`layout.grid`), so every decision
here is integer arithmetic on the grid the GDS is written on. Scan fields come from
`layoutgen.fields` (columns along x, then rows; cells never cut, only a cell larger than the
field cannot be held whole: noted); fiducials, rails and keep-outs from `layout.features`.
"""

from __future__ import annotations

import numpy as np
import shapely

from layoutgen.deck import Deck
from layoutgen.errors import LayoutgenError
from layoutgen.fields import plan_fields
from layoutgen.layout.features import CellIndex, contact_rails, fiducials, keepouts
from layoutgen.layout.grid import sheet_nm, snap_nm, usable_box
from layoutgen.layout.model import SheetFeatures, SheetLayout
from layoutgen.pattern import CellPattern, cell_pattern
from layoutgen.shapes import CellShape
from layoutgen.tiling.result import Tiling
from layoutgen.units import NM_PER_MM, mm_to_nm

_ROT_DECIMALS = 6  # rotations equal to 1e-6 degree share one master


def masters(tiling: Tiling, outline: CellShape, deck: Deck
            ) -> tuple[tuple[CellPattern, ...], np.ndarray]:
    """One master per distinct rotation (sorted) and each placement's master index."""
    raw = np.asarray(tiling.rotation_deg, float)
    if len(raw) and bool(np.all(raw == raw[0])):  # one orientation: the common case, one pass
        rot = np.full(1, round(float(raw[0]) % 360.0, _ROT_DECIMALS) % 360.0)
        pats: tuple[CellPattern, ...] = (cell_pattern(outline, deck, float(rot[0])),)
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
    patterns, master = masters(tiling, outline, deck)
    bounds = np.array([p.layers["SINGULATION"].bounds for p in patterns], float)
    pad = snap_nm(np.array([p.pad_center for p in patterns], float).reshape(-1, 2))
    notes: list[str] = []
    ko = keepouts(deck)

    # scan fields, planned on the laser marks (the laser job uses them), and each cell's field
    plan = plan_fields(x, y, master, patterns, outline, deck)
    fields, windows, field_of, n_cut = plan.fields, plan.windows, plan.field_of, plan.oversize
    if n_cut:
        notes.append(f"{n_cut} cells are larger than a scan field (laser.field_mm = "
                     f"{deck.laser.field_mm:g} mm): no field holds them whole")

    rails = contact_rails(deck, ko.grown)
    index = CellIndex(x, y, master, bounds, x_nm, y_nm)
    fids = fiducials(deck, fields, index, patterns, (*ko.grown, *rails.polygons))
    notes += [*rails.notes, *fids.notes]
    features = SheetFeatures(
        field=tuple(shapely.box(*f) for f in fields),
        usable=(shapely.box(*usable_box(deck)),),
        sheet=(shapely.box(0, 0, sw, sl),),
        keepout=ko.polygons, contact_rail=rails.polygons, fiducial=fids.polygons)
    pad_x_nm, pad_y_nm = x_nm + pad[master, 0], y_nm + pad[master, 1]
    return SheetLayout(
        deck=deck, outline=outline, patterns=patterns, master=master,
        x_nm=x_nm, y_nm=y_nm, x=x, y=y,
        rotation_deg=np.asarray([p.rotation_deg for p in patterns])[master] if n
        else np.zeros(0),
        row=np.asarray(tiling.row, np.int64), col=np.asarray(tiling.col, np.int64),
        pad_x_nm=pad_x_nm, pad_y_nm=pad_y_nm,
        pad_x=pad_x_nm / NM_PER_MM, pad_y=pad_y_nm / NM_PER_MM,
        field=field_of, fields=fields, field_windows=windows, features=features,
        keepout_clearance=ko.clearance_mm, keepout_names=ko.names,
        notes=tuple(notes), strategy=tiling.strategy, cells_cut_by_fields=int(n_cut),
        upper_bound=int(tiling.upper_bound), bound_method=tiling.bound_method,
    )
