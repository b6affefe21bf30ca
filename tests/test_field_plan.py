"""One field plan: the layout's scan fields (GDS FIELD layer, cells.csv `field`) are the laser
job's (G-code field headers, job.json), planned on the laser marks so each field's marks fit the
galvo field; the partition's window rules hold for random cells (hypothesis)."""

from __future__ import annotations

import csv
import json
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from layoutgen.deck import load_deck
from layoutgen.errors import LayoutgenError
from layoutgen.export.gcode import write_ngc
from layoutgen.export.job_json import write_job_json
from layoutgen.export.manifest import write_manifest
from layoutgen.fields import partition_1d, scan_fields
from layoutgen.job import load_job
from layoutgen.layout.assemble import build_layout
from layoutgen.product import resolve_deck, size_product
from layoutgen.shapes import rect
from layoutgen.tiling.engine import sheet_spec_from_deck, tile
from layoutgen.toolpath.generate import build_toolpath
from layoutgen.toolpath.model import CellPaths

ROOT = Path(__file__).resolve().parents[1]


def grid_layout(w: float, h: float, cw: float, ch: float, kerf_um: float, edge: float,
                cut: str, *sets: str):  # noqa: ANN201
    deck = load_deck([], [f"sheet.width_mm={w}", f"sheet.length_mm={h}",
                          f"tiling.kerf_um={kerf_um}", f"sheet.edge_x_mm={edge}",
                          f"sheet.edge_y_mm={edge}", f'tiling.cut="{cut}"', *sets])
    cell = rect(cw, ch)
    return build_layout(tile(cell, sheet_spec_from_deck(deck)), cell, deck)


def example_layout(name: str):  # noqa: ANN201
    job = load_job(ROOT / "examples" / f"{name}.toml")
    deck = resolve_deck(job)
    prod = size_product(job, deck)
    return build_layout(tile(prod.cell, sheet_spec_from_deck(deck)), prod.cell, deck)


CASES = {
    "big-300x300-3x2": lambda: grid_layout(300, 300, 3, 2, 100, 3, "free"),
    "lines-120x100-10x8": lambda: grid_layout(120, 100, 10, 8, 100, 3, "guillotine"),
    "wearable_patch": lambda: example_layout("wearable_patch"),
    "iot_small": lambda: example_layout("iot_small"),
}


def _stroke_fields(tp) -> dict[str, np.ndarray]:  # noqa: ANN001
    return {op.name: op.paths.field for op in tp.operations}


@pytest.mark.parametrize("name", list(CASES))
def test_layout_and_laser_show_the_same_fields(name: str, tmp_path: Path) -> None:
    layout = CASES[name]()
    tp = build_toolpath(layout)
    size = layout.deck.laser.field_mm
    # one plan: as many fields as the layout's FIELD layer, every cell's marks in its field
    assert tp.fields.count == len(layout.fields) == len(layout.features["FIELD"])
    for op in tp.operations:
        if isinstance(op.marks, CellPaths):
            assert np.array_equal(op.marks.field, layout.field[op.marks.unit])
    # each field's marks fit the galvo field and lie inside the layout's planned window
    w = tp.fields.windows
    assert np.all(w[:, 2] - w[:, 0] <= size + 1e-6) and np.all(w[:, 3] - w[:, 1] <= size + 1e-6)
    lw = layout.field_windows
    for op in tp.operations:
        p = op.paths
        owner = np.repeat(p.field, p.counts)
        box = lw[owner]
        assert np.all(p.xy >= box[:, :2] - 1e-6) and np.all(p.xy <= box[:, 2:] + 1e-6), op.name
    # cells.csv field column = the layout's, the G-code's field headers = the job's fields
    write_manifest(layout, tmp_path / "cells.csv")
    with open(tmp_path / "cells.csv", newline="") as fh:
        rows = [r for r in csv.DictReader(line for line in fh if not line.startswith("#"))]
    assert [int(r["field"]) for r in rows] == layout.field.tolist()
    ngc = write_ngc(tp, tmp_path / "job.ngc").read_text()
    used = set(np.concatenate(list(_stroke_fields(tp).values())).tolist())
    heads = {int(m) for m in re.findall(r"\(scan field (\d+):", ngc)}
    assert heads == used and max(heads) < len(layout.fields)
    job = json.loads(write_job_json(tp, tmp_path / "job.json").read_text())
    assert job["fields"]["count"] == len(layout.fields)
    recs = {r["field"] for op in job["operations"] for r in op["records"] if "field" in r}
    assert recs == used
    for op, jop in zip(tp.operations, job["operations"], strict=True):  # cells per stroke
        marks = [r for r in jop["records"] if "mark" in r]
        sc = jop["stroke_cells"]
        assert len(sc["offsets"]) == len(marks) + 1 == op.strokes + 1
        assert sc["ids"] == op.stroke_cells.ids.tolist()
        if op.kind in ("contours", "lines"):
            assert min(np.diff(sc["offsets"])) >= 1  # every cut names a cell


def test_the_big_sheet_plans_fewer_fields_than_before() -> None:
    layout = CASES["big-300x300-3x2"]()
    assert len(layout.fields) <= 13  # 16 before (the plan ignored the marks; slivers at the top)
    f = layout.fields
    assert np.all(f[:, 3] - f[:, 1] > 1.0)  # no sliver fields


def test_a_plan_made_without_the_marks_is_caught() -> None:
    """Planted fault: the old plan on the outlines alone; the job's windows check refuses."""
    layout = example_layout("wearable_patch")
    b = np.array([p.layers["SINGULATION"].bounds for p in layout.patterns])[layout.master]
    fields, windows, field_of, _ = scan_fields(layout.x, layout.y, b, layout.sheet_mm,
                                               layout.deck.laser.field_mm)
    bad = replace(layout, fields=fields, field_windows=windows, field=field_of)
    with pytest.raises(LayoutgenError, match="field_mm"):
        build_toolpath(bad)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 280), st.floats(0.2, 12)), min_size=1, max_size=60),
       st.floats(20, 100), st.floats(0, 0.5), st.booleans())
def test_partition_windows_hold_cells_and_split_marks(cells: list, size: float, overlap: float,
                                                      with_span: bool) -> None:
    lo = np.array([c[0] for c in cells])
    hi = lo + np.array([c[1] for c in cells])
    assume(np.all(hi - lo <= size - overlap - 1e-6))
    c = (lo + hi) / 2
    span = (float(lo.min()), float(hi.max())) if with_span else None
    cuts, win, big = partition_1d(c, lo, hi, 0.0, 300.0, size, span, overlap)
    assert cuts[0] == 0.0 and cuts[-1] == 300.0 and np.all(np.diff(cuts) > 0)
    part = np.clip(np.searchsorted(cuts, c, "right") - 1, 0, len(cuts) - 2)
    assert np.all(lo >= win[part, 0] - 1e-9) and np.all(hi <= win[part, 1] + 1e-9)
    has = np.zeros(len(win), bool)
    has[part] = True
    ext = win[:, 1] - win[:, 0]
    assert np.all(ext[has] <= size + 1e-6)
    if span is not None:
        m_lo = np.maximum(span[0], cuts[:-1] - overlap / 2)
        m_hi = np.minimum(span[1], cuts[1:] + overlap / 2)
        ok = m_lo < m_hi
        assert np.all(win[ok, 0] <= m_lo[ok] + 1e-9) and np.all(win[ok, 1] >= m_hi[ok] - 1e-9)
        assert np.all(ext[ok] <= size + 1e-6)
    assert big == 0
