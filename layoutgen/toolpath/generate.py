"""Laser operations from the sheet layout: fiducial marks, isolation scribes, singulation.

`build_toolpath(layout)` reads the very geometry the GDS is written from (the layout's master
cell patterns, placements and FIDUCIAL features) and the deck's `laser` section, and returns the
`Toolpath` every exporter writes. Process order: fiducials (if enabled), isolation scribes (inner
features) before singulation cuts (outer contours), reject crosses (if asked), singulation last.
Every operation is split in the layout's scan fields (`SheetLayout.fields`: the one field plan,
`layoutgen.fields`), so the GDS FIELD layer, cells.csv, the G-code and job.json show the same.
"""

from __future__ import annotations

import numpy as np
import shapely

from layoutgen.deck import Deck, check_spot_within_kerf
from layoutgen.errors import LayoutgenError
from layoutgen.layout.assemble import build_layout
from layoutgen.toolpath import contours as ct
from layoutgen.toolpath import fields as fl
from layoutgen.toolpath import order as od
from layoutgen.toolpath import rejects as rj
from layoutgen.toolpath.lines import guillotine_cuts
from layoutgen.toolpath.model import (
    OPERATIONS,
    REJECT,
    CellPaths,
    Operation,
    Paths,
    RejectOutcome,
    Rejects,
    ScanFields,
    StrokeCells,
    Toolpath,
)

_STREET_TOL_MM = 1e-3  # a street up to kerf + 1 um is cut once, in its middle


def fiducial_centres(deck: Deck) -> np.ndarray:
    """Corner fiducial centres (4, 2): `layout.fiducial_margin_mm` in from each sheet corner.

    The layout decides which fiducials are drawn (it may drop some); this is the rule alone."""
    m = deck.layout.fiducial_margin_mm
    w, h = deck.sheet.width_mm, deck.sheet.length_mm
    return np.array([(m, m), (w - m, m), (m, h - m), (w - m, h - m)], float)


def _rect_like(layout) -> bool:  # noqa: ANN001
    rots = np.array([p.rotation_deg for p in layout.patterns], float)
    q = rots / 90.0
    return layout.outline.kind == "rect" and bool(np.all(np.abs(q - np.round(q)) < 1e-9))


def singulation_lines(layout) -> np.ndarray | None:  # noqa: ANN001
    """Shared straight cut lines (L, 4) for a guillotine-separable rectangle layout, or None."""
    deck = layout.deck
    las = deck.laser
    b = np.array([p.layers["SINGULATION"].bounds for p in layout.patterns], float)
    bm = b[layout.master]
    lo = np.column_stack([layout.x + bm[:, 0], layout.y + bm[:, 1]])
    hi = np.column_stack([layout.x + bm[:, 2], layout.y + bm[:, 3]])
    half = las.singulation.spot_um / 2000 if las.kerf_compensation else 0.0
    if las.lines_run_through:
        root = [0.0, 0.0, deck.sheet.width_mm, deck.sheet.length_mm]
    else:
        s = deck.sheet
        root = [s.edge_x_mm, s.edge_y_mm, s.width_mm - s.edge_x_mm, s.length_mm - s.edge_y_mm]
    if len(lo):
        reach = 2 * half + 1e-3
        root = [min(root[0], lo[:, 0].min() - reach), min(root[1], lo[:, 1].min() - reach),
                max(root[2], hi[:, 0].max() + reach), max(root[3], hi[:, 1].max() + reach)]
    street = deck.tiling.kerf_um / 1000 + _STREET_TOL_MM
    return guillotine_cuts(lo, hi, tuple(root), street, half)


def singulation_mode(layout) -> tuple[str, np.ndarray | None, list[str]]:  # noqa: ANN001
    """("lines", segments, notes) or ("contours", None, notes) by `laser.singulation_paths`."""
    deck = layout.deck
    pref = deck.laser.singulation_paths
    notes: list[str] = []
    if pref == "contours" or layout.count == 0:
        return "contours", None, notes
    rect = _rect_like(layout)
    if pref == "lines":
        if not rect:
            raise LayoutgenError(
                "laser.singulation_paths = lines: straight cut lines need rectangular cells at "
                f"0/90 degrees (got {layout.outline.kind} cells); use contours or auto")
        seg = singulation_lines(layout)
        if seg is None:
            raise LayoutgenError(
                "laser.singulation_paths = lines: the layout is not guillotine-cuttable (no "
                "straight cut separates some cells); use tiling.cut = guillotine, or contours")
        if deck.tiling.keepouts:
            notes.append("singulation lines run through the keep-outs")
        return "lines", seg, notes
    if not rect or deck.tiling.keepouts:
        return "contours", None, notes
    seg = singulation_lines(layout)
    if seg is None:
        notes.append("layout is not guillotine-cuttable: singulation by contours")
        return "contours", None, notes
    return "lines", seg, notes


def _arc_tol(layout) -> float:  # noqa: ANN001
    """How far an arc written in place of chords may stray from them: the chord tolerance the
    outlines were drawn with (layout.chord_tolerance_um)."""
    return layout.deck.layout.chord_tolerance_um / 1000


def _isolation_templates(layout) -> ct.Templates:  # noqa: ANN001
    las = layout.deck.laser
    spot = las.isolation.spot_um / 1000
    variants = []
    for p in layout.patterns:
        rings = ct.scribe_passes(p.layers["ISOLATION"], spot, las.scribe_overlap)
        for c in range(ct.N_DIRECTIONS):
            variants.append([(ct.start_at(r, ct.DIRECTIONS[c]), True) for r in rings])
    return ct.Templates.build(variants, ct.N_DIRECTIONS, _arc_tol(layout))


def _singulation_templates(layout) -> ct.Templates:  # noqa: ANN001
    las = layout.deck.laser
    spot = las.singulation.spot_um / 1000
    lead = las.lead_in_um / 1000
    gap = las.microtab_width_um / 1000 + spot
    variants = []
    for p in layout.patterns:
        poly = p.layers["SINGULATION"]
        if las.kerf_compensation:
            poly = ct._offset(poly, spot / 2)
        ring = ct._loops(poly)[0]
        for c in range(ct.N_DIRECTIONS):
            loop = ct.start_at(ring, ct.DIRECTIONS[c])
            variants.append(ct.singulation_paths(loop, lead, las.microtabs, gap))
    return ct.Templates.build(variants, ct.N_DIRECTIONS, _arc_tol(layout))


def _fiducial_paths(layout) -> tuple[Paths, np.ndarray]:  # noqa: ANN001
    las = layout.deck.laser
    spot = las.fiducial.spot_um / 1000
    polys, closed, unit = [], [], []
    centres = []
    for k, g in enumerate(layout.features.get("FIDUCIAL", ())):
        c = np.array(g.centroid.coords[0])
        centres.append(c)
        for r in ct.fill_passes(g, spot, las.scribe_overlap):
            polys.append(ct.start_at(r, ct.DIRECTIONS[ct.SOUTH_WEST]))
            closed.append(True)
            unit.append(k)
    return Paths.from_list(polys, closed, unit), np.array(centres, float).reshape(-1, 2)


def _field_grid(layout) -> fl.FieldGrid:  # noqa: ANN001
    """The layout's scan fields (`SheetLayout.fields`, planned by `layoutgen.fields` on the laser
    marks) as a grid: the one field plan the whole job uses."""
    grid = fl.grid_from_rects(layout.fields)
    if grid is None:
        raise LayoutgenError("layout: its scan fields are not columns of rows (a SheetLayout "
                             "from layoutgen.layout.build_layout has them so)")
    return grid


def _check_windows(win: np.ndarray, size: float) -> None:
    """Every field's marks fit the galvo field (the plan makes them so; a safety net)."""
    ext = np.nan_to_num(np.maximum(win[:, 2] - win[:, 0], win[:, 3] - win[:, 1]), nan=0.0)
    k = int(np.argmax(ext)) if len(ext) else 0
    if len(ext) and ext[k] > size + 1e-6:
        raise LayoutgenError(
            f"laser.field_mm = {size:g}: the marks of scan field {k} span {ext[k]:.4f} mm, more "
            "than the galvo field (the field plan should hold them: please report this job)")


def _field_cells(field: np.ndarray) -> dict[int, np.ndarray]:
    """Cell indices of each scan field (in cell order)."""
    by_field = np.argsort(field, kind="stable")
    cut = np.flatnonzero(np.diff(field[by_field])) + 1
    return {int(field[g[0]]): g for g in np.split(by_field, cut) if len(g)}


def _naive_order(field: np.ndarray, visit: np.ndarray) -> np.ndarray:
    """Cells in their given (tiling) order, grouped by field in visiting order."""
    rank = np.empty(int(field.max(initial=-1)) + 1 if len(field) else 0, np.int64)
    rank[visit[visit < len(rank)]] = np.arange(int(np.sum(visit < len(rank))))
    return np.lexsort((np.arange(len(field)), rank[field])) if len(field) else field


def _contour_op(name: str, params, tpl: ct.Templates, master: np.ndarray,  # noqa: ANN001
                centre: np.ndarray, field: np.ndarray, rows: np.ndarray, visit: np.ndarray,
                naive: np.ndarray, entry: np.ndarray, ids: np.ndarray | None = None
                ) -> Operation:
    """Cells field by field (in `visit` order), each field's cells ordered, with their start
    points, from where the previous field ended (order.order_cells); the naive arrangement
    (tiling order, every cell started at its lower-left) is the "before"."""
    n_dir = tpl.n_dir
    v_first, v_exit, v_inner = tpl.variant_ends(params.passes)
    by_field = _field_cells(field)
    parts, starts = [], []
    pos = np.asarray(entry, float)
    for f in visit.tolist():
        idx = by_field.get(f)
        if idx is None:
            continue
        var = master[idx][:, None] * n_dir + np.arange(n_dir)
        c = centre[idx][:, None, :]
        o, s = od.order_cells(v_first[var] + c, v_exit[var] + c, v_inner[var], centre[idx],
                              rows[idx], pos)
        parts.append(idx[o])
        starts.append(s)
        last = idx[o[-1]]
        pos = v_exit[master[last] * n_dir + s[-1]] + centre[last]
    order = np.concatenate(parts) if parts else np.zeros(0, np.int64)
    var_after = master[order] * n_dir + (np.concatenate(starts) if starts else order)
    var_before = master[naive] * n_dir + ct.SOUTH_WEST

    def jumps(o: np.ndarray, var: np.ndarray) -> float:
        first, last, closed = tpl.endpoints(var, centre[o])
        exits = np.where(closed[:, None], last, last if params.passes % 2 else first)
        return od.jump_length(first, exits, entry)

    after, before = jumps(order, var_after), jumps(naive, var_before)
    notes: tuple[str, ...] = ()
    if after >= before:
        order, var_after, after = naive, var_before, before
        notes = ("optimised order not shorter: generation order kept",)
    unit = order if ids is None else ids[order]  # the cell ids
    marks = CellPaths(tpl, var_after, centre[order], unit, field[order])
    return Operation(name, params, "contours", marks, before, after, notes)


def _exit(op: Operation, passes: int, default: np.ndarray) -> np.ndarray:
    """Where the laser stands after the operation."""
    m = op.marks
    if isinstance(m, CellPaths):
        has = np.flatnonzero(m.templates.path_cnt[m.variant] > 0)
        if not len(has):
            return default
        k = has[-1]
        return m.templates.variant_ends(passes)[1][m.variant[k]] + m.centre[k]
    return m.exit_points(passes)[-1] if m.count else default


def _bounds(op: Operation) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lo, hi, field) of each path, or of each cell's paths together."""
    m = op.marks
    if isinstance(m, CellPaths):
        lo, hi = m.templates.variant_bounds()
        return lo[m.variant] + m.centre, hi[m.variant] + m.centre, m.field
    s = m.starts[:-1]
    return np.minimum.reduceat(m.xy, s, axis=0), np.maximum.reduceat(m.xy, s, axis=0), m.field


def _line_cells(pieces: np.ndarray, lo: np.ndarray, hi: np.ndarray, reach: float
                ) -> StrokeCells:
    """The cells each straight cut (M, 4) frees an edge of: per cell side, the nearest cut
    within `reach` outside it that runs along that side (overlapping it by more than 1 nm)."""
    pairs: list[np.ndarray] = []
    eps = 1e-6
    horiz = np.abs(pieces[:, 1] - pieces[:, 3]) <= np.abs(pieces[:, 0] - pieces[:, 2])
    for d in (1, 0):  # d: the axis the cut's position is on (1: horizontal cuts at y)
        sel = np.flatnonzero(horiz if d == 1 else ~horiz)
        if not len(sel) or not len(lo):
            continue
        e = 1 - d
        pos = pieces[sel, d]
        a = np.minimum(pieces[sel, e], pieces[sel, e + 2])
        b = np.maximum(pieces[sel, e], pieces[sel, e + 2])
        o = np.argsort(pos, kind="stable")
        pos, a, b, sel = pos[o], a[o], b[o], sel[o]
        for side, edge in ((0, lo[:, d]), (1, hi[:, d])):
            # cuts on the outer side of this edge, within reach
            if side == 0:
                i0 = np.searchsorted(pos, edge - reach, "left")
                i1 = np.searchsorted(pos, edge + eps, "right")
            else:
                i0 = np.searchsorted(pos, edge - eps, "left")
                i1 = np.searchsorted(pos, edge + reach, "right")
            cnt = i1 - i0
            cell = np.repeat(np.arange(len(edge)), cnt)
            k = np.arange(int(cnt.sum())) - np.repeat(np.cumsum(cnt) - cnt, cnt) + \
                np.repeat(i0, cnt)
            ov = np.minimum(b[k], hi[cell, e]) - np.maximum(a[k], lo[cell, e])
            keep = ov > eps
            cell, k = cell[keep], k[keep]
            dist = np.abs(pos[k] - edge[cell])
            if not len(cell):
                continue
            best = np.full(len(edge), np.inf)
            np.minimum.at(best, cell, dist)
            near = dist <= best[cell] + eps
            pairs.append(np.column_stack([sel[k[near]], cell[near]]))
    m = len(pieces)
    if not pairs:
        return StrokeCells.none(m)
    pc = np.concatenate(pairs)
    pc = pc[np.lexsort((pc[:, 1], pc[:, 0]))]
    pc = pc[np.r_[True, np.any(pc[1:] != pc[:-1], axis=1)]]
    offsets = np.r_[0, np.cumsum(np.bincount(pc[:, 0], minlength=m))].astype(np.int64)
    return StrokeCells(offsets, pc[:, 1].astype(np.int64))


def _lines_chain(a: np.ndarray, b: np.ndarray, pf: np.ndarray, passes: int, visit: np.ndarray,
                 entry: np.ndarray, how: str) -> tuple[np.ndarray, np.ndarray, float]:
    """Lines field by field (in `visit` order), each field's lines ordered from where the
    previous field ended: the plain greedy walk (how = "greedy"), or `order_lines` aiming at
    the next field's line end nearest this field's lines ("aim"). (order, reversed, jumps)."""
    order_parts, rev_parts = [], []
    pos = np.asarray(entry, float)
    groups = [g for g in (np.flatnonzero(pf == f) for f in visit) if len(g)]
    for gi, idx in enumerate(groups):
        if how == "greedy":
            first, exit_ = od.line_stops(a[idx], b[idx], passes)
            o, c = od.greedy_stops(first, exit_, pos)
            r = c.astype(bool)
        else:
            target = None
            if gi + 1 < len(groups):
                nxt = groups[gi + 1]
                ends = np.concatenate([a[nxt], b[nxt]])
                mid = np.concatenate([a[idx], b[idx]]).mean(axis=0)
                target = ends[int(np.argmin(np.hypot(*(ends - mid).T)))]
            o, r = od.order_lines(a[idx], b[idx], passes, pos, target)
        order_parts.append(idx[o])
        rev_parts.append(r)
        last = idx[o[-1]]
        pos = (a if r[-1] else b)[last] if passes % 2 else (b if r[-1] else a)[last]
    order = np.concatenate(order_parts) if order_parts else np.zeros(0, np.int64)
    rev = np.concatenate(rev_parts) if rev_parts else np.zeros(0, bool)
    start = np.where(rev[:, None], b[order], a[order])
    end = np.where(rev[:, None], a[order], b[order])
    return order, rev, od.jump_length(start, end if passes % 2 else start, entry)


def _lines_op(params, seg: np.ndarray, grid: fl.FieldGrid, stitch: float,  # noqa: ANN001
              visit: np.ndarray, entry: np.ndarray, lo: np.ndarray, hi: np.ndarray,
              reach: float) -> Operation:
    """Straight singulation cuts split at the field boundaries (overlapping by `stitch`),
    ordered per field (`order_lines`; never longer than the greedy walk, kept as
    `jump_greedy_mm`); each names the cells it frees an edge of (boxes lo, hi)."""
    pieces, pf, src = fl.split_lines(grid, seg, stitch)
    a, b = pieces[:, :2], pieces[:, 2:]
    rank = np.empty(grid.count, np.int64)
    rank[visit] = np.arange(len(visit))
    naive = np.lexsort((np.arange(len(pf)), rank[pf]))
    before = od.jump_length(a[naive], (b if params.passes % 2 else a)[naive], entry)
    g_order, g_rev, greedy = _lines_chain(a, b, pf, params.passes, visit, entry, "greedy")
    order, rev, after = g_order, g_rev, greedy
    o, r, j = _lines_chain(a, b, pf, params.passes, visit, entry, "aim")
    if j < after:
        order, rev, after = o, r, j
    notes: tuple[str, ...] = ()
    if after >= before:
        order, rev, after = naive, np.zeros(len(naive), bool), before
        notes = ("optimised order not shorter: generation order kept",)
    s = np.where(rev[:, None], b[order], a[order])
    e = np.where(rev[:, None], a[order], b[order])
    xy = np.column_stack([s, e]).reshape(-1, 2)
    paths = Paths(xy, np.arange(0, 2 * len(order) + 1, 2, dtype=np.int64),
                  np.zeros(len(order), bool), src[order].astype(np.int64), pf[order])
    cut = np.column_stack([s, e])

    def cells() -> StrokeCells:  # built when a writer asks (job.json): big sheets, many pairs
        return _line_cells(cut, lo, hi, reach)

    return Operation("singulation", params, "lines", paths, before, after, notes, cells,
                     jump_greedy_mm=greedy)


def _reject_op(params, crosses: Paths, centre: np.ndarray, cell_field: np.ndarray,  # noqa: ANN001
               visit: np.ndarray, entry: np.ndarray) -> Operation:
    """Reject crosses (two strokes per failing cell, `unit` = cell id) field by field, the
    cells of a field in a greedy walk; the "before" is the crosses in id order."""
    ids = crosses.unit[::2]
    f = cell_field[ids]
    pos = np.asarray(entry, float)
    order: list[int] = []
    for v in visit:
        idx = np.flatnonzero(f == v)
        if not len(idx):
            continue
        o = idx[od.greedy(centre[ids[idx]], pos)]
        order.extend(o.tolist())
        pos = crosses.xy[4 * o[-1] + 3]  # the end of the cell's second stroke
    cell_order = np.array(order, np.int64)
    stroke_order = np.column_stack([2 * cell_order, 2 * cell_order + 1]).reshape(-1)
    paths = Paths(crosses.xy, crosses.starts, crosses.closed, crosses.unit, f.repeat(2))
    ex = paths.exit_points(params.passes)
    before = od.jump_length(paths.first, ex, entry)
    after = od.jump_length(paths.first[stroke_order], ex[stroke_order], entry)
    if after >= before:
        stroke_order, after = np.arange(paths.count, dtype=np.int64), before
    out = paths.take(stroke_order)
    return Operation(REJECT, params, "marks", out, before, after,
                     cells=StrokeCells.one_each(out.unit))


def _fiducial_op(params, paths: Paths, centres: np.ndarray, fid_field: np.ndarray,  # noqa: ANN001
                 visit: np.ndarray, entry: np.ndarray) -> Operation:
    unit_order = []
    pos = np.asarray(entry, float)
    for f in visit:
        idx = np.flatnonzero(fid_field == f)
        if not len(idx):
            continue
        o = idx[od.greedy(centres[idx], pos)]
        unit_order.extend(o.tolist())
        pos = centres[o[-1]]
    path_field = fid_field[paths.unit] if paths.count else np.zeros(0, np.int64)
    paths = Paths(paths.xy, paths.starts, paths.closed, paths.unit, path_field)
    rank = np.empty(len(centres), np.int64)
    rank[np.array(unit_order, np.int64)] = np.arange(len(unit_order))
    naive = np.lexsort((np.arange(paths.count), paths.unit)) if paths.count else np.zeros(0, int)
    opt = np.lexsort((np.arange(paths.count), rank[paths.unit])) if paths.count else naive
    ex = paths.exit_points(params.passes)
    before = od.jump_length(paths.first[naive], ex[naive], entry)
    after = od.jump_length(paths.first[opt], ex[opt], entry)
    if after >= before:
        opt, after = naive, before
    return Operation("fiducial", params, "hatch", paths.take(opt), before, after)


def build_toolpath(layout, rejects: Rejects | None = None) -> Toolpath:  # noqa: ANN001
    """The laser job of a `SheetLayout` (layoutgen.layout.assemble.build_layout), in the
    layout's scan fields. `rejects`: failing cells to mark with a reject cross ("mark") or to
    leave uncut ("skip", contour singulation only)."""
    deck = layout.deck
    las = deck.laser
    check_spot_within_kerf(deck)
    enabled = [n for n in OPERATIONS if getattr(las, n).enabled]
    centre = np.column_stack([layout.x, layout.y]).astype(float)
    master = np.asarray(layout.master, np.int64)
    notes: list[str] = []
    stitch = las.stitch_overlap_um / 1000

    iso_tpl = _isolation_templates(layout) if "isolation" in enabled else None
    mode, seg, mode_notes = "contours", None, list[str]()
    if "singulation" in enabled:
        mode, seg, mode_notes = singulation_mode(layout)
    notes += mode_notes
    sing_tpl = _singulation_templates(layout) if "singulation" in enabled and \
        mode == "contours" else None
    fid_paths, fid_centres = (_fiducial_paths(layout) if "fiducial" in enabled
                              else (Paths.empty(), np.zeros((0, 2))))

    grid = _field_grid(layout)
    if layout.cells_cut_by_fields:
        raise LayoutgenError(
            f"laser.field_mm = {las.field_mm:g}: the laser marks of {layout.cells_cut_by_fields:,}"
            " cells (kerf offset and lead-ins included) are larger than a scan field; use a "
            "larger field")
    cell_field = np.asarray(layout.field, np.int64)
    visit = grid.visit_order()
    failing = rj.failing_cells(rejects, layout.count) if rejects is not None else None
    skip = np.zeros(layout.count, bool)
    crosses = Paths.empty()
    if rejects is not None and failing is not None:
        if rejects.mode == "skip":
            if "singulation" in enabled and mode == "lines":
                raise LayoutgenError(
                    "rejects = skip: this job singulates by straight lines shared by "
                    "neighbouring cells, which cannot leave one cell uncut; use mark, or "
                    "laser.singulation_paths = contours")
            skip[failing] = True
        else:
            crosses = rj.reject_crosses(layout.patterns, master, centre, failing, deck)
    steps = list(enabled)
    if crosses.count:  # crosses after the scribes, before the cells are cut free
        steps.insert(len([n for n in steps if n != "singulation"]), REJECT)

    ops: list[Operation] = []
    pos = np.zeros(2)
    rows = np.asarray(layout.row, np.int64)
    naive = _naive_order(cell_field, visit)
    bl, bh = _cell_boxes(layout)
    for k, name in enumerate(steps):
        params = las.fiducial if name == REJECT else getattr(las, name)
        vis = visit if k % 2 == 0 else visit[::-1]
        if name == "fiducial":
            ff = grid.field_of(fid_centres[:, 0], fid_centres[:, 1]) if len(fid_centres) else \
                np.zeros(0, np.int64)
            op = _fiducial_op(params, fid_paths, fid_centres, ff, vis, pos)
        elif name == REJECT:
            op = _reject_op(params, crosses, centre, cell_field, vis, pos)
        elif name == "singulation" and mode == "lines":
            assert seg is not None
            reach = max((deck.tiling.kerf_um / 1000 + _STREET_TOL_MM) / 2,
                        las.singulation.spot_um / 2000) + 1e-6
            op = _lines_op(params, seg, grid, stitch, vis, pos, bl, bh, reach)
        else:
            tpl = iso_tpl if name == "isolation" else sing_tpl
            assert tpl is not None
            if name == "singulation" and skip.any():
                keep = np.flatnonzero(~skip)
                nv = _naive_order(cell_field[keep], vis)
                op = _contour_op(name, params, tpl, master[keep], centre[keep],
                                 cell_field[keep], rows[keep], vis, nv, pos, keep)
            else:
                nv = naive if k % 2 == 0 else _naive_order(cell_field, vis)
                op = _contour_op(name, params, tpl, master, centre, cell_field, rows, vis, nv,
                                 pos)
        ops.append(op)
        pos = _exit(op, params.passes, pos)

    all_lo, all_hi, all_f = [], [], []
    for op in ops:
        if op.strokes:
            lo_, hi_, f_ = _bounds(op)
            all_lo.append(lo_)
            all_hi.append(hi_)
            all_f.append(f_)
    if all_lo:
        win = fl.windows(np.concatenate(all_lo), np.concatenate(all_hi), np.concatenate(all_f),
                         grid.count)
    else:
        win = np.full((grid.count, 4), np.nan)
    _check_windows(win, las.field_mm)
    rects = grid.rects()
    used = np.isfinite(win[:, 0])
    win = np.where(used[:, None], win, rects)
    centers = np.column_stack([(win[:, 0] + win[:, 2]) / 2, (win[:, 1] + win[:, 3]) / 2])
    fields = ScanFields(las.field_mm, win, centers, "layout")
    outcome = None
    if rejects is not None and failing is not None:
        outcome = _reject_outcome(rejects.mode, failing, crosses, skip, sing_tpl, master,
                                  las)
        notes.append(_reject_note(outcome))
    return Toolpath(tuple(ops), fields, (deck.sheet.width_mm, deck.sheet.length_mm),
                    las.field_move_s, (0.0, 0.0),
                    mode if "singulation" in enabled else None, int(layout.count),
                    tuple(notes), outcome, deck.machine)


def _cell_boxes(layout) -> tuple[np.ndarray, np.ndarray]:  # noqa: ANN001
    """(lo, hi) (n, 2) of every cell's SINGULATION box, sheet mm."""
    b = np.array([p.layers["SINGULATION"].bounds for p in layout.patterns], float)
    bm = b[np.asarray(layout.master, np.int64)].reshape(-1, 4)
    return (np.column_stack([layout.x + bm[:, 0], layout.y + bm[:, 1]]),
            np.column_stack([layout.x + bm[:, 2], layout.y + bm[:, 3]]))


def _reject_outcome(mode: str, failing: np.ndarray, crosses: Paths, skip: np.ndarray,  # noqa: ANN001
                    tpl: ct.Templates | None, master: np.ndarray, las) -> RejectOutcome:
    """Marking time the rejects saved (skip: the left-out contours' marks and delays) or cost
    (mark: the crosses', negative)."""
    if mode == "skip":
        if tpl is None or not skip.any():
            return RejectOutcome(mode, len(failing), 0, int(skip.sum()), 0.0)
        prm = las.singulation
        var = np.arange(int(master.max(initial=0)) + 1) * tpl.n_dir + ct.SOUTH_WEST
        per = tpl.instance(var, np.zeros((len(var), 2)), np.arange(len(var)),
                           np.zeros(len(var), np.int64))
        length = np.bincount(per.unit, per.lengths(), minlength=len(var))
        strokes = tpl.path_cnt[var]
        m = master[skip]
        saved = (float(length[m].sum()) * prm.passes / prm.mark_speed_mm_s
                 + float(strokes[m].sum()) * (prm.laser_on_delay_us + prm.laser_off_delay_us)
                 * 1e-6)
        return RejectOutcome(mode, len(failing), 0, int(skip.sum()), saved)
    prm = las.fiducial
    cost = (float(crosses.lengths().sum()) * prm.passes / prm.mark_speed_mm_s
            + crosses.count * (prm.laser_on_delay_us + prm.laser_off_delay_us) * 1e-6)
    return RejectOutcome(mode, len(failing), len(failing), 0, -cost)


def _reject_note(o: RejectOutcome) -> str:
    if o.mode == "skip":
        return (f"rejects: {o.failing:,} failing cells; {o.skipped:,} singulation contours "
                f"left out, {o.time_saved_s:,.2f} s of marking saved (jumps not counted)")
    return (f"rejects: {o.failing:,} failing cells marked with a reject cross, "
            f"{-o.time_saved_s:,.2f} s of marking added (with its jumps and field moves: the "
            "reject operation's time)")


def toolpath_for(tiling, outline, deck: Deck) -> Toolpath:  # noqa: ANN001
    """Convenience: layout the tiling, then build its toolpath."""

    return build_toolpath(build_layout(tiling, outline, deck))


def covered_area(paths: Paths, spot_mm: float) -> shapely.Geometry:
    """The area the spot sweeps along the paths (small jobs and tests)."""
    lines = [shapely.LineString(p) for p in paths.as_list() if len(p) >= 2]
    return shapely.union_all([ln.buffer(spot_mm / 2, quad_segs=16) for ln in lines])
