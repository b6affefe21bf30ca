"""Tester maps in (CSV, or Parquet), each row joined to its cell of the manifest.

Columns, by name (case-insensitive):
- `sheet` (or `sheet_id`): the sheet; without it the whole file is one sheet named by the file;
- the cell: `id`, or `row` and `col`, or the tester's `x`,`y` (mm; `x_mm`,`y_mm` or `x_um`,
  `y_um` too) mapped through the deck's [transform] and matched to the nearest pad within
  `match.tolerance_mm`;
- measured values, their unit in the name (`ocv_v`, `impedance_ohm`, see `binning.units`);
- metadata: `condition` / `condition_*` (the test condition) and `lot`, `tester`, `operator`,
  `timestamp`, `date`, `time`, `program`, `notes`, kept per sheet.

Nothing is dropped: every row keeps its file and data-row number, and the rows that match no
cell, the cells measured twice, the values that are not numbers and the cells never measured
are counted with their first rows (or refused, as the deck's [match] says).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl
from scipy.spatial import cKDTree

from layoutgen.binning.bindeck import BinDeck
from layoutgen.binning.cells import read_bytes
from layoutgen.binning.transform import to_sheet
from layoutgen.binning.units import require_unit
from layoutgen.errors import LayoutgenError
from layoutgen.export.manifest import Manifest
from layoutgen.fileio import check_stem, decode_utf8
from layoutgen.units import nm_to_mm

SHEET_COLS = ("sheet", "sheet_id")
META_COLS = frozenset({"lot", "lot_id", "tester", "operator", "timestamp", "date", "time",
                       "program", "notes", "comment"})
XY_COLS = {("x", "y"): 1.0, ("x_mm", "y_mm"): 1.0, ("x_um", "y_um"): 1e-3}
FIRST = 5  # rows shown for each kind of problem


@dataclass(frozen=True)
class Problem:
    """One kind of input problem: how many, and the first few rows as text."""

    kind: str  # no_match | duplicate | non_numeric | untested
    count: int
    first: tuple[str, ...]


@dataclass(frozen=True)
class MapRows:
    """Every tester row of every map, joined to the manifest.

    `rows` columns: map (file index), map_row (data row from 1), sheet, cell (manifest row
    index, -1 for no match), each parameter (Float64, null if missing or not a number), bad
    (a parameter missing or not a number), dup (the cell has another row on its sheet).
    """

    rows: pl.DataFrame
    files: tuple[str, ...]
    parameters: tuple[str, ...]
    units: dict[str, str]
    keyed_by: tuple[str, ...]
    conditions: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)


def _read_frame(path: Path) -> pl.DataFrame:
    data = read_bytes(path, "tester map")
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            df = pl.read_parquet(io.BytesIO(data))
        else:
            decode_utf8(data, path, "tester map")  # one line naming a bad byte's offset
            df = pl.read_csv(io.BytesIO(data), infer_schema=False, comment_prefix="#",
                             raise_if_empty=False)
    except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise LayoutgenError(f"{path}: cannot read the tester map ({first[:160]})") from None
    if df.height == 0:
        raise LayoutgenError(f"{path}: the tester map has no data rows")
    return df


@dataclass(frozen=True)
class MapColumns:
    """What each column of one tester map is."""

    sheet: str | None  # the sheet column, if any
    key: tuple[str, ...]  # ("id",), ("row", "col") or the x,y pair
    measured: tuple[str, ...]
    meta: tuple[str, ...]
    scale: float  # x,y unit in mm


def _columns(df: pl.DataFrame, where: str) -> MapColumns:
    """Sort the columns: sheet, cell key, measured values (unit in the name), metadata."""
    cols = list(df.columns)
    sheet = next((c for c in SHEET_COLS if c in cols), None)
    if "id" in cols:
        key: tuple[str, ...] = ("id",)
    elif "row" in cols and "col" in cols:
        key = ("row", "col")
    else:
        xy = next(((pair, s) for pair, s in XY_COLS.items() if pair[0] in cols and pair[1] in
                   cols), None)
        if xy is None:
            raise LayoutgenError(
                f"{where}: no column naming the cell (give id, or row and col, or the tester's "
                f"x and y in mm); columns are {', '.join(cols[:12])}")
        key = xy[0]
    scale = XY_COLS.get(key, 1.0) if len(key) == 2 and key[0].startswith("x") else 1.0
    keys = set(key) | set(SHEET_COLS) | {"id", "row", "col"}
    measured, meta = [], []
    for c in cols:
        if c in keys:
            continue
        if c in META_COLS or c == "condition" or c.startswith("condition_"):
            meta.append(c)
            continue
        require_unit(c, where)
        measured.append(c)
    if not measured:
        raise LayoutgenError(f"{where}: no measured column (e.g. ocv_v, impedance_ohm)")
    return MapColumns(sheet, key, tuple(measured), tuple(meta), scale)


def _as_float(df: pl.DataFrame, c: str) -> pl.Series:
    """A measured column as Float64: null where it is empty, not a number, nan or inf."""
    s = df.get_column(c)
    if s.dtype == pl.String:
        v = s.str.strip_chars().cast(pl.Float64, strict=False)
    elif s.dtype.is_numeric():
        v = s.cast(pl.Float64)
    else:
        raise LayoutgenError(f"column {c!r}: holds {s.dtype}, not numbers")
    finite = v.is_finite().fill_null(False)
    return pl.select(pl.when(finite).then(v).otherwise(None)).to_series().alias(c)


def _ints(df: pl.DataFrame, c: str) -> np.ndarray:
    """An integer key column, -1 where it is not a whole number."""
    s = df.get_column(c)
    if s.dtype == pl.String:
        s = s.str.strip_chars()
    v = s.cast(pl.Float64, strict=False).to_numpy()
    ok = np.isfinite(v) & (v == np.round(v)) & (np.abs(v) < 2**53)
    return np.where(ok, v, -1).astype(np.int64)


def _match(df: pl.DataFrame, key: tuple[str, ...], scale: float, m: Manifest, deck: BinDeck,
           sheet_nm: tuple[int, int], where: str) -> np.ndarray:
    """Manifest row index of every tester row (-1: no cell)."""
    n = m.count
    if key == ("id",):
        ids = _ints(df, "id")
        order = np.argsort(m.id, kind="stable")
        pos = np.searchsorted(m.id[order], ids).clip(0, max(n - 1, 0))
        hit = (n > 0) & (m.id[order][pos] == ids) & (ids >= 0)
        return np.where(hit, order[pos], -1)
    if key == ("row", "col"):
        r, c = _ints(df, "row"), _ints(df, "col")
        width = int(m.col.max()) + 1 if n else 1
        mkey = m.row * width + m.col
        if np.unique(mkey).size != n:
            raise LayoutgenError(f"{where}: row,col do not name the cells of this manifest one "
                                 "to one (a mixed layout); key the map by id or x,y")
        tkey = np.where((r >= 0) & (c >= 0) & (c < width), r * width + c, -1)
        order = np.argsort(mkey, kind="stable")
        pos = np.searchsorted(mkey[order], tkey).clip(0, max(n - 1, 0))
        hit = (n > 0) & (mkey[order][pos] == tkey) & (tkey >= 0)
        return np.where(hit, order[pos], -1)
    u = df.get_column(key[0]).cast(pl.Float64, strict=False).to_numpy() * scale
    v = df.get_column(key[1]).cast(pl.Float64, strict=False).to_numpy() * scale
    bad = ~(np.isfinite(u) & np.isfinite(v))
    if bad.any():
        i = int(np.argmax(bad))
        raise LayoutgenError(f"{where}: data row {i + 1}: {key[0]},{key[1]} are not numbers")
    tol = deck.match.tolerance_nm
    x, y = to_sheet(deck.transform, sheet_nm, u, v, tolerance_nm=tol, where=where)
    tree = cKDTree(np.column_stack([m.pad_x, m.pad_y]))
    dist, idx = tree.query(np.column_stack([x, y]), k=1,
                           distance_upper_bound=nm_to_mm(tol) * (1 + 1e-12))
    return np.where(np.isfinite(dist), idx, -1).astype(np.int64)


def _sheet_ids(df: pl.DataFrame, sheet: str | None, path: Path, where: str) -> pl.Series:
    if sheet is None:
        name = check_stem(path.stem, f"{where}: sheet (the file name)")
        return pl.Series("sheet", [name] * df.height, dtype=pl.String)
    s = df.get_column(sheet).cast(pl.String).str.strip_chars()
    if s.null_count() or (s.str.len_bytes() == 0).any():
        i = int(np.argmax((s.is_null() | (s.str.len_bytes() == 0)).to_numpy()))
        raise LayoutgenError(f"{where}: data row {i + 1} has no sheet id")
    for name in s.unique(maintain_order=True).head(10_001).to_list():
        check_stem(name, f"{where}: sheet")
    return s.alias("sheet")


def read_maps(paths: Sequence[Path], m: Manifest, deck: BinDeck,
              sheet_nm: tuple[int, int], names: Sequence[str] | None = None) -> MapRows:
    """Read and join every map; problems counted (refusals raised as the deck says). `names`:
    how the outputs and the problems' first rows name each map (default: its path)."""
    if not paths:
        raise LayoutgenError("bin: give at least one tester map")
    frames: list[pl.DataFrame] = []
    params: dict[str, str] = {}
    keyed: list[str] = []
    conditions: dict[str, dict[str, tuple[str, ...]]] = {}
    for k, path in enumerate(paths):
        where = names[k] if names is not None else str(path)
        raw = _read_frame(Path(path))
        lowered = [c.strip().lower() for c in raw.columns]
        if len(set(lowered)) != len(lowered):
            dup = next(c for c in lowered if lowered.count(c) > 1)
            raise LayoutgenError(f"{where}: column {dup!r} given twice")
        raw = raw.rename(dict(zip(raw.columns, lowered, strict=True)))
        mc = _columns(raw, where)
        keyed.append(",".join(mc.key))
        sheets = _sheet_ids(raw, mc.sheet, Path(path), where)
        cell = _match(raw, mc.key, mc.scale, m, deck, sheet_nm, where)
        cols: list[pl.Series] = [
            pl.Series("map", np.full(raw.height, k, np.int32)),
            pl.Series("map_row", np.arange(1, raw.height + 1, dtype=np.int64)),
            sheets, pl.Series("cell", cell)]
        bad = np.zeros(raw.height, bool)
        for c in mc.measured:
            v = _as_float(raw, c)
            cols.append(v)
            bad |= v.is_null().to_numpy()
            params.setdefault(c, require_unit(c, where))
        cols.append(pl.Series("bad", bad))
        frames.append(pl.DataFrame(cols))
        if mc.meta:
            table = pl.DataFrame([sheets, *(raw.get_column(c).cast(pl.String) for c in mc.meta)])
            for part in table.partition_by("sheet", maintain_order=True):
                sid = str(part.get_column("sheet")[0])
                entry = conditions.setdefault(sid, {})
                for c in mc.meta:
                    vals = part.get_column(c).drop_nulls().unique(maintain_order=True)
                    entry[c] = tuple(str(x) for x in vals.head(FIRST).to_list())
    rows = pl.concat(frames, how="diagonal_relaxed") if len(frames) > 1 else frames[0]
    missing = [pl.col(name).is_null() for name in params]  # not measured in some file
    twice = (pl.col("cell") >= 0) & (pl.len().over(["sheet", "cell"]) > 1)
    rows = rows.with_columns(pl.any_horizontal(pl.col("bad"), *missing).alias("bad"),
                             twice.alias("dup"))
    return MapRows(rows, tuple(names) if names is not None else tuple(str(p) for p in paths),
                   tuple(params), params, tuple(keyed),
                   conditions)


def problems(mr: MapRows, untested: int, first_untested: tuple[str, ...]) -> tuple[Problem, ...]:
    """The four kinds of input problems with their first rows."""
    r = mr.rows
    out = []
    for kind, mask, what in (
        ("no_match", pl.col("cell") < 0, "matches no cell"),
        ("duplicate", pl.col("dup"), "measures a cell measured again"),
        ("non_numeric", pl.col("bad") & (pl.col("cell") >= 0) & ~pl.col("dup"),
         "has a value missing or not a number"),
    ):
        sel = r.filter(mask)
        first = tuple(f"{mr.files[int(a)]} data row {int(b)} (sheet {s}): {what}"
                      for a, b, s in sel.select("map", "map_row", "sheet").head(FIRST).iter_rows())
        out.append(Problem(kind, sel.height, first))
    out.append(Problem("untested", untested, first_untested))
    return tuple(out)


def refuse(found: tuple[Problem, ...], deck: BinDeck) -> None:
    """Raise for the first problem the deck's [match] says to refuse."""
    policy = {"no_match": deck.match.unmatched, "duplicate": deck.match.duplicate,
              "non_numeric": deck.match.non_numeric, "untested": deck.match.untested}
    key = {"no_match": "unmatched", "duplicate": "duplicate", "non_numeric": "non_numeric",
           "untested": "untested"}
    for p in found:
        if p.count and policy[p.kind] == "refuse":
            raise LayoutgenError(
                f"{p.count} tester rows/cells: {p.kind.replace('_', ' ')} (first: {p.first[0]}); "
                f"match.{key[p.kind]} = \"refuse\" (set it to \"bin\" to give them their bin)")
