"""LightBurn project (.lbrn2) of the laser job: one cut setting per operation, shapes in marking
order, native curves.

The .lbrn2 format is LightBurn's own XML project file; it is documented by its users and by
other programs that read it (meerk40t's lbrn loader, which the tests read our files back with),
not by LightBurn's vendor. What is written:

- one `CutSetting type="Cut"` per operation, on the LightBurn layer of the technology registry
  (`technology.Operation.lightburn_index`, the palette colour the DXF and SVG use too), with
  its speed (mm/s) and power (%) as the machine profile runs them (above the profile's feed
  limit: the limit, power lowered in proportion), passes, `priority` = process order, and for
  a galvo profile the pulse frequency (Hz) and pulse width (ns); LightBurn's kerf offset is 0
  (the geometry is already compensated);
- every stroke as one `Shape Type="Path"` (unique VertID/PrimID), in marking order, from its
  first vertex in its marking direction, in sheet millimetres (y up, as LightBurn's workspace);
  straight steps as `L` primitives, circular arcs as cubic Béziers (`B`, control points c0/c1)
  of at most 90 degrees, each within BEZIER_ERROR_MM of its arc;
- UIPrefs that switch LightBurn's path optimiser off (no travel reduction, no inner-to-outer
  reordering, no reversed or re-entered shapes), so the job runs in our order. LightBurn keeps
  these settings per project; check "Optimization Settings" after loading if a job looks
  reordered.

Coordinates rounded once to DECIMALS. Written as text in bulk (one Python step per stroke).
"""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np

from layoutgen import technology
from layoutgen.export import numbers as fmt
from layoutgen.export.curves import Strokes, strokes, subdivided
from layoutgen.fileio import atomic_path
from layoutgen.machine import Machine
from layoutgen.toolpath.metrics import machine_of, machine_settings
from layoutgen.toolpath.model import Operation, Toolpath

DECIMALS = 4  # 0.1 um
BEZIER_ERROR_MM = 0.0005
MAX_SWEEP = np.pi / 2

# LightBurn's optimiser off: run the shapes as listed (layer priority first)
_UI_PREFS = (("Optimize_ByLayer", 0), ("Optimize_ByGroup", -1), ("Optimize_ByPriority", 1),
             ("Optimize_WhichDirection", 0), ("Optimize_InnerToOuter", 0),
             ("Optimize_ByDirection", 0), ("Optimize_ReduceTravel", 0),
             ("Optimize_HideBacklash", 0), ("Optimize_ReduceDirChanges", 0),
             ("Optimize_ChooseCorners", 0), ("Optimize_AllowReverse", 0),
             ("Optimize_RemoveOverlaps", 0), ("Optimize_OptimalEntryPoint", 0))


def cut_index(op_name: str, fallback: int) -> int:
    """The operation's LightBurn layer (technology registry), else `fallback`."""
    try:
        return technology.operation(op_name).lightburn_index
    except KeyError:
        return fallback


def _num(v: float) -> str:
    return fmt.decimal_text(float(v), DECIMALS).rstrip("0").rstrip(".") or "0"


def cut_setting(op: Operation, index: int, priority: int, mach: Machine) -> str:
    """The CutSetting block of one operation."""
    p = op.params
    ms = machine_settings(p, mach)
    power = _num(round(ms.power_pct, 3))
    rows = [("index", str(index)), ("name", op.name), ("minPower", power), ("maxPower", power),
            ("maxPower2", power), ("speed", _num(round(ms.feed_mm_min / 60.0, 4))),
            ("numPasses", str(p.passes)), ("priority", str(priority)), ("kerf", "0")]
    if not mach.is_gantry:
        rows += [("frequency", _num(round(p.frequency_khz * 1000.0))),
                 ("QPulseWidth", _num(p.pulse_width_ns))]
    body = "".join(f"        <{k} Value={quoteattr(v)}/>\n" for k, v in rows)
    return f'    <CutSetting type="Cut">\n{body}    </CutSetting>\n'


def _controls(st: Strokes) -> tuple[np.ndarray, np.ndarray]:
    """Bézier control points (mm) of the arc ending at each vertex: c_out at its start vertex
    (k - 1), c_in at its end (k); NaN where the move is straight."""
    n = len(st.pos)
    c_out = np.full((n, 2), np.nan)
    c_in = np.full((n, 2), np.nan)
    ai = st.arc_index()
    if len(ai):
        p, c = st.mm(), st.centre_mm()[ai]
        k = (4.0 / 3.0) * np.tan(st.sweeps(ai) / 4.0)
        r0, r1 = p[ai - 1] - c, p[ai] - c
        c_out[ai] = p[ai - 1] + k[:, None] * np.column_stack([-r0[:, 1], r0[:, 0]])
        c_in[ai] = p[ai] - k[:, None] * np.column_stack([-r1[:, 1], r1[:, 0]])
    return c_out, c_in


def _shapes(st: Strokes, index: int, first_id: int) -> list[str]:
    """One Path shape per stroke."""
    p = st.mm()
    c_out, c_in = _controls(st)
    xs = [_num(v) for v in p[:, 0]]
    ys = [_num(v) for v in p[:, 1]]
    out = []
    bounds = st.bounds.tolist()
    closed = st.closed.tolist()
    arc = (st.code >= 2).tolist()
    for s in range(st.count):
        a, b = bounds[s], bounds[s + 1]
        idx = list(range(a, b))
        if closed[s] and len(idx) > 2:
            idx = idx[:-1]  # the closing primitive returns to vertex 0
        m = len(idx)
        verts, prims = [], []
        for j, v in enumerate(idx):
            # the primitive leaving vertex j ends at vertex v + 1 (the stroke's last: closes)
            nxt = v + 1 if v + 1 < b else None
            txt = f"V{xs[v]} {ys[v]}"
            if nxt is not None and arc[nxt]:
                txt += f"c0x{_num(c_out[nxt, 0])}c0y{_num(c_out[nxt, 1])}"
            if arc[v] and j > 0:
                txt += f"c1x{_num(c_in[v, 0])}c1y{_num(c_in[v, 1])}"
            if j == 0 and closed[s] and arc[b - 1]:
                txt += f"c1x{_num(c_in[b - 1, 0])}c1y{_num(c_in[b - 1, 1])}"
            verts.append(txt)
            if nxt is not None:
                prims.append(f"{'B' if arc[nxt] else 'L'}{j} {(j + 1) % m}")
        sid = first_id + s
        out.append(f'    <Shape Type="Path" CutIndex="{index}" VertID="{sid}" PrimID="{sid}">\n'
                   "        <XForm>1 0 0 1 0 0</XForm>\n"
                   f"        <VertList>{''.join(verts)}</VertList>\n"
                   f"        <PrimList>{''.join(prims)}</PrimList>\n    </Shape>\n")
    return out


def write_lightburn(tp: Toolpath, path: str | Path, machine: Machine | None = None) -> Path:
    """Write the job as a LightBurn project (.lbrn2, atomically) for `machine` (default: the
    toolpath's, else the galvo profile)."""
    mach = machine_of(tp, machine)
    target = Path(path)
    ops = [op for op in tp.operations if op.strokes]
    prefs = "".join(f'        <{k} Value="{v}"/>\n' for k, v in _UI_PREFS)
    with atomic_path(target) as tmp, open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        fh.write('<?xml version="1.0" encoding="UTF-8"?>\n'
                 '<LightBurnProject AppVersion="1.7.00" FormatVersion="1" MaterialHeight="0" '
                 'MirrorX="False" MirrorY="False">\n'
                 f"    <UIPrefs>\n{prefs}    </UIPrefs>\n")
        indices = [cut_index(op.name, 10 + i) for i, op in enumerate(ops)]
        for i, (op, ci) in enumerate(zip(ops, indices, strict=True)):
            fh.write(cut_setting(op, ci, i, mach))
        sid = 0
        for op, ci in zip(ops, indices, strict=True):
            st = subdivided(strokes(op.marks, DECIMALS), MAX_SWEEP, BEZIER_ERROR_MM,
                            bezier=True)
            fh.write("".join(_shapes(st, ci, sid)))
            sid += st.count
        note = (f"layoutgen laser job, sheet {tp.sheet_mm[0]:g} x {tp.sheet_mm[1]:g} mm, "
                f"machine {mach.name} ({mach.kind}); run in file order")
        fh.write(f'    <Notes ShowOnLoad="0" Notes={quoteattr(note)}/>\n</LightBurnProject>\n')
    return target
