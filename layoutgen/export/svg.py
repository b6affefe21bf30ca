"""SVG of the laser job: millimetre units, one group and stroke colour per operation.

The drawing is the sheet (viewBox 0 0 W H, width/height in mm) with y flipped so the sheet's
lower-left origin is at the bottom; each stroke is one <path> in marking order, from its first
vertex in its marking direction, stroke width = the operation's spot. Circular arcs of the
toolpath are SVG `A` commands, cut into pieces of at most 120 degrees (a 180 degree SVG arc
hangs on its radius: 1 um of rounding could move its middle by tens of um; up to 120 degrees
1 um of radius moves it by at most 1 um). Coordinates rounded once to DECIMALS (1 um), radii
(the mean of the rounded start and end radii) to RADIUS_DECIMALS. Stroke colours come from
`technology.OPERATIONS`, the same palette as the DXF's colour indices, so LightBurn puts both
on the same layers. Written as text in bulk.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from layoutgen import technology
from layoutgen.export import numbers as fmt
from layoutgen.export.curves import Strokes, strokes, subdivided
from layoutgen.fileio import atomic_path
from layoutgen.toolpath.model import ARC_CCW, ARC_CW, Toolpath

DECIMALS = 3
RADIUS_DECIMALS = 3
MAX_SWEEP = 2 * np.pi / 3


def colour(op_name: str, index: int) -> str:
    """The operation's colour (technology registry), else a stable made-up one."""
    try:
        return technology.operation(op_name).colour
    except KeyError:
        return f"#{(index * 0x3f7a1b) % 0xffffff:06x}"


def _rows(st: Strokes, h: float):  # noqa: ANN202
    """Chunks of path text: one row per move-end vertex."""
    n = len(st.pos)
    first = np.zeros(n, bool)
    first[st.first] = True
    last = np.zeros(n, bool)
    last[st.bounds[1:] - 1] = True
    closed = np.repeat(st.closed, np.diff(st.bounds))
    p = st.mm()
    radius = np.zeros(n)
    ai = st.arc_index()
    if len(ai):  # the mean of the start and end radii (rounding leaves them up to 1 um apart)
        c = st.centre_mm()[ai]
        radius[ai] = 0.5 * (st.radii(ai) + np.hypot(*(p[ai] - c).T))
    # y flipped: a counter-clockwise arc on the sheet is drawn with sweep-flag 0
    kind = np.where(first, 0, np.where(st.code == ARC_CW, 3, np.where(st.code == ARC_CCW, 2, 1)))

    def build(lo: int, hi: int) -> list[fmt.Part]:
        k = kind[lo:hi]
        arc = k >= 2
        rows = hi - lo
        rtext = fmt.number(radius[lo:hi], RADIUS_DECIMALS)
        keep = arc[:, None]
        r_part = (rtext[0], rtext[1] & keep)
        return [
            fmt.text(['<path d="M', " L", " A", " A"], k),
            r_part, fmt.text(["", " "], arc.astype(np.int64)), r_part,
            fmt.text(["", " 0 0 0 ", " 0 0 1 "], np.where(arc, k - 1, 0)),
            fmt.number(p[lo:hi, 0], DECIMALS), fmt.text([" "], rows=rows),
            fmt.number(h - p[lo:hi, 1], DECIMALS),
            fmt.text(["", '"/>\n', ' Z"/>\n'],
                     np.where(last[lo:hi], np.where(closed[lo:hi], 2, 1), 0)),
        ]

    return fmt.rows_in_chunks(n, build)


def write_svg(tp: Toolpath, path: str | Path) -> Path:
    """Write the job as SVG (atomically)."""
    w, h = tp.sheet_mm
    target = Path(path)
    with atomic_path(target) as tmp, open(tmp, "wb") as fh:
        fh.write((
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{w:g}mm" height="{h:g}mm" '
            f'viewBox="0 0 {w:g} {h:g}">\n'
            f'<title>layoutgen laser job, {w:g} x {h:g} mm</title>\n').encode("ascii"))
        for i, op in enumerate(tp.operations):
            p = op.params
            fh.write((f'<g id="{op.name}" fill="none" stroke="{colour(op.name, i)}" '
                      f'stroke-width="{p.spot_um / 1000:g}" stroke-linecap="round" '
                      f'stroke-linejoin="round">\n').encode("ascii"))
            if op.strokes:
                st = subdivided(strokes(op.marks, DECIMALS), MAX_SWEEP)
                for chunk in _rows(st, h):
                    fh.write(chunk)
            fh.write(b"</g>\n")
        fh.write(b"</svg>\n")
    return target
