"""SVG export: mm units, viewBox, one stroke colour per operation, same strokes as the model."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from test_toolpath_cases import hex_case, mixed_case, toolpath

from layoutgen.export.svg import write_svg

NS = {"s": "http://www.w3.org/2000/svg"}


@pytest.mark.parametrize("case", [hex_case, mixed_case])
def test_svg_groups_and_paths(case, tmp_path: Path) -> None:  # noqa: ANN001
    tp = toolpath(case())
    path = write_svg(tp, tmp_path / "job.svg")
    root = ET.parse(path).getroot()
    w, h = tp.sheet_mm
    assert root.get("width") == f"{w:g}mm" and root.get("height") == f"{h:g}mm"
    assert root.get("viewBox") == f"0 0 {w:g} {h:g}"
    strokes = set()
    for op in tp.operations:
        g = root.find(f"s:g[@id='{op.name}']", NS)
        strokes.add(g.get("stroke"))
        assert float(g.get("stroke-width")) == pytest.approx(op.params.spot_um / 1000)
        paths = g.findall("s:path", NS)
        assert len(paths) == op.paths.count
        total = 0.0
        for el in paths:
            nums = np.array(re.findall(r"-?\d+\.\d+", el.get("d")), float).reshape(-1, 2)
            total += float(np.hypot(*np.diff(nums, axis=0).T).sum())
        # 1 um rounding per vertex
        assert total == pytest.approx(float(op.paths.lengths().sum()), abs=2e-3 * len(
            op.paths.xy))
        first = np.array(re.findall(r"-?\d+\.\d+", paths[0].get("d"))[:2], float)
        assert np.allclose(first, [op.paths.xy[0, 0], h - op.paths.xy[0, 1]], atol=6e-4)
    assert len(strokes) == len(tp.operations)


def test_svg_bytes_are_deterministic(tmp_path: Path) -> None:
    a = write_svg(toolpath(hex_case()), tmp_path / "a.svg").read_bytes()
    b = write_svg(toolpath(hex_case()), tmp_path / "b.svg").read_bytes()
    assert a == b
