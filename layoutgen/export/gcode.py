"""G-code writers: LinuxCNC RS274NGC (.ngc) and GRBL laser mode (.gcode).

Both are written from the toolpath model in bulk (numpy text assembly, in chunks), in marking
order, with every pass spelled out (closed paths go round again, open paths back and forth).

LinuxCNC: G21 G90; G0 jumps, G1 marks with F (mm/min); the laser gate is digital output 0,
switched synchronously with motion (M62 P0 before a stroke, M63 P0 after it), the power is
analog output 0 (M67 E0 Q<percent>); each operation's parameters are shown as (MSG, ...), each
scan field starts with a comment naming the field and its centre.
GRBL: laser mode ($32=1) fires only during G1; M4 S<power> (dynamic power, S 0-1000 for
0-100 %) at the start of an operation, M5 at its end.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from layoutgen.fileio import atomic_path
from layoutgen.toolpath import fmt
from layoutgen.toolpath.model import Operation, Paths, Toolpath, expand_passes

DECIMALS = 3  # 1 um: the layout's chord tolerance and a galvo's resolution
GRBL_S_MAX = 1000  # GRBL's $30 (spindle/laser max): S = power % x 10


def _fnum(v: float) -> str:
    return f"{v:.{DECIMALS}f}"


def _describe(op: Operation, index: int, count: int) -> str:
    p = op.params
    return (f"operation {index}/{count} {op.name}, {op.kind}, {op.paths.count} strokes: "
            f"power {p.power_pct:g} pct, mark {p.mark_speed_mm_s:g} mm/s, jump "
            f"{p.jump_speed_mm_s:g} mm/s, {p.frequency_khz:g} kHz, pulse {p.pulse_width_ns:g} "
            f"ns, passes {p.passes}, spot {p.spot_um:g} um, laser on/off delay "
            f"{p.laser_on_delay_us:g}/{p.laser_off_delay_us:g} us")


def _runs(field: np.ndarray) -> list[tuple[int, int, int]]:
    """(start, end, field) of each run of consecutive paths in one field."""
    if not len(field):
        return []
    cut = np.flatnonzero(field[1:] != field[:-1]) + 1
    starts = np.r_[0, cut]
    ends = np.r_[cut, len(field)]
    return [(int(a), int(b), int(field[a])) for a, b in zip(starts, ends, strict=True)]


def _subset(paths: Paths, a: int, b: int) -> Paths:
    s = paths.starts[a:b + 1]
    return Paths(paths.xy[s[0]:s[-1]], s - s[0], paths.closed[a:b], paths.unit[a:b],
                 paths.field[a:b])


def _stroke_rows(paths: Paths, flavour: str, feed: float):  # noqa: ANN202
    """Chunks of G-code bytes for the vertices of `paths` (passes already expanded)."""
    n = len(paths.xy)
    owner_start = np.repeat(paths.starts[:-1], paths.counts)
    owner_end = np.repeat(paths.starts[1:] - 1, paths.counts)
    f = f" F{feed:g}"
    if flavour == "ngc":
        pre = ["G0 X", "G1 X"]
        suf = ["", "\nM62 P0", f, f + "\nM63 P0", "\nM63 P0"]
    else:
        pre = ["G0 X", "G1 X"]
        suf = ["", "", f, f, ""]

    def build(lo: int, hi: int) -> list[fmt.Part]:
        t = np.arange(lo, hi) - owner_start[lo:hi]
        last = np.arange(lo, hi) == owner_end[lo:hi]
        which_pre = (t > 0).astype(np.int64)
        which_suf = np.select([t == 0, (t == 1) & last, t == 1, last], [1, 3, 2, 4], 0)
        xy = paths.xy[lo:hi]
        rows = hi - lo
        return [fmt.text(pre, which_pre), fmt.number(xy[:, 0], DECIMALS),
                fmt.text([" Y"], rows=rows), fmt.number(xy[:, 1], DECIMALS),
                fmt.text(suf, which_suf), fmt.text(["\n"], rows=rows)]

    return fmt.rows_in_chunks(n, build)


def _write(tp: Toolpath, path: str | Path, flavour: str) -> Path:
    target = Path(path)
    ops = [op for op in tp.operations if op.paths.count]
    w, h = tp.sheet_mm
    head = ["%"] if flavour == "ngc" else []
    head += [f"(layoutgen laser job: sheet {w:g} x {h:g} mm, {len(ops)} operations, "
             f"{tp.fields.count} scan fields of {tp.fields.size_mm:g} mm)",
             "(units mm, absolute, origin at the sheet's lower-left corner)"]
    if flavour == "ngc":
        head += ["(laser gate: digital output 0 via M62/M63 P0, power: analog output 0 via "
                 "M67 E0 Q percent)", "G21 G90 G17 G94", "M63 P0"]
    else:
        head += ["(GRBL laser mode $32=1 expected, S 0-1000 = 0-100 pct power)",
                 "G21 G90 G17 G94", "M5 S0"]
    with atomic_path(target) as tmp, open(tmp, "wb") as fh:
        fh.write(("\n".join(head) + "\n").encode("ascii"))
        for i, op in enumerate(ops, 1):
            p = op.params
            desc = _describe(op, i, len(ops))
            if flavour == "ngc":
                fh.write(f"(MSG, {desc})\nM67 E0 Q{p.power_pct:g}\n".encode("ascii"))
            else:
                s = round(p.power_pct / 100 * GRBL_S_MAX)
                fh.write(f"({desc})\nM4 S{s}\n".encode("ascii"))
            for a, b, f in _runs(op.paths.field):
                cx, cy = tp.fields.centers[f]
                fh.write(f"(scan field {f}: centre X{_fnum(cx)} Y{_fnum(cy)})\n"
                         .encode("ascii"))
                sub = expand_passes(_subset(op.paths, a, b), p.passes)
                for chunk in _stroke_rows(sub, flavour, p.mark_speed_mm_s * 60):
                    fh.write(chunk)
            if flavour != "ngc":
                fh.write(b"M5\n")
        tail = ["M67 E0 Q0", "M2", "%"] if flavour == "ngc" else ["M5", "M2"]
        fh.write(("\n".join(tail) + "\n").encode("ascii"))
    return target


def write_ngc(tp: Toolpath, path: str | Path) -> Path:
    """LinuxCNC RS274NGC program (.ngc)."""
    return _write(tp, path, "ngc")


def write_grbl(tp: Toolpath, path: str | Path) -> Path:
    """GRBL laser-mode program (.gcode)."""
    return _write(tp, path, "grbl")
