"""The patterned sheet as data: `SheetLayout` (masters, per-cell manifest arrays, scan fields)
and `SheetFeatures` (the top-cell shapes, one typed field per sheet layer of the registry)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from layoutgen.deck import Deck
from layoutgen.layout.features import label_offset
from layoutgen.layout.grid import usable_box
from layoutgen.pattern import CellPattern
from layoutgen.shapes import CellShape
from layoutgen.technology import SHEET_LAYER_NAMES

Polygons = tuple[shapely.Polygon, ...]


@dataclass(frozen=True)
class SheetFeatures:
    """The sheet's own shapes (shapely, sheet mm), one field per registry sheet layer.

    `features["FIDUCIAL"]` (or `.get(name)`) reads the field of a layer named in
    `technology.SHEET_LAYER_NAMES`, so writers and pictures iterate the registry.
    """

    field: Polygons = ()
    usable: Polygons = ()
    sheet: Polygons = ()
    keepout: Polygons = ()
    contact_rail: Polygons = ()
    fiducial: Polygons = ()

    def __getitem__(self, layer: str) -> Polygons:
        if layer not in SHEET_LAYER_NAMES:
            raise KeyError(f"{layer!r} is not a sheet layer (sheet layers: "
                           f"{', '.join(SHEET_LAYER_NAMES)})")
        return getattr(self, layer.lower())  # type: ignore[no-any-return]

    def get(self, layer: str, default: Polygons = ()) -> Polygons:
        """The shapes on a sheet layer; `default` for a layer that is not one."""
        return self[layer] if layer in SHEET_LAYER_NAMES else default


@dataclass(frozen=True)
class SheetLayout:
    """A patterned sheet: cell masters, per-cell arrays (manifest) and sheet features (mm).

    Per-cell arrays are all of length `count`, in the tiling's order (rows along y, then x);
    `master[i]` indexes `patterns`. `x_nm`, `y_nm` (int64) are the exact placements, `x`, `y`
    their mm images; likewise the pads. `fields` is (n_fields, 4): x0, y0, x1, y1 of each scan
    field (columns along x, rows within a column: a partition of the sheet), `field[i]` the
    field holding cell i's centre, and `field_windows` the extent of each field's cells (at
    most laser.field_mm; within the field where its boundaries run in streets).
    `keepout_clearance[i]`, `keepout_names[i]` belong to `features.keepout[i]`.
    """

    deck: Deck
    outline: CellShape
    patterns: tuple[CellPattern, ...]
    master: np.ndarray
    x_nm: np.ndarray
    y_nm: np.ndarray
    x: np.ndarray
    y: np.ndarray
    rotation_deg: np.ndarray
    row: np.ndarray
    col: np.ndarray
    pad_x_nm: np.ndarray
    pad_y_nm: np.ndarray
    pad_x: np.ndarray
    pad_y: np.ndarray
    field: np.ndarray
    fields: np.ndarray
    field_windows: np.ndarray
    features: SheetFeatures
    keepout_clearance: tuple[float, ...]
    keepout_names: tuple[str, ...]
    notes: tuple[str, ...] = ()
    strategy: str = ""
    cells_cut_by_fields: int = 0  # cells no scan field holds whole (larger than a field)
    upper_bound: int = 0  # the tiling's proven bound on cells per sheet
    bound_method: str = ""

    @property
    def count(self) -> int:
        return int(self.x_nm.shape[0])

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

    def label_positions(self) -> tuple[np.ndarray, np.ndarray]:
        """Anchor of each cell's id label (mm): above the pad if centred, else the centre."""
        off = np.array([label_offset(p, self.deck) for p in self.patterns]).reshape(-1, 2)
        return self.x + off[self.master, 0], self.y + off[self.master, 1]
