"""The one internal toolpath model every exporter reads.

A `Toolpath` is a tuple of `Operation`s in process order (fiducial marks, isolation scribes,
singulation cuts). Each operation holds its laser parameter set and its paths as one ragged
array (`Paths`): every vertex of every path in one (N, 2) float array, path k being
`xy[starts[k]:starts[k + 1]]`, in marking order. A closed path repeats its first vertex at the
end, so every path is marked vertex to vertex as stored.

Arcs: where a run of vertices lies on a circular arc (circles, rounded corners: the chords are
drawn within the layout's chord tolerance), `Paths.arcs` marks it, so writers that can draw arcs
(LinuxCNC G2/G3) trace the arc itself; every other reader sees the chord polyline. The arc from
vertex s to vertex e is the circle through vertices s, (s + e) // 2 and e (see `arc_centres`).

Passes: a closed path is marked `passes` times round the loop; an open path is marked back and
forth (pass 2 runs in reverse), so the laser never jumps between the passes of one path. The
laser is switched on once per path ("stroke") and off at its end.

Coordinates are sheet millimetres (origin at the sheet's lower-left corner). Nothing here is a
Python object per cell or per path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from layoutgen.deck import LaserOp
from layoutgen.machine import Machine

OPERATIONS = ("fiducial", "isolation", "singulation")  # the deck's parameter sets, in order
REJECT = "reject"  # reject crosses on failing cells (the fiducial parameter set)

# Paths.arcs: how the marking reaches each vertex
ARC_INSIDE = 0  # a vertex inside an arc: the arc passes through it
ARC_LINE = 1  # a straight step (and the first vertex of every path)
ARC_CW = 2  # the end of a clockwise arc
ARC_CCW = 3  # the end of a counter-clockwise arc
ARC_REVERSED = np.array([ARC_INSIDE, ARC_LINE, ARC_CCW, ARC_CW], np.int8)  # walked backwards


@dataclass(frozen=True, eq=False)
class Paths:
    """Polylines as ragged arrays.

    xy: (N, 2) float64 vertices; starts: (P + 1,) int64 offsets (starts[0] = 0, starts[-1] = N);
    closed: (P,) bool (closed paths repeat their first vertex last); unit: (P,) int64, the cell
    (or line, or fiducial) each path belongs to; field: (P,) int64 scan field of each path;
    arcs: None (every step straight) or (N,) int8, how each vertex is reached (ARC_*; the first
    and last vertex of every path are never inside an arc).
    """

    xy: np.ndarray
    starts: np.ndarray
    closed: np.ndarray
    unit: np.ndarray
    field: np.ndarray
    arcs: np.ndarray | None = None

    def __post_init__(self) -> None:
        p = len(self.starts) - 1
        if p < 0 or self.starts[0] != 0 or self.starts[-1] != len(self.xy):
            raise ValueError("Paths: starts must run from 0 to len(xy)")
        if not (len(self.closed) == len(self.unit) == len(self.field) == p):
            raise ValueError("Paths: closed, unit and field need one entry per path")
        if self.arcs is not None and len(self.arcs) != len(self.xy):
            raise ValueError("Paths: arcs needs one entry per vertex")

    @staticmethod
    def empty() -> Paths:
        z = np.zeros(0, np.int64)
        return Paths(np.zeros((0, 2)), np.zeros(1, np.int64), np.zeros(0, bool), z, z.copy())

    @staticmethod
    def from_list(polylines: list[np.ndarray], closed: list[bool] | np.ndarray,
                  unit: np.ndarray | list[int] | None = None,
                  field: np.ndarray | list[int] | None = None) -> Paths:
        """Paths from a list of (k, 2) arrays (small inputs and tests)."""
        if not polylines:
            return Paths.empty()
        counts = np.array([len(p) for p in polylines], np.int64)
        xy = np.concatenate([np.asarray(p, float).reshape(-1, 2) for p in polylines])
        n = len(polylines)
        return Paths(xy, np.r_[0, np.cumsum(counts)].astype(np.int64),
                     np.asarray(closed, bool).reshape(n),
                     np.arange(n, dtype=np.int64) if unit is None else np.asarray(unit, np.int64),
                     np.zeros(n, np.int64) if field is None else np.asarray(field, np.int64))

    @property
    def count(self) -> int:
        return len(self.starts) - 1

    @property
    def counts(self) -> np.ndarray:
        """Vertices per path."""
        return np.diff(self.starts)

    def path(self, k: int) -> np.ndarray:
        return self.xy[self.starts[k]:self.starts[k + 1]]

    def as_list(self) -> list[np.ndarray]:
        return [self.path(k) for k in range(self.count)]

    @property
    def first(self) -> np.ndarray:
        """(P, 2) first vertex of each path."""
        return self.xy[self.starts[:-1]] if self.count else np.zeros((0, 2))

    @property
    def last(self) -> np.ndarray:
        """(P, 2) last vertex of each path."""
        return self.xy[self.starts[1:] - 1] if self.count else np.zeros((0, 2))

    def exit_points(self, passes: int) -> np.ndarray:
        """Where the laser stands after marking each path `passes` times."""
        if passes % 2 == 1:
            return self.last
        return np.where(self.closed[:, None], self.last, self.first)

    def segment_lengths(self) -> np.ndarray:
        """(N - 1,) length of every vertex-to-vertex step, 0 across path boundaries."""
        if len(self.xy) < 2:
            return np.zeros(0)
        d = np.hypot(*np.diff(self.xy, axis=0).T)
        d[self.starts[1:-1] - 1] = 0.0
        return d

    def lengths(self) -> np.ndarray:
        """(P,) length of each path (one pass)."""
        if not self.count:
            return np.zeros(0)
        seg = np.r_[0.0, np.cumsum(self.segment_lengths())]
        return seg[self.starts[1:] - 1] - seg[self.starts[:-1]]

    @property
    def segments(self) -> int:
        """Vertex-to-vertex steps (one pass)."""
        return int(len(self.xy) - self.count)

    def arc_codes(self) -> np.ndarray:
        """(N,) int8 ARC_* per vertex (all ARC_LINE when the paths have no arcs)."""
        if self.arcs is None:
            return np.full(len(self.xy), ARC_LINE, np.int8)
        return self.arcs

    @property
    def moves(self) -> int:
        """Straight steps and arcs (one pass): what a writer that draws arcs emits."""
        if self.arcs is None:
            return self.segments
        return int(np.count_nonzero(self.arcs) - self.count)

    def reversed_arcs(self) -> np.ndarray:
        """ARC_* per vertex when every path is walked backwards (vertex order unchanged): a
        vertex that ends a move now ends the move that used to leave it, turning the other way."""
        a = self.arc_codes()
        out = np.zeros(len(a), np.int8)
        kept = np.flatnonzero(a)
        out[kept[:-1]] = ARC_REVERSED[a[kept[1:]]]
        out[self.starts[1:] - 1] = ARC_LINE  # the last vertex starts the reversed path
        return out

    def take(self, order: np.ndarray, reverse: np.ndarray | None = None) -> Paths:
        """The paths in a new order, each optionally reversed (vectorised)."""
        order = np.asarray(order, np.int64)
        cnt = self.counts[order]
        new_starts = np.r_[0, np.cumsum(cnt)].astype(np.int64)
        total = int(new_starts[-1])
        owner = np.repeat(np.arange(len(order)), cnt)
        local = np.arange(total, dtype=np.int64) - new_starts[:-1][owner]
        rev = None
        if reverse is not None:
            rev = np.asarray(reverse, bool)[owner]
            local = np.where(rev, cnt[owner] - 1 - local, local)
        src = self.starts[order][owner] + local
        arcs = None
        if self.arcs is not None:
            arcs = self.arcs[src]
            if rev is not None and rev.any():
                arcs = np.where(rev, self.reversed_arcs()[src], arcs)
        return Paths(self.xy[src], new_starts, self.closed[order], self.unit[order],
                     self.field[order], arcs)

    def translated(self, dx: float, dy: float) -> Paths:
        return replace(self, xy=self.xy + (dx, dy))

    def arc_centres(self, end: np.ndarray) -> np.ndarray:
        """(k, 2) centres of the arcs ending at vertices `end` (each ARC_CW or ARC_CCW): the
        circle through the arc's start (the previous vertex not inside an arc), its middle
        vertex ((start + end) // 2) and its end."""
        end = np.asarray(end, np.int64)
        kept = np.flatnonzero(self.arc_codes())
        start = kept[np.searchsorted(kept, end) - 1]
        return circumcentres(self.xy[start], self.xy[(start + end) // 2], self.xy[end])

    @staticmethod
    def concat(parts: list[Paths]) -> Paths:
        parts = [p for p in parts if p.count]
        if not parts:
            return Paths.empty()
        offs = np.cumsum([0] + [len(p.xy) for p in parts[:-1]])
        starts = np.concatenate([[0]] + [p.starts[1:] + o for p, o in zip(parts, offs,
                                                                             strict=True)])
        arcs = None
        if any(p.arcs is not None for p in parts):
            arcs = np.concatenate([p.arc_codes() for p in parts])
        return Paths(np.concatenate([p.xy for p in parts]), starts.astype(np.int64),
                     np.concatenate([p.closed for p in parts]),
                     np.concatenate([p.unit for p in parts]),
                     np.concatenate([p.field for p in parts]), arcs)


def circumcentres(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """(k, 2) centres of the circles through the points a, b, c (each (k, 2); not collinear).
    Computed relative to a, so translated inputs give translated centres."""
    b = b - a
    c = c - a
    d = 2.0 * (b[:, 0] * c[:, 1] - b[:, 1] * c[:, 0])
    bb = (b * b).sum(axis=1)
    cc = (c * c).sum(axis=1)
    ux = (c[:, 1] * bb - b[:, 1] * cc) / d
    uy = (b[:, 0] * cc - c[:, 0] * bb) / d
    return a + np.column_stack([ux, uy])


def expand_passes(paths: Paths, passes: int) -> Paths:
    """The vertices the laser actually follows: each path marked `passes` times in place.

    Closed paths go round again; open paths go back and forth. Vectorised over all paths.
    """
    if passes <= 1 or not paths.count:
        return paths
    seg = paths.counts - 1  # steps per pass
    n_out = seg * passes + 1
    new_starts = np.r_[0, np.cumsum(n_out)].astype(np.int64)
    owner = np.repeat(np.arange(paths.count), n_out)
    t = np.arange(int(new_starts[-1]), dtype=np.int64) - new_starts[:-1][owner]
    k = np.maximum(seg[owner], 1)
    phase, r = np.divmod(t, k)
    closed = paths.closed[owner]
    back = ~closed & (phase % 2 == 1)
    idx = np.where(back, k - r, r)
    idx = np.where(seg[owner] == 0, 0, idx)
    base = paths.starts[:-1][owner]
    arcs = None
    if paths.arcs is not None:
        # a vertex where one pass ends and the next begins is reached by the pass that ends
        turn = (r == 0) & (t > 0)
        fwd = paths.arcs[base + np.where(turn & closed, k, idx)]
        bwd = paths.reversed_arcs()[base + idx]
        arcs = np.where(np.where(turn, ~closed & (phase % 2 == 0), back), bwd, fwd)
        arcs = np.where(seg[owner] == 0, ARC_LINE, arcs).astype(np.int8)
    return Paths(paths.xy[base + idx], new_starts, paths.closed, paths.unit, paths.field, arcs)


@dataclass(frozen=True, eq=False)
class CellPaths:
    """Paths given cell by cell: each cell marks the paths of one template variant, shifted to
    the cell's centre (contour operations: a few templates, many cells).

    `paths()` builds the flat `Paths` (every chord vertex of every cell) for the readers that
    need them; a writer that works cell by cell (the G-code writer) reads the templates and
    never builds them. templates: the variants' paths (contours.Templates); variant, centre
    (n, 2), unit, field: per cell, in marking order.
    """

    templates: Any
    variant: np.ndarray
    centre: np.ndarray
    unit: np.ndarray
    field: np.ndarray

    @property
    def count(self) -> int:
        """Paths (all cells)."""
        return int(self.templates.path_cnt[self.variant].sum())

    def paths(self) -> Paths:
        return self.templates.instance(self.variant, self.centre, self.unit, self.field)


@dataclass(frozen=True, eq=False)
class StrokeCells:
    """The cells each stroke marks, ragged: stroke k marks cell ids
    `ids[offsets[k]:offsets[k + 1]]` (a contour or reject cross: its one cell; a straight cut:
    every cell it frees an edge of; a fiducial: none)."""

    offsets: np.ndarray
    ids: np.ndarray

    def __post_init__(self) -> None:
        if len(self.offsets) < 1 or self.offsets[0] != 0 or self.offsets[-1] != len(self.ids):
            raise ValueError("StrokeCells: offsets must run from 0 to len(ids)")

    @staticmethod
    def one_each(ids: np.ndarray) -> StrokeCells:
        ids = np.asarray(ids, np.int64)
        return StrokeCells(np.arange(len(ids) + 1, dtype=np.int64), ids)

    @staticmethod
    def none(strokes: int) -> StrokeCells:
        return StrokeCells(np.zeros(strokes + 1, np.int64), np.zeros(0, np.int64))

    @property
    def count(self) -> int:
        return len(self.offsets) - 1

    def of(self, k: int) -> np.ndarray:
        return self.ids[self.offsets[k]:self.offsets[k + 1]]

    def as_lists(self) -> list[list[int]]:
        return [self.of(k).tolist() for k in range(self.count)]


@dataclass(frozen=True)
class Operation:
    """One laser operation: parameters, paths in marking order, ordering statistics.

    kind: "hatch" (filled marks), "contours" (closed outlines), "lines" (straight cuts) or
    "marks" (reject crosses).
    marks: the paths, flat (`Paths`) or cell by cell (`CellPaths`); `paths` is always the
    flat form (built once, when first asked for).
    jump_before_mm / jump_after_mm: jump travel of the generated order vs the optimised one
    (the optimised order is kept only if it is shorter); jump_greedy_mm: that of a greedy
    nearest-neighbour walk over the same strokes (line operations). cells: the cells each
    stroke marks (None: derived; a callable: built when first asked for; see
    `stroke_cells`).
    """

    name: str
    params: LaserOp
    kind: str
    marks: Paths | CellPaths
    jump_before_mm: float = 0.0
    jump_after_mm: float = 0.0
    notes: tuple[str, ...] = ()
    cells: StrokeCells | Callable[[], StrokeCells] | None = None
    jump_greedy_mm: float | None = None

    @property
    def stroke_cells(self) -> StrokeCells:
        """The cells each stroke marks (see StrokeCells): given, or for contours each
        stroke's cell (`unit`), for fiducials none (a callable given is called once)."""
        if isinstance(self.cells, StrokeCells):
            return self.cells
        if self.cells is not None:
            built = self.__dict__.get("_cells")
            if built is None:
                built = self.cells()
                object.__setattr__(self, "_cells", built)
            return built
        if self.kind != "contours":
            return StrokeCells.none(self.strokes)
        m = self.marks
        if isinstance(m, CellPaths):
            return StrokeCells.one_each(np.repeat(m.unit, m.templates.path_cnt[m.variant]))
        return StrokeCells.one_each(m.unit)

    @property
    def paths(self) -> Paths:
        if isinstance(self.marks, Paths):
            return self.marks
        built = self.__dict__.get("_paths")
        if built is None:
            built = self.marks.paths()
            object.__setattr__(self, "_paths", built)
        return built

    @property
    def strokes(self) -> int:
        """Paths, without building them."""
        return self.marks.count


@dataclass(frozen=True)
class ScanFields:
    """Scan fields: the layout's fields (`SheetLayout.fields`, one plan, `layoutgen.fields`),
    with windows (F, 4) x0, y0, x1, y1 of what each field marks (its marks' bounding box; the
    field itself if it marks nothing) and `centers` (F, 2) where the galvo field of size
    `size_mm` is centred."""

    size_mm: float
    windows: np.ndarray
    centers: np.ndarray
    source: str = "layout"

    @property
    def count(self) -> int:
        return len(self.windows)


@dataclass(frozen=True)
class Rejects:
    """Failing cells the laser job treats apart: ids (cell ids of the sheet), and the mode:
    "mark" puts a reject cross on each; "skip" leaves their singulation contours out (they
    leave with the skeleton web)."""

    ids: frozenset[int]
    mode: str = "mark"

    def __post_init__(self) -> None:
        if self.mode not in ("mark", "skip"):
            raise ValueError(f"Rejects.mode must be 'mark' or 'skip', not {self.mode!r}")


@dataclass(frozen=True)
class RejectOutcome:
    """What the rejects did to the job: failing cells on the sheet, crosses marked, contours
    left out, and the marking time that saved (contour marks x passes / speed + laser delays
    of the left-out strokes; the jumps they would have needed are not counted) or cost (the
    crosses' marks and delays, negative)."""

    mode: str
    failing: int
    marked: int
    skipped: int
    time_saved_s: float


@dataclass(frozen=True)
class Toolpath:
    """A laser job: operations in process order, scan fields and job settings.

    singulation: "lines", "contours" or None (off); cells: cells on the sheet; notes: what the
    generator decided (one line each); rejects: what the failing cells changed (or None)."""

    operations: tuple[Operation, ...]
    fields: ScanFields
    sheet_mm: tuple[float, float]
    field_move_s: float
    start_xy: tuple[float, float] = (0.0, 0.0)
    singulation: str | None = None
    cells: int = 0
    notes: tuple[str, ...] = ()
    rejects: RejectOutcome | None = None
    machine: Machine = field(default_factory=Machine)  # the deck's [machine]: files and times

    def operation(self, name: str) -> Operation:
        for op in self.operations:
            if op.name == name:
                return op
        raise KeyError(name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(op.name for op in self.operations)


def laser_params(op: LaserOp) -> dict[str, Any]:
    """The operation's parameter set as a plain dict (deck key names)."""
    return op.model_dump(mode="json")
