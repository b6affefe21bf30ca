"""Strokes as the moves a writer draws: straight steps and circular arcs, rounded once.

Every writer that draws native curves (G2/G3, DXF bulges, SVG `A`, LightBurn Béziers, job.json
arc records) reads the toolpath through `strokes()`: only the vertices that end a move (the
first vertex of each stroke, the end of each straight step, the end of each arc), each with
the centre of the arc ending there, all rounded once to the writer's stated resolution
(`numbers.scaled`: whole nm, then half to even). Arc centres are rounded too, so a writer's
offsets (G-code I J) are exact differences of written numbers.

`subdivided()` cuts arcs into pieces of at most a given sweep (SVG and Bézier writers: a 180
degree SVG arc is ill-conditioned, a cubic Bézier is within 0.03 % of the radius up to 90
degrees); `flattened()` turns arcs into chords within a sagitta (machines without arcs).
Contour operations given cell by cell (`CellPaths`) are gathered from their templates' move
ends, never from every chord vertex.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from layoutgen.export import numbers as fmt
from layoutgen.toolpath.model import (
    ARC_CCW,
    ARC_CW,
    ARC_LINE,
    CellPaths,
    Paths,
    circumcentres,
)


@dataclass(frozen=True)
class Strokes:
    """Strokes as move ends, in units of 10**-decimals mm (integers).

    pos (K, 2): every move-end vertex; code (K,): ARC_LINE or ARC_CW / ARC_CCW (the move
    ending there; a stroke's first vertex is ARC_LINE); centre (K, 2): the centre of the arc
    ending there (0 elsewhere); first (P,): index of each stroke's first vertex in pos;
    closed, unit, field (P,): per stroke.
    """

    pos: np.ndarray
    code: np.ndarray
    centre: np.ndarray
    first: np.ndarray
    closed: np.ndarray
    unit: np.ndarray
    field: np.ndarray
    decimals: int

    @property
    def count(self) -> int:
        return len(self.first)

    @property
    def bounds(self) -> np.ndarray:
        """(P + 1,) offsets: stroke k is pos[bounds[k]:bounds[k + 1]]."""
        return np.r_[self.first, len(self.pos)].astype(np.int64)

    @property
    def scale(self) -> float:
        return 10.0 ** self.decimals

    def mm(self) -> np.ndarray:
        """(K, 2) move ends in mm (the rounded values)."""
        return self.pos / self.scale

    def centre_mm(self) -> np.ndarray:
        return self.centre / self.scale

    def arc_index(self) -> np.ndarray:
        """Indices k of the vertices that end an arc (the arc starts at k - 1)."""
        return np.flatnonzero(self.code >= ARC_CW)

    def sweeps(self, k: np.ndarray | None = None) -> np.ndarray:
        """Signed sweep (radians, + counter-clockwise) of the arcs ending at vertices k (default:
        every arc), from the rounded start, end and centre; in (0, 2 pi] in magnitude."""
        k = self.arc_index() if k is None else np.asarray(k, np.int64)
        p, c = self.mm(), self.centre_mm()
        a0 = np.arctan2(*(p[k - 1] - c[k])[:, ::-1].T)
        a1 = np.arctan2(*(p[k] - c[k])[:, ::-1].T)
        ccw = self.code[k] == ARC_CCW
        d = np.where(ccw, (a1 - a0) % (2 * np.pi), -((a0 - a1) % (2 * np.pi)))
        return np.where(d == 0, np.where(ccw, 2 * np.pi, -2 * np.pi), d)

    def radii(self, k: np.ndarray | None = None) -> np.ndarray:
        """Radius (mm) of the arcs ending at k: from the centre to the arc's start."""
        k = self.arc_index() if k is None else np.asarray(k, np.int64)
        return np.hypot(*(self.mm()[k - 1] - self.centre_mm()[k]).T)

    def moves(self) -> int:
        """Straight steps and arcs (one pass)."""
        return len(self.pos) - self.count


def _rounded(xy: np.ndarray, code: np.ndarray, centre: np.ndarray, first: np.ndarray,
             closed: np.ndarray, unit: np.ndarray, field: np.ndarray, decimals: int) -> Strokes:
    pos = fmt.scaled(xy, decimals)
    c = np.zeros_like(pos)
    ai = np.flatnonzero(code >= ARC_CW)
    if len(ai):
        c[ai] = fmt.scaled(centre[ai], decimals)
    return Strokes(pos, code, c, np.asarray(first, np.int64), closed, unit, field, decimals)


def path_moves(paths: Paths, a: int, b: int, arcs: bool, decimals: int) -> Strokes:
    """Moves of paths a .. b - 1 (arcs False: every chord a straight step)."""
    lo, hi = int(paths.starts[a]), int(paths.starts[b])
    xy = paths.xy[lo:hi]
    if arcs and paths.arcs is not None:
        codes = paths.arcs[lo:hi]
        kept = np.flatnonzero(codes)
        code = codes[kept]
    else:
        kept = np.arange(hi - lo, dtype=np.int64)
        code = np.full(len(kept), ARC_LINE, np.int8)
    centre = np.zeros((len(kept), 2))
    ai = np.flatnonzero(code >= ARC_CW)
    if len(ai):  # the arc ending at kept vertex k starts at kept vertex k - 1
        s, e = kept[ai - 1], kept[ai]
        centre[ai] = circumcentres(xy[s], xy[(s + e) // 2], xy[e])
    first = np.searchsorted(kept, paths.starts[a:b] - lo)
    return _rounded(xy[kept], code, centre, first, paths.closed[a:b], paths.unit[a:b],
                    paths.field[a:b], decimals)


def template_moves(tpl: Any, arcs: bool) -> tuple:
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


def cell_moves(cells: CellPaths, a: int, b: int, tm: tuple, decimals: int) -> Strokes:
    """Moves of cells a .. b - 1, gathered from their templates' move-end vertices (`tm`:
    template_moves of cells.templates)."""
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
    unit = np.repeat(np.asarray(cells.unit[a:b], np.int64), qc)
    field = np.repeat(np.asarray(cells.field[a:b], np.int64), qc)
    return _rounded(xy, code[src], cen, first, tpl.path_closed[psrc], unit, field, decimals)


def strokes(marks: Paths | CellPaths, decimals: int, arcs: bool = True) -> Strokes:
    """All strokes of an operation's marks as moves, rounded to `decimals`."""
    if isinstance(marks, CellPaths):
        n = len(marks.variant)
        return cell_moves(marks, 0, n, template_moves(marks.templates, arcs), decimals)
    return path_moves(marks, 0, marks.count, arcs, decimals)


def _refined(st: Strokes, pieces: np.ndarray, as_lines: bool) -> Strokes:
    """Each arc ending at vertex k cut into pieces[k] equal pieces (1: kept), the new vertices
    on the arc rounded like the rest; as_lines: every piece a straight step."""
    n = np.ones(len(st.pos), np.int64)
    ai = st.arc_index()
    n[ai] = np.maximum(pieces[ai], 1)
    total = int(n.sum())
    new_end = np.cumsum(n) - 1  # where each old vertex lands
    owner = np.repeat(np.arange(len(st.pos)), n)
    j = np.arange(total) - (new_end[owner] - n[owner] + 1) + 1  # 1 .. n within a vertex
    pos = st.pos[owner].copy()
    code = st.code[owner].copy()
    centre = st.centre[owner].copy()
    mid = np.flatnonzero(j < n[owner])  # new vertices inside a cut arc
    if len(mid):
        k = owner[mid]
        sweep = np.zeros(len(st.pos))
        sweep[ai] = st.sweeps(ai)
        c = st.centre_mm()[k]
        start = st.mm()[k - 1]
        r = np.hypot(*(start - c).T)
        a = np.arctan2(start[:, 1] - c[:, 1], start[:, 0] - c[:, 0]) + sweep[k] * j[mid] / n[k]
        pos[mid] = fmt.scaled(c + r[:, None] * np.column_stack([np.cos(a), np.sin(a)]),
                              st.decimals)
    if as_lines:
        code[:] = ARC_LINE
        centre[:] = 0
    return Strokes(pos, code, centre, new_end[st.first] - n[st.first] + 1, st.closed, st.unit,
                   st.field, st.decimals)


def subdivided(st: Strokes, max_sweep: float, max_error_mm: float | None = None,
               bezier: bool = False) -> Strokes:
    """Arcs cut into pieces of at most `max_sweep` radians; with `bezier` and `max_error_mm`,
    also small enough that a cubic Bézier of each piece is within max_error_mm of the arc
    (error ~ 2.7e-4 r at 90 degrees, growing with the sixth power of the sweep)."""
    pieces = np.ones(len(st.pos), np.int64)
    ai = st.arc_index()
    if len(ai):
        sw = np.abs(st.sweeps(ai))
        n = np.ceil(sw / max_sweep - 1e-9)
        if bezier and max_error_mm is not None:
            r = st.radii(ai)
            lim = (np.pi / 2) * (max_error_mm / np.maximum(2.7e-4 * r, 1e-300)) ** (1 / 6)
            n = np.maximum(n, np.ceil(sw / np.minimum(lim, max_sweep) - 1e-9))
        pieces[ai] = np.maximum(n, 1).astype(np.int64)
    return _refined(st, pieces, False)


def flattened(st: Strokes, sagitta_mm: float) -> Strokes:
    """Arcs as chords whose sagitta is at most `sagitta_mm` (controllers without arcs)."""
    pieces = np.ones(len(st.pos), np.int64)
    ai = st.arc_index()
    if len(ai):
        r = st.radii(ai)
        step = 2 * np.arccos(np.clip(1 - sagitta_mm / np.maximum(r, 1e-300), -1.0, 1.0))
        step = np.where(step > 0, step, np.pi / 2)
        pieces[ai] = np.maximum(np.ceil(np.abs(st.sweeps(ai)) / np.minimum(step, np.pi / 2)
                                        - 1e-9), 1).astype(np.int64)
    return _refined(st, pieces, True)
