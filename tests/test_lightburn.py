"""LightBurn project (.lbrn2): read back by an independent reader, meerk40t's lbrn loader (from
PyPI; the .lbrn2 format is documented by its community, not by LightBurn's vendor): one cut
setting per operation with the deck's parameters and LightBurn's kerf off, shapes in marking
order on their operation's layer, native curves (Béziers) tracing the same geometry as the
toolpath's chords within 5 um."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from test_toolpath_cases import grid_case, hex_case, toolpath

from layoutgen import technology
from layoutgen.export.lightburn import write_lightburn
from layoutgen.machine import Machine

lbrn = pytest.importorskip("meerk40t.extra.lbrn", reason="meerk40t (test extra) not installed")


class _Node:
    """The smallest stand-in for meerk40t's element tree that its loader writes into."""

    def __init__(self, **kw: Any) -> None:
        self.kw = kw
        self.children: list[_Node] = []
        self.refs: list[_Node] = []

    def add(self, **kw: Any) -> _Node:
        n = _Node(**kw)
        self.children.append(n)
        return n

    def add_reference(self, node: _Node) -> None:
        self.refs.append(node)

    def remove_all_children(self) -> None:
        self.children.clear()

    def focus(self) -> None:
        pass


class _Elements:
    def __init__(self) -> None:
        import threading

        self.op_branch = _Node()
        self.elem_branch = _Node()
        self.node_lock = threading.Lock()


def _load(path: Path) -> _Elements:
    el = _Elements()
    with open(path) as fh:
        lbrn.LbrnLoader.parse(str(path), fh, el)
    return el


def _points(node: _Node) -> np.ndarray:
    """Points along a loaded path (mm), curves sampled finely."""
    from meerk40t.core.units import UNITS_PER_MM

    g = node.kw["geometry"]
    pts = g.as_equal_interpolated_points(distance=0.002 * UNITS_PER_MM)
    return np.array([[p.real, p.imag] for p in pts]) / UNITS_PER_MM


@pytest.fixture(scope="module")
def hex_job(tmp_path_factory: pytest.TempPathFactory) -> tuple:
    tp = toolpath(hex_case())
    path = write_lightburn(tp, tmp_path_factory.mktemp("lbrn") / "job.lbrn2")
    return tp, path, _load(path)


def test_one_cut_setting_per_operation(hex_job: tuple) -> None:
    tp, path, el = hex_job
    ops = {n.kw["label"]: n for n in el.op_branch.children}
    assert set(ops) == {op.name for op in tp.operations}
    root = ET.parse(path).getroot()
    for i, op in enumerate(tp.operations):
        node = ops[op.name]
        assert node.kw["type"] == "op cut"
        assert node.kw["speed"] == pytest.approx(op.params.mark_speed_mm_s)
        assert node.kw["power"] == pytest.approx(op.params.power_pct * 10)  # meerk40t: 0-1000
        setting = [c for c in root.iter("CutSetting")
                   if c.find("name").get("Value") == op.name][0]
        val = {c.tag: c.get("Value") for c in setting}
        assert int(val["index"]) == technology.operation(op.name).lightburn_index
        assert int(val["numPasses"]) == op.params.passes
        assert float(val["kerf"]) == 0.0
        assert int(val["priority"]) == i
        assert float(val["frequency"]) == pytest.approx(op.params.frequency_khz * 1000)
        assert float(val["QPulseWidth"]) == pytest.approx(op.params.pulse_width_ns)


def test_shapes_in_marking_order_and_same_geometry(hex_job: tuple) -> None:
    tp, _, el = hex_job
    shapes = el.elem_branch.children[0].children
    assert len(shapes) == sum(op.paths.count for op in tp.operations)
    k = 0
    curves = 0
    for op in tp.operations:
        node = {n.kw["label"]: n for n in el.op_branch.children}[op.name]
        assert len(node.refs) == op.paths.count
        for j in range(op.paths.count):
            got = _points(shapes[k])
            k += 1
            assert node.refs[j] is shapes[k - 1]
            # starts where the stroke starts, traces the stroke (both ways within 5 um)
            assert np.allclose(got[0], op.paths.path(j)[0], atol=5e-4)
            want = shapely.LineString(op.paths.path(j))
            assert shapely.distance(shapely.points(got), want).max() < 5e-3
            assert shapely.distance(shapely.points(op.paths.path(j)),
                                    shapely.LineString(got)).max() < 5e-3
            curves += int(shapes[k - 1].kw["geometry"].index < len(op.paths.path(j)) - 1)
    assert curves > 0  # circles travel as a few Béziers, not as their chords


def test_gantry_profile_clamps_speed_and_drops_pulse_settings(tmp_path: Path) -> None:
    tp = toolpath(grid_case())
    m = Machine(name="diode", kind="gantry", max_feed_mm_min=6000.0)
    root = ET.parse(write_lightburn(tp, tmp_path / "g.lbrn2", m)).getroot()
    for op in tp.operations:
        setting = [c for c in root.iter("CutSetting")
                   if c.find("name").get("Value") == op.name][0]
        val = {c.tag: c.get("Value") for c in setting}
        want = min(op.params.mark_speed_mm_s, 100.0)
        assert float(val["speed"]) == pytest.approx(want)
        ratio = want / op.params.mark_speed_mm_s
        assert float(val["maxPower"]) == pytest.approx(op.params.power_pct * ratio, abs=1e-3)
        assert "frequency" not in val and "QPulseWidth" not in val


def test_lightburn_bytes_are_deterministic(tmp_path: Path) -> None:
    a = write_lightburn(toolpath(hex_case()), tmp_path / "a.lbrn2").read_bytes()
    b = write_lightburn(toolpath(hex_case()), tmp_path / "b.lbrn2").read_bytes()
    assert a == b


# LightBurn's default palette, C00 .. C12 (docs.lightburnsoftware.com/2.0/Reference/UI/
# ColorPalette, "RGB and hex codes for the LightBurn color palette")
_PALETTE = ("#000000", "#0000ff", "#ff0000", "#00e000", "#d0d000", "#ff8000", "#00e0e0",
            "#ff00ff", "#b4b4b4", "#0000a0", "#a00000", "#00a000", "#a0a000")


def _nearest(rgb: tuple[int, int, int]) -> int:
    pal = np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in _PALETTE])
    return int(np.argmin(((pal - np.array(rgb)) ** 2).sum(axis=1)))


@pytest.mark.parametrize("op", technology.OPERATIONS, ids=lambda o: o.name)
def test_dxf_and_svg_colours_land_on_the_operations_lightburn_layer(op) -> None:  # noqa: ANN001
    from ezdxf.colors import aci2rgb

    svg = tuple(int(op.colour[i:i + 2], 16) for i in (1, 3, 5))
    assert _nearest(svg) == op.lightburn_index
    assert _nearest(tuple(aci2rgb(op.aci))) == op.lightburn_index


def test_toolpath_files_write_the_project_and_the_pen_table(tmp_path: Path) -> None:
    import csv
    import json

    from layoutgen.export.toolpath_files import write_toolpath_files

    tp = toolpath(grid_case())
    names = {p.name for p in write_toolpath_files(tp, tmp_path, "job", ("dxf", "lbrn2"))}
    assert names == {"job.dxf", "job.pens.json", "job.pens.csv", "job.lbrn2"}
    pens = json.loads((tmp_path / "job.pens.json").read_text())["pens"]
    rows = list(csv.DictReader((tmp_path / "job.pens.csv").open()))
    assert len(pens) == len(rows) == len(tp.operations)
    for op, pen, row in zip(tp.operations, pens, rows, strict=True):
        reg = technology.operation(op.name)
        assert pen["Pen"] == reg.lightburn_index and pen["ACI"] == reg.aci
        assert float(row["Speed(MM/Second)"]) == op.params.mark_speed_mm_s
        assert int(row["Loop Count"]) == op.params.passes
        assert float(row["Q Pulse Width(ns)"]) == op.params.pulse_width_ns


def test_laser_parameter_rows_per_operation_and_profile() -> None:
    from layoutgen.toolpath.metrics import LASER_PARAMETER_HEADER, laser_parameter_rows

    layout = grid_case()
    tp = toolpath(layout)
    gantry = Machine(name="diode", kind="gantry", max_feed_mm_min=6000.0,
                     acceleration_mm_s2=1000.0, rapid_mm_min=6000.0)
    rows = laser_parameter_rows(tp, (Machine(), gantry))
    assert rows[0] == LASER_PARAMETER_HEADER
    assert len(rows) == 1 + 2 * len(tp.operations)
    galvo, diode = rows[1:1 + len(tp.operations)], rows[1 + len(tp.operations):]
    for g, d in zip(galvo, diode, strict=True):
        assert "galvo" in g[1] and "gantry" in d[1]
        assert float(d[3].replace(",", "")) <= 100.0  # mm/s within the diode's 6000 mm/min
        assert float(d[9].replace(",", "")) > float(g[9].replace(",", ""))  # slower
        assert all("e+" not in c for c in g + d)
