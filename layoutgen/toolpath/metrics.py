"""Job metrics per operation and in total: mark and jump length, strokes, segments, fields,
field moves and the estimated job time.

Time model: marks x passes / mark speed + jumps / jump speed + (laser on + off delay) per
stroke + field moves x `laser.field_move_s`. Jumps are straight lines between the exit of one
stroke and the start of the next, in sheet coordinates (the galvo jump inside a field, or the
residual jump after a field move); the first jump starts at the job's start point (the sheet
origin). A field move is counted whenever consecutive strokes lie in different scan fields.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from layoutgen.toolpath.model import Toolpath

_KEYS = ("mark_mm", "mark_total_mm", "jump_mm", "strokes", "segments", "fields", "field_moves",
         "mark_s", "jump_s", "delay_s", "field_move_s", "time_s")


def job_metrics(tp: Toolpath) -> dict[str, Any]:
    """{"operations": {name: metrics}, "total": metrics} (lengths mm, times s)."""
    pos = np.asarray(tp.start_xy, float)
    prev_field = -1
    out: dict[str, dict[str, Any]] = {}
    all_fields: set[int] = set()
    for op in tp.operations:
        p = op.paths
        prm = op.params
        mark = float(p.lengths().sum())
        if p.count:
            first, exits = p.first, p.exit_points(prm.passes)
            prev = np.vstack([pos.reshape(1, 2), exits[:-1]])
            jump = float(np.hypot(*(first - prev).T).sum())
            f = p.field
            moves = int(np.count_nonzero(f[1:] != f[:-1])) + int(prev_field >= 0 and
                                                                 f[0] != prev_field)
            fields = np.unique(f)
            all_fields.update(int(v) for v in fields)
            pos, prev_field = exits[-1], int(f[-1])
        else:
            jump, moves, fields = 0.0, 0, np.zeros(0)
        m = {
            "mark_mm": mark,
            "mark_total_mm": mark * prm.passes,
            "jump_mm": jump,
            "strokes": p.count,
            "segments": p.segments,
            "fields": int(len(fields)),
            "field_moves": moves,
            "mark_s": mark * prm.passes / prm.mark_speed_mm_s,
            "jump_s": jump / prm.jump_speed_mm_s,
            "delay_s": p.count * (prm.laser_on_delay_us + prm.laser_off_delay_us) * 1e-6,
            "field_move_s": moves * tp.field_move_s,
            "jump_before_mm": op.jump_before_mm,
            "jump_after_mm": op.jump_after_mm,
        }
        m["time_s"] = m["mark_s"] + m["jump_s"] + m["delay_s"] + m["field_move_s"]
        out[op.name] = m
    total: dict[str, Any] = {k: sum(m[k] for m in out.values()) for k in _KEYS}
    total["fields"] = len(all_fields)
    total["jump_before_mm"] = sum(m["jump_before_mm"] for m in out.values())
    total["jump_after_mm"] = sum(m["jump_after_mm"] for m in out.values())
    return {"operations": out, "total": total}


def rounded(metrics: dict[str, Any], digits: int = 6) -> dict[str, Any]:
    """Metrics with floats rounded (stable text in JSON and reports)."""
    def r(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: r(x) for k, x in v.items()}
        if isinstance(v, float):
            return round(v, digits)
        return v
    return r(metrics)
