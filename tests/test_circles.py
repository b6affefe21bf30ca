"""Round cells: lattices, small-count packings against Specht's table, bounds, speed."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import shapely
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from layoutgen import shapes as S
from layoutgen.errors import LayoutgenError
from layoutgen.tiling import circles as C
from layoutgen.tiling.verify import verify_placements

_REL = "benchmarks/circles/circles_in_square.tsv"
TABLE = Path(__file__).resolve().parents[2] / "shared" / _REL  # the shared folder beside the repo


def _specht() -> dict[int, float]:
    if not TABLE.is_file():
        pytest.skip(f"Specht's circles-in-a-square table not found at {TABLE} (the shared "
                    "benchmarks folder sits beside the repository)")
    rows = [line.split("\t") for line in TABLE.read_text().splitlines()[1:]]
    return {int(r[0]): float(r[2]) for r in rows if r and r[0].strip().isdigit()}


def _pack_and_verify(W, H, d, kerf=0.0, ex=0.0, ey=0.0, **kw):
    x, y, strategy, bound, method = C.pack_circles(W, H, d, kerf=kerf, edge_x=ex, edge_y=ey, **kw)
    usable = shapely.box(ex, ey, W - ex, H - ey)
    rep = verify_placements(S.circle(d), x, y, 0, usable=usable, kerf=kerf)
    assert rep.ok, (strategy, rep.messages)
    assert bound >= len(x)
    order = np.lexsort((np.round(x, 9), np.round(y, 9)))
    assert np.array_equal(order, np.arange(len(x)))  # rows along the web
    return x, y, strategy, bound, method


def test_hexagonal_beats_square_grid() -> None:
    x, _, strategy, bound, method = _pack_and_verify(100, 80, 10, kerf=0.5, ex=2, ey=3)
    # square grid: floor(96.5/10.5)+1 = 10... rows: the hexagonal rows do better
    square = (math.floor((96 - 10) / 10.5) + 1) * (math.floor((74 - 10) / 10.5) + 1)
    assert len(x) > square
    assert "hexagonal" in strategy
    assert "Oler" in method


def test_both_row_directions() -> None:
    # 38 x 24 with d = 10: rows along y hold 8 (3 columns of 3/2/3), rows along x only 6
    x, y, strategy, *_ = _pack_and_verify(38, 24, 10)
    assert len(x) == 8 and " along y " in strategy
    x2, y2, strategy2, *_ = _pack_and_verify(24, 38, 10)
    assert len(x2) == 8 and " along x " in strategy2


def test_mixed_rows_beat_uniform_rows() -> None:
    # 7 x 7.5 diameters: 8 rows of 7 do not fit (7 D), 9 hexagonal rows of 7/6 give 52; mixing
    # aligned and offset rows gives 54
    assert C._uniform_plan(6_000_000, 6_500_000, 1_000_000).count == 52  # nm
    x, _, strategy, *_ = _pack_and_verify(7, 7.5, 1.0)
    assert len(x) == 54 and "mixed" in strategy


def test_edges_apply_to_their_own_axis() -> None:
    # edge_x trims the x ends only: a 10 mm circle fits a 30 x 10 sheet with edge_x = 5
    x, y, *_ = _pack_and_verify(30, 10, 10, ex=5)
    assert len(x) == 2 and np.all(y == 5)
    assert len(_pack_and_verify(30, 10, 10, ey=0.01)[0]) == 0


def test_exact_fits_count() -> None:
    # 10 circles of 10 mm with 1 mm kerf in exactly 10*10 + 9*1 mm
    x, *_ = _pack_and_verify(109, 10, 10, kerf=1)
    assert len(x) == 10


def test_embedded_sides_match_the_benchmark_table() -> None:
    table = _specht()
    assert [table[n] for n in range(1, 51)] == pytest.approx(list(C.SPECHT_SIDES), abs=1e-12)
    for n in range(2, 51):  # every stored packing is valid and needs at most 1.7 % more side
        assert C.square_side(n) <= table[n] * 1.017


def test_square_sheets_match_specht_table() -> None:
    """At the table's side (plus 3e-6) every N up to 30 is placed, with the proven bound.

    The margin is 3 nm per mm of diameter: the centres are whole nm, so a packing needs a few
    nm of slack to survive rounding to the grid (1e-7 of a 1 mm circle is 0.1 nm).
    """
    table = _specht()
    short = []
    for n in range(1, 31):
        side = table[n] * (1 + 3e-6)
        x, _, strategy, bound, _ = _pack_and_verify(side, side, 1.0)
        if len(x) < n:
            short.append(n)
        if n < 30:
            assert bound <= n + (1 if table[n + 1] <= side else 0)
    assert set(short) <= set(C.shortfalls(30)), short  # documented shortfalls only
    assert len(short) <= 2, short  # 23 and 28 at the time of writing (see circles.py)


def test_square_sheets_between_table_entries_with_kerf_and_edges() -> None:
    table = _specht()
    d, k, e = 4.0, 0.3, 1.5
    short = []
    for n in range(2, 50):
        s = (table[n] + table[n + 1]) / 2  # side per unit diameter, between entries
        sheet = s * (d + k) - k + 2 * e
        x, _, _, bound, _ = _pack_and_verify(sheet, sheet, d, kerf=k, ex=e, ey=e)
        if len(x) < n:
            short.append(n)
        if n + 1 <= 30:
            assert bound == n  # the proven optimum: N + 1 does not fit
    assert set(short) <= set(C.shortfalls(50)) and all(n > 30 for n in short), short
    assert len(short) <= 3, short  # 44, 46, 49 (one circle short) at the time of writing


def test_oler_bound_values() -> None:
    assert C.oler_bound(0, 0, 1) == 1
    assert C.oler_bound(5, 0, 1) == 6  # points on a segment of length 5
    assert C.oler_bound(-0.1, 3, 1) == 0


def test_million_circles_deterministic() -> None:
    # its time: benchmarks/timings.py (circles_1M)
    x, y, strategy, bound, _ = C.pack_circles(1101, 1101, 1.0, kerf=0.1)
    assert len(x) > 1_000_000 and bound >= len(x)
    x2, y2, *_ = C.pack_circles(1101, 1101, 1.0, kerf=0.1)
    assert np.array_equal(x, x2) and np.array_equal(y, y2)
    rep = verify_placements(S.circle(1.0), x, y, 0, usable=shapely.box(0, 0, 1101, 1101),
                            kerf=0.1)
    assert rep.ok and rep.min_street_mm == pytest.approx(0.1, abs=1e-6)


@pytest.mark.parametrize("bad", [dict(d=0), dict(kerf=-1), dict(edge_x=-1), dict(sheet_w=0),
                                 dict(d=float("nan"))])
def test_errors(bad) -> None:
    args = dict(sheet_w=100, sheet_h=100, d=5, kerf=0.1, edge_x=1, edge_y=1) | bad
    with pytest.raises(LayoutgenError):
        C.pack_circles(args.pop("sheet_w"), args.pop("sheet_h"), args.pop("d"), **args)


def test_too_small_sheet_is_empty() -> None:
    x, y, strategy, bound, _ = _pack_and_verify(10, 10, 11)
    assert len(x) == 0 and bound == 0 and "none" in strategy


@given(W=st.floats(1, 120), H=st.floats(1, 120), d=st.floats(0.5, 30), k=st.floats(0, 2),
       ex=st.floats(0, 5), ey=st.floats(0, 5))
@settings(max_examples=40, deadline=None)
def test_random_instances_verify_and_respect_bound(W, H, d, k, ex, ey) -> None:
    # lengths on the 1 nm grid, the diameter on the 2 nm grid (as `shapes.circle` requires)
    W, H, k, ex, ey = (round(v, 6) for v in (W, H, k, ex, ey))
    d = round(d * 500_000) / 500_000
    assume(W - 2 * ex > 0 and H - 2 * ey > 0)
    _pack_and_verify(W, H, d, kerf=k, ex=ex, ey=ey)
