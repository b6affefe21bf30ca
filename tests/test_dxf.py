"""DXF export: ezdxf audit, one layer and colour per operation, read back by KLayout."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_toolpath_cases import grid_case, hex_case, toolpath

from layoutgen.export.dxf import ACI, LAYER, write_dxf


@pytest.mark.parametrize("case", [hex_case, grid_case])
def test_dxf_audit_layers_and_polylines(case, tmp_path: Path) -> None:  # noqa: ANN001
    import ezdxf

    tp = toolpath(case())
    path = write_dxf(tp, tmp_path / "job.dxf")
    doc = ezdxf.readfile(path)
    assert doc.dxfversion == "AC1024"  # R2010
    assert doc.header["$INSUNITS"] == 4
    auditor = doc.audit()
    assert not auditor.has_errors, [str(e) for e in auditor.errors]
    msp = doc.modelspace()
    colours = set()
    for op in tp.operations:
        ents = msp.query(f'LWPOLYLINE[layer=="{LAYER[op.name]}"]')
        assert len(ents) == op.paths.count
        assert {e.dxf.color for e in ents} == {ACI[op.name]}
        colours.add(doc.layers.get(LAYER[op.name]).color)
        # same vertices, same order
        first = np.array(ents[0].get_points("xy"))
        want = op.paths.path(0)
        if op.paths.closed[0]:
            want = want[:-1]
            assert ents[0].closed
        assert np.allclose(first, want)
        total = sum(float(np.hypot(*np.diff(np.array(e.get_points("xy") + (
            [e.get_points("xy")[0]] if e.closed else [])), axis=0).T).sum()) for e in ents)
        assert total == pytest.approx(float(op.paths.lengths().sum()), rel=1e-9)
    assert len(colours) == len(tp.operations)


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
