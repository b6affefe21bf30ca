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
GRBL: laser mode ($32=1) fires only during G1; M4 S<power> (dynamic power, S 0-1000 for
0-100 %) at the start of an operation, M5 at its end. GRBL gets the chords: it would cut arcs
into segments of its own ($12 arc tolerance, 2 um by default, coarser than the layout's).

Every coordinate is rounded once to DECIMALS (`fmt.scaled`: the whole-nm value the layout
holds, rounded half to even in integers; arc centres too, so the I J offsets are exact
differences of written numbers). Contour operations are written cell by cell from their
templates (`CellPaths`): only the vertices that end a move are ever formed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from layoutgen.export import numbers as fmt
from layoutgen.fileio import atomic_path
from layoutgen.toolpath.fields import field_runs
from layoutgen.toolpath.model import (
    ARC_CW,
    ARC_LINE,
    ARC_REVERSED,
    CellPaths,
    Operation,
    Paths,
    Toolpath,
    circumcentres,
)

DECIMALS = 3  # 1 um: the layout's chord tolerance and a galvo's resolution
GRBL_S_MAX = 1000  # GRBL's $30 (spindle/laser max): S = power % x 10


def _fnum(v: float) -> str:
    return fmt.decimal_text(v, DECIMALS)


def _describe(op: Operation, index: int, count: int) -> str:
    p = op.params
    return (f"operation {index}/{count} {op.name}, {op.kind}, {op.strokes} strokes: "
            f"power {p.power_pct:g} pct, mark {p.mark_speed_mm_s:g} mm/s, jump "
            f"{p.jump_speed_mm_s:g} mm/s, {p.frequency_khz:g} kHz, pulse {p.pulse_width_ns:g} "
            f"ns, passes {p.passes}, spot {p.spot_um:g} um, laser on/off delay "
            f"{p.laser_on_delay_us:g}/{p.laser_off_delay_us:g} us")


@dataclass(frozen=True)
class _Moves:
    """Strokes as the vertices that end a move: pos (K, 2) and centre (K, 2) of the arc ending
    there, in output units (integers); code (K,) ARC_*; first (P,) each stroke's first
    vertex; closed (P,)."""

    pos: np.ndarray
    code: np.ndarray
    centre: np.ndarray
    first: np.ndarray
    closed: np.ndarray


def _moves(xy: np.ndarray, code: np.ndarray, first: np.ndarray, closed: np.ndarray,
           centre: np.ndarray) -> _Moves:
    """_Moves from move-end vertices xy (K, 2), their codes and arc centres (K, 2) (mm)."""
    pos = fmt.scaled(xy, DECIMALS)
    c = np.zeros_like(pos)
    ai = np.flatnonzero(code >= ARC_CW)
    if len(ai):
        c[ai] = fmt.scaled(centre[ai], DECIMALS)
    return _Moves(pos, code, c, first, closed)


def _path_moves(paths: Paths, a: int, b: int, arcs: bool) -> _Moves:
    """Moves of paths a .. b - 1."""
    lo, hi = int(paths.starts[a]), int(paths.starts[b])
    xy = paths.xy[lo:hi]
    if arcs and paths.arcs is not None:
        codes = paths.arcs[lo:hi]
        kept = np.flatnonzero(codes)
    else:
        codes = None
        kept = np.arange(hi - lo, dtype=np.int64)
    code = codes[kept] if codes is not None else np.full(len(kept), ARC_LINE, np.int8)
    centre = np.zeros((len(kept), 2))
    ai = np.flatnonzero(code >= ARC_CW)
    if len(ai):  # the arc ending at kept vertex k starts at kept vertex k - 1
        s, e = kept[ai - 1], kept[ai]
        centre[ai] = circumcentres(xy[s], xy[(s + e) // 2], xy[e])
    first = np.searchsorted(kept, paths.starts[a:b] - lo)
    return _moves(xy[kept], code, first, paths.closed[a:b], centre)


def _template_moves(tpl, arcs: bool) -> tuple:  # noqa: ANN001
    """Per template: the move-end vertices (template vertex index), their codes and arc
    centres (cell coordinates), and for each variant and template path its first one."""
    codes = tpl.arcs if arcs and tpl.arcs is not None else None
    kept = np.flatnonzero(codes) if codes is not None else \
        np.arange(len(tpl.xy), dtype=np.int64)
    code = codes[kept] if codes is not None else np.full(len(kept), ARC_LINE, np.int8)
    centre = np.zeros((len(kept), 2))
    ai = np.flatnonzero(code >= ARC_CW)
    if len(ai):
        s, e = kept[ai - 1], kept[ai]
        centre[ai] = circumcentres(tpl.xy[s], tpl.xy[(s + e) // 2], tpl.xy[e])
    v_first = np.searchsorted(kept, tpl.pt_off)  # per variant
    v_count = np.searchsorted(kept, tpl.pt_off + tpl.pt_cnt) - v_first
    owner = np.repeat(np.arange(len(tpl.path_cnt)), tpl.path_cnt)
    p_first = np.searchsorted(kept, tpl.pt_off[owner] + tpl.path_start)  # per template path
    return kept, code, centre, v_first, v_count, p_first


def _cell_moves(cells: CellPaths, a: int, b: int, tm: tuple) -> _Moves:
    """Moves of cells a .. b - 1, gathered from their templates' move-end vertices."""
    tpl = cells.templates
    kept, code, centre, v_first, v_count, p_first = tm
    var = cells.variant[a:b]
    c = np.asarray(cells.centre[a:b], float)
    cnt = v_count[var]
    base = np.r_[0, np.cumsum(cnt)].astype(np.int64)
    owner = np.repeat(np.arange(len(var), dtype=np.int64), cnt)
    src = v_first[var][owner] + np.arange(int(base[-1]), dtype=np.int64) - base[:-1][owner]
    xy = tpl.xy[kept[src]] + c[owner]
    cen = centre[src] + c[owner]
    qc = tpl.path_cnt[var]
    powner = np.repeat(np.arange(len(var), dtype=np.int64), qc)
    qbase = np.r_[0, np.cumsum(qc)].astype(np.int64)
    psrc = tpl.path_off[var][powner] + np.arange(int(qbase[-1]), dtype=np.int64) - \
        qbase[:-1][powner]
    first = base[:-1][powner] + p_first[psrc] - v_first[var][powner]
    return _moves(xy, code[src], first, tpl.path_closed[psrc], cen)


def _stroke_rows(mv: _Moves, passes: int, flavour: str, feed: float):  # noqa: ANN202
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


def _write(tp: Toolpath, path: str | Path, flavour: str) -> Path:
    target = Path(path)
    ops = [op for op in tp.operations if op.strokes]
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
    arcs = flavour == "ngc"
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
            marks = op.marks
            cells = isinstance(marks, CellPaths)
            tm = _template_moves(marks.templates, arcs) if cells else None
            for a, b, f in field_runs(marks.field):
                cx, cy = tp.fields.centers[f]
                fh.write(f"(scan field {f}: centre X{_fnum(cx)} Y{_fnum(cy)})\n"
                         .encode("ascii"))
                mv = _cell_moves(marks, a, b, tm) if cells else _path_moves(marks, a, b, arcs)
                for chunk in _stroke_rows(mv, p.passes, flavour, p.mark_speed_mm_s * 60):
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
