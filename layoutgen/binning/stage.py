"""`layoutgen bin`: tester maps + cells.csv + bin deck -> bins, yield by zone, pictures.

`bin_maps` returns a `BinResult`; `write_bin_outputs` writes bins.csv, yield.json, the pick
maps and (optionally) the pictures into one staged folder; `read_rejects` gives the laser the
failing cells of each sheet; `report_section` the part of report.html about bins.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import polars as pl

from layoutgen.binning import geometry, ingest, outputs
from layoutgen.binning import pictures as pictures_mod
from layoutgen.binning.bindeck import BinDeck, load_bin_deck, transform_overrides
from layoutgen.binning.cells import read_bytes, read_cells
from layoutgen.binning.classify import SheetInput, classify_sheet
from layoutgen.binning.e142 import split_grids
from layoutgen.binning.ingest import Problem
from layoutgen.binning.result import BinCount, BinResult, InputCounts, LotYield, SheetYield
from layoutgen.binning.zones import zone_counts, zone_index, zone_yields
from layoutgen.errors import LayoutgenError
from layoutgen.export.manifest import Manifest
from layoutgen.fileio import check_out_dir, staged_dir, write_bytes
from layoutgen.report_model import ReportFigure, ReportSection, ReportTable
from layoutgen.shapes import CellShape

MAX_TABLE_CELLS = 200_000_000  # sheets x cells held in memory (--force does not lift: RAM)


def _mm6(nm: pl.Expr) -> pl.Expr:
    """Integer nm as mm text with 6 decimals, exactly (as cells.csv writes them)."""
    a = nm.abs()
    sign = pl.when(nm < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    return pl.concat_str([sign, (a // 1_000_000).cast(pl.String), pl.lit("."),
                          (a % 1_000_000).cast(pl.String).str.zfill(6)])


def _pareto(deck: BinDeck, counts: np.ndarray) -> tuple[BinCount, ...]:
    rows = [BinCount(b.code, b.name, b.passed, int(counts[i]))
            for i, b in enumerate(deck.bins) if counts[i]]
    order = sorted(range(len(rows)), key=lambda j: (-rows[j].cells, j))
    return tuple(rows[j] for j in order)


def _check_deck_fits(deck: BinDeck, mr: ingest.MapRows, found: tuple[Problem, ...]) -> None:
    for b in deck.bins:
        if b.parameter is not None and b.parameter not in mr.units:
            raise LayoutgenError(
                f"bin deck: bin {b.name!r} tests {b.parameter!r}, which no map measures "
                f"(measured: {', '.join(mr.parameters)}); give a deck for these columns")
    policy_key = {"no_match": "unmatched", "duplicate": "duplicate",
                  "non_numeric": "non_numeric", "untested": "untested"}
    for p in found:
        if p.count and deck.of_rule(p.kind) is None:
            raise LayoutgenError(
                f"{p.count} rows/cells: {p.kind.replace('_', ' ')} (first: {p.first[0]}), but "
                f"the bin deck has no {p.kind} bin; add one, or set "
                f"match.{policy_key[p.kind]} = \"refuse\"")


def _sheet_input(part: pl.DataFrame, parameters: tuple[str, ...], n: int) -> SheetInput:
    """One sheet's rows as per-cell arrays (a cell measured twice keeps its first row's
    values for display; its bin is the duplicate bin)."""
    cell = part.get_column("cell").to_numpy()
    hit = cell >= 0
    cnt = np.bincount(cell[hit], minlength=n)
    uc, first = np.unique(cell[hit], return_index=True)
    values = {}
    for p in parameters:
        v = np.full(n, np.nan)
        v[uc] = part.get_column(p).to_numpy()[hit].astype(float)[first]  # null -> NaN
        values[p] = v
    bad = np.zeros(n, bool)
    bad[uc] = part.get_column("bad").to_numpy()[hit][first]
    return SheetInput(values, cnt > 0, cnt > 1, bad)


def _first_untested(inputs: list[SheetInput], sheet_ids: tuple[str, ...], m: Manifest
                    ) -> tuple[str, ...]:
    out: list[str] = []
    for sid, c in zip(sheet_ids, inputs, strict=True):
        for i in np.flatnonzero(~c.tested)[: ingest.FIRST - len(out)]:
            out.append(f"sheet {sid}: cell id {int(m.id[i])} (row {int(m.row[i])}, col "
                       f"{int(m.col[i])}) has no tester row")
    return tuple(out)


def bin_maps(maps: Sequence[Path], manifest: Path, rules: Path | Sequence[Path] | None, *,
             outline: CellShape | None = None, job: Path | None = None,
             sheet_nm: tuple[int, int] | None = None,
             transform: Sequence[str] = (), names: Sequence[str] | None = None) -> BinResult:
    """Read the tester maps, join them to the manifest, bin every cell, count yields.

    `outline`/`job` give the true cell outline (for pictures), `sheet_nm` or the job the sheet
    size (else the manifest extent); `transform` holds `key=value` overrides of [transform];
    `names` how the outputs name the maps (default: their paths).
    Refusals (as the deck's [match] says) raise LayoutgenError before anything is written.
    """
    paths = [rules] if isinstance(rules, Path | str) else list(rules or [])
    loaded = load_bin_deck([Path(p) for p in paths], transform_overrides(list(transform)))
    deck = loaded.deck
    m = read_cells(Path(manifest))
    if m.count == 0:
        raise LayoutgenError(f"{manifest}: the manifest has no cells")
    geo = geometry.resolve(m, outline=outline, job=job, sheet_nm=sheet_nm)
    mr = ingest.read_maps([Path(p) for p in maps], m, deck, geo.sheet_nm, names)
    rows = mr.rows.with_row_index("_r")
    n = m.count
    sheet_ids = tuple(rows.get_column("sheet").unique(maintain_order=True).to_list())
    if len(sheet_ids) * n > MAX_TABLE_CELLS:
        raise LayoutgenError(f"{len(sheet_ids):,} sheets x {n:,} cells = "
                             f"{len(sheet_ids) * n:,} cells to bin, over the limit of "
                             f"{MAX_TABLE_CELLS:,}: bin the lot in parts")
    x_nm = np.rint(m.x * 1e6).astype(np.int64)
    y_nm = np.rint(m.y * 1e6).astype(np.int64)
    xy = np.column_stack([m.x, m.y])
    zi = zone_index(x_nm, y_nm, m.field, geo.sheet_nm, deck.zones)
    area = geo.sheet_nm[0] * geo.sheet_nm[1] / 1e12
    nb = len(deck.bins)
    no_match_idx = next((i for i, b in enumerate(deck.bins) if b.rule == "no_match"), -1)

    # each sheet's cells (untested ones counted for the problem report), then the deck's
    # policies, then binning
    parts = rows.partition_by("sheet", maintain_order=True)
    inputs = [_sheet_input(part, mr.parameters, n) for part in parts]
    untested_total = sum(int((~c.tested).sum()) for c in inputs)
    dup_cells = sum(int(c.duplicate.sum()) for c in inputs)
    first_untested = _first_untested(inputs, sheet_ids, m)
    found = ingest.problems(mr, untested_total, first_untested)
    ingest.refuse(found, deck)
    _check_deck_fits(deck, mr, found)

    cell_bins = np.empty((len(parts), n), np.int16)
    row_bin = np.full(rows.height, no_match_idx, np.int16)
    rule_texts: list[str] = []
    sheets: list[SheetYield] = []
    lot_bins = np.zeros(nb, np.int64)
    lot_zone = None
    untested_frames = []
    for s, (part, cells) in enumerate(zip(parts, inputs, strict=True)):
        sid = sheet_ids[s]
        res = classify_sheet(deck, cells, xy, area, sid)
        b = res.bin_index
        cell_bins[s] = b
        rule_texts.extend(res.rule_text)
        cell = part.get_column("cell").to_numpy()
        r = part.get_column("_r").to_numpy()
        row_bin[r] = np.where(cell >= 0, b[np.maximum(cell, 0)], no_match_idx)
        miss = np.flatnonzero(~cells.tested)
        if len(miss):
            untested_frames.append(pl.DataFrame({
                "sheet": [sid] * len(miss), "cell": miss.astype(np.int64),
                "bin_i": b[miss].astype(np.int16), "sheet_i": np.full(len(miss), s, np.int32)}))
        passed_cells = np.array([x.passed for x in deck.bins])[b]
        counts = np.bincount(b, minlength=nb)
        lot_bins += counts
        zc = zone_counts(zi, passed_cells)
        lot_zone = zc if lot_zone is None else tuple(
            (a[0] + c[0], a[1] + c[1]) for a, c in zip(lot_zone, zc, strict=True))
        cond = mr.conditions.get(sid, {})
        sheets.append(SheetYield(
            sid, n, int(cells.tested.sum()), int(passed_cells.sum()),
            int((cell < 0).sum()), _pareto(deck, counts), zone_yields(zi, zc), res.dynamic,
            tuple(sorted(cond.items()))))

    sheet_index = {sid: i for i, sid in enumerate(sheet_ids)}
    table = _table(rows, row_bin, untested_frames, sheet_index, m, x_nm, y_nm, deck, mr,
                   rule_texts)
    values = {p: np.stack([c.values[p] for c in inputs]) for p in mr.parameters}
    hit_rows = int((mr.rows.get_column("cell") >= 0).sum())
    counts_ = InputCounts(
        rows=mr.rows.height, matched_rows=hit_rows, unmatched_rows=mr.rows.height - hit_rows,
        duplicate_rows=int(mr.rows.get_column("dup").sum()), duplicate_cells=dup_cells,
        non_numeric_rows=int((mr.rows.get_column("bad") & (mr.rows.get_column("cell") >= 0))
                             .sum()),
        untested_cells=untested_total)
    passed_total = sum(s.passed for s in sheets)
    lot = LotYield(len(sheets), n * len(sheets), passed_total, _pareto(deck, lot_bins),
                   zone_yields(zi, lot_zone) if lot_zone is not None else ())
    return BinResult(deck, loaded.sources, mr.files, m, geo, mr.parameters, mr.units,
                     sheet_ids, table, cell_bins, values, tuple(sheets), lot, counts_, found)


def _table(rows: pl.DataFrame, row_bin: np.ndarray, untested: list[pl.DataFrame],
           sheet_index: dict[str, int], m: Manifest, x_nm: np.ndarray, y_nm: np.ndarray,
           deck: BinDeck, mr: ingest.MapRows, rule_texts: list[str]) -> pl.DataFrame:
    """bins.csv as a frame: every tester row in input order, then the untested cells."""
    nb = len(deck.bins)
    sheet_i = rows.get_column("sheet").replace_strict(sheet_index, return_dtype=pl.Int32)
    base = rows.select("sheet", "cell", *mr.parameters, "map", "map_row").with_columns(
        pl.Series("bin_i", row_bin), sheet_i.alias("sheet_i"))
    if untested:
        base = pl.concat([base, *untested], how="diagonal_relaxed")
    codes = pl.Series([b.code for b in deck.bins], dtype=pl.Int32)
    names = pl.Series([b.name for b in deck.bins], dtype=pl.String)
    passes = pl.Series([b.passed for b in deck.bins], dtype=pl.Boolean)
    texts = pl.Series(rule_texts, dtype=pl.String)
    cell = base.get_column("cell").to_numpy()
    hit = cell >= 0
    safe = np.maximum(cell, 0)
    bi = base.get_column("bin_i").cast(pl.Int64)
    si = base.get_column("sheet_i").cast(pl.Int64)
    mcols = pl.DataFrame({"id": m.id[safe], "row": m.row[safe], "col": m.col[safe],
                          "xn": x_nm[safe], "yn": y_nm[safe], "hit": hit})
    none = pl.lit(None)
    out = pl.concat([base, mcols], how="horizontal").select(
        "sheet",
        pl.when("hit").then(pl.col("id")).otherwise(none).alias("id"),
        pl.when("hit").then(pl.col("row")).otherwise(none).alias("row"),
        pl.when("hit").then(pl.col("col")).otherwise(none).alias("col"),
        pl.when("hit").then(_mm6(pl.col("xn"))).otherwise(none).alias("x"),
        pl.when("hit").then(_mm6(pl.col("yn"))).otherwise(none).alias("y"),
        *mr.parameters,
        codes.gather(bi).alias("bin"),
        names.gather(bi).alias("bin_name"),
        passes.gather(bi).alias("pass"),
        texts.gather(si * nb + bi).alias("rule"),
        "map", "map_row")
    return out


def bins_summary(result: BinResult) -> dict[str, object]:
    """The bin stage's figures for a run's summary.json: yield per sheet and for the lot, the
    lot's bin Pareto and the input accounting."""
    lot = result.lot
    return {
        "sheets": [{"sheet": s.sheet, "cells": s.cells, "tested": s.tested, "passed": s.passed,
                    "yield": round(s.yield_, 6)} for s in result.sheets],
        "lot": {"sheets": lot.sheets, "cells": lot.cells, "passed": lot.passed,
                "yield": round(lot.yield_, 6),
                "pareto": outputs.pareto_dicts(lot.pareto)},
        "input": asdict(result.counts),
    }


def read_rejects(bins_csv: Path) -> dict[str, frozenset[int]]:
    """Sheet id -> ids of the failing cells, from a bins.csv (for `toolpath --rejects`)."""
    data = read_bytes(Path(bins_csv), "bins.csv")
    try:
        df = pl.read_csv(data, columns=["sheet", "id", "pass"],
                         schema_overrides={"sheet": pl.String, "id": pl.Int64,
                                           "pass": pl.Boolean})
    except (pl.exceptions.PolarsError, ValueError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise LayoutgenError(f"{bins_csv}: not a bins.csv written by `layoutgen bin` "
                             f"(needs columns sheet, id, pass; {first[:120]})") from None
    fail = df.filter(pl.col("id").is_not_null() & ~pl.col("pass"))
    out: dict[str, frozenset[int]] = {s: frozenset() for s in
                                      df.get_column("sheet").unique(maintain_order=True)}
    for part in fail.partition_by("sheet", maintain_order=True):
        out[str(part.get_column("sheet")[0])] = frozenset(
            int(i) for i in part.get_column("id").to_list())
    return out


OUTPUT_FILES = ("bins.csv", "yield.json", "yield.csv", "pickmap.csv", "pickmap.e142.xml")


def write_bin_outputs(result: BinResult, out_dir: Path | str, *, overwrite: bool = False,
                      pictures: bool = True) -> list[Path]:
    """bins.csv, yield.json, yield.csv, pickmap.csv, pickmap.e142.xml (and the pictures)
    written into one staged folder: all of them or none."""
    written: list[str] = []
    if pictures:
        pictures_mod.check_picture_count(result)  # before anything is written
    with staged_dir(out_dir, overwrite=overwrite) as tmp:
        split = split_grids(result.manifest)
        files = {"bins.csv": outputs.bins_csv(result),
                 "yield.json": outputs.yield_json(result, split),
                 "yield.csv": outputs.yield_csv(result),
                 "pickmap.csv": outputs.pickmap_csv(result),
                 "pickmap.e142.xml": outputs.e142_bytes(result, split)}
        for name, data in files.items():
            (tmp / name).write_bytes(data)
            written.append(name)
        if pictures:
            written += write_bin_pictures(result, tmp)
    return [Path(out_dir) / n for n in written]


def write_bin_pictures(result: BinResult, out_dir: Path | str) -> list[str]:
    """The heat, bin and stacked maps (PNG + SVG) into an existing folder, each file written
    atomically; returns the file names."""
    folder = Path(out_dir)

    def write(name: str, data: bytes) -> None:
        write_bytes(folder / name, data)

    return pictures_mod.draw_all(result, write)


def report_section(result: BinResult, figures: Sequence[str] | None = None) -> ReportSection:
    """The bins section of report.html: yield per sheet and lot, the lot's bin Pareto, yield
    by zone, the input problems; `figures` default to the PNG names `write_bin_pictures`
    writes (give the names it returned if pictures were written elsewhere)."""
    if figures is None:
        figures = [n for n in pictures_mod.picture_names(result) if n.endswith(".png")]
    pct = "{:.1f} %".format
    per_sheet = tuple((s.sheet, f"{s.cells:,}", f"{s.tested:,}", f"{s.passed:,}",
                       pct(100 * s.yield_)) for s in result.sheets)
    lot = result.lot
    per_sheet += (("lot", f"{lot.cells:,}", f"{sum(s.tested for s in result.sheets):,}",
                   f"{lot.passed:,}", pct(100 * lot.yield_)),)
    pareto = tuple((str(b.code), b.name, "pass" if b.passed else "fail", f"{b.cells:,}",
                    pct(100 * b.cells / lot.cells if lot.cells else 0.0)) for b in lot.pareto)
    zones = tuple((z.kind, z.label, f"{z.cells:,}", f"{z.passed:,}", pct(100 * z.yield_))
                  for z in lot.zones)
    problems = tuple((p.kind, f"{p.count:,}", p.first[0] if p.first else "")
                     for p in result.problems)
    return ReportSection(
        "bins", "Test maps and bins",
        (ReportTable("bins-yield", ("sheet", "cells", "tested", "passed", "yield"), per_sheet,
                     "Yield per sheet"),
         ReportTable("bins-pareto", ("code", "bin", "pass", "cells", "share"), pareto,
                     "Bin Pareto (lot)"),
         ReportTable("bins-zones", ("kind", "zone", "cells", "passed", "yield"), zones,
                     "Yield by zone (lot)"),
         ReportTable("bins-input", ("problem", "count", "first"), problems, "Input rows")),
        tuple(ReportFigure(f, f.rsplit(".", 1)[0].replace("_", " ")) for f in figures))


@dataclass(frozen=True)
class BinRun:
    """What `layoutgen bin` did: the result and the files it wrote."""

    result: BinResult
    files: tuple[Path, ...]


def bin_command(maps: Sequence[Path], manifest: Path, rules: Sequence[Path], out_dir: Path, *,
                outline: CellShape | None = None, job: Path | None = None,
                sheet_nm: tuple[int, int] | None = None, transform: Sequence[str] = (),
                pictures: bool = True, overwrite: bool = False) -> BinRun:
    """`bin_maps` then `write_bin_outputs` (the output folder checked before any work)."""
    check_out_dir(out_dir)
    result = bin_maps(maps, manifest, rules, outline=outline, job=job, sheet_nm=sheet_nm,
                      transform=transform)
    files = write_bin_outputs(result, out_dir, overwrite=overwrite, pictures=pictures)
    return BinRun(result, tuple(files))
