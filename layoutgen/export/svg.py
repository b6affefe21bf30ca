"""SVG of the laser job: millimetre units, one group and stroke colour per operation.

The drawing is the sheet (viewBox 0 0 W H, width/height in mm) with y flipped so the sheet's
lower-left origin is at the bottom; each stroke is one <path> in marking order, stroke width =
the operation's spot. Written as text in bulk.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from layoutgen.export import numbers as fmt
from layoutgen.fileio import atomic_path
from layoutgen.toolpath.model import Toolpath

COLORS = {"fiducial": "#00a000", "isolation": "#0000ff", "singulation": "#ff0000"}
DECIMALS = 3


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
            color = COLORS.get(op.name, f"#{(i * 0x3f7a1b) % 0xffffff:06x}")
            p = op.params
            fh.write((f'<g id="{op.name}" fill="none" stroke="{color}" '
                      f'stroke-width="{p.spot_um / 1000:g}" stroke-linecap="round" '
                      f'stroke-linejoin="round">\n').encode("ascii"))
            paths = op.paths
            if paths.count:
                first = np.repeat(paths.starts[:-1], paths.counts)
                last = np.repeat(paths.starts[1:] - 1, paths.counts)
                closed = np.repeat(paths.closed, paths.counts)

                def build(lo: int, hi: int, first=first, last=last, closed=closed,
                          xy=paths.xy) -> list[fmt.Part]:
                    idx = np.arange(lo, hi)
                    is_first = idx == first[lo:hi]
                    is_last = idx == last[lo:hi]
                    pre = fmt.text(['<path d="M', " L"], (~is_first).astype(np.int64))
                    suf = fmt.text(["", '"/>\n', ' Z"/>\n'],
                                   np.where(is_last, np.where(closed[lo:hi], 2, 1), 0))
                    rows = hi - lo
                    return [pre, fmt.number(xy[lo:hi, 0], DECIMALS), fmt.text([" "], rows=rows),
                            fmt.number(h - xy[lo:hi, 1], DECIMALS), suf]

                for chunk in fmt.rows_in_chunks(len(paths.xy), build):
                    fh.write(chunk)
            fh.write(b"</g>\n")
        fh.write(b"</svg>\n")
    return target
