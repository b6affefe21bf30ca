"""DXF R2010 of the laser job (ezdxf): one layer per operation, one colour per layer.

Every stroke is one LWPOLYLINE in millimetres ($INSUNITS = 4), in marking order, from its first
vertex in its marking direction; closed strokes are closed polylines. Circular arcs of the
toolpath (circles, rounded corners) are polyline bulges (bulge = tan(sweep / 4), + counter-
clockwise), so a circle is two vertices, not dozens of chords. Coordinates are rounded once to
DECIMALS (6: the layout's 1 nm grid; each vertex is the float nearest a number of at most 6
decimals, which ezdxf writes as that number: 5.06, never 5.0600000000000005), bulges to 9
decimals. $EXTMIN/$EXTMAX hold the drawing's extents (arcs included).

Colours come from `technology.OPERATIONS` (the ACI index; the SVG uses the same operation's
RGB, and both land on the same LightBurn layer); every entity also carries its layer's colour
explicitly, so tools that map colours to pens (EZCAD: see the pen table written beside the DXF)
and tools that map layers to cut settings both see one setting per operation. The layer
description lists the operation's parameters. The CLASSES section is sorted, so the bytes do
not depend on PYTHONHASHSEED.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np

from layoutgen import technology
from layoutgen.export.curves import Strokes, strokes
from layoutgen.fileio import atomic_path
from layoutgen.toolpath.model import Toolpath

LAYER = {"fiducial": "FIDUCIAL", "isolation": "ISOLATION", "singulation": "SINGULATION",
         "reject": "REJECT"}
DECIMALS = 6  # mm: the layout's 1 nm grid
BULGE_DECIMALS = 9


def layer_name(op_name: str) -> str:
    return LAYER.get(op_name, op_name.upper())


def aci(op_name: str) -> int:
    """The operation's DXF colour index (technology registry; 7 for an unknown operation)."""
    try:
        return technology.operation(op_name).aci
    except KeyError:
        return 7


def write_dxf(tp: Toolpath, path: str | Path) -> Path:
    """Write the job as DXF R2010 (atomically)."""
    import ezdxf  # lazy: ezdxf is a heavy import only the DXF writer needs

    # ezdxf's fixed metadata (dates, GUIDs, marker): the same job gives the same bytes
    fixed = ezdxf.options.write_fixed_meta_data_for_testing
    ezdxf.options.write_fixed_meta_data_for_testing = True
    try:
        return _write(ezdxf.new("R2010", setup=False), tp, Path(path))
    finally:
        ezdxf.options.write_fixed_meta_data_for_testing = fixed


def bulges(st: Strokes) -> np.ndarray:
    """(K,) bulge of the move leaving each vertex (DXF convention: the bulge at vertex i shapes
    the segment i -> i + 1), rounded to BULGE_DECIMALS; 0 for straight steps and stroke ends."""
    b = np.zeros(len(st.pos))
    ai = st.arc_index()
    if len(ai):
        b[ai - 1] = np.round(np.tan(st.sweeps(ai) / 4.0), BULGE_DECIMALS)
    return b


def extents(st: Strokes) -> tuple[np.ndarray, np.ndarray]:
    """Lower-left and upper-right corner of the strokes, arcs included (mm)."""
    p = st.mm()
    lo, hi = p.min(axis=0), p.max(axis=0)
    ai = st.arc_index()
    if len(ai):
        c = st.centre_mm()[ai]
        r = st.radii(ai)
        a0 = np.arctan2(p[ai - 1, 1] - c[:, 1], p[ai - 1, 0] - c[:, 0])
        sw = st.sweeps(ai)
        for k, (dx, dy) in enumerate(((1, 0), (0, 1), (-1, 0), (0, -1))):
            ang = k * np.pi / 2
            # is the axis direction ang inside the sweep from a0?
            t = np.where(sw > 0, (ang - a0) % (2 * np.pi), (a0 - ang) % (2 * np.pi))
            hit = t <= np.abs(sw)
            if hit.any():
                pts = c[hit] + r[hit, None] * np.array([dx, dy], float)
                lo, hi = np.minimum(lo, pts.min(axis=0)), np.maximum(hi, pts.max(axis=0))
    return lo, hi


def _write(doc: Any, tp: Toolpath, target: Path) -> Path:
    doc.header["$INSUNITS"] = 4  # millimetres
    doc.header["$MEASUREMENT"] = 1  # metric
    msp = doc.modelspace()
    lo_all, hi_all = np.full(2, np.inf), np.full(2, -np.inf)
    for op in tp.operations:
        name = layer_name(op.name)
        color = aci(op.name)
        layer = doc.layers.add(name, color=color)
        p = op.params
        layer.description = (f"{op.name}: power {p.power_pct:g} %, speed {p.mark_speed_mm_s:g} "
                             f"mm/s, passes {p.passes}, {p.frequency_khz:g} kHz, "
                             f"{p.pulse_width_ns:g} ns, spot {p.spot_um:g} um")
        attribs = {"layer": name, "color": color}
        if not op.strokes:
            continue
        st = strokes(op.marks, DECIMALS)
        lo, hi = extents(st)
        lo_all, hi_all = np.minimum(lo_all, lo), np.maximum(hi_all, hi)
        rows = np.column_stack([st.mm(), bulges(st)]).tolist()
        bounds = st.bounds.tolist()
        closed = st.closed.tolist()
        for k in range(st.count):
            pts = rows[bounds[k]:bounds[k + 1]]
            if closed[k] and len(pts) > 1:
                pts = pts[:-1]  # the closing step is the last kept vertex's bulge
            msp.add_lwpolyline(pts, format="xyb", close=closed[k], dxfattribs=attribs)
    if np.isfinite(lo_all).all():
        lo_all = np.floor(lo_all * 10.0 ** DECIMALS) / 10.0 ** DECIMALS  # outward, rounded
        hi_all = np.ceil(hi_all * 10.0 ** DECIMALS) / 10.0 ** DECIMALS
        ext_lo = (float(lo_all[0]), float(lo_all[1]), 0.0)
        ext_hi = (float(hi_all[0]), float(hi_all[1]), 0.0)
        doc.header["$EXTMIN"], doc.header["$EXTMAX"] = ext_lo, ext_hi
        msp.dxf.extmin, msp.dxf.extmax = ext_lo, ext_hi  # ezdxf saves the layout's extents
    _sort_classes(doc)
    with atomic_path(target) as tmp:
        doc.saveas(tmp)
    return target


def _sort_classes(doc: Any) -> None:
    """Register the CLASSES section now, in sorted order: ezdxf adds the classes of the entity
    types in use by iterating a set (its order follows PYTHONHASHSEED); the save adds none."""
    doc.commit_pending_changes()
    doc.update_all()
    doc.classes.classes = OrderedDict(sorted(doc.classes.classes.items()))
