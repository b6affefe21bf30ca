"""G-code writers: LinuxCNC RS274NGC (.ngc) and GRBL laser mode (.gcode).

Both are written from the toolpath model in bulk (numpy text assembly, in chunks), in marking
order, with every pass spelled out (closed paths go round again, open paths back and forth).

LinuxCNC: G21 G90; G0 jumps, G1 marks with F (mm/min), and where the toolpath marks a run of
vertices as a circular arc (circles, rounded corners), one G2/G3 with the centre as I J offsets
from the arc's start: the interpreter traces the true arc, which lies within the layout's chord
tolerance of the chords it replaces (a circle is two arcs instead of dozens of chords). The
laser gate is digital output 0,
switched synchronously with motion (M62 P0 before a stroke, M63 P0 after it), the power is
analog output 0 (M67 E0 Q<percent>); each operation's parameters are shown as (MSG, ...), each
scan field starts with a comment naming the field and its centre.
GRBL: laser mode ($32=1) fires only during G1; M4 S<power> (dynamic power, S 0-1000 for
0-100 %) at the start of an operation, M5 at its end. GRBL gets the chords: it would cut arcs
into segments of its own ($12 arc tolerance, 2 um by default, coarser than the layout's).

Every coordinate is rounded once to DECIMALS (arc centres too, so the I J offsets are exact
differences of written numbers).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from layoutgen.fileio import atomic_path
from layoutgen.toolpath import fmt
from layoutgen.toolpath.model import _SWAP, ARC_CW, ARC_LINE, Operation, Paths, Toolpath

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
                 paths.field[a:b], None if paths.arcs is None else paths.arcs[s[0]:s[-1]])


def _stroke_rows(paths: Paths, passes: int, flavour: str, feed: float):  # noqa: ANN202
    """Chunks of G-code bytes for the strokes of `paths`, each marked `passes` times.

    Rows per stroke: a G0 to its start, then its moves (straight steps and arcs) pass by pass,
    closed strokes round again, open ones back and forth (an arc walked back turns the other
    way round the same centre)."""
    arcs = flavour == "ngc" and paths.arcs is not None
    codes = paths.arc_codes() if arcs else None
    kept = np.flatnonzero(codes) if arcs else np.arange(len(paths.xy), dtype=np.int64)
    code = codes[kept] if arcs else np.full(len(kept), ARC_LINE, np.int8)
    pos = fmt.scaled(paths.xy[kept], DECIMALS)
    centre = np.zeros_like(pos)
    is_arc = code >= ARC_CW
    if is_arc.any():
        centre[is_arc] = fmt.scaled(paths.arc_centres(kept[is_arc]), DECIMALS)
    ks = np.searchsorted(kept, paths.starts[:-1])  # each stroke's first kept vertex
    mv = np.diff(np.r_[ks, len(kept)]) - 1  # moves per pass
    n_rows = 1 + mv * passes
    row0 = np.r_[0, np.cumsum(n_rows)].astype(np.int64)
    total = int(row0[-1])
    f = f" F{feed:g}"
    if flavour == "ngc":
        # suffix: 0 none, 1 jump (laser on after it), 2 first move, 3 only move, 4 last move,
        # 5 a stroke without moves
        suf = ["", "\nM62 P0", f, f + "\nM63 P0", "\nM63 P0", "\nM62 P0\nM63 P0"]
    else:
        suf = ["", "", f, f, "", ""]
    pre = ["G0 X", "G1 X", "G2 X", "G3 X"]

    def build(lo: int, hi: int) -> list[np.ndarray]:
        r = np.arange(lo, hi, dtype=np.int64)
        j = np.searchsorted(row0, r, "right") - 1  # stroke of each row
        t = r - row0[j] - 1  # move number (-1: the jump)
        m = np.maximum(mv[j], 1)
        phase, step = np.divmod(np.maximum(t, 0), m)
        back = ~paths.closed[j] & (phase % 2 == 1)
        mi = ks[j] + np.where(back, m - step, step + 1)  # kept index of the move's far end
        jump = t < 0
        end = np.where(jump, ks[j], np.where(back, mi - 1, mi))
        kind = np.where(jump, 0, np.where(back, _SWAP[code[np.minimum(mi, len(code) - 1)]],
                                          code[np.minimum(mi, len(code) - 1)]))
        xy = pos[end]
        last = t == mv[j] * passes - 1
        which = np.where(jump, np.where(mv[j] > 0, 1, 5),
                         np.where(t == 0, np.where(last, 3, 2), np.where(last, 4, 0)))
        rows = hi - lo
        blocks = [fmt.choice(pre, kind), fmt.fixed(xy[:, 0], DECIMALS),
                  fmt.choice([" Y"], rows=rows), fmt.fixed(xy[:, 1], DECIMALS)]
        arc = kind >= ARC_CW
        if arc.any():
            # the arc starts where the previous row ended: the previous kept vertex walked
            start = np.where(back, mi, mi - 1)
            ij = (centre[np.minimum(mi, len(code) - 1)] - pos[start]) * arc[:, None]
            blocks += [fmt.choice(["", " I"], arc), fmt.fixed(ij[:, 0], DECIMALS) * arc[:, None],
                       fmt.choice(["", " J"], arc), fmt.fixed(ij[:, 1], DECIMALS) * arc[:, None]]
        blocks += [fmt.choice(suf, which), fmt.choice(["\n"], rows=rows)]
        return blocks

    for lo in range(0, total, fmt.CHUNK):
        yield fmt.lines(build(lo, min(total, lo + fmt.CHUNK)))


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
                sub = _subset(op.paths, a, b)
                for chunk in _stroke_rows(sub, p.passes, flavour, p.mark_speed_mm_s * 60):
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
