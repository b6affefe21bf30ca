"""The JSON job (.job.json): operations with their parameters, metrics and ordered records.

Records of one operation, in marking order: {"field": k, "center": [x, y]} where a scan field
starts (a stage move), {"jump": [x, y]} to a stroke's start, {"mark": [v, ...], "closed":
bool} for the stroke (marked `passes` times in place, see the toolpath model). Each mark vertex
ends a move: [x, y] a straight step (or the stroke's start), [x, y, cx, cy, d] a circular arc
round the centre (cx, cy) from the previous vertex, d = 1 counter-clockwise, -1 clockwise (the
toolpath's own arcs: circles, rounded corners; no chords). Coordinates in mm, rounded once to
3 decimals (1 um), centres too. "machine" names the profile the metrics' times are for. The
same job gives the same bytes (fixed key order, rounded metrics, no dates).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from layoutgen.export import numbers as fmt
from layoutgen.export.curves import Strokes, path_moves
from layoutgen.fileio import atomic_path
from layoutgen.machine import Machine
from layoutgen.toolpath.fields import field_runs
from layoutgen.toolpath.metrics import job_metrics, rounded
from layoutgen.toolpath.model import ARC_CCW, ARC_CW, Toolpath, laser_params

FORMAT = "layoutgen-laser-job/2"
DECIMALS = 3


def _rounded(mm: np.ndarray) -> list:
    """Coordinates rounded once to DECIMALS, as the records are (`fmt.scaled`), as floats
    whose repr is that decimal."""
    return (fmt.scaled(mm, DECIMALS) / 10.0 ** DECIMALS).tolist()


def _singulation(tp: Toolpath) -> Any:
    """How singulation is cut ('lines', 'contours' or None), from the model as it stands
    (typed field, or the older info dict)."""
    info = getattr(tp, "info", None)
    return info.get("singulation_paths") if isinstance(info, dict) else \
        getattr(tp, "singulation", None)


def _notes(tp: Toolpath) -> list[str]:
    info = getattr(tp, "info", None)
    return list(info.get("notes", ()) if isinstance(info, dict) else getattr(tp, "notes", ()))


def job_header(tp: Toolpath, machine: Machine | None = None) -> dict[str, Any]:
    """Everything but the records (also what the CLI's --json prints); times for `machine`
    (default: the toolpath's, else the galvo profile)."""
    m = rounded(job_metrics(tp, machine))
    f = tp.fields
    return {
        "format": FORMAT,
        "units": "mm",
        "sheet_mm": [float(v) for v in tp.sheet_mm],
        "start_xy": [float(v) for v in tp.start_xy],
        "singulation_paths": _singulation(tp),
        "notes": _notes(tp),
        "fields": {
            "size_mm": f.size_mm,
            "source": f.source,
            "count": f.count,
            "field_move_s": tp.field_move_s,
            "centers": _rounded(f.centers),
            "windows": _rounded(f.windows),
        },
        "machine": m["machine"],
        "metrics": m["total"],
        "operations": [
            {"name": op.name, "kind": op.kind, "parameters": laser_params(op.params),
             "ordering": {"jump_before_mm": round(op.jump_before_mm, 6),
                          "jump_after_mm": round(op.jump_after_mm, 6),
                          "notes": list(op.notes)},
             "metrics": m["operations"][op.name]}
            for op in tp.operations
        ],
    }


def _stroke_rows(st: Strokes) -> Iterator[bytes]:
    """Chunks of record text: a jump to each stroke's start, then its mark vertices, an arc's
    end with its centre and direction."""
    first_of = np.repeat(st.first, np.diff(st.bounds))
    last_of = np.repeat(st.bounds[1:] - 1, np.diff(st.bounds))
    closed = np.repeat(st.closed, np.diff(st.bounds))
    p, c = st.mm(), st.centre_mm()
    arc = np.where(st.code == ARC_CCW, 1, np.where(st.code == ARC_CW, 2, 0))

    def build(lo: int, hi: int) -> list[fmt.Part]:
        idx = np.arange(lo, hi)
        is_first = idx == first_of[lo:hi]
        is_last = idx == last_of[lo:hi]
        rows = hi - lo
        xy = p[lo:hi]
        nx = fmt.number(xy[:, 0], DECIMALS)
        ny = fmt.number(xy[:, 1], DECIMALS)
        only_first = is_first[:, None]
        a = arc[lo:hi]
        has = (a > 0)[:, None]
        cx = fmt.number(c[lo:hi, 0], DECIMALS)
        cy = fmt.number(c[lo:hi, 1], DECIMALS)
        comma = fmt.text([","], rows=rows)
        return [
            fmt.text([',[', ',\n{"jump":['], is_first.astype(np.int64)), nx, comma, ny,
            fmt.text(["", ",", ","], a), (cx[0], cx[1] & has),
            fmt.text(["", ",", ","], a), (cy[0], cy[1] & has),
            fmt.text(["", ",1", ",-1"], a),
            fmt.text([']', ']},\n{"mark":[['], is_first.astype(np.int64)),
            (nx[0], nx[1] & only_first), (comma[0], comma[1] & only_first),
            (ny[0], ny[1] & only_first), fmt.text(["", "]"], is_first.astype(np.int64)),
            fmt.text(["", '],"closed":false}', '],"closed":true}'],
                     np.where(is_last, np.where(closed[lo:hi], 2, 1), 0)),
        ]

    return fmt.rows_in_chunks(len(st.pos), build)


def write_job_json(tp: Toolpath, path: str | Path, machine: Machine | None = None) -> Path:
    """Write the JSON job (atomically)."""
    head = job_header(tp, machine)
    ops = head.pop("operations")
    target = Path(path)
    text = json.dumps(head, indent=1, allow_nan=False)
    with atomic_path(target) as tmp, open(tmp, "wb") as fh:
        fh.write(text[:-2].encode("utf-8") + b',\n"operations": [\n')
        for i, (op, meta) in enumerate(zip(tp.operations, ops, strict=True)):
            sc = op.stroke_cells  # cell ids each stroke marks, in record order (ragged)
            meta = {**meta, "stroke_cells": {"offsets": sc.offsets.tolist(),
                                             "ids": sc.ids.tolist()}}
            m = json.dumps(meta, allow_nan=False)
            fh.write((("," if i else "") + m[:-1] + ',\n"records": [').encode("utf-8"))
            paths = op.paths
            runs = field_runs(paths.field)
            for j, (a, b, f) in enumerate(runs):
                cx, cy = _rounded(tp.fields.centers[f])
                fh.write((("," if j else "") + f'\n{{"field":{f},"center":[{cx},{cy}]}}')
                         .encode("ascii"))
                for chunk in _stroke_rows(path_moves(paths, a, b, True, DECIMALS)):
                    fh.write(chunk)
            fh.write(b"\n]}")
        fh.write(b"\n]}\n")
    return target
