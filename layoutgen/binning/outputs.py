"""The files `bin` writes: bins.csv, yield.json, yield.csv, pickmap.csv, pickmap.e142.xml.

Bytes only (the caller stages them): same result -> same bytes.
"""

from __future__ import annotations

import io
import json
import math
from typing import Any

import numpy as np
import polars as pl

from layoutgen.binning.e142 import GridSplit, e142_xml
from layoutgen.binning.result import BinCount, BinResult
from layoutgen.binning.zones import ZoneYield
from layoutgen.units import nm_to_mm


def _csv(df: pl.DataFrame) -> bytes:
    buf = io.BytesIO()
    df.write_csv(buf, null_value="")
    return buf.getvalue()


def bins_csv(r: BinResult) -> bytes:
    """Every tester row (input order) and every untested cell: sheet, id, row, col, x, y, the
    measured values, bin, bin_name, pass, rule, map (index into yield.json's maps), map_row."""
    return _csv(r.table)


def pickmap_csv(r: BinResult) -> bytes:
    """One row per sheet and cell: sheet, id, row, col, x, y, rotation, bin, pass, pick."""
    m = r.manifest
    n = m.count
    codes = np.array([b.code for b in r.deck.bins], np.int32)
    passes = np.array([b.passed for b in r.deck.bins])
    frames = []
    for s, sid in enumerate(r.sheet_ids):
        b = r.cell_bins[s]
        frames.append(pl.DataFrame({
            "sheet": pl.Series([sid] * n, dtype=pl.String), "id": m.id, "row": m.row,
            "col": m.col, "x": m.x, "y": m.y, "rotation": m.rotation, "bin": codes[b],
            "pass": passes[b], "pick": passes[b].astype(np.int8)}))
    df = pl.concat(frames)
    buf = io.BytesIO()
    df.write_csv(buf, float_precision=6)
    return buf.getvalue()


def _num(v: float) -> float | None:
    return None if not math.isfinite(v) else float(f"{v:.9g}")


def pareto_dicts(p: tuple[BinCount, ...]) -> list[dict[str, Any]]:
    """A bin Pareto as JSON records (yield.json, summary.json)."""
    return [{"code": b.code, "name": b.name, "pass": b.passed, "cells": b.cells} for b in p]


def _zones(z: tuple[ZoneYield, ...]) -> list[dict[str, Any]]:
    return [{"kind": x.kind, "zone": x.label, "cells": x.cells, "passed": x.passed,
             "yield": round(x.yield_, 6)} for x in z]


def yield_doc(r: BinResult, split: GridSplit) -> dict[str, Any]:
    """yield.json as a dict (plain values, fixed key order)."""
    c = r.counts
    g = r.geometry
    return {
        "maps": list(r.maps),
        "bin_deck": list(r.deck_sources),
        "sheet_mm": [nm_to_mm(g.sheet_nm[0]), nm_to_mm(g.sheet_nm[1])],
        "sheet_size_from": g.sheet_note,
        "parameters": {p: r.units[p] for p in r.parameters},
        "rows": {"total": c.rows, "matched": c.matched_rows, "unmatched": c.unmatched_rows,
                 "duplicate": c.duplicate_rows, "non_numeric": c.non_numeric_rows},
        "cells": {"per_sheet": r.manifest.count, "duplicate": c.duplicate_cells,
                  "untested": c.untested_cells},
        "problems": [{"kind": p.kind, "count": p.count, "first": list(p.first)}
                     for p in r.problems],
        "bins": [{"code": b.code, "name": b.name, "pass": b.passed, "rule": b.rule,
                  "description": b.description} for b in r.deck.bins],
        "lot": {"sheets": r.lot.sheets, "cells": r.lot.cells, "passed": r.lot.passed,
                "yield": round(r.lot.yield_, 6), "pareto": pareto_dicts(r.lot.pareto),
                "zones": _zones(r.lot.zones)},
        "sheets": [{
            "sheet": s.sheet, "cells": s.cells, "tested": s.tested, "passed": s.passed,
            "yield": round(s.yield_, 6), "unmatched_rows": s.unmatched_rows,
            "conditions": {k: list(v) for k, v in s.conditions},
            "pareto": pareto_dicts(s.pareto), "zones": _zones(s.zones),
            "dynamic_limits": [{"bin": d.bin, "parameter": d.parameter, "cells": d.cells,
                                "applied": d.applied, "median": _num(d.median),
                                "sigma": _num(d.sigma), "low": _num(d.low),
                                "high": _num(d.high)} for d in s.dynamic],
        } for s in r.sheets],
        "e142": {"grids": len(split.grids), "cells_on_grids": r.manifest.count - split.left_out,
                 "cells_left_out": split.left_out},
    }


def yield_json(r: BinResult, split: GridSplit) -> bytes:
    return (json.dumps(yield_doc(r, split), indent=1, allow_nan=False) + "\n").encode()


def yield_csv(r: BinResult) -> bytes:
    """The yield table: one row per sheet (and the lot) and zone, 'all' for the whole sheet."""
    rows: list[tuple[str, str, str, int, int, str]] = []
    for name, cells, passed, zones in [(s.sheet, s.cells, s.passed, s.zones) for s in r.sheets] + [
            ("lot", r.lot.cells, r.lot.passed, r.lot.zones)]:
        rows.append((name, "all", "all", cells, passed, f"{passed / cells:.6f}" if cells
                     else ""))
        rows.extend((name, z.kind, z.label, z.cells, z.passed, f"{z.yield_:.6f}")
                    for z in zones)
    df = pl.DataFrame(rows, schema=["sheet", "kind", "zone", "cells", "passed", "yield"],
                      orient="row")
    return _csv(df)


def e142_bytes(r: BinResult, split: GridSplit) -> bytes:
    return e142_xml(r.manifest, split, r.deck, r.sheet_ids, r.cell_bins, r.geometry.outline,
                    r.geometry.sheet_nm)
