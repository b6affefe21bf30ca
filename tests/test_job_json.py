"""JSON job: valid JSON, parameters from the deck, ordered records that replay the job."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from test_toolpath_cases import grid_case, hex_case, toolpath

from layoutgen.export.job_json import FORMAT, write_job_json
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
        jump = 0.0
        for r in jo["records"]:
            if "field" in r:
                if last_field is not None and r["field"] != last_field:
                    moves += 1
                last_field = r["field"]
            elif "jump" in r:
                jump += float(np.hypot(*(np.array(r["jump"]) - pos)))
            else:
                pts = np.array(r["mark"])
                assert r["closed"] == bool(np.allclose(pts[0], pts[-1])) or not r["closed"]
                pos = pts[-1] if op.params.passes % 2 or r["closed"] else pts[0]
        assert jump == pytest.approx(m["operations"][op.name]["jump_mm"],
                                     abs=2e-3 * (op.paths.count + 1))
        assert jo["metrics"]["mark_mm"] == pytest.approx(m["operations"][op.name]["mark_mm"],
                                                         abs=1e-5)
    assert moves == m["total"]["field_moves"]


def test_job_json_is_deterministic(tmp_path: Path) -> None:
    a = write_job_json(toolpath(hex_case()), tmp_path / "a.json").read_bytes()
    b = write_job_json(toolpath(hex_case()), tmp_path / "b.json").read_bytes()
    assert a == b
