"""`cells.csv`: the probe map of a sheet, one row per cell, written in bulk with numpy.

Columns: id,row,col,x,y,rotation,pad_x,pad_y,field. Lengths in mm with 6 decimals (1 nm): the
exact integer placements (`SheetLayout.x_nm`, `pad_x_nm`, ...) printed as decimals, no float
in between,
rotation in degrees (integers when every rotation is whole). Rows follow the layout's cell
order (rows along y, then x); `id` is the row index from 0. The text is built as one byte
array (no Python object per cell).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from layoutgen.errors import LayoutgenError
from layoutgen.export.numbers import format_csv
from layoutgen.fileio import write_bytes
from layoutgen.layout.model import SheetLayout

HEADER = ("id", "row", "col", "x", "y", "rotation", "pad_x", "pad_y", "field")
DECIMALS = 6  # = nm: the nm columns are printed as they are


def manifest_bytes(layout: SheetLayout) -> bytes:
    """The cells.csv content of a sheet layout."""
    rot = layout.rotation_deg
    rot_dec = 0 if np.all(np.abs(rot - np.round(rot)) < 1e-9) else DECIMALS
    cols = [
        (layout.ids, 0), (layout.row, 0), (layout.col, 0),
        (layout.x_nm, DECIMALS, True), (layout.y_nm, DECIMALS, True), (rot, rot_dec),
        (layout.pad_x_nm, DECIMALS, True), (layout.pad_y_nm, DECIMALS, True), (layout.field, 0),
    ]
    return format_csv(HEADER, cols)


def write_manifest(layout: SheetLayout, path: str | Path) -> Path:
    """Write cells.csv atomically."""
    write_bytes(path, manifest_bytes(layout))
    return Path(path)


@dataclass(frozen=True)
class Manifest:
    """The columns of a cells.csv as arrays."""

    id: np.ndarray
    row: np.ndarray
    col: np.ndarray
    x: np.ndarray
    y: np.ndarray
    rotation: np.ndarray
    pad_x: np.ndarray
    pad_y: np.ndarray
    field: np.ndarray

    @property
    def count(self) -> int:
        return int(self.id.shape[0])


def read_manifest(path: str | Path) -> Manifest:
    """Read a cells.csv written by `write_manifest` (header checked)."""
    p = Path(path)
    try:
        with open(p, encoding="utf-8") as fh:
            head = fh.readline().strip()
            if tuple(h.strip() for h in head.split(",")) != HEADER:
                raise LayoutgenError(
                    f"{p}: not a cells.csv manifest (header must be {','.join(HEADER)})")
            data = np.loadtxt(fh, delimiter=",", dtype=float, ndmin=2)
    except OSError as exc:
        raise LayoutgenError(f"{p}: cannot read the manifest ({exc.strerror})") from None
    except ValueError as exc:
        raise LayoutgenError(f"{p}: malformed manifest row ({exc})") from None
    if data.size == 0:
        data = np.zeros((0, len(HEADER)))
    if data.shape[1] != len(HEADER):
        raise LayoutgenError(f"{p}: expected {len(HEADER)} columns, got {data.shape[1]}")
    ints = {0, 1, 2, 8}
    cols = [data[:, k].astype(np.int64) if k in ints else data[:, k] for k in range(len(HEADER))]
    return Manifest(*cols)
