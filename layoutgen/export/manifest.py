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
from layoutgen.fileio import write_bytes
from layoutgen.layout import SheetLayout

HEADER = ("id", "row", "col", "x", "y", "rotation", "pad_x", "pad_y", "field")
DECIMALS = 6  # = nm: the nm columns are printed as they are


_PAIRS = np.array([[48 + i // 10, 48 + i % 10] for i in range(100)], np.uint8)


def _scaled(values: np.ndarray, decimals: int) -> np.ndarray:
    v = np.asarray(values)
    if decimals:
        return np.round(v.astype(float) * 10.0**decimals).astype(np.int64)
    return v.astype(np.int64)


def _digits(out: np.ndarray, mask: np.ndarray | None, rest: np.ndarray, right: int,
            count: int) -> np.ndarray:
    """Write `count` decimal digits of `rest` into rows right-count .. right-1 of the
    column-major matrix `out`; mark digits above the number's length invalid (if mask given).
    Returns what is left of `rest`."""
    ndig = None
    if mask is not None:
        ndig = np.searchsorted(10 ** np.arange(1, 19, dtype=np.int64), rest, "right") + 1
    k = 0
    while k < count:
        take = 2 if count - k >= 2 else 1
        rest, part = np.divmod(rest, 100 if take == 2 else 10)
        if take == 2:
            out[right - k - 2] = _PAIRS[part, 0]
            out[right - k - 1] = _PAIRS[part, 1]
        else:
            out[right - k - 1] = part + 48
        if mask is not None:
            for j in range(take):
                mask[right - k - 1 - j] = ndig > k + j
        k += take
    return rest


def format_csv(header: tuple[str, ...], columns: list[tuple]) -> bytes:
    """CSV bytes of numeric columns given as (values, decimals): one vectorised pass.

    A column given as (ints, decimals, True) is already in units of 10**-decimals (e.g. nm
    with 6 decimals) and is printed exactly.

    Each field is laid out right-aligned in a fixed-width byte matrix with a validity mask
    (sign, leading digits); the mask then squeezes the matrix into the CSV text.
    """
    n = len(columns[0][0]) if columns else 0
    head = (",".join(header) + "\n").encode()
    if n == 0:
        return head
    scaled = [(np.asarray(c[0], np.int64) if len(c) > 2 and c[2] else _scaled(c[0], c[1]), c[1])
              for c in columns]
    layout = []
    width = 0
    for sv, d in scaled:
        top = int(np.abs(sv).max()) // 10**d
        d_int = len(str(top))
        w = 1 + d_int + (d + 1 if d else 0)  # sign, integer digits, point and decimals
        layout.append((width, w, d_int))
        width += w + 1  # and the separator
    mat = np.empty((width, n), np.uint8)  # column-major: every write is contiguous
    mask = np.ones((width, n), bool)
    for (sv, d), (start, w, d_int), k in zip(scaled, layout, range(len(scaled)), strict=True):
        neg = sv < 0
        rest = np.abs(sv)
        mat[start] = ord("-")
        mask[start] = neg
        right = start + w
        if d:
            rest = _digits(mat, None, rest, right, d)
            mat[right - d - 1] = ord(".")
            right -= d + 1
        _digits(mat, mask, rest, right, d_int)
        mat[start + w] = ord("\n") if k == len(scaled) - 1 else ord(",")
    return head + np.ascontiguousarray(mat.T)[np.ascontiguousarray(mask.T)].tobytes()


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
