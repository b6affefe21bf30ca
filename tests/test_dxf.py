"""DXF export: ezdxf audit, one layer and colour per operation (the technology palette),
native curves (bulged LWPOLYLINEs) that ezdxf flattens onto the toolpath's chords within 5 um,
extents set, coordinates on the stated 1 nm resolution, read back by KLayout."""

from __future__ import annotations

from pathlib import Path

import ezdxf
import ezdxf.path
import numpy as np
import pytest
import shapely
from test_toolpath_cases import grid_case, hex_case, toolpath

from layoutgen import technology
from layoutgen.export.dxf import DECIMALS, LAYER, write_dxf


@pytest.mark.parametrize("case", [hex_case, grid_case])
def test_dxf_audit_layers_and_curves(case, tmp_path: Path) -> None:  # noqa: ANN001
    tp = toolpath(case())
    path = write_dxf(tp, tmp_path / "job.dxf")
    doc = ezdxf.readfile(path)
    assert doc.dxfversion == "AC1024"  # R2010
    assert doc.header["$INSUNITS"] == 4
    auditor = doc.audit()
    assert not auditor.has_errors, [str(e) for e in auditor.errors]
    msp = doc.modelspace()
    bulged = 0
    lo, hi = np.full(2, np.inf), np.full(2, -np.inf)
    for op in tp.operations:
        ents = msp.query(f'LWPOLYLINE[layer=="{LAYER[op.name]}"]')
        assert len(ents) == op.paths.count
        assert {e.dxf.color for e in ents} == {technology.operation(op.name).aci}
        for j, e in enumerate(ents):
            want = op.paths.path(j)
            pts = np.array([(v.x, v.y) for v in ezdxf.path.make_path(e).flattening(1e-4)])
            assert np.allclose(pts[0], want[0], atol=1e-6)  # same start, marking order
            assert bool(e.closed) == bool(op.paths.closed[j])
            line = shapely.LineString(want)
            assert shapely.distance(shapely.points(pts), line).max() < 5e-3
            assert shapely.distance(shapely.points(want), shapely.LineString(pts)).max() < 5e-3
            bulged += int(any(b != 0 for *_, b in e.get_points("xyb")))
            lo, hi = np.minimum(lo, pts.min(axis=0)), np.maximum(hi, pts.max(axis=0))
    assert (bulged > 0) == (case is hex_case)
    ext_lo, ext_hi = doc.header["$EXTMIN"], doc.header["$EXTMAX"]
    assert np.allclose(ext_lo[:2], lo, atol=2e-4) and np.allclose(ext_hi[:2], hi, atol=2e-4)


def test_dxf_coordinates_are_rounded_once(tmp_path: Path) -> None:
    """Every coordinate in the file has at most DECIMALS decimals (no float noise)."""
    text = write_dxf(toolpath(hex_case()), tmp_path / "job.dxf").read_text()
    lines = text.splitlines()
    for code, value in zip(lines[0::2], lines[1::2], strict=False):
        if code.strip() in ("10", "20") and "." in value:
            assert len(value.strip().split(".")[1]) <= DECIMALS, value


def test_dxf_reads_back_in_klayout(tmp_path: Path) -> None:
    import klayout.db as kdb

    tp = toolpath(grid_case())
    path = write_dxf(tp, tmp_path / "job.dxf")
    ly = kdb.Layout()
    opt = kdb.LoadLayoutOptions()
    opt.dxf_unit = 1000.0  # drawing unit = 1 mm = 1000 um
    opt.dxf_dbu = 0.001
    ly.read(str(path), opt)
    top = ly.top_cell()
    names = {ly.get_info(i).name: i for i in ly.layer_indexes()}
    for op in tp.operations:
        li = names[LAYER[op.name]]
        shapes = list(top.shapes(li).each())
        assert len(shapes) == op.paths.count
        box = top.dbbox_per_layer(li)
        lo, hi = op.paths.xy.min(axis=0), op.paths.xy.max(axis=0)
        assert box.left / 1000 == pytest.approx(lo[0], abs=1e-6)  # KLayout works in um
        assert box.top / 1000 == pytest.approx(hi[1], abs=1e-6)


def test_dxf_bytes_are_deterministic(tmp_path: Path) -> None:
    a = write_dxf(toolpath(hex_case()), tmp_path / "a.dxf").read_bytes()
    b = write_dxf(toolpath(hex_case()), tmp_path / "b.dxf").read_bytes()
    assert a == b
