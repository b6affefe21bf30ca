"""JSON job: valid JSON, parameters from the deck, ordered records (lines and arcs) that replay
the job, the machine profile its times are for."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from test_toolpath_cases import grid_case, hex_case, toolpath

from layoutgen.export.job_json import FORMAT, write_job_json
from layoutgen.machine import Machine
from layoutgen.toolpath.metrics import job_metrics


@pytest.mark.parametrize("case", [hex_case, grid_case])
def test_job_json_records_replay_the_toolpath(case, tmp_path: Path) -> None:  # noqa: ANN001
    layout = case("laser.field_mm=15")
    tp = toolpath(layout)
    data = json.loads(write_job_json(tp, tmp_path / "job.job.json").read_text())
    assert data["format"] == FORMAT and data["units"] == "mm"
    assert [o["name"] for o in data["operations"]] == [op.name for op in tp.operations]
    m = job_metrics(tp)
    assert data["metrics"]["time_s"] == pytest.approx(m["total"]["time_s"], abs=1e-6)
    pos = np.zeros(2)
    moves = 0
    last_field = None
    for op, jo in zip(tp.operations, data["operations"], strict=True):
        assert jo["parameters"] == layout.deck.laser.model_dump(mode="json")[op.name]
        marks = [r for r in jo["records"] if "mark" in r]
        jumps = [r for r in jo["records"] if "jump" in r]
        assert len(marks) == len(jumps) == op.paths.count
        jump = mark = 0.0
        for r in jo["records"]:
            if "field" in r:
                if last_field is not None and r["field"] != last_field:
                    moves += 1
                last_field = r["field"]
            elif "jump" in r:
                jump += float(np.hypot(*(np.array(r["jump"]) - pos)))
            else:
                pts = np.array([v[:2] for v in r["mark"]])
                assert r["closed"] == bool(np.allclose(pts[0], pts[-1])) or not r["closed"]
                pos = pts[-1] if op.params.passes % 2 or r["closed"] else pts[0]
                mark += _record_length(r["mark"])
        assert jump == pytest.approx(m["operations"][op.name]["jump_mm"],
                                     abs=2e-3 * (op.paths.count + 1))
        assert jo["metrics"]["mark_mm"] == pytest.approx(m["operations"][op.name]["mark_mm"],
                                                         abs=1e-5)
        # the records' lines and arcs mark the toolpath's length (arcs within the chord
        # tolerance of their chords, 1 um rounding per vertex)
        tol = layout.deck.layout.chord_tolerance_um / 1000
        assert mark == pytest.approx(m["operations"][op.name]["mark_mm"],
                                     abs=2e-3 * len(op.paths.xy) + tol * op.paths.count * 8)
    assert moves == m["total"]["field_moves"]


def _record_length(mark: list) -> float:
    """Length of one mark record: [x, y] straight steps, [x, y, cx, cy, d] arcs."""
    total = 0.0
    x0, y0 = mark[0][:2]
    for v in mark[1:]:
        x1, y1 = v[:2]
        if len(v) == 5:
            cx, cy, d = v[2], v[3], v[4]
            a0, a1 = math.atan2(y0 - cy, x0 - cx), math.atan2(y1 - cy, x1 - cx)
            sweep = (a1 - a0) % (2 * math.pi) if d > 0 else (a0 - a1) % (2 * math.pi)
            total += math.hypot(x0 - cx, y0 - cy) * (sweep or 2 * math.pi)
        else:
            total += math.hypot(x1 - x0, y1 - y0)
        x0, y0 = x1, y1
    return total


def test_job_json_has_arc_records_and_the_machine(tmp_path: Path) -> None:
    tp = toolpath(hex_case())
    data = json.loads(write_job_json(tp, tmp_path / "a.json").read_text())
    arcs = [v for o in data["operations"] for r in o["records"] if "mark" in r
            for v in r["mark"] if len(v) == 5]
    assert arcs and {v[4] for v in arcs} <= {1, -1}
    assert data["machine"]["kind"] == "galvo"
    g = Machine(name="diode", kind="gantry", max_feed_mm_min=6000.0, acceleration_mm_s2=1000.0,
                rapid_mm_min=6000.0)
    gd = json.loads(write_job_json(tp, tmp_path / "g.json", g).read_text())
    assert gd["machine"]["kind"] == "gantry" and "gantry" in gd["machine"]["time_basis"]
    # a diode gantry takes longer than distance / clamped feed, and than the galvo
    dist = sum(op["metrics"]["mark_total_mm"] for op in gd["operations"])
    assert gd["metrics"]["time_s"] > max(dist / 100.0, data["metrics"]["time_s"])


def test_job_json_is_deterministic(tmp_path: Path) -> None:
    a = write_job_json(toolpath(hex_case()), tmp_path / "a.json").read_bytes()
    b = write_job_json(toolpath(hex_case()), tmp_path / "b.json").read_bytes()
    assert a == b
