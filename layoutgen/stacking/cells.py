"""Passing cells read from bins.csv files into typed integer columns.

Measured values are held at a resolution of 1e-6 of their unit (rounded half-even): capacity in
nAh, impedance in micro-ohm, OCV in microvolt, so every stacking decision is integer arithmetic.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from layoutgen import fileio
from layoutgen.errors import LayoutgenError

MAX_CELLS = 20_000_000  # passing cells one run stacks (about 2 GB of columns); --force lifts it
REQUIRED = ("sheet", "id", "impedance_ohm", "ocv_v", "pass")
PLACE = ("row", "col", "x", "y")
_TRUE = {"true", "1", "yes", "pass", "t", "y"}
_FALSE = {"false", "0", "no", "fail", "f", "n"}
MICRO = 1_000_000
MAX_IMPEDANCE_OHM = 1e5   # integer spread tests stay inside int64 (micro-ohm x 1e7)
MAX_OCV_V = 100.0
MAX_CAPACITY_MAH = 1e5    # one cell; 20 M of them still sum inside int64 nAh


@dataclass(frozen=True)
class SheetCount:
    """Rows and passing cells one sheet of the maps holds."""

    sheet: str
    rows: int
    passing: int


@dataclass(frozen=True)
class Cells:
    """The passing cells of one or many maps, one array entry per cell (file order)."""

    sheet: np.ndarray        # int32 index into sheet_names
    sheet_names: tuple[str, ...]
    cell_id: pl.Series       # ids as written in the map (text)
    row: np.ndarray          # int64 (-1 if the map has none)
    col: np.ndarray          # int64
    x: np.ndarray            # float64 mm (nan if none)
    y: np.ndarray            # float64 mm
    cap_nah: np.ndarray      # int64 capacity, nAh (measured or nominal)
    z_uohm: np.ndarray       # int64 impedance, micro-ohm
    v_uv: np.ndarray         # int64 OCV, microvolt
    measured_capacity: bool  # False: every capacity is the sizing model's nominal value
    sheets: tuple[SheetCount, ...]

    @property
    def n(self) -> int:
        return int(self.cap_nah.size)

    def take(self, idx: np.ndarray) -> Cells:
        """The cells at idx (same sheets)."""
        return Cells(self.sheet[idx], self.sheet_names, self.cell_id.gather(idx), self.row[idx],
                     self.col[idx], self.x[idx], self.y[idx], self.cap_nah[idx],
                     self.z_uohm[idx], self.v_uv[idx], self.measured_capacity, self.sheets)


def micro(values: np.ndarray) -> np.ndarray:
    """Floats -> int64 counts of 1e-6 (half-even)."""
    return np.rint(np.asarray(values, dtype=np.float64) * MICRO).astype(np.int64)


def _pass_mask(col: pl.Series, path: Path) -> np.ndarray:
    if col.dtype == pl.Boolean:
        if col.null_count():
            raise LayoutgenError(f"{path}: column 'pass' has empty values (give true/false/1/0)")
        return col.to_numpy().astype(bool)
    text = col.cast(pl.Utf8).str.strip_chars().str.to_lowercase()
    good = text.is_in(list(_TRUE)).fill_null(False)
    bad = text.is_in(list(_FALSE)).fill_null(False)
    odd = ~(good | bad)
    if odd.any():
        first = int(np.flatnonzero(odd.to_numpy())[0])
        raise LayoutgenError(f"{path}: column 'pass' row {first + 2}: {col[first]!r} is not "
                             "true/false/1/0")
    return good.to_numpy()


def _numbers(frame: pl.DataFrame, name: str, path: Path, positive: bool,
             most: float = 1e9) -> np.ndarray:
    try:
        col = frame[name].cast(pl.Float64, strict=True)
    except pl.exceptions.PolarsError:
        raise LayoutgenError(f"{path}: column {name!r} holds a value that is not a number"
                             ) from None
    arr = col.to_numpy()
    bad = ~np.isfinite(arr) | (arr <= 0 if positive else np.zeros(arr.shape, bool))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        what = "a positive finite number" if positive else "a finite number"
        raise LayoutgenError(f"{path}: column {name!r} row {i + 2} of the passing cells: "
                             f"{col[i]!r} is not {what}")
    if np.abs(arr).max(initial=0) > most:
        raise LayoutgenError(f"{path}: column {name!r} has a value over {most:g} (not a "
                             "measurement of a cell)")
    return arr


def _read_one(path: Path) -> pl.DataFrame:
    data = fileio.read_input(path, "bins map", "manifest")
    try:
        frame = pl.read_csv(io.BytesIO(data), infer_schema_length=0)  # all text: exact reads
    except pl.exceptions.PolarsError as exc:
        first = str(exc).splitlines()[0][:120]
        raise LayoutgenError(f"{path}: not a readable CSV bins map ({first})") from None
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise LayoutgenError(f"{path}: bins map lacks column(s) {', '.join(missing)} (needs "
                             f"{', '.join(REQUIRED)}; optional capacity_mah, row, col, x, y)")
    return frame


def read_cells(paths: list[Path] | tuple[Path, ...], nominal_cap_nah: int) -> Cells:
    """The passing cells of the maps (in file order); capacity from `capacity_mah` when every
    map has it, else `nominal_cap_nah` for every cell."""
    if not paths:
        raise LayoutgenError("give at least one bins.csv map")
    frames = []
    for p in paths:
        path = Path(p)
        try:
            frames.append((path, _read_one(path)))
        except FileNotFoundError:
            raise LayoutgenError(f"{path}: bins map not found") from None
    measured = all("capacity_mah" in f.columns for _, f in frames)
    names: dict[str, int] = {}
    counts: dict[str, list[int]] = {}
    parts: list[dict[str, np.ndarray]] = []
    ids: list[pl.Series] = []
    total = 0
    for path, frame in frames:
        keep = _pass_mask(frame["pass"], path)
        good = frame.filter(pl.Series(keep))
        total += good.height
        if total > MAX_CELLS and not fileio.LIFT_LIMITS.get():
            raise LayoutgenError(f"{path}: the maps hold over {MAX_CELLS:,} passing cells, "
                                 "more than one run stacks (--force stacks them anyway)")
        sheet_txt = frame["sheet"].fill_null("").str.strip_chars()
        for s, n_all in sheet_txt.value_counts(sort=False).sort("sheet").iter_rows():
            counts.setdefault(str(s), [0, 0])[0] += int(n_all)
        g_sheet = good["sheet"].fill_null("").str.strip_chars()
        if (g_sheet == "").any():
            raise LayoutgenError(f"{path}: a passing cell has an empty 'sheet'")
        uniq = g_sheet.unique().sort()
        lut = pl.Series([names.setdefault(str(u), len(names)) for u in uniq], dtype=pl.Int32)
        codes = g_sheet.replace_strict(uniq, lut, return_dtype=pl.Int32).to_numpy() \
            if uniq.len() else np.zeros(0, dtype=np.int32)
        for u, c in g_sheet.value_counts(sort=False).iter_rows():
            counts[str(u)][1] += int(c)
        ids.append(good["id"].fill_null(""))
        part = {
            "sheet": codes,
            "z": _numbers(good, "impedance_ohm", path, True, MAX_IMPEDANCE_OHM),
            "v": _numbers(good, "ocv_v", path, False, MAX_OCV_V),
        }
        if measured:
            part["c"] = _numbers(good, "capacity_mah", path, True, MAX_CAPACITY_MAH)
        for k in PLACE:
            if k in good.columns:
                arr = good[k].cast(pl.Float64, strict=False).fill_null(np.nan).to_numpy()
            else:
                arr = np.full(good.height, np.nan)
            part[k] = arr
        parts.append(part)

    def cat(key: str) -> np.ndarray:
        return np.concatenate([p[key] for p in parts])

    n = sum(p["sheet"].size for p in parts)
    cap = micro(cat("c")) if measured else np.full(n, nominal_cap_nah, dtype=np.int64)
    rowf, colf = cat("row"), cat("col")
    return Cells(
        sheet=cat("sheet").astype(np.int32),
        sheet_names=tuple(sorted(names, key=names.__getitem__)),
        cell_id=pl.concat(ids) if ids else pl.Series("id", [], dtype=pl.Utf8),
        row=np.where(np.isfinite(rowf), rowf, -1).astype(np.int64),
        col=np.where(np.isfinite(colf), colf, -1).astype(np.int64),
        x=cat("x"), y=cat("y"),
        cap_nah=cap, z_uohm=micro(cat("z")), v_uv=micro(cat("v")),
        measured_capacity=measured,
        sheets=tuple(SheetCount(s, c[0], c[1]) for s, c in counts.items()),
    )
