"""G-code writers: LinuxCNC RS274NGC (.ngc) and GRBL laser mode (.gcode).

Both are written from the toolpath model in bulk (numpy text assembly, in chunks), in marking
order, with every pass spelled out (closed paths go round again, open paths back and forth).

LinuxCNC: G21 G90; G0 jumps, G1 marks with F (mm/min), and where the toolpath marks a run of
vertices as a circular arc (circles, rounded corners), one G2/G3 with the centre as I J offsets
from the arc's start: the interpreter traces the true arc, which lies within the layout's chord
tolerance of the chords it replaces (a circle is two arcs instead of dozens of chords). The
laser gate is digital output 0, switched synchronously with motion (M62 P0 before a stroke,
M63 P0 after it), the power is analog output 0 (M67 E0 Q<percent>); each operation's
parameters are shown as (MSG, ...), each scan field starts with a comment naming the field and
its centre.
GRBL: laser mode ($32=1) fires only during G1/G2/G3; M4 S<power> (dynamic power, S from 0 to
the profile's $30 for 0-100 %) at the start of an operation, M5 at its end. Written for the
machine profile (`layoutgen.machine`): G2/G3 with I J where it takes arcs (GRBL cuts them into
chords within its $12 arc tolerance and refuses an arc whose end radius differs from its start
radius by more than 0.005 mm and 0.1 %: rounding to 1 um keeps that under 1.5 um), chords within
its chord tolerance where it does not; an operation faster than the profile's feed limit is
written at the limit with its power lowered in the same ratio (the same energy per mm), and the
header says so.

Every coordinate is rounded once to DECIMALS (`fmt.scaled`: the whole-nm value the layout
holds, rounded half to even in integers; arc centres too, so the I J offsets are exact
differences of written numbers). Contour operations are written cell by cell from their
templates (`CellPaths`): only the vertices that end a move are ever formed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from layoutgen.export import numbers as fmt
from layoutgen.export.curves import (
    Strokes,
    cell_moves,
    flattened,
    path_moves,
    template_moves,
)
from layoutgen.fileio import atomic_path
from layoutgen.machine import Machine
from layoutgen.toolpath.fields import field_runs
from layoutgen.toolpath.metrics import machine_of, machine_settings
from layoutgen.toolpath.model import (
    ARC_CW,
    ARC_REVERSED,
    CellPaths,
    Operation,
    Paths,
    Toolpath,
)

DECIMALS = 3  # 1 um: the layout's chord tolerance and a galvo's resolution


def _fnum(v: float) -> str:
    return fmt.decimal_text(v, DECIMALS)


def _describe(op: Operation, index: int, count: int) -> str:
    p = op.params
    return (f"operation {index}/{count} {op.name}, {op.kind}, {op.strokes} strokes: "
            f"power {p.power_pct:g} pct, mark {p.mark_speed_mm_s:g} mm/s, jump "
            f"{p.jump_speed_mm_s:g} mm/s, {p.frequency_khz:g} kHz, pulse {p.pulse_width_ns:g} "
            f"ns, passes {p.passes}, spot {p.spot_um:g} um, laser on/off delay "
            f"{p.laser_on_delay_us:g}/{p.laser_off_delay_us:g} us")


def _stroke_rows(mv: Strokes, passes: int, flavour: str, feed: float) -> Iterator[bytes]:
    """Chunks of G-code bytes for the strokes, each marked `passes` times.

    Rows per stroke: a G0 to its start, then its moves (straight steps and arcs) pass by pass,
    closed strokes round again, open ones back and forth (an arc walked back turns the other
    way round the same centre)."""
    pos, code, centre, ks = mv.pos, mv.code, mv.centre, mv.first
    n_moves = np.diff(np.r_[ks, len(pos)]) - 1  # per pass
    n_rows = 1 + n_moves * passes
    row0 = np.r_[0, np.cumsum(n_rows)].astype(np.int64)
    total = int(row0[-1])
    stroke = np.repeat(np.arange(len(ks), dtype=np.int64), n_rows)
    top = max(len(code) - 1, 0)
    f = f" F{feed:g}"
    if flavour == "ngc":
        # suffix: 0 none, 1 jump (laser on after it), 2 first move, 3 only move, 4 last move,
        # 5 a stroke without moves
        suf = ["", "\nM62 P0", f, f + "\nM63 P0", "\nM63 P0", "\nM62 P0\nM63 P0"]
    else:
        suf = ["", "", f, f, "", ""]
    pre = ["G0 X", "G1 X", "G2 X", "G3 X"]

    def build(lo: int, hi: int) -> list[np.ndarray]:
        j = stroke[lo:hi]
        t = np.arange(lo, hi, dtype=np.int64) - row0[j] - 1  # move number (-1: the jump)
        m = np.maximum(n_moves[j], 1)
        phase, step = np.divmod(np.maximum(t, 0), m)
        back = ~mv.closed[j] & (phase % 2 == 1)
        mi = np.minimum(ks[j] + np.where(back, m - step, step + 1), top)  # the move's far end
        jump = t < 0
        end = np.where(jump, ks[j], np.where(back, mi - 1, mi))
        kind = np.where(jump, 0, np.where(back, ARC_REVERSED[code[mi]], code[mi]))
        xy = pos[end]
        last = t == n_moves[j] * passes - 1
        which = np.where(jump, np.where(n_moves[j] > 0, 1, 5),
                         np.where(t == 0, np.where(last, 3, 2), np.where(last, 4, 0)))
        rows = hi - lo
        blocks = [fmt.choice(pre, kind), fmt.fixed(xy[:, 0], DECIMALS),
                  fmt.choice([" Y"], rows=rows), fmt.fixed(xy[:, 1], DECIMALS)]
        arc = kind >= ARC_CW
        if arc.any():
            # I J: from where the arc starts (the previous row's end) to the centre
            ij = (centre[mi] - pos[np.where(back, mi, mi - 1)]) * arc[:, None]
            blocks += [fmt.choice(["", " I"], arc), fmt.fixed(ij[:, 0], DECIMALS) * arc[:, None],
                       fmt.choice(["", " J"], arc), fmt.fixed(ij[:, 1], DECIMALS) * arc[:, None]]
        blocks += [fmt.choice(suf, which), fmt.choice(["\n"], rows=rows)]
        return blocks

    for lo in range(0, total, fmt.CHUNK):
        yield fmt.lines(build(lo, min(total, lo + fmt.CHUNK)))


def _header(tp: Toolpath, flavour: str, n_ops: int, mach: Machine) -> list[str]:
    w, h = tp.sheet_mm
    head = ["%"] if flavour == "ngc" else []
    head += [f"(layoutgen laser job: sheet {w:g} x {h:g} mm, {n_ops} operations, "
             f"{tp.fields.count} scan fields of {tp.fields.size_mm:g} mm)",
             "(units mm, absolute, origin at the sheet's lower-left corner)"]
    if flavour == "ngc":
        head += ["(laser gate: digital output 0 via M62/M63 P0, power: analog output 0 via "
                 "M67 E0 Q percent)", "G21 G90 G17 G94", "M63 P0"]
        return head
    arcs = ("G2/G3 arcs, $12 arc tolerance at most "
            f"{mach.arc_tolerance_mm:g} mm" if mach.arcs else
            f"arcs as chords within {mach.chord_tolerance_um:g} um")
    head += [f"(machine {mach.name}, {mach.kind}: feed at most {mach.max_feed_mm_min:g} mm/min "
             f"as $110/$111, {arcs})",
             f"(GRBL laser mode $32=1 expected, S 0-{mach.power_scale} = 0-100 pct power, "
             f"as $30)", "G21 G90 G17 G94", "M5 S0"]
    return head


def _moves(marks: Paths | CellPaths, a: int, b: int, tm: tuple | None, arcs: bool,
           mach: Machine | None) -> Strokes:
    """Moves of paths (or cells) a .. b - 1; for a GRBL machine without arcs, chords at its
    chord tolerance."""
    if isinstance(marks, CellPaths):
        assert tm is not None
        mv = cell_moves(marks, a, b, tm, DECIMALS)
    else:
        mv = path_moves(marks, a, b, arcs, DECIMALS)
    if mach is not None and not mach.arcs:
        mv = flattened(mv, mach.chord_tolerance_um / 1000)
    return mv


def _write(tp: Toolpath, path: str | Path, flavour: str, machine: Machine | None) -> Path:
    target = Path(path)
    ops = [op for op in tp.operations if op.strokes]
    mach = machine_of(tp, machine)
    head = _header(tp, flavour, len(ops), mach)
    with atomic_path(target) as tmp, open(tmp, "wb") as fh:
        fh.write(("\n".join(head) + "\n").encode("ascii"))
        for i, op in enumerate(ops, 1):
            p = op.params
            desc = _describe(op, i, len(ops))
            if flavour == "ngc":
                feed = p.mark_speed_mm_s * 60
                fh.write(f"(MSG, {desc})\nM67 E0 Q{p.power_pct:g}\n".encode("ascii"))
            else:
                ms = machine_settings(p, mach)
                feed = ms.feed_mm_min
                s = max(1, round(ms.power_pct / 100 * mach.power_scale))
                note = f"\n({ms.note(op.name)})" if ms.clamped else ""
                fh.write(f"({desc}){note}\nM4 S{s}\n".encode("ascii"))
            marks = op.marks
            tm = template_moves(marks.templates, True) if isinstance(marks, CellPaths) else None
            for a, b, f in field_runs(marks.field):
                cx, cy = tp.fields.centers[f]
                fh.write(f"(scan field {f}: centre X{_fnum(cx)} Y{_fnum(cy)})\n"
                         .encode("ascii"))
                mv = _moves(marks, a, b, tm, True, None if flavour == "ngc" else mach)
                for chunk in _stroke_rows(mv, p.passes, flavour, feed):
                    fh.write(chunk)
            if flavour != "ngc":
                fh.write(b"M5\n")
        tail = ["M67 E0 Q0", "M2", "%"] if flavour == "ngc" else ["M5", "M2"]
        fh.write(("\n".join(tail) + "\n").encode("ascii"))
    return target


def write_ngc(tp: Toolpath, path: str | Path, machine: Machine | None = None) -> Path:
    """LinuxCNC RS274NGC program (.ngc): always with arcs, at the operations' own feeds."""
    return _write(tp, path, "ngc", machine)


def write_grbl(tp: Toolpath, path: str | Path, machine: Machine | None = None) -> Path:
    """GRBL laser-mode program (.gcode) for `machine` (default: the toolpath's, else the galvo
    profile): G2/G3 where it takes arcs, feeds within its limit (power lowered in proportion
    where an operation is faster)."""
    return _write(tp, path, "grbl", machine)
