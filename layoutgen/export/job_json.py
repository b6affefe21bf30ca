"""The JSON job (.job.json): operations with their parameters, metrics and ordered records.

Records of one operation, in marking order: {"field": k, "center": [x, y]} where a scan field
starts (a stage move), {"jump": [x, y]} to a stroke's start, {"mark": [[x, y], ...],
"closed": bool} for the stroke (marked `passes` times in place, see the toolpath model).
Coordinates in mm with 3 decimals. The same job gives the same bytes (fixed key order, rounded
metrics, no dates).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from layoutgen.export import numbers as fmt
from layoutgen.fileio import atomic_path
from layoutgen.toolpath.fields import field_runs
from layoutgen.toolpath.metrics import job_metrics, rounded
from layoutgen.toolpath.model import Paths, Toolpath, laser_params

FORMAT = "layoutgen-laser-job/1"
DECIMALS = 3


def _rounded(mm: np.ndarray) -> list:
    """Coordinates rounded once to DECIMALS, as the records are (`fmt.scaled`), as floats
    whose repr is that decimal."""
    return (fmt.scaled(mm, DECIMALS) / 10.0 ** DECIMALS).tolist()


def job_header(tp: Toolpath) -> dict[str, Any]:
    """Everything but the records (also what the CLI's --json prints)."""
    m = rounded(job_metrics(tp))
    f = tp.fields
    return {
        "format": FORMAT,
        "units": "mm",
        "sheet_mm": [float(v) for v in tp.sheet_mm],
        "start_xy": [float(v) for v in tp.start_xy],
        "singulation_paths": tp.info.get("singulation_paths"),
        "notes": list(tp.info.get("notes", ())),
        "fields": {
            "size_mm": f.size_mm,
            "source": f.source,
            "count": f.count,
            "field_move_s": tp.field_move_s,
            "centers": _rounded(f.centers),
            "windows": _rounded(f.windows),
        },
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


def _stroke_rows(paths: Paths):  # noqa: ANN202
    first_of = np.repeat(paths.starts[:-1], paths.counts)
    last_of = np.repeat(paths.starts[1:] - 1, paths.counts)
    closed = np.repeat(paths.closed, paths.counts)

    def build(lo: int, hi: int) -> list[fmt.Part]:
        idx = np.arange(lo, hi)
        is_first = idx == first_of[lo:hi]
        is_last = idx == last_of[lo:hi]
        rows = hi - lo
        xy = paths.xy[lo:hi]
        nx = fmt.number(xy[:, 0], DECIMALS)
        ny = fmt.number(xy[:, 1], DECIMALS)
        only_first = is_first[:, None]
        comma = fmt.text([","], rows=rows)
        return [
            fmt.text([',[', ',\n{"jump":['], is_first.astype(np.int64)), nx, comma, ny,
            fmt.text([']', ']},\n{"mark":[['], is_first.astype(np.int64)),
            (nx[0], nx[1] & only_first), (comma[0], comma[1] & only_first),
            (ny[0], ny[1] & only_first), fmt.text(["", "]"], is_first.astype(np.int64)),
            fmt.text(["", '],"closed":false}', '],"closed":true}'],
                     np.where(is_last, np.where(closed[lo:hi], 2, 1), 0)),
        ]

    return fmt.rows_in_chunks(len(paths.xy), build)


def write_job_json(tp: Toolpath, path: str | Path) -> Path:
    """Write the JSON job (atomically)."""
    head = job_header(tp)
    ops = head.pop("operations")
    target = Path(path)
    text = json.dumps(head, indent=1, allow_nan=False)
    with atomic_path(target) as tmp, open(tmp, "wb") as fh:
        fh.write(text[:-2].encode("utf-8") + b',\n"operations": [\n')
        for i, (op, meta) in enumerate(zip(tp.operations, ops, strict=True)):
            m = json.dumps(meta, allow_nan=False)
            fh.write((("," if i else "") + m[:-1] + ',\n"records": [').encode("utf-8"))
            paths = op.paths
            runs = field_runs(paths.field)
            for j, (a, b, f) in enumerate(runs):
                cx, cy = _rounded(tp.fields.centers[f])
                fh.write((("," if j else "") + f'\n{{"field":{f},"center":[{cx},{cy}]}}')
                         .encode("ascii"))
                s = paths.starts[a:b + 1]
                sub = Paths(paths.xy[s[0]:s[-1]], s - s[0], paths.closed[a:b],
                            paths.unit[a:b], paths.field[a:b])
                for chunk in _stroke_rows(sub):
                    fh.write(chunk)
            fh.write(b"\n]}")
        fh.write(b"\n]}\n")
    return target
