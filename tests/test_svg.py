"""SVG export: mm units, viewBox, one stroke colour per operation (the technology palette),
native arcs (`A`) that an independent parser (svgelements) traces onto the toolpath's chords
within 5 um, in marking order."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
import shapely
from test_toolpath_cases import hex_case, mixed_case, toolpath

from layoutgen import technology
from layoutgen.export.svg import write_svg

svgelements = pytest.importorskip("svgelements", reason="svgelements (test extra) missing")
NS = {"s": "http://www.w3.org/2000/svg"}


def _trace(d: str, h: float) -> np.ndarray:
    """Points along a path's d (sheet coordinates: y flipped back), arcs sampled finely."""
    pts: list[np.ndarray] = []
    for seg in svgelements.Path(d):  # each segment sampled at once, <= 2 um apart
        if isinstance(seg, svgelements.Move):
            pts.append(np.array([[seg.end.x, seg.end.y]]))
            continue
        n = max(2, int(seg.length() / 0.002) + 1)
        pts.append(np.asarray(seg.npoint(np.linspace(0, 1, n)), float)[1:])
    xy = np.concatenate(pts) if len(pts) > 1 else np.repeat(pts[0], 2, axis=0)
    return np.column_stack([xy[:, 0], h - xy[:, 1]])


@pytest.mark.parametrize("case", [hex_case, mixed_case])
def test_svg_groups_and_paths(case, tmp_path: Path) -> None:  # noqa: ANN001
    tp = toolpath(case())
    path = write_svg(tp, tmp_path / "job.svg")
    root = ET.parse(path).getroot()
    w, h = tp.sheet_mm
    assert root.get("width") == f"{w:g}mm" and root.get("height") == f"{h:g}mm"
    assert root.get("viewBox") == f"0 0 {w:g} {h:g}"
    arcs = 0
    for op in tp.operations:
        g = root.find(f"s:g[@id='{op.name}']", NS)
        assert g.get("stroke") == technology.operation(op.name).colour
        assert float(g.get("stroke-width")) == pytest.approx(op.params.spot_um / 1000)
        paths = g.findall("s:path", NS)
        assert len(paths) == op.paths.count
        for j, el in enumerate(paths):
            d = el.get("d")
            arcs += d.count("A")
            got = _trace(d, h)
            want = op.paths.path(j)
            assert np.allclose(got[0], want[0], atol=6e-4)  # marking order and start
            assert shapely.distance(shapely.points(got), shapely.LineString(want)).max() < 5e-3
            assert shapely.distance(shapely.points(want), shapely.LineString(got)).max() < 5e-3
    assert (arcs > 0) == any(bool((op.paths.arc_codes() >= 2).any()) for op in tp.operations)


def test_svg_bytes_are_deterministic(tmp_path: Path) -> None:
    a = write_svg(toolpath(hex_case()), tmp_path / "a.svg").read_bytes()
    b = write_svg(toolpath(hex_case()), tmp_path / "b.svg").read_bytes()
    assert a == b
