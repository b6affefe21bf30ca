"""Keep-outs: block decompositions beat the grid with holes, and stay exact (verify)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from layoutgen import shapes as S
from layoutgen.errors import LayoutgenError
from layoutgen.tiling import keepouts as K
from layoutgen.tiling.verify import verify_placements


def _grid_packer(w: float, h: float, kerf: float):
    """A simple translation-invariant block packer: a plain w x h grid (rotation 0)."""

    def pack(x0, y0, x1, y1):
        nx = math.floor((x1 - x0 + kerf) / (w + kerf) + 1e-9)
        ny = math.floor((y1 - y0 + kerf) / (h + kerf) + 1e-9)
        gx, gy = np.meshgrid(x0 + w / 2 + np.arange(max(nx, 0)) * (w + kerf),
                             y0 + h / 2 + np.arange(max(ny, 0)) * (h + kerf))
        return gx.ravel(), gy.ravel(), np.zeros(gx.size)

    return pack


def _check(res: K.KeepoutPacking, shape, usable, keepouts, kerf):
    rep = verify_placements(shape, res.x, res.y, res.rotation_deg, usable=shapely.box(*usable),
                            kerf=kerf, keepouts=keepouts)
    assert rep.ok, (res.strategy, rep.messages)
    assert res.upper_bound >= res.count
    order = np.lexsort((np.round(res.x, 9), np.round(res.y, 9)))
    assert np.array_equal(order, np.arange(res.count))
    return rep


def test_small_fiducial_keeps_the_grid() -> None:
    usable, kerf = (0.0, 0.0, 100.0, 60.0), 0.5
    shape = S.rect(9, 7)
    keepouts = [(shapely.Point(50, 30).buffer(2.0), 1.0)]
    res = K.pack_with_keepouts(usable, keepouts, _grid_packer(9, 7, kerf), shape=shape,
                               kerf=kerf)
    _check(res, shape, usable, keepouts, kerf)
    assert res.count == 78 == res.counts["holes"]  # 80 minus the two cells it touches
    assert all(s in res.counts for s in K.STRATEGIES)


def test_clamp_band_repacks_the_rest_of_the_sheet() -> None:
    # a keep-out band across the sheet at an awkward height: the grid with holes loses two
    # rows, the decomposition re-aligns the rows above it and loses one
    usable, kerf = (0.0, 0.0, 100.0, 66.0), 0.5
    shape = S.rect(9, 7)
    keepouts = [(shapely.box(-5, 21, 105, 23), 0.5)]
    res = K.pack_with_keepouts(usable, keepouts, _grid_packer(9, 7, kerf), shape=shape,
                               kerf=kerf)
    _check(res, shape, usable, keepouts, kerf)
    assert res.counts["holes"] == 60 and res.count == 70 and res.strategy != "holes"


def test_no_keepouts_equals_plain_packing() -> None:
    shape = S.rect(9, 7)
    res = K.pack_with_keepouts((0, 0, 100, 60), [], _grid_packer(9, 7, 0.5), shape=shape,
                               kerf=0.5)
    _check(res, shape, (0, 0, 100, 60), [], 0.5)
    assert res.count == 10 * 8 and res.strategy == "holes"


def test_circles_with_keepouts_at_edges_and_corner() -> None:
    usable, kerf, d = (2.0, 2.0, 120.0, 80.0), 0.4, 8.0
    keepouts = [
        (shapely.box(0, 0, 10, 10), 0.5),  # overlapping the usable corner
        (shapely.Point(60, 40).buffer(3), 2.0),
        (shapely.LineString([(90, 80), (110, 60)]), 1.0),  # a slanted scribe
    ]
    shape = S.circle(d)
    res = K.pack_with_keepouts(usable, keepouts, K.circle_block_packer(d, kerf), shape=shape,
                               kerf=kerf)
    _check(res, shape, usable, keepouts, kerf)
    assert res.count >= res.counts["holes"]


def test_polygons_with_keepout() -> None:
    tri = S.polygon_from_wkt("POLYGON ((0 0, 6 0, 3 5, 0 0))")
    usable, kerf = (0.0, 0.0, 60.0, 40.0), 0.3
    keepouts = [(shapely.box(25, 15, 32, 22), 0.5)]
    res = K.pack_with_keepouts(usable, keepouts, K.polygon_block_packer(tri, kerf, (0, 180)),
                               shape=tri, kerf=kerf, strategies=("holes", "bands-h"))
    _check(res, tri, usable, keepouts, kerf)


def test_rect_packer_adapter() -> None:
    usable, kerf = (0.0, 0.0, 80.0, 50.0), 0.2
    keepouts = [(shapely.box(30, 20, 34, 24), 0.5)]
    shape = S.rect(7, 4)
    packer = K.rect_block_packer(7, 4, kerf, time_limit_s=0.3)
    # a 20 x 20 block: 2 x 4 lying cells (2 * 7.2 <= 20.2, 4 * 4.2 <= 20.2) beside a column of
    # 2 standing ones (14.4 + 4.2 <= 20.2) hold 10; the area bound is 20.2^2 / (7.2 * 4.2) < 14
    x, y, r = packer(0, 0, 20, 20)
    assert 10 <= len(x) <= 13 and set(np.asarray(r).tolist()) == {0.0, 90.0}
    rep = verify_placements(shape, x, y, r, usable=shapely.box(0, 0, 20, 20), kerf=kerf)
    assert rep.ok, rep.messages
    res = K.pack_with_keepouts(usable, keepouts, packer, shape=shape, kerf=kerf)
    _check(res, shape, usable, keepouts, kerf)


def test_errors() -> None:
    packer = _grid_packer(1, 1, 0)
    with pytest.raises(LayoutgenError, match="empty"):
        K.pack_with_keepouts((0, 0, 0, 5), [], packer, shape=S.rect(1, 1))
    with pytest.raises(LayoutgenError, match="clearance"):
        K.pack_with_keepouts((0, 0, 5, 5), [(shapely.box(1, 1, 2, 2), -1)], packer,
                             shape=S.rect(1, 1))
    with pytest.raises(LayoutgenError, match="strategies"):
        K.pack_with_keepouts((0, 0, 5, 5), [], packer, shape=S.rect(1, 1), strategies=("x",))
    with pytest.raises(LayoutgenError, match="geometry"):
        K.pack_with_keepouts((0, 0, 5, 5), [((1, 2), 0.1)], packer, shape=S.rect(1, 1))


def test_free_area_bound_is_valid_and_named() -> None:
    usable = (0.0, 0.0, 50.0, 50.0)
    keepouts = [(shapely.box(20, 20, 30, 30), 0.0)]
    b = K.free_area_bound(usable, keepouts, S.rect(5, 5), 0.0)
    assert b == 96  # (2500 - 100) / 25
    res = K.pack_with_keepouts(usable, keepouts, _grid_packer(5, 5, 0), shape=S.rect(5, 5))
    _check(res, S.rect(5, 5), usable, keepouts, 0.0)
    assert res.count == 96 and res.upper_bound == 96 and "free area" in res.bound_method


@st.composite
def keepout_sets(draw):
    n = draw(st.integers(1, 3))
    out = []
    for _ in range(n):
        x, y = draw(st.floats(-5, 65)), draw(st.floats(-5, 45))
        kind = draw(st.sampled_from(["box", "disc", "point"]))
        if kind == "box":
            g = shapely.box(x, y, x + draw(st.floats(0.5, 15)), y + draw(st.floats(0.5, 15)))
        elif kind == "disc":
            g = shapely.Point(x, y).buffer(draw(st.floats(0.5, 6)))
        else:
            g = shapely.Point(x, y)
        out.append((g, draw(st.integers(0, 3000)) / 1000))
    return out


def um(lo: float, hi: float):
    """Lengths in mm on the 1 um grid (user lengths are decimals; sizes on the 2 nm grid)."""
    return st.integers(round(lo * 1000), round(hi * 1000)).map(lambda v: v / 1000)


@given(keepouts=keepout_sets(), kerf=um(0, 1.5), w=um(2, 12), h=um(2, 12))
@settings(max_examples=25, deadline=None)
def test_random_keepouts_rects_verify(keepouts, kerf, w, h) -> None:
    usable = (0.0, 0.0, 60.0, 40.0)
    shape = S.rect(w, h)
    res = K.pack_with_keepouts(usable, keepouts, _grid_packer(w, h, kerf), shape=shape, kerf=kerf)
    _check(res, shape, usable, keepouts, kerf)
    assert res.count >= res.counts["holes"]


@given(keepouts=keepout_sets(), kerf=um(0, 1.0), d=um(3, 10))
@settings(max_examples=10, deadline=None)
def test_random_keepouts_circles_verify(keepouts, kerf, d) -> None:
    usable = (0.0, 0.0, 60.0, 40.0)
    shape = S.circle(d)
    res = K.pack_with_keepouts(usable, keepouts, K.circle_block_packer(d, kerf), shape=shape,
                               kerf=kerf)
    _check(res, shape, usable, keepouts, kerf)


@given(st.lists(st.tuples(st.floats(0, 50), st.floats(0, 50), st.floats(0.5, 20),
                          st.floats(0.5, 20)), min_size=1, max_size=4), st.floats(0, 2))
@settings(max_examples=40, deadline=None)
def test_shrunk_blocks_are_kerf_apart(obs, kerf) -> None:
    usable = (0.0, 0.0, 70.0, 70.0)
    boxes = [(x, y, min(x + w, 70), min(y + h, 70)) for x, y, w, h in obs]
    for blocks in (K._bands(usable, boxes),
                   [K._transpose(b) for b in K._bands(usable, [K._transpose(o) for o in boxes])]):
        shrunk = K.shrink_blocks(blocks, kerf)
        for i, a in enumerate(shrunk):
            for b in shrunk[i + 1:]:
                if a[2] <= a[0] or a[3] <= a[1] or b[2] <= b[0] or b[3] <= b[1]:
                    continue
                gx = max(b[0] - a[2], a[0] - b[2], 0)
                gy = max(b[1] - a[3], a[1] - b[3], 0)
                assert math.hypot(gx, gy) >= kerf - 1e-9
        # blocks never enter an obstacle
        for blk in blocks:
            for o in boxes:
                assert not K._overlaps(blk, o)


def test_guillotine_over_budget_falls_back() -> None:
    usable = (0.0, 0.0, 50.0, 50.0)
    keepouts = [(shapely.box(10 * i + 2, 10 * i + 3, 10 * i + 5, 10 * i + 6), 0.2)
                for i in range(4)]
    shape = S.rect(3, 3)
    res = K.pack_with_keepouts(usable, keepouts, _grid_packer(3, 3, 0.1), shape=shape, kerf=0.1,
                               strategies=("guillotine",), guillotine_budget=3)
    _check(res, shape, usable, keepouts, 0.1)
    assert res.strategy == "holes"
    full = K.pack_with_keepouts(usable, keepouts, _grid_packer(3, 3, 0.1), shape=shape,
                                kerf=0.1)
    _check(full, shape, usable, keepouts, 0.1)
    assert full.count >= res.count
