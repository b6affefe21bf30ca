"""Round cells: equal circles of diameter d, at least `kerf` apart, inside the usable rectangle.

Reduction: the centres must lie in the *centre domain*, the usable rectangle shrunk by d/2 on
every side (A x B with A = Lu - d, B = Hu - d), at mutual distance >= D = d + kerf. Equivalently
circles of diameter D in the usable area enlarged by kerf (Lu + k) x (Hu + k).

Strategies (best count wins; ties keep the first):
- row lattices: m rows spread over B, rows alternately of n and n or n and n-1 circles with the
  smallest horizontal row offset the row spacing allows (covers the square grid, the hexagonal
  lattice and everything in between), rows along x and rows along y;
- for small counts (<= 50): best-known packings of N equal circles in a square (coordinates we
  computed offline to match E. Specht's Packomania radii; see `SQUARE_PACKINGS`), stretched to
  the centre domain (stretching only increases distances).
Upper bound: Oler's inequality (Oler 1961; Groemer 1960) on the centre domain, and, for square
centre domains up to N = 30, the proven optimal square packings of the table.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from layoutgen.errors import LayoutgenError

SQRT3 = math.sqrt(3.0)
_EPS = 1e-9  # relative slack when counting how many pitches fit (protects exact fits)
SMALL_COUNT = 50
PROVEN_SQUARE_N = 30  # optimal packings of N <= 30 circles in a square are proven

# Best-known packings of N points in the unit square maximizing their minimum distance
# (= N circles in a square). One line per N: N then x1 y1 x2 y2 ... (10 decimals), computed
# offline by multistart penalty minimization + sequential-LP polishing; each matches the side
# in shared/benchmarks/circles/circles_in_square.tsv (Specht) to about 1e-9.
SQUARE_PACKINGS = """
2 1 0 0 1
3 1 0 0 0.2679491924 0.7320508076 1
4 0 0 1 0 0 1 1 1
5 0 0 1 0 0.5 0.5 0 1 1 1
6 0 0 0.6666666667 0 0.3333333333 0.5 1 0.5 0 1 0.6666666667 1
7 0 0 0.7320508076 0 0.4641016151 0.4641016151 1 0.4641016151 0 0.7320508076 0.4641016151 1 1 1
8 0 0 1 0 0.5 0.1339745962 0.1339745962 0.5 0.8660254038 0.5 0.5 0.8660254038 0 1 1 1
9 0 0 0.5 0 1 0 0 0.5 0.5 0.5 1 0.5 0 1 0.5 1 1 1
10 0 0 0.6230100524 0 1 0.1880293423 0.3115050262 0.2836213547 0 0.5672427094 0.578720456
  0.6093088863 1 0.6093088863 0 0.9885222534 0.4211231596 1 0.8424027035 1
11 0 0 0.5631501788 0 1 0 0.2815750894 0.2815750894 0.6662138146 0.3846387252 0 0.5631501788 1
  0.6017926898 0.3846387252 0.6662138146 0 1 0.6017926898 1 1 1
12 0.3333333333 0 1 0 0 0.2 0.6666666667 0.2 0.3333333333 0.4 1 0.4 0 0.6 0.6666666667 0.6
  0.3333333333 0.8 1 0.8 0 1 0.6666666667 1
13 0.2496819683 0 0.615777976 0 1 0 0 0.2677409224 0.807888988 0.3116402508 0.3567114246
  0.3501013887 1 0.6232805016 0.63405612 0.6338333929 0 0.6338369301 0.3170290813 0.8169184651 1
  0.9893765093 0 1 0.6340581627 1
14 0 0 0.3489152604 0 0.6978305207 0 1 0.1744576302 0 0.3489152604 0.3489152604 0.3489152604
  0.6978305207 0.3489152604 1 0.5233728906 0 0.6978305207 0.3489152604 0.6978305207 0.6978305207
  0.6978305207 1 0.8767031083 0.1744576302 1 0.5233728906 1
15 0 0 0.3410813774 0 1 0 0.6705406887 0.0882783564 0.0882783564 0.3294593113 0.4293597338
  0.3294593113 0.9117216436 0.3294593113 0.6705406887 0.5706402662 0 0.6589186226 0.3410813774
  0.6589186226 1 0.6589186226 0.6705406887 0.9117216436 0 1 0.3410813774 1 1 1
16 0 0 0.3333333333 0 0.6666666667 0 1 0 0 0.3333333333 0.3333333333 0.3333333333 0.6666666667
  0.3333333333 1 0.3333333333 0 0.6666666667 0.3333333333 0.6666666667 0.6666666667 0.6666666667 1
  0.6666666667 0 1 0.3333333333 1 0.6666666667 1 1 1
17 0 0 0.3061539853 0 0.6123079706 0 1 0 0.843332841 0.2630316787 0.4432275738 0.2737537106 0
  0.3061539853 0.2369683213 0.5 0.6494868263 0.5 1 0.5260633574 0 0.6938460147 0.4432275738
  0.7262462894 0.8061539853 0.7630316787 0 1 0.3061539853 1 0.6123079706 1 1 1
18 0 0 0.3333333333 0 0.6666666667 0 1 0 0.1666666667 0.25 0.5 0.25 0.8333333333 0.25 0 0.5
  0.3333333333 0.5 0.6666666667 0.5 1 0.5 0.1666666667 0.75 0.5 0.75 0.8333333333 0.75 0 1
  0.3333333333 1 0.6666666667 1 1 1
19 0 0 0.2946819425 0 0.5842239345 0 0.8753286587 0 0.1473409713 0.2492492795 0.4394529385
  0.2507507205 0.7289949305 0.2507507205 1 0.3526860797 0 0.4984985589 0.2921119673 0.5 0.5842239345
  0.5015014411 1 0.6422280717 0.144770996 0.7492492795 0.4368829633 0.7507507205 0.7315649058
  0.7507507205 0 1 0.289541992 1 0.5842239345 1 1 1
20 0.25 0 0.75 0 0 0.1401650429 0.5 0.1401650429 1 0.1401650429 0.25 0.2866116524 0.75
  0.2866116524 0 0.4267766953 0.5 0.4267766953 1 0.4267766953 0.25 0.5732233047 0.75 0.5732233047 0
  0.7133883476 0.5 0.7133883476 1 0.7133883476 0.25 0.8598349571 0.75 0.8598349571 0 1 0.5 1 1 1
21 0 0 0.2718122554 0 0.7640094218 0 0.5179108386 0.1154009944 1 0.1348716025 0.0231090989
  0.2708281221 0.2949213542 0.2708281221 0.7652024769 0.271809637 0.5297773483 0.4076658515 1
  0.4087476715 0 0.5416562442 0.2938444014 0.5426382439 0.7645748715 0.544603886 0.5286419085
  0.6795763522 1 0.6805599269 0.1461579712 0.7708281221 0.7645748715 0.8164161414 0 1 0.2923159423 1
  0.5641281977 1 0.9650215452 1
22 0.1960057785 0 0.46396418 0 0.7319820786 0 1 0 0 0.1827113564 0.8659910393 0.2320415984
  0.5979731293 0.2320416051 0.2609873311 0.2612100001 0 0.450669758 0.4638613278 0.4640237803 1
  0.4640831969 0.73198209 0.4640832035 0.2280735617 0.5913259183 0 0.7319820786 0.4640832035
  0.73198209 0.7320415984 0.7320415984 1 0.7320415984 0.2320415984 0.8659910393 0 1 0.4640831969 1
  0.7320415984 1 1 1
23 0 0 0.2586635874 0 0.5173271748 0 0.7759907623 0 1 0.1293317937 0 0.2586635874 0.2586635874
  0.2586635874 0.5173271748 0.2586635874 0.7759907623 0.2586635874 1 0.3879953811 0 0.5173271748
  0.2586635874 0.5173271748 0.5173271748 0.5173271748 0.7759907623 0.5173271748 1 0.6466589686 0
  0.7759907623 0.2586635874 0.7759907623 0.5173271748 0.7759907623 0.7759907623 0.7759907623
  0.1293317937 1 0.3879953811 1 0.6466589686 1 1 1
24 0 0 0.254333095 0 0.5086661901 0 1 0 0.754333095 0.0658262488 0 0.254333095 0.254333095
  0.254333095 0.5086661901 0.254333095 1 0.254333095 0.754333095 0.3201593438 0.0658262488 0.5
  0.3201593438 0.5 0.5744924389 0.5 0.9341737512 0.5 0.754333095 0.6798406562 0 0.745666905
  0.254333095 0.745666905 0.5086661901 0.745666905 1 0.745666905 0.754333095 0.9341737512 0 1
  0.254333095 1 0.5086661901 1 1 1
25 0 0 0.25 0 0.5 0 0.75 0 1 0 0 0.25 0.25 0.25 0.5 0.25 0.75 0.25 1 0.25 0 0.5 0.25 0.5 0.5 0.5
  0.75 0.5 1 0.5 0 0.75 0.25 0.75 0.5 0.75 0.75 0.75 1 0.75 0 1 0.25 1 0.5 1 0.75 1 1 1
26 0 0 0.3120051061 0 0.6417523109 0 0.8804870681 0 0.4768787085 0.1726585635 1 0.206666261
  0.1926377275 0.2067503645 0.7611196895 0.2067503645 0 0.3477645137 0.3575113299 0.3794089281
  0.5962460871 0.3794089281 0.8806326214 0.4134166255 0 0.5864992709 0.2387347572 0.5864992709
  0.4774695145 0.5864992709 0.7162042717 0.5864992709 1 0.62016699 0.1193673786 0.7932496355
  0.3581021359 0.7932496355 0.5968368931 0.7932496355 0.8355716503 0.7932496355 0 1 0.2387347572 1
  0.4774695145 1 0.7162042717 1 1 1
27 0 0 0.4 0 0.8 0 0.2 0.125 0.6 0.125 1 0.125 0 0.25 0.4 0.25 0.8 0.25 0.2 0.375 0.6 0.375 1
  0.375 0 0.5 0.4 0.5 0.8 0.5 0.2 0.625 0.6 0.625 1 0.625 0 0.75 0.4 0.75 0.8 0.75 0.2 0.875 0.6
  0.875 1 0.875 0 1 0.4 1 0.8 1
31 0.1060708147 0 0.3289793597 0 0.5496725273 0 0.767219819 0 1 0 0.2175250872 0.186828181
  0.4393259435 0.1874845474 0.6568656163 0.1893052185 0 0.1899363219 1 0.2175472916 0.8106947815
  0.3431343837 0.327871671 0.3743127285 0.1103465838 0.3774208693 0.5700073417 0.3887617786 1
  0.4503274727 0.8125154526 0.5606740565 0.4381805196 0.5618194804 0 0.5649054168 0.2206554325
  0.5649276212 1 0.6710206403 0.6256872715 0.672128329 0.4350723788 0.7793445675 0 0.7824527084
  0.2175472916 0.7824527084 0.813171819 0.7824749128 0.6225791307 0.8896534162 1 0.8939291853 0 1
  0.2175472916 1 0.4350945832 1 0.8100636781 1
"""


# Specht's smallest square side per unit diameter for N = 1..50 (Packomania; the benchmark
# table shared/benchmarks/circles/circles_in_square.tsv). Optimal for N <= 30 (proofs: N <= 27
# Nurmela & Oestergard 1997, 28-30 Markot & Csendes 2005); used as an upper bound there.
SPECHT_SIDES = (
    1.0, 1.707106781, 1.965925826, 2.0, 2.414213562, 2.664100589, 2.866025404, 2.931851653,
    3.0, 3.373720762, 3.511254752, 3.572478777, 3.731523914, 3.866025404, 3.931851653, 4.0,
    4.266330174, 4.328201177, 4.45373047, 4.489041676, 4.679009979, 4.731922545, 4.863703305,
    4.931851653, 5.0, 5.188749102, 5.23999152, 5.337726847, 5.407560009, 5.454284165,
    5.596701676, 5.690991213, 5.731972016, 5.863703305, 5.931851653, 6.0, 6.090893198,
    6.119218822, 6.144957554, 6.314187463, 6.373469227, 6.426611073, 6.549662571, 6.597874063,
    6.690991213, 6.731993944, 6.838714941, 6.902998527, 6.974212543, 7.005047458,
)


@functools.cache
def square_packings() -> dict[int, tuple[np.ndarray, float]]:
    """N -> (points in the unit square, their minimum pairwise distance)."""
    out: dict[int, tuple[np.ndarray, float]] = {1: (np.array([[0.5, 0.5]]), math.inf)}
    tok = SQUARE_PACKINGS.split()
    i = 0
    while i < len(tok):
        n = int(tok[i])
        pts = np.array(tok[i + 1:i + 1 + 2 * n], dtype=float).reshape(n, 2)
        out[n] = (pts, _min_distance(pts))
        i += 1 + 2 * n
    return out


def square_side(n: int) -> float:
    """Side per unit diameter of the square our packing of n circles needs (1 + 1/dmin)."""
    pts, dmin = square_packings()[n]
    return 1.0 if n == 1 else 1.0 + 1.0 / dmin


def shortfalls(max_n: int = 30) -> list[int]:
    """N <= max_n whose stored packing needs a larger square than Specht's (beyond 1e-7)."""
    have = square_packings()
    return [n for n in range(1, max_n + 1)
            if n not in have or square_side(n) > SPECHT_SIDES[n - 1] * (1 + 1e-7)]


def _min_distance(p: np.ndarray) -> float:
    if len(p) < 2:
        return math.inf
    d = np.hypot(p[:, None, 0] - p[None, :, 0], p[:, None, 1] - p[None, :, 1])
    d[np.diag_indices(len(p))] = np.inf
    return float(d.min())


def oler_bound(a: float, b: float, D: float) -> int:
    """Oler's inequality: points at mutual distance >= D in a convex domain K (here the a x b
    centre rectangle) number at most (2/sqrt 3) area(K)/D^2 + perimeter(K)/(2D) + 1."""
    if a < 0 or b < 0:
        return 0
    return int(math.floor(2 / SQRT3 * a * b / D**2 + (a + b) / D + 1 + 1e-9))


@dataclass(frozen=True)
class _RowPlan:
    """Rows of circles in the centre domain: row i has counts[i] centres from starts[i] on."""

    count: int
    ys: np.ndarray
    starts: np.ndarray
    counts: np.ndarray
    pitch: float
    label: str

    def centres(self) -> tuple[np.ndarray, np.ndarray]:
        counts = self.counts.astype(np.int64)
        row = np.repeat(np.arange(len(counts)), counts)
        i = np.arange(len(row)) - np.repeat(np.cumsum(counts) - counts, counts)
        return self.starts[row] + i * self.pitch, self.ys[row]


_NONE = _RowPlan(0, np.zeros(0), np.zeros(0), np.zeros(0, np.int64), 0.0, "none")


def _uniform_plan(A: float, B: float, D: float) -> _RowPlan:
    """m rows evenly spread over B; odd rows shifted by the least offset c the spacing allows.

    Rows alike (n, n), or alternating (n, n-1) with odd rows centred between even rows' circles.
    Covers the square grid, the hexagonal lattice and the sheared lattices in between.
    """
    m_max = int(math.floor(2 * B / D * (1 + _EPS))) + 1  # rows two apart need 2h >= D
    m = np.arange(1, m_max + 1, dtype=np.float64)
    h = np.where(m > 1, B / np.maximum(m - 1, 1), np.inf)
    c = np.sqrt(np.maximum(0.0, D * D - np.minimum(h, 2 * D) ** 2))
    c[m == 1] = 0.0
    p = np.maximum(D, 2 * c)
    n_same = np.where(A - c >= -_EPS * D, np.floor((A - c) / p + _EPS) + 1, 0)
    n_same = np.where(c == 0, np.floor(A / D + _EPS) + 1, n_same)
    n_alt = np.floor(A / p + _EPS) + 1
    ce, fl = np.ceil(m / 2), np.floor(m / 2)
    tot_same = (ce + fl) * n_same
    tot_alt = ce * n_alt + fl * (n_alt - 1)
    use_alt = tot_alt > tot_same
    tot = np.where(use_alt, tot_alt, tot_same)
    k = int(np.argmax(tot))
    if tot[k] <= 0:
        return _NONE
    mk, ck, alt = int(m[k]), float(c[k]), bool(use_alt[k])
    n0 = int(n_alt[k] if alt else n_same[k])
    n1 = n0 - 1 if alt else n0
    ys = np.arange(mk) * (B / (mk - 1)) if mk > 1 else np.array([B / 2])
    even = np.arange(mk) % 2 == 0
    if alt:  # spread the even rows over the width, odd rows in between
        pitch = A / (n0 - 1) if n0 > 1 else 0.0
        starts = np.where(even, 0.0 if n0 > 1 else A / 2, pitch / 2)
    else:
        pitch = (A - ck) / (n0 - 1) if n0 > 1 else 0.0
        base = 0.0 if n0 > 1 else (A - ck) / 2
        starts = np.where(even, base, base + ck)
    kind = "square grid" if ck == 0 else ("hexagonal rows" if alt else "offset rows")
    return _RowPlan(int(tot[k]), ys, starts, np.where(even, n0, n1), pitch,
                    f"{kind} ({mk} rows of {n0}/{n1})")


def _mixed_plan(A: float, B: float, D: float) -> _RowPlan:
    """Rows of n and of n-1 (offset by half the pitch) mixed with aligned rows of n.

    Aligned neighbours need a spacing of D, offset ones only g = sqrt(D^2 - p^2/4): with m
    rows, use the fewest offset rows (each between two full rows) that make the rows fit in B.
    """
    n_max = int(math.floor(A / D + _EPS)) + 1
    ns = np.arange(max(2, n_max - 3 if n_max > 60 else 2), n_max + 1)
    best = (0, 0, 0, 0, 0.0)
    for n in ns:
        p = A / (n - 1)
        if p > SQRT3 * D:  # rows two apart would be closer than D
            continue
        g = math.sqrt(max(0.0, D * D - p * p / 4))
        if D - g <= 0:
            continue
        m = np.arange(1, int(math.floor(B / g * (1 + _EPS))) + 2)
        b = np.maximum(0, np.ceil(((m - 1) * D - B) / (2 * (D - g)) - _EPS))
        full = 2 * b >= m - 1
        b = np.where(full, np.floor(m / 2), b)
        ok = np.where(full, (m - 1) * g <= B * (1 + _EPS) + _EPS * D, True)
        tot = np.where(ok, m * n - b, 0)
        k = int(np.argmax(tot))
        if tot[k] > best[0]:
            best = (int(tot[k]), int(m[k]), int(n), int(b[k]), p)
    count, m, n, b, p = best
    if count == 0 or m < 3:
        return _NONE
    g = math.sqrt(max(0.0, D * D - p * p / 4))
    offset = np.zeros(m, bool)
    if 2 * b >= m - 1:
        offset[1::2] = True
    else:
        offset[1:2 * b:2] = True
    gaps = np.where(offset[1:] | offset[:-1], g, D)
    gaps = gaps + max(0.0, B - float(gaps.sum())) / (m - 1)
    ys = np.concatenate([[0.0], np.cumsum(gaps)])
    return _RowPlan(count, ys, np.where(offset, p / 2, 0.0), np.where(offset, n - 1, n), p,
                    f"mixed square/hexagonal rows ({m} rows of {n}, {int(offset.sum())} "
                    f"of {n - 1})")


def _row_plan(A: float, B: float, D: float) -> _RowPlan:
    """Best row packing with rows along x in the A x B centre domain."""
    if A < -_EPS * D or B < -_EPS * D:
        return _NONE
    A, B = max(A, 0.0), max(B, 0.0)
    uni = _uniform_plan(A, B, D)
    mixed = _mixed_plan(A, B, D)
    return mixed if mixed.count > uni.count else uni


def _square_table_count(A: float, B: float, D: float) -> tuple[int, float]:
    """Largest N whose best-known square packing fits the centre domain, and its unit spread."""
    side = min(A, B)
    best, spread = 0, 0.0
    for n, (_, dmin) in square_packings().items():
        if n == 1:
            ok = side >= -_EPS * D
        else:
            ok = side * dmin >= D
        if ok and n > best:
            best, spread = n, dmin
    return best, spread


def _check_args(sheet_w: float, sheet_h: float, d: float, kerf: float, edge_x: float,
                edge_y: float) -> None:
    for name, v, strict in (("sheet width", sheet_w, True), ("sheet height", sheet_h, True),
                            ("circle diameter", d, True), ("kerf", kerf, False),
                            ("edge_x", edge_x, False), ("edge_y", edge_y, False)):
        if not math.isfinite(v) or (v <= 0 if strict else v < 0):
            raise LayoutgenError(
                f"circles: {name} must be a finite number {'>' if strict else '>='} 0 mm, "
                f"got {v!r}")


def pack_circles(
    sheet_w: float,
    sheet_h: float,
    d: float,
    *,
    kerf: float = 0.0,
    edge_x: float = 0.0,
    edge_y: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, str, int, str]:
    """Most circles of diameter d on a sheet_w x sheet_h sheet.

    `edge_x` is excluded at both ends along x (x < edge_x and x > sheet_w - edge_x), `edge_y`
    at both ends along y; the usable area is the rest. Circles lie inside it and are >= kerf
    apart. Returns (x, y, strategy, upper_bound, bound_method): centres in sheet mm, sorted in
    rows along the web (by y, then x).
    """
    sheet_w, sheet_h, d = float(sheet_w), float(sheet_h), float(d)
    kerf, edge_x, edge_y = float(kerf), float(edge_x), float(edge_y)
    _check_args(sheet_w, sheet_h, d, kerf, edge_x, edge_y)
    Lu, Hu = sheet_w - 2 * edge_x, sheet_h - 2 * edge_y
    D = d + kerf
    A, B = Lu - d, Hu - d
    bound = oler_bound(A, B, D)
    method = "Oler's inequality (Oler 1961, Groemer 1960) on the centre domain"
    empty = np.zeros(0)
    if bound == 0 or A < -_EPS * D or B < -_EPS * D:
        return empty, empty, "none (the usable area is smaller than one circle)", 0, method
    A, B = max(A, 0.0), max(B, 0.0)
    if abs(A - B) <= 1e-12 * max(A, B, D):  # square centre domain: the proven optima
        s = (A + D) / D
        # the first N <= 30 whose optimal square (less the table's rounding) exceeds s
        over = [n for n in range(1, PROVEN_SQUARE_N + 1) if SPECHT_SIDES[n - 1] * (1 - 1e-9) > s]
        if over and over[0] - 1 < bound:
            bound = over[0] - 1
            method = ("optimal packings of N <= 30 equal circles in a square (Specht's table; "
                      "optimality proven for N <= 30)")

    best = None
    for along in ("x", "y"):
        plan = _row_plan(A, B, D) if along == "x" else _row_plan(B, A, D)
        if best is None or plan.count > best[0]:
            label = plan.label.replace(" (", f" along {along} (", 1)
            best = (plan.count, label, ("rows", along, plan))
    count = best[0]
    if count < bound and count <= SMALL_COUNT:
        n_tab, spread = _square_table_count(A, B, D)
        if n_tab > count:
            best = (n_tab, f"best-known packing of {n_tab} circles in a square (Specht)",
                    ("table", n_tab, spread))
            count = n_tab
    spec = best[2]
    if spec[0] == "rows":
        u, v = spec[2].centres()
        cx, cy = (u, v) if spec[1] == "x" else (v, u)
    else:
        pts = square_packings()[spec[1]][0]
        cx, cy = pts[:, 0] * A, pts[:, 1] * B
    x = cx + edge_x + d / 2
    y = cy + edge_y + d / 2
    order = np.lexsort((np.round(x, 9), np.round(y, 9)))
    x, y = x[order], y[order]
    if len(x) > bound:  # a packing beating a proven bound is a bug, not a result
        raise AssertionError(f"circles: {len(x)} placed but the upper bound is {bound}")
    return x, y, best[1], bound, method
