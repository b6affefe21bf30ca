"""Marking order that keeps jumps short.

Contours: each cell is marked from one of a few start points (one per start direction of its
templates), entered at its first path's start and left where its last path ends. A cell tour is
the best of a few candidate walks over the cell centres (a serpentine over the tiling's rows,
zigzags through pairs of neighbouring rows, a greedy nearest-neighbour walk for smaller sets),
each with its start points chosen for its neighbours (nearest start, then coordinate descent on
the real jump lengths); the winner is refined by a local search (windowed 2-opt and Or-opt moves
on the real entry and exit points, vectorised with numpy) alternating with the start choice.
Line sets (`order_lines`): each line is a stop entered at either end (left at the far end after
an odd pass count, at the same end after an even one); the candidates are the serpentine (rows of
lines, alternate rows reversed) and a greedy nearest-neighbour walk over the line ends
(`greedy_stops`), each refined like the contours (end choice by coordinate descent, 2-opt and
Or-opt on the real entry and exit points), so the order is never longer than the greedy walk.
Callers keep the old order when the new one is not shorter.
"""

from __future__ import annotations

import numpy as np
import shapely

TWO_OPT_WINDOW = 32  # positions ahead that a 2-opt move may reach
OR_OPT_WINDOW = 16  # positions either side where an Or-opt move may put a run
OR_OPT_RUN = 3  # longest run of consecutive stops an Or-opt move relocates
TWO_OPT_ROUNDS = 60
SEARCH_BUDGET = 1 << 17  # stops x window of a refining local search: big sets get narrower
MIN_WINDOW = 8  # the narrowest 2-opt window the budget leaves (Or-opt: half of it)
FOCUS_MIN = 4000  # local search on more stops starts near the long jumps only
FOCUS_RATIO = 1.25
GREEDY_MAX = 3000  # the greedy walk is a candidate for sets up to this size (a Python loop)
_EPS = 1e-9  # smallest gain (mm) a move must bring


def _z(p: np.ndarray) -> np.ndarray:
    """Points (..., 2) as complex numbers (...,): differences and distances are then single
    numpy operations (np.abs of a complex array is a fast hypot)."""
    p = np.asarray(p)
    if np.iscomplexobj(p):
        return p
    p = np.asarray(p, float)
    return p[..., 0] + 1j * p[..., 1]


def _dist(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distances between complex points."""
    return np.abs(a - b)


def tour_length(points: np.ndarray, order: np.ndarray, entry: np.ndarray) -> float:
    """Travel from `entry` through points[order] (open path)."""
    if not len(order):
        return 0.0
    p = np.vstack([np.asarray(entry, float).reshape(1, 2), points[order]])
    return float(np.hypot(*np.diff(p, axis=0).T).sum())


def jump_length(first: np.ndarray, exits: np.ndarray, entry: np.ndarray) -> float:
    """Jumps of a path sequence: entry -> first[0], exits[i] -> first[i + 1]."""
    if not len(first):
        return 0.0
    prev = np.vstack([np.asarray(entry, float).reshape(1, 2), exits[:-1]])
    return float(np.hypot(*(first - prev).T).sum())


def _row_rank(points: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Each point's row, ranked by the rows' mean y."""
    _, r = np.unique(rows, return_inverse=True)
    ry = np.bincount(r, points[:, 1]) / np.bincount(r)
    rank = np.empty(len(ry), np.int64)
    rank[np.argsort(ry, kind="stable")] = np.arange(len(ry))
    return rank[r]


def serpentine(points: np.ndarray, rows: np.ndarray, entry: np.ndarray) -> np.ndarray:
    """Rows in order of their mean y, alternate rows reversed in x; started from the row end
    nearest the entry point."""
    n = len(points)
    if n == 0:
        return np.zeros(0, np.int64)
    rr = _row_rank(points, rows)
    best, best_len = None, np.inf
    for flip_y in (False, True):
        for flip_x in (False, True):
            ro = rr if not flip_y else rr.max() - rr
            sx = np.where((ro % 2 == 1) ^ flip_x, -points[:, 0], points[:, 0])
            order = np.lexsort((sx, ro))
            length = tour_length(points, order, entry)
            if length < best_len - 1e-12:
                best, best_len = order, length
    assert best is not None
    return best


def zigzag(points: np.ndarray, rows: np.ndarray, entry: np.ndarray, offset: int = 0
           ) -> np.ndarray:
    """Pairs of neighbouring rows (rows 2k - offset and 2k + 1 - offset) walked as bands,
    alternate bands reversed in x, each band zigzagging between its two rows (by x; points of
    equal x alternate rows, a meander). Of the corner starts and both directions, the one
    shortest from the entry point.

    With start points chosen per neighbour, a zigzag turns at every stop, which makes the jumps
    between round contours about half as long as a serpentine's."""
    n = len(points)
    if n == 0:
        return np.zeros(0, np.int64)
    entry = np.asarray(entry, float).reshape(2)
    rr = _row_rank(points, rows)
    best, best_len = None, np.inf
    for flip_y in (False, True):
        ro = (rr if not flip_y else rr.max() - rr) + offset
        band, sub = ro // 2, ro % 2
        for flip_x in (False, True):
            sx = np.round(np.where((band % 2 == 1) ^ flip_x, -points[:, 0], points[:, 0]), 9)
            o = np.lexsort((sx, band))
            new_col = np.r_[True, (band[o][1:] != band[o][:-1]) | (sx[o][1:] != sx[o][:-1])]
            col = np.empty(n, np.int64)
            col[o] = np.cumsum(new_col)
            order = np.lexsort((sub ^ (col % 2), sx, band))
            inner = tour_length(points, order[1:], points[order[0]])
            for cand in (order, order[::-1]):  # the same walk either way but the first jump
                length = inner + float(np.hypot(*(points[cand[0]] - entry)))
                if length < best_len - 1e-12:
                    best, best_len = cand, length
    assert best is not None
    return best


def greedy(points: np.ndarray, entry: np.ndarray) -> np.ndarray:
    """Greedy nearest-neighbour walk from `entry` over all points.

    Each point's neighbours within about two typical spacings come from shapely's STRtree in
    one vectorised query; when all of them are visited the nearest unvisited point is searched
    among the rest with numpy.
    """
    n = len(points)
    if n == 0:
        return np.zeros(0, np.int64)
    if n == 1:
        return np.zeros(1, np.int64)
    span = np.ptp(points, axis=0)
    spacing = float(np.sqrt(max(span[0] * span[1], max(span.max(), 1e-9) ** 2 / n) / n))
    radius = max(2.5 * spacing, 1e-9)
    geoms = shapely.points(points)
    tree = shapely.STRtree(geoms)
    src, dst = tree.query(geoms, predicate="dwithin", distance=radius)
    keep = src != dst
    src, dst = src[keep], dst[keep]
    dist = np.hypot(*(points[src] - points[dst]).T)
    o = np.lexsort((dst, dist, src))
    src, dst = src[o], dst[o]
    ptr = np.searchsorted(src, np.arange(n + 1)).tolist()
    nbr = dst.tolist()
    visited = bytearray(n)
    alive = np.arange(n)
    d0 = np.hypot(*(points - np.asarray(entry, float)).T)
    cur = int(np.argmin(d0))
    out = [cur]
    visited[cur] = 1
    for _ in range(n - 1):
        nxt = -1
        for j in nbr[ptr[cur]:ptr[cur + 1]]:
            if not visited[j]:
                nxt = j
                break
        if nxt < 0:
            alive = alive[np.frombuffer(visited, np.uint8)[alive] == 0]
            d = np.hypot(*(points[alive] - points[cur]).T)
            nxt = int(alive[int(np.argmin(d))])
        visited[nxt] = 1
        out.append(nxt)
        cur = nxt
    return np.array(out, np.int64)


# --- local search -------------------------------------------------------------------------------
#
# A tour is an open walk from a fixed entry point through stops, each entered at `first` and
# left at `exit` (the same point for a closed contour). Stop positions: 0 is the entry, position
# t >= 1 is order[t - 1]. A round evaluates every move of one kind within its window for the
# positions still active, then applies the best non-overlapping improving moves; positions near
# an applied move become active again.


def _edges(F: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Jump t -> t + 1 forwards (fw) and backwards (bw: from t + 1 to t when a stretch is walked
    reversed), and their running sums."""
    fw = _dist(X[:-1], F[1:])
    bw = _dist(X[1:], F[:-1])
    return fw, bw, np.r_[0.0, np.cumsum(fw)], np.r_[0.0, np.cumsum(bw)]


def _apply(gain: np.ndarray, lo: np.ndarray, hi: np.ndarray, move, m: int  # noqa: ANN001
           ) -> list[tuple[int, int]]:
    """Apply improving moves best first, skipping any whose span [lo, hi] meets a taken one."""
    cand = np.flatnonzero(gain > _EPS)
    if not len(cand):
        return []
    cand = cand[np.argsort(-gain[cand], kind="stable")]
    taken = np.zeros(m + 1, bool)
    spans = []
    for c in cand.tolist():
        a, b = int(lo[c]), int(hi[c])
        if taken[a:b + 1].any():
            continue
        taken[a:b + 1] = True
        move(c)
        spans.append((a, b))
    return spans


def _two_opt_round(F: np.ndarray, X: np.ndarray, i: np.ndarray, window: int,
                   order: np.ndarray) -> list[tuple[int, int]]:
    """Reverse positions i+1 .. j (j - i - 1 <= window); stops in a reversed stretch are still
    marked entry to exit, so the jumps inside it change when entry != exit."""
    m = len(F)
    fw, _, P, Q = _edges(F, X)
    best = np.zeros(len(i))
    best_j = np.full(len(i), -1, np.int64)
    d_i = fw[i]
    for k in range(1, window + 1):
        j = i + 1 + k
        ok = j < m
        if not ok.any():
            break
        j = np.minimum(j, m - 1)
        nxt = j + 1 < m
        jn = np.minimum(j + 1, m - 1)
        old = d_i + (P[j] - P[i + 1]) + np.where(nxt, fw[np.minimum(j, m - 2)], 0.0)
        new = _dist(X[i], F[j]) + (Q[j] - Q[i + 1]) + np.where(nxt, _dist(X[i + 1], F[jn]), 0.0)
        gain = np.where(ok, old - new, 0.0)
        better = gain > best + _EPS
        best = np.where(better, gain, best)
        best_j = np.where(better, j, best_j)

    def move(c: int) -> None:
        a, b = int(i[c]), int(best_j[c])
        order[a:b] = order[a:b][::-1]  # positions a+1 .. b

    return _apply(np.where(best_j >= 0, best, 0.0), i, np.minimum(best_j + 1, m - 1), move, m)


def _or_opt_round(F: np.ndarray, X: np.ndarray, i: np.ndarray, window: int, run: int,
                  order: np.ndarray) -> list[tuple[int, int]]:
    """Move the run at positions i+1 .. i+L (L <= run) between positions p and p + 1, up to
    `window` positions after or before it, forwards or reversed."""
    m = len(F)
    fw, _, P, Q = _edges(F, X)
    fw0 = np.r_[fw, 0.0]  # jump p -> p + 1; none after the last position
    last = m - 1
    s1 = np.minimum(i + 1, last)
    xs1, fs1 = X[s1], F[s1]
    runs = [L for L in range(1, run + 1) if i[0] + L <= last]
    sl = {L: np.minimum(i + L, last) for L in runs}
    rem, turn = {}, {}
    for L in runs:
        b = np.minimum(sl[L] + 1, last)
        has_b = sl[L] + 1 <= last
        # taking the run out: i -> run -> b becomes i -> b
        rem[L] = np.where(i + L <= last, fw[np.minimum(i, m - 2)] + np.where(
            has_b, _dist(X[sl[L]], F[b]) - _dist(X[i], F[b]), 0.0), -np.inf)
        turn[L] = (Q[sl[L]] - Q[s1]) - (P[sl[L]] - P[s1])  # inner jumps reversed - forwards
    cols: list[tuple[int, int, bool]] = []  # (run length, p - i, reversed)
    gains: list[np.ndarray] = []

    def put(p: np.ndarray, ok: np.ndarray, pairs: list[tuple[int, int]]) -> None:
        """Gains of inserting runs between p and p + 1 (pairs: run length, p - i)."""
        pc = np.clip(p, 0, last)
        q = np.minimum(pc + 1, last)
        has_q = pc + 1 <= last
        fq = F[q]
        xp = X[pc]
        pq = fw0[pc]
        head = _dist(xp, fs1) - pq  # p -> run start, minus the jump p -> q it replaces
        tail_r = np.where(has_q, _dist(xs1, fq), 0.0)
        for L, off in pairs:
            tail = np.where(has_q, _dist(X[sl[L]], fq), 0.0)
            cols.append((L, off, False))
            gains.append(np.where(ok, rem[L] - head - tail, 0.0))
            if L > 1:
                cols.append((L, off, True))
                gains.append(np.where(ok, rem[L] - (_dist(xp, F[sl[L]]) - pq + turn[L] + tail_r),
                                      0.0))

    for k in range(window):  # before the run: p = i - 1 - k, the same for every run length
        p = i - 1 - k
        ok = p >= 0
        if not ok.any():
            break
        put(p, ok, [(L, -1 - k) for L in runs])
    for u in range(2, run + window + 1):  # after the run: p = i + u, u = L + 1 + k
        pairs = [(L, u) for L in runs if 0 <= u - 1 - L < window]
        p = i + u
        ok = p <= last
        if not pairs or not ok.any():
            continue
        put(p, ok, pairs)
    if not gains:
        return []
    G = np.column_stack(gains)
    pick = np.argmax(G, axis=1)
    best = G[np.arange(len(i)), pick]
    col = np.array(cols, dtype=np.int64).reshape(-1, 3)
    best_len, best_p, best_rev = col[pick, 0], i + col[pick, 1], col[pick, 2].astype(bool)

    def move(c: int) -> None:
        a, n_run, p = int(i[c]), int(best_len[c]), int(best_p[c])
        seg = order[a:a + n_run].copy()  # positions a+1 .. a+L
        if best_rev[c]:
            seg = seg[::-1]
        if p > a:  # positions a+1 .. p become (a+L+1 .. p) + run
            rest = order[a + n_run:p].copy()
            order[a:a + len(rest)] = rest
            order[a + len(rest):p] = seg
        else:  # positions p+1 .. a+L become run + (p+1 .. a)
            rest = order[p:a].copy()
            order[p:p + n_run] = seg
            order[p + n_run:a + n_run] = rest

    lo = np.where(best_p > i, i, best_p)
    hi = np.minimum(np.where(best_p > i, best_p + 1, i + best_len + 1), last)
    return _apply(best, lo, hi, move, m)


def local_search(first: np.ndarray, exit_: np.ndarray, entry: np.ndarray,
                 order: np.ndarray | None = None, window: int = TWO_OPT_WINDOW,
                 or_window: int = OR_OPT_WINDOW, run: int = OR_OPT_RUN,
                 rounds: int = TWO_OPT_ROUNDS, focus: bool | None = None,
                 active: np.ndarray | None = None) -> np.ndarray:
    """A shorter order of stops (entered at first[k], left at exit_[k]) walked from `entry`:
    windowed 2-opt and Or-opt rounds (or_window = 0: 2-opt only) until no move gains, from
    `order` (default: as given). Never longer than the order it starts from.

    focus (default: for more than FOCUS_MIN stops): the first round looks only near the jumps
    longer than FOCUS_RATIO x the median jump (a tour that is already good elsewhere, such as
    a zigzag over a lattice, is then refined in time proportional to its defects). active:
    look only near these stops (indices into `order`) in the first round."""
    n = len(first)
    order = np.arange(n, dtype=np.int64) if order is None else \
        np.asarray(order, np.int64).copy()
    if n < 2:
        return order
    first, exit_ = _z(first), _z(exit_)
    entry = _z(np.asarray(entry, float).reshape(2)).reshape(1)
    m = n + 1
    reach = max(window, or_window) + run + 1
    kinds = ["2opt"] + (["or"] if or_window > 0 else [])
    start = np.ones(m, bool)
    seeds = None
    if active is not None:
        seeds = np.asarray(active, np.int64)
    elif focus or (focus is None and n > FOCUS_MIN):
        jump = _dist(np.concatenate([entry, exit_[order[:-1]]]), first[order])  # into t + 1
        seeds = np.flatnonzero(jump > FOCUS_RATIO * np.median(jump))
    if seeds is not None:
        d = np.zeros(m + 1, np.int64)
        np.add.at(d, np.clip(seeds - reach, 0, m), 1)
        np.add.at(d, np.clip(seeds + reach + 2, 0, m), -1)
        start = np.cumsum(d)[:m] > 0
    todo = {k: start.copy() for k in kinds}
    for _ in range(rounds):
        moved = False
        for kind in kinds:
            act = todo[kind]
            if not act.any():
                continue
            F = np.concatenate([entry, first[order]])
            X = np.concatenate([entry, exit_[order]])
            if kind == "2opt":
                spans = _two_opt_round(F, X, np.flatnonzero(act[:m - 2]), window, order)
            else:
                spans = _or_opt_round(F, X, np.flatnonzero(act[:m - 1]), or_window, run, order)
            act[:] = False
            if not spans:
                continue
            moved = True
            d = np.zeros(m + 1, np.int64)
            for lo, hi in spans:
                d[max(lo - reach, 0)] += 1
                d[min(hi + reach + 1, m)] -= 1
            dirty = np.cumsum(d)[:m] > 0
            for a in todo.values():
                a |= dirty
        if not moved:
            break
    return order


def two_opt(points: np.ndarray, order: np.ndarray, entry: np.ndarray,
            window: int = TWO_OPT_WINDOW, rounds: int = TWO_OPT_ROUNDS) -> np.ndarray:
    """Windowed 2-opt on an open tour over points that starts at the fixed `entry` point."""
    return local_search(points, points, entry, order, window, 0, 0, rounds)


def order_points(points: np.ndarray, entry: np.ndarray, rows: np.ndarray | None = None
                 ) -> np.ndarray:
    """A short open tour over the points from `entry`: the best of serpentine, zigzags and
    greedy, each improved by 2-opt and Or-opt."""
    n = len(points)
    if n <= 1:
        return np.arange(n, dtype=np.int64)
    cands = [greedy(points, entry)]
    if rows is not None:
        cands += [serpentine(points, rows, entry), zigzag(points, rows, entry, 0),
                  zigzag(points, rows, entry, 1)]
    best, best_len = None, np.inf
    for c in cands:
        c = local_search(points, points, entry, c)
        length = tour_length(points, c, entry)
        if length < best_len - 1e-12:
            best, best_len = c, length
    assert best is not None
    return best


# --- contours: order and start point of every cell ----------------------------------------------


def _cost(first: np.ndarray, exit_: np.ndarray, inner: np.ndarray, start: np.ndarray,
          entry: complex) -> float:
    """Jumps (and inner jumps) of stops in order with the given start choices (complex)."""
    k = np.arange(len(start))
    f, x = first[k, start], exit_[k, start]
    return float(np.abs(f - np.r_[entry, x[:-1]]).sum() + inner[k, start].sum())


def choose_starts(first: np.ndarray, exit_: np.ndarray, inner: np.ndarray, entry: np.ndarray,
                  start: np.ndarray | None = None, sweeps: int = 30) -> np.ndarray:
    """Start choice (index into axis 1) for stops in the given order: first (n, S, 2) and
    exit_ (n, S, 2) points of each choice (or complex (n, S)), inner (n, S) jumps within the
    stop. From `start` (default: the start nearest the previous stop), coordinate descent:
    alternately all odd and all even stops take the choice that minimises their jump in +
    inner + jump out, until nothing changes (at most `sweeps` times)."""
    n = len(first)
    if n == 0:
        return np.zeros(0, np.int64)
    first, exit_ = _z(first), _z(exit_)
    ez = complex(_z(np.asarray(entry, float).reshape(2)))
    if start is None:
        ref = np.r_[ez, exit_[:-1].mean(axis=1)]
        start = np.argmin(np.abs(first - ref[:, None]) + inner, axis=1)
    s = np.asarray(start, np.int64).copy()
    k = np.arange(n)
    for _ in range(sweeps):
        changed = False
        for parity in (0, 1):
            i = k[parity::2]
            if not len(i):
                continue
            xs = exit_[k, s]
            fs = first[k, s]
            prev = np.r_[ez, xs][i]  # exit of the stop before (the entry for stop 0)
            nxt = np.r_[fs[1:], np.nan][i]  # start of the stop after (none after the last)
            out = np.abs(exit_[i] - nxt[:, None])
            c = np.abs(first[i] - prev[:, None]) + inner[i] + np.nan_to_num(out)
            pick = np.argmin(c, axis=1)
            r = np.arange(len(i))
            upd = c[r, pick] < c[r, s[i]] - _EPS
            if upd.any():
                s[i[upd]] = pick[upd]
                changed = True
        if not changed:
            break
    return s


def order_cells(first: np.ndarray, exit_: np.ndarray, inner: np.ndarray, centre: np.ndarray,
                rows: np.ndarray | None, entry: np.ndarray, refine: int = 3
                ) -> tuple[np.ndarray, np.ndarray]:
    """(order, start choice) of cells marked from one of several start points each.

    first, exit_ (n, S, 2): where the cell's marking starts and ends for start choice s; inner
    (n, S): its jumps between its own paths; centre (n, 2): a point per cell for the candidate
    walks (`rows`: the tiling's rows, or None). Candidates: serpentine and zigzags over the rows,
    greedy (up to GREEDY_MAX cells); each gets its starts chosen (choose_starts), the shortest
    is then refined `refine` times by local_search on its entry/exit points and a new start
    choice, as long as that gains (windows narrowed for big sets: SEARCH_BUDGET)."""
    n = len(centre)
    entry = np.asarray(entry, float).reshape(2)
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    first, exit_ = _z(first), _z(exit_)
    ez = complex(_z(entry))
    cands = []
    if rows is not None:
        cands += [serpentine(centre, rows, entry), zigzag(centre, rows, entry, 0),
                  zigzag(centre, rows, entry, 1)]
    if rows is None or n <= GREEDY_MAX:
        cands.append(greedy(centre, entry))
    best = None
    for o in cands:  # a quick start choice ranks the candidates; the best gets a full one
        s = choose_starts(first[o], exit_[o], inner[o], entry, sweeps=1)
        c = _cost(first[o], exit_[o], inner[o], s, ez)
        if best is None or c < best[0] - _EPS:
            best = (c, o, s)
    assert best is not None
    _, o, s = best
    s = choose_starts(first[o], exit_[o], inner[o], entry, s)
    cost = _cost(first[o], exit_[o], inner[o], s, ez)
    active = None
    window = int(np.clip(SEARCH_BUDGET // n, MIN_WINDOW, TWO_OPT_WINDOW))
    for _ in range(refine):
        r = local_search(first[o, s], exit_[o, s], entry, window=window,
                         or_window=max(window // 2, MIN_WINDOW // 2), active=active)
        if np.array_equal(r, np.arange(n)):
            break
        o2, s2 = o[r], s[r]
        s2 = choose_starts(first[o2], exit_[o2], inner[o2], entry, s2)
        c2 = _cost(first[o2], exit_[o2], inner[o2], s2, ez)
        if not c2 < cost - _EPS:
            break
        active = np.flatnonzero(s2 != s[r])  # look again where the start choice changed
        cost, o, s = c2, o2, s2
        if not len(active):
            break
    return o, s


def serpentine_lines(a: np.ndarray, b: np.ndarray, passes: int, entry: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Order and direction of straight lines a -> b: by orientation, rows of equal position,
    alternate rows reversed (when an odd pass count leaves the laser at the far end).

    Returns (order, reversed flags). Tries both orientation sets first and both ends.
    """
    n = len(a)
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0, bool)
    horiz = np.abs(b[:, 1] - a[:, 1]) <= np.abs(b[:, 0] - a[:, 0])
    lo = np.where(horiz[:, None], np.where((a[:, 0] <= b[:, 0])[:, None], a, b),
                  np.where((a[:, 1] <= b[:, 1])[:, None], a, b))
    forward_is_ab = np.where(horiz, a[:, 0] <= b[:, 0], a[:, 1] <= b[:, 1])
    alternate = passes % 2 == 1

    def one_set(idx: np.ndarray, primary: int, flip: bool) -> tuple[np.ndarray, np.ndarray]:
        if not len(idx):
            return idx, np.zeros(0, bool)
        key = np.round(lo[idx, primary], 6)
        _, row = np.unique(key, return_inverse=True)
        if flip:
            row = row.max() - row
        sec = lo[idx, 1 - primary]
        rev_row = (row % 2 == 1) if alternate else np.zeros(len(idx), bool)
        o = np.lexsort((np.where(rev_row, -sec, sec), row))
        go_back = rev_row[o]
        return idx[o], go_back

    best = None
    best_len = np.inf
    h, v = np.flatnonzero(horiz), np.flatnonzero(~horiz)
    for first_h in (True, False):
        for f1 in (False, True):
            for f2 in (False, True):
                s1 = one_set(h, 1, f1) if first_h else one_set(v, 0, f1)
                s2 = one_set(v, 0, f2) if first_h else one_set(h, 1, f2)
                order = np.r_[s1[0], s2[0]].astype(np.int64)
                back = np.r_[s1[1], s2[1]].astype(bool)
                rev = back == forward_is_ab[order]  # reverse a->b when going "back"
                start = np.where(rev[:, None], b[order], a[order])
                end = np.where(rev[:, None], a[order], b[order])
                exit_ = end if passes % 2 == 1 else start
                length = jump_length(start, exit_, entry)
                if length < best_len - 1e-12:
                    best, best_len = (order, rev), length
    assert best is not None
    return best


def greedy_stops(first: np.ndarray, exit_: np.ndarray, entry: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Greedy nearest-neighbour walk over stops with S ways in: first, exit_ (n, S, 2) where
    stop i is entered and left for choice s. From `entry`, always the nearest way in of an
    unvisited stop. Returns (order, choice). One numpy pass over the unvisited stops per step
    (callers keep sets to GREEDY_MAX stops)."""
    n = len(first)
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    fz, xz = _z(first), _z(exit_)
    n_s = fz.shape[1]
    flat = fz.reshape(-1)
    alive = np.ones(n * n_s, bool)
    pos = complex(_z(np.asarray(entry, float).reshape(2)))
    order = np.empty(n, np.int64)
    choice = np.empty(n, np.int64)
    for t in range(n):
        d = np.where(alive, np.abs(flat - pos), np.inf)
        k = int(np.argmin(d))
        i, c = divmod(k, n_s)
        order[t], choice[t] = i, c
        alive[i * n_s:(i + 1) * n_s] = False
        pos = complex(xz[i, c])
    return order, choice


def line_stops(a: np.ndarray, b: np.ndarray, passes: int) -> tuple[np.ndarray, np.ndarray]:
    """(first, exit) (n, 2, 2) of straight lines a -> b entered at a (choice 0) or b (1): an odd
    pass count leaves the laser at the far end, an even one back where it started."""
    first = np.stack([a, b], axis=1)
    exit_ = np.stack([b, a], axis=1) if passes % 2 else first
    return first, exit_


FLIP_TWO_OPT_MAX = 400  # line sets up to this size get the full 2-opt with flips (n^2 table)


def two_opt_flip(first: np.ndarray, exit_: np.ndarray, entry: np.ndarray,
                 target: np.ndarray | None = None, rounds: int = 100
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Full 2-opt on stops that can be walked backwards, such as lines after an odd pass count
    (entered at the far end, they are left at the near one): reversing positions i+1 .. j walks
    that stretch backwards, each stop flipped, so only the two jumps at its ends change. first,
    exit_ (n, 2) in the given order; returns (order, flipped). Each round applies the best
    non-overlapping improving moves (every pair i < j scored at once, n^2). `target`: where
    the walk goes after its last stop (the next field), counted as a last jump."""
    n = len(first)
    order = np.arange(n, dtype=np.int64)
    flip = np.zeros(n, bool)
    if n < 2:
        return order, flip
    fz, xz = _z(first), _z(exit_)
    ez = complex(_z(np.asarray(entry, float).reshape(2)))
    for _ in range(rounds):
        F = np.where(flip, xz[order], fz[order])
        X = np.where(flip, fz[order], xz[order])
        Xp = np.r_[ez, X]  # position t: where the laser stands before stop t (t = 0..n)
        end = np.nan if target is None else complex(_z(np.asarray(target, float).reshape(2)))
        Fn = np.r_[F, end]  # stop after position j (the target, or none, after the last)
        i = np.arange(n)[:, None]  # reverse stops i .. j (0-based), i <= j
        j = np.arange(n)[None, :]
        old = np.abs(Xp[i] - F[i]) + np.nan_to_num(np.abs(X[j] - Fn[j + 1]))
        new = np.abs(Xp[i] - X[j]) + np.nan_to_num(np.abs(F[i] - Fn[j + 1]))
        gain = np.where(j > i, old - new, 0.0)
        best_j = np.argmax(gain, axis=1)
        best = gain[np.arange(n), best_j]
        if not np.any(best > _EPS):
            break

        def move(c: int, to: np.ndarray = best_j) -> None:
            a, b = c, int(to[c])
            order[a:b + 1] = order[a:b + 1][::-1]
            flip[a:b + 1] = ~flip[a:b + 1][::-1]

        # spans in positions (the entry is 0, stop t is t + 1): the stops before and after
        if not _apply(best, np.arange(n), best_j + 2, move, n + 1):
            break
    return order, flip


def order_lines(a: np.ndarray, b: np.ndarray, passes: int, entry: np.ndarray,
                target: np.ndarray | None = None, refine: int = 3
                ) -> tuple[np.ndarray, np.ndarray]:
    """Order and direction (reversed: marked b -> a) of straight lines walked from `entry`:
    the shortest of the serpentine and the greedy walk (up to GREEDY_MAX lines), each with its
    ends chosen by coordinate descent and refined by local search (and, after an odd pass
    count, 2-opt with flips). Never longer than either. `target`: where the laser goes next
    (the next field), its jump counted too."""
    n = len(a)
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0, bool)
    entry = np.asarray(entry, float).reshape(2)
    first, exit_ = line_stops(a, b, passes)
    fz, xz = _z(first), _z(exit_)
    inner = np.zeros((n, 2))
    ez = complex(_z(entry))
    tz = None if target is None else complex(_z(np.asarray(target, float).reshape(2)))

    def cost_of(o: np.ndarray, s: np.ndarray) -> float:
        c = _cost(fz[o], xz[o], inner[o], s, ez)
        return c if tz is None else c + abs(xz[o[-1], s[-1]] - tz)

    o, r = serpentine_lines(a, b, passes, entry)
    cands = [(o, r.astype(np.int64))]
    if n <= GREEDY_MAX:
        cands.append(greedy_stops(first, exit_, entry))
    best = None
    for o, s in cands:
        o, s = np.asarray(o, np.int64), np.asarray(s, np.int64)
        cost = cost_of(o, s)
        s2 = choose_starts(fz[o], xz[o], inner[o], entry, s)
        c2 = cost_of(o, s2)
        if c2 < cost:
            s, cost = s2, c2
        for _ in range(refine):
            r2 = local_search(fz[o, s], xz[o, s], entry)
            o2, s2 = o[r2], s[r2]
            if passes % 2 and n <= FLIP_TWO_OPT_MAX:
                r3, fl = two_opt_flip(fz[o2, s2], xz[o2, s2], entry, target)
                o2, s2 = o2[r3], np.where(fl, 1 - s2[r3], s2[r3])
            s2 = choose_starts(fz[o2], xz[o2], inner[o2], entry, s2)
            c2 = cost_of(o2, s2)
            if not c2 < cost - _EPS:
                break
            o, s, cost = o2, s2, c2
        if best is None or cost < best[0] - _EPS:
            best = (cost, o, s)
    assert best is not None
    return best[1], best[2].astype(bool)
