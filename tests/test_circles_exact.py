"""Circle packing on the 1 nm grid: exact constraints, exact bounds, decimal inputs.

Every placement is checked here by an independent integer checker (`violations`), never by
floats: centres r <= x <= W - r, r <= y <= H - r, every pair at squared distance >= (d + k)^2.
"""

from __future__ import annotations

import math
from collections import defaultdict
from decimal import Decimal, getcontext
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from layoutgen.errors import LayoutgenError
from layoutgen.tiling import circles as C
from layoutgen.units import to_nm


def violations(x, y, W: int, H: int, d: int, k: int, limit: int = 5) -> list[str]:
    """Exact check of integer centres (Python ints, buckets of side D = d + k)."""
    assert d % 2 == 0
    r, D = d // 2, d + k
    xs, ys = [int(v) for v in x], [int(v) for v in y]
    out: list[str] = []
    buckets: dict[tuple[int, int], list[int]] = defaultdict(list)
    for i, (xi, yi) in enumerate(zip(xs, ys, strict=True)):
        if not (r <= xi <= W - r and r <= yi <= H - r):
            out.append(f"centre {i} ({xi}, {yi}) outside [{r}, {W - r}] x [{r}, {H - r}]")
        buckets[xi // D, yi // D].append(i)
    for (bx, by), members in buckets.items():
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for j in buckets.get((bx + dx, by + dy), ()):
                    for i in members:
                        if i < j and (xs[i] - xs[j]) ** 2 + (ys[i] - ys[j]) ** 2 < D * D:
                            out.append(f"centres {i} and {j} closer than {D}")
        if len(out) >= limit:
            break
    return out[:limit]


def pack_checked(W: int, H: int, d: int, k: int):
    x, y, strategy, bound, method = C.pack_circles_nm(W, H, d, k)
    assert x.dtype == np.int64 and y.dtype == np.int64
    assert violations(x, y, W, H, d, k) == [], strategy
    assert bound >= len(x), (strategy, bound, method)
    order = np.lexsort((x, y))
    assert np.array_equal(order, np.arange(len(x)))  # rows along the web
    return x, y, strategy, bound, method


# --- the example and float artefacts ---------------------------------------------------

def test_decimal_strip_holds_five_circles() -> None:
    # usable 18.5 x 3.7 mm: exactly one strip of 5 circles of 3.7 mm (the float code said 0)
    x, y, strategy, bound, method = C.pack_circles(19.1, 4.3, 3.7, kerf=0, edge_x=0.3,
                                                   edge_y=0.3)
    assert len(x) == 5 and bound >= 5
    assert bound == 5  # and proven: 5 * 3.7 = 18.5
    assert list(x) == [2.15, 5.85, 9.55, 13.25, 16.95] and set(y) == {2.15}
    xn, yn, _, bn, _ = pack_checked(18_500_000, 3_700_000, 3_700_000, 0)
    assert list(xn) == [1_850_000, 5_550_000, 9_250_000, 12_950_000, 16_650_000]
    assert bn == 5


def test_usable_exactly_one_circle_after_decimal_edges() -> None:
    # 4.3 - 2 * 0.3 is 3.6999999999999997 in floats: still exactly one 3.7 mm circle
    x, y, _, bound, _ = C.pack_circles(4.3, 4.3, 3.7, edge_x=0.3, edge_y=0.3)
    assert len(x) == 1 and bound == 1 and (x[0], y[0]) == (2.15, 2.15)


def test_wrapper_matches_nm_function() -> None:
    x, y, s, b, m = C.pack_circles(100.1, 80.3, 7.4, kerf=0.3, edge_x=1.1, edge_y=0.7)
    xn, yn, sn, bn, mn = pack_checked(97_900_000, 78_900_000, 7_400_000, 300_000)
    assert (s, b, m) == (sn, bn, mn)
    assert np.array_equal(x, (xn + 1_100_000) / 1e6) and np.array_equal(y, (yn + 700_000) / 1e6)


def test_wrapper_odd_nm_diameter_uses_half_nm_grid() -> None:
    x, y, _, b, _ = C.pack_circles(10, 10, 1.000001)
    xn, yn, _, bn, _ = pack_checked(20_000_000, 20_000_000, 2_000_002, 0)
    assert len(x) == len(xn) and b == bn
    assert np.array_equal(x, xn / 2e6) and np.array_equal(y, yn / 2e6)


@pytest.mark.parametrize("args", [(10, 10, 3, 0), (10, 10, 0, 0), (10, 10, 4, -1),
                                  (10.0, 10, 4, 0), (10, 10, 4.0, 0)])
def test_nm_arguments_refused(args) -> None:
    with pytest.raises(LayoutgenError):
        C.pack_circles_nm(*args)


# --- exact fits ------------------------------------------------------------------------------

@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 13, 40])
@pytest.mark.parametrize("d,k", [(3_700_000, 0), (2, 1), (1_000_000, 300_001),
                                 (4_000_002, 99_999), (6, 0)])
def test_exact_fit_strips(n: int, d: int, k: int) -> None:
    W, H = n * (d + k) - k, d  # exactly n circles in one strip
    for w, h in ((W, H), (H, W)):
        x, y, _, bound, _ = pack_checked(w, h, d, k)
        assert len(x) == n and bound == n  # proven by the strip bound
    # one nm less width: n - 1 circles, and the bound knows it; one nm less height: none
    x, _, _, bound, _ = pack_checked(W - 1, H, d, k)
    assert len(x) == n - 1 and bound == n - 1
    x, _, _, bound, _ = pack_checked(W, H - 1, d, k)
    assert len(x) == 0 and bound == 0
    # one nm more height: still n circles
    x, _, _, bound, _ = pack_checked(W, H + 1, d, k)
    assert len(x) >= n and bound >= len(x)


@pytest.mark.parametrize("n,rows", [(1, 2), (3, 2), (4, 3), (7, 5)])
@pytest.mark.parametrize("d,k", [(2, 1), (3_700_000, 200_001), (10, 0)])
def test_exact_fit_square_grids(n: int, rows: int, d: int, k: int) -> None:
    D = d + k
    W, H = (n - 1) * D + d, (rows - 1) * D + d
    x, *_ = pack_checked(W, H, d, k)
    assert len(x) >= n * rows


@pytest.mark.parametrize("margin", [0.0, 1e-7, 3e-6])
def test_table_packings_rounded_to_nm_stay_exact(margin: float) -> None:
    # at (almost) Specht's sides the stored packings have < 1 nm of slack: rounding their
    # centres to nm may break a pair, and such a packing must be refused, not returned
    d = 1_000_000
    for n in range(2, 51):
        side = round(C.SPECHT_SIDES[n - 1] * (1 + margin) * d)
        x, _, strategy, bound, _ = pack_checked(side, side, d, 0)
        if n <= C.PROVEN_SQUARE_N and margin == 0.0:
            assert bound <= n, (n, bound)  # the proven optimum (side rounded to nm)


# --- bounds ----------------------------------------------------------------------------------

def _oler_reference(a: int, b: int, D: int) -> int:
    """floor(2ab/(sqrt(3) D^2) + (a+b)/D + 1) with 80 significant digits (exact if ab = 0)."""
    rational = Fraction(a + b, D) + 1
    if a * b == 0:
        return math.floor(rational)
    getcontext().prec = 80
    x = Decimal(2 * a * b) / (Decimal(3).sqrt() * Decimal(D * D))
    x += Decimal(rational.numerator) / Decimal(rational.denominator)
    f = int(x.to_integral_value(rounding="ROUND_FLOOR"))
    assert abs(x - f) > Decimal(10) ** -60 and abs(x - f - 1) > Decimal(10) ** -60
    return f


def _convergents_sqrt3_over_2(k: int) -> list[tuple[int, int]]:
    """(p, q) with p/q -> sqrt(3)/2: 2p/sqrt(3) is then within ~1/q of the integer q."""
    out, p0, q0, p1, q1 = [], 0, 1, 1, 0
    getcontext().prec = 80
    x = Decimal(3).sqrt() / 2
    for _ in range(k):
        a = int(x)
        p0, q0, p1, q1 = p1, q1, a * p1 + p0, a * q1 + q0
        out.append((p1, q1))
        x = 1 / (x - a)
    return out[2:]


def test_oler_bound_is_exact_near_integers() -> None:
    # a*b = p with p/q a convergent of sqrt(3)/2: the sqrt(3) term is within 1e-20 of q
    for p, _q in _convergents_sqrt3_over_2(30):
        for a, b, D in ((p, 1, 1), (p * 1000, 1000, 1000), (p * 6, 5, 1)):
            assert C.oler_bound(a, b, D) == _oler_reference(a, b, D), (a, b, D)


@given(a=st.integers(0, 10**10), b=st.integers(0, 10**10), D=st.integers(2, 10**9))
@settings(max_examples=300, deadline=None, derandomize=True)
def test_oler_bound_matches_high_precision(a: int, b: int, D: int) -> None:
    assert C.oler_bound(a, b, D) == _oler_reference(a, b, D)


def test_oler_bound_float_arguments_are_exact_binary_fractions() -> None:
    assert C.oler_bound(14.8, 0, 3.7) == 5  # 14.8 == 4 * 3.7 in binary too
    assert C.oler_bound(0.1 + 0.2, 0, 0.3) == 2  # 0.30000000000000004 >= 0.3
    assert C.oler_bound(-1e-12, 5, 1) == 0


def test_strip_bound_is_tight_on_thin_strips() -> None:
    # centre domain 100 D long and h high: the strip bound floor(A / sqrt(D^2 - h^2)) + 1
    D = 1_000_000
    for h in (0, 1, 1000, 300_000, 600_000, 900_000, 999_999):
        bound, method = C.upper_bound_nm(100 * D, h, D)
        strip = math.isqrt((100 * D) ** 2 // (D * D - h * h)) + 1
        assert bound == min(strip, C.oler_bound(100 * D, h, D))
        if 300_000 <= h <= 600_000:  # where it beats Oler's
            assert bound == strip < C.oler_bound(100 * D, h, D) and "strip" in method
        x, *_ = pack_checked(100 * D + D, h + D, D, 0)
        assert len(x) <= bound


# --- decimal scales of integer instances -----------------------------------------------------

SCALES = ("0.001", "0.013", "0.37", "1.3", "2.5")  # mm per unit
FINE = ("0.37", "1.3", "2.5")  # the grid is then <= 1/370000 of a unit


@given(W=st.integers(1, 40), H=st.integers(1, 40), d=st.integers(1, 10), k=st.integers(0, 3))
@settings(max_examples=80, deadline=None, derandomize=True)
def test_scaled_integer_instances_agree(W: int, H: int, d: int, k: int) -> None:
    """An integer instance scaled by decimal mm per unit: placements exact at every scale, the
    bound identical at every scale (it is homogeneous and evaluated exactly), and count, bound
    and proof flag identical at the fine scales."""
    res = {}
    for s in SCALES:
        f = to_nm(s)  # nm per unit, exactly (all even: d * f is an even diameter)
        x, _, _, bound, _ = pack_checked(W * f, H * f, d * f, k * f)
        res[s] = (len(x), bound, len(x) >= bound)
    assert len({b for _, b, _ in res.values()}) == 1, res
    assert len({res[s] for s in FINE}) == 1, res
    # the same through the float-mm wrapper, with decimals such as 3.7 mm
    s = Decimal("0.37")
    x, _, _, bound, _ = C.pack_circles(float(W * s), float(H * s), float(d * s),
                                       kerf=float(k * s))
    assert (len(x), bound, len(x) >= bound) == res["0.37"]


@given(W=st.integers(2, 3000), H=st.integers(2, 3000), d=st.integers(1, 400),
       k=st.integers(0, 50), f=st.sampled_from([1, 2, 1000, 1300, 25_000]))
@settings(max_examples=120, deadline=None, derandomize=True)
def test_random_nm_instances_are_exact(W: int, H: int, d: int, k: int, f: int) -> None:
    """Arbitrary integer sizes (odd d + k, odd sizes): exact placements, bound >= count."""
    pack_checked(W * f, H * f, 2 * d * f, k * f)


def test_huge_sizes_stay_exact() -> None:
    # diameters past 2^31 nm (squares past int64) use Python integers
    pack_checked(10**13, 4 * 10**9, 3_100_000_000, 1)
    pack_checked(2**45, 3 * 10**11, 10**11, 12_345)


def test_300mm_sheet_of_1mm_circles() -> None:
    # its time: benchmarks/timings.py (circles_exact_300mm)
    x, y, _, bound, _ = C.pack_circles_nm(300_000_000, 300_000_000, 1_000_000, 0)
    assert len(x) > 100_000 and bound >= len(x)
    assert violations(x, y, 300_000_000, 300_000_000, 1_000_000, 0) == []
