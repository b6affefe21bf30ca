"""Decimal inputs are exact: a fab engineer's decimals tile like the integers they stand for.

An integer instance (L, W, l, w) is *disguised* with a decimal scale s, kerf K and edges EX, EY:
sheet = (L*s + 2EX - K) x (W*s + 2EY - K), cell = (l*s - K) x (w*s - K). Grown by the kerf the
cells are l*s x w*s boxes in a usable area of L*s x W*s, so the disguised sheet is exactly the
integer instance scaled by s, and must give the same count, upper bound and proof flag. All
decimals here are multiples of 0.000002 mm (cells on the 2 nm grid, centres on the 1 nm grid).

Everything runs the CLI's path: CLI strings -> sheet_request.sheet_inputs -> engine.tile (or the
`layoutgen` entry point itself through the `cli` fixture).
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, Phase, assume, example, given, settings
from hypothesis import strategies as st

from conftest import assert_user_error
from layoutgen.sheet_request import SheetRequest, sheet_inputs
from layoutgen.tiling.engine import tile, verify_tiling

# Deterministic examples; no shrinking and one bug per test, so that a failing test (each run
# of the engine can take up to its 2 s search budget) still keeps the file well under a minute.
# For a minimal failing example, run one test with phases including Phase.shrink.
SETTINGS = settings(max_examples=20, deadline=None, derandomize=True,
                    phases=(Phase.explicit, Phase.generate), report_multiple_bugs=False,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.filter_too_much, HealthCheck.too_slow])
FEW = settings(SETTINGS, max_examples=10)


def D(text: str | int) -> Decimal:  # noqa: N802
    return Decimal(text)


def txt(v: Decimal | int) -> str:
    """Decimal text as typed: no exponent, no trailing zeros."""
    t = format(Decimal(v), "f")
    if "." in t:
        t = t.rstrip("0").rstrip(".")
    return t or "0"


def run_tile(sheet: str, cell: str | None = None, kerf: str = "0", edge: str = "0", *,
             shape: str | None = None, radius: str = "0", polygon: str | None = None,
             keepouts: list[str] | None = None, cut: str | None = None,
             rotation: str | None = None):
    """(job, tiling) through sheet_inputs + engine.tile, as `layoutgen tile` does."""
    job = sheet_inputs(SheetRequest(sheet=sheet, cell=cell, shape=shape, corner_radius=radius,
                                    polygon=polygon, kerf=kerf, edge=edge,
                                    keepouts=tuple(keepouts) if keepouts else None,
                                    rotation=rotation, cut=cut))
    return job, tile(job.shape, job.spec)


def rect_wkt(path: Path, w: Decimal | int, h: Decimal | int) -> str:
    w, h = txt(w), txt(h)
    path.write_text(f"POLYGON ((0 0, {w} 0, {w} {h}, 0 {h}, 0 0))\n", encoding="utf-8")
    return str(path)


def signature(t) -> tuple[int, int, bool]:  # noqa: ANN001
    return t.count, t.upper_bound, t.gap == 0


def assert_plain_packing_fits_disguise(plain, job, s: Decimal, k: Decimal, ex: Decimal,  # noqa: ANN001
                                       ey: Decimal) -> None:
    """The test's own premise: the plain packing, centres mapped c -> c*s + E - K/2, passes the
    independent check on the disguised sheet (so the disguised optimum is >= the plain count)."""
    fs, fk = float(s), float(k)
    mapped = SimpleNamespace(x=plain.x * fs + float(ex) - fk / 2,
                             y=plain.y * fs + float(ey) - fk / 2,
                             rotation_deg=plain.rotation_deg)
    report = verify_tiling(mapped, job.shape, job.spec)
    assert report.ok, ("the disguise is not exact", list(report.messages)[:3])


# --------------------------------------------------------------------------- the issue's examples


@pytest.mark.parametrize(
    ("args", "want"),
    [
        (["--sheet", "94.8x46.6", "--cell", "10x6", "--kerf", "0.1", "--edge", "2"], 63),
        (["--sheet", "60.1x27.6", "--cell", "16.8x7.7", "--kerf", "0.1", "--edge", "1.5"], 10),
        (["--sheet", "1.62x0.3", "--cell", "0.3x0.3", "--kerf", "0.03", "--edge", "0"], 5),
        (["--sheet", "2.8x2.5", "--cell", "0.6x0.3", "--kerf", "0", "--edge", "1.1"], 1),
        (["--sheet", "19.1x4.3", "--shape", "circle", "--cell", "3.7", "--kerf", "0", "--edge",
          "0.3"], 5),
        (["--sheet", "94.8x46.6", "--polygon", "{wkt}", "--kerf", "0.1", "--edge", "2"], 63),
    ],
    ids=["grid-9x7", "pallet-44-19-13-6-x1.3", "strip-5-squares", "exact-fit-one",
         "circles-5", "polygon-9x7"],
)
def test_issue_examples(cli, tmp_path, args: list[str], want: int) -> None:
    wkt = rect_wkt(tmp_path / "rect10x6.wkt", 10, 6)
    r = cli("tile", *[a.format(wkt=wkt) for a in args], "--verify", "--json")
    assert r.code == 0, r.err
    d = json.loads(r.out)
    assert d["count"] == want, {k: v for k, v in d.items() if k != "placements"}
    assert d["upper_bound"] >= d["count"]
    assert d["proven_optimal"] == (d["gap"] == 0)
    assert d["verify"]["ok"] is True, d["verify"]


# --------------------------------------------------------------------------- disguises

# decimals with at most 5 places are multiples of 0.000002 mm
_SCALES = st.one_of(
    st.sampled_from(["0.37", "1.3", "2.5", "0.013", "0.1", "0.7", "1.05", "3.7", "0.0125",
                     "12.5", "0.45", "0.037"]).map(D),
    st.builds(lambda m, p: Decimal(m).scaleb(-p), st.integers(1, 9999), st.integers(0, 5)),
).filter(lambda s: D("0.005") <= s <= 25)
_KERFS = st.one_of(
    st.sampled_from(["0", "0.002", "0.01", "0.03", "0.05", "0.1", "0.15", "0.25"]).map(D),
    st.builds(lambda m, p: Decimal(m).scaleb(-p), st.integers(0, 999), st.integers(3, 5)),
)  # realistic streets: below 1 mm
_EDGES = st.one_of(
    st.sampled_from(["0", "0.3", "1.5", "2.2", "5"]).map(D),
    st.builds(lambda m, p: Decimal(m).scaleb(-p), st.integers(0, 9999), st.integers(0, 5)),
).filter(lambda e: e <= 25)


@st.composite
def disguises(draw) -> tuple[Decimal, Decimal, Decimal, Decimal]:  # noqa: ANN001
    """(s, K, EX, EY); EY == EX most of the time."""
    s, k, ex = draw(_SCALES), draw(_KERFS), draw(_EDGES)
    ey = draw(st.one_of(st.just(ex), _EDGES))
    return s, k, ex, ey


def disguised_sheet(L: int, W: int, s: Decimal, k: Decimal, ex: Decimal, ey: Decimal) -> str:  # noqa: N803
    return f"{txt(L * s + 2 * ex - k)}x{txt(W * s + 2 * ey - k)}"


def edge_text(ex: Decimal, ey: Decimal) -> str:
    return txt(ex) if ex == ey else f"{txt(ex)},{txt(ey)}"


def fits(L: int, W: int, l: int, w: int) -> bool:  # noqa: E741, N803
    return (l <= L and w <= W) or (w <= L and l <= W)


_SIDE = st.integers(5, 60)
_ITEM = st.integers(1, 15)


@pytest.mark.parametrize("cut", ["free", "guillotine"])
@SETTINGS
@given(L=_SIDE, W=_SIDE, l=_ITEM, w=_ITEM, dis=disguises())
@example(L=44, W=19, l=13, w=6, dis=(D("1.3"), D("0.1"), D("1.5"), D("1.5")))  # 60.1x27.6 sheet
@example(L=93, W=45, l=10, w=6, dis=(D("1"), D("0.1"), D("2"), D("2")))  # 94.8x46.6 sheet
def test_disguised_pallet_matches_integers(cut: str, L: int, W: int, l: int, w: int,  # noqa: E741, N803
                                           dis: tuple) -> None:
    s, k, ex, ey = dis
    assume(fits(L, W, l, w))
    assume(k < min(l, w) * s)
    _, plain = run_tile(f"{L}x{W}", f"{l}x{w}", "0", "0", cut=cut)
    job, disg = run_tile(disguised_sheet(L, W, s, k, ex, ey),
                         f"{txt(l * s - k)}x{txt(w * s - k)}", txt(k), edge_text(ex, ey), cut=cut)
    assert plain.count <= plain.upper_bound
    assert_plain_packing_fits_disguise(plain, job, s, k, ex, ey)
    assert signature(disg) == signature(plain), (signature(disg), signature(plain))


@pytest.mark.parametrize("cut", ["free", "guillotine"])
@FEW
@given(L=_SIDE, W=_SIDE, l=_ITEM, w=_ITEM, dis=disguises(), data=st.data())
def test_disguised_pallet_with_keepout_matches_integers(cut: str, L: int, W: int, l: int,  # noqa: E741, N803
                                                        w: int, dis: tuple, data) -> None:  # noqa: ANN001
    """One keep-out at integer coords X,Y,KW,KH. Disguised consistently: cells (l*s - K) lie at
    a*s + E, so the keep-out [X, X + KW] becomes [X*s + E - K, (X + KW)*s + E]."""
    s, k, ex, ey = dis
    assume(fits(L, W, l, w))
    assume(k < min(l, w) * s)
    x = data.draw(st.integers(0, L - 1), label="X")
    y = data.draw(st.integers(0, W - 1), label="Y")
    kw = data.draw(st.integers(1, L - x), label="KW")
    kh = data.draw(st.integers(1, W - y), label="KH")
    assume(kw * kh < L * W)
    kx0, ky0 = x * s + ex - k, y * s + ey - k
    assume(kx0 >= 0 and ky0 >= 0)  # inside the sheet (needs E >= K at a sheet border)
    assume((L - x - kw) * s + ex - k >= 0 and (W - y - kh) * s + ey - k >= 0)
    _, plain = run_tile(f"{L}x{W}", f"{l}x{w}", "0", "0", cut=cut,
                        keepouts=[f"{x},{y},{kw},{kh}"])
    ko = f"{txt(kx0)},{txt(ky0)},{txt(kw * s + k)},{txt(kh * s + k)}"
    job, disg = run_tile(disguised_sheet(L, W, s, k, ex, ey),
                         f"{txt(l * s - k)}x{txt(w * s - k)}", txt(k), edge_text(ex, ey),
                         cut=cut, keepouts=[ko])
    assert verify_tiling(disg, job.shape, job.spec).ok
    assert_plain_packing_fits_disguise(plain, job, s, k, ex, ey)
    assert signature(disg) == signature(plain), (signature(disg), signature(plain), ko)


@FEW
@given(L=st.integers(5, 40), W=st.integers(5, 40), d=st.integers(1, 12), dis=disguises())
def test_disguised_circles_match_integers(L: int, W: int, d: int, dis: tuple) -> None:  # noqa: N803
    s, k, ex, ey = dis
    assume(d <= min(L, W))
    assume(k < d * s)
    assume((L // d) * (W // d) <= 400)  # keep the circle packer quick
    _, plain = run_tile(f"{L}x{W}", str(d), "0", "0", shape="circle")
    job, disg = run_tile(disguised_sheet(L, W, s, k, ex, ey), txt(d * s - k), txt(k),
                         edge_text(ex, ey), shape="circle")
    assert plain.count <= plain.upper_bound
    assert_plain_packing_fits_disguise(plain, job, s, k, ex, ey)
    assert (disg.count, disg.upper_bound) == (plain.count, plain.upper_bound)


@FEW
@given(L=st.integers(5, 40), W=st.integers(5, 40), l=st.integers(1, 12), w=st.integers(1, 12),
       dis=disguises())
def test_disguised_rect_polygon_matches_integers(tmp_path_factory, L: int, W: int, l: int,  # noqa: E741, N803
                                                 w: int, dis: tuple) -> None:
    s, k, ex, ey = dis
    assume(fits(L, W, l, w))
    assume(k < min(l, w) * s)
    assume((L * W) // (l * w) <= 400)
    tmp = tmp_path_factory.mktemp("poly")
    _, plain = run_tile(f"{L}x{W}", None, "0", "0", polygon=rect_wkt(tmp / "plain.wkt", l, w))
    job, disg = run_tile(disguised_sheet(L, W, s, k, ex, ey), None, txt(k), edge_text(ex, ey),
                         polygon=rect_wkt(tmp / "disguised.wkt", l * s - k, w * s - k))
    assert plain.count <= plain.upper_bound
    assert_plain_packing_fits_disguise(plain, job, s, k, ex, ey)
    assert (disg.count, disg.upper_bound) == (plain.count, plain.upper_bound)


# --------------------------------------------------------------------------- exact-fit strips

_SIZE = st.builds(lambda m, p: Decimal(m).scaleb(-p), st.integers(1, 99999),
                  st.integers(1, 5)).filter(lambda v: D("0.01") <= v <= 40)


@pytest.mark.parametrize("kind", ["rect", "rounded", "circle", "polygon"])
@SETTINGS
@given(n=st.integers(1, 12), c=_SIZE, h=_SIZE, k=_KERFS, ex=_EDGES, ey=_EDGES,
       along_y=st.booleans())
def test_exact_fit_strip(tmp_path_factory, kind: str, n: int, c: Decimal, h: Decimal,  # noqa: PLR0913
                         k: Decimal, ex: Decimal, ey: Decimal, along_y: bool) -> None:
    """n cells in a row, the cell exactly as tall as the usable area: exactly n, no error."""
    if kind == "circle":
        h = c
    assume(n * (c + k) - k + 2 * max(ex, ey) <= 2000)
    length, height = n * (c + k) - k, h
    sx, sy = (length, height) if not along_y else (height, length)
    sheet = f"{txt(sx + 2 * ex)}x{txt(sy + 2 * ey)}"
    cell = f"{txt(c)}x{txt(h)}" if not along_y else f"{txt(h)}x{txt(c)}"
    polygon = None
    radius = "0"
    if kind == "circle":
        cell = txt(c)
    elif kind == "rounded":
        radius = txt((min(c, h) / 4).quantize(D("0.00001"), rounding="ROUND_DOWN"))
        assume(D(radius) > 0)
    elif kind == "polygon":
        w_, h_ = (c, h) if not along_y else (h, c)
        polygon = rect_wkt(tmp_path_factory.mktemp("strip") / "cell.wkt", w_, h_)
        cell = None
    job, t = run_tile(sheet, cell, txt(k), f"{txt(ex)},{txt(ey)}",
                      shape=None if kind in ("rect", "polygon") else kind, radius=radius,
                      polygon=polygon)
    assert t.count == n, (t.count, t.upper_bound, sheet, cell)
    assert t.upper_bound >= n
    assert verify_tiling(t, job.shape, job.spec).ok


# --------------------------------------------------------------------------- a solver that rounds

A_NM, B_NM = 10_000_002, 6_000_004  # cell 10.000002 x 6.000004 mm: gcd 2 nm


def _normals(top: int, a: int, b: int) -> list[int]:
    return sorted({i * a + j * b for i in range(top // a + 1)
                   for j in range((top - i * a) // b + 1)})


def _grid(x: int, y: int, a: int, b: int) -> int:
    return max((x // a) * (y // b), (x // b) * (y // a))


def independent_bounds(x: int, y: int, a: int, b: int) -> tuple[int, int]:
    """(lower, upper) on the optimum of a x b items (rotation allowed) in an x by y sheet (nm).

    lower: the best packing of one guillotine cut into two grids (each part in either
    orientation); upper: the area bound on the sheet shrunk to its largest normal coordinates
    (every packing can be pushed down-left onto sums of item sides). Plain integer arithmetic.
    """
    nx, ny = _normals(x, a, b), _normals(y, a, b)
    lower = _grid(x, y, a, b)
    for p in nx:
        lower = max(lower, _grid(p, y, a, b) + _grid(x - p, y, a, b))
    for p in ny:
        lower = max(lower, _grid(x, p, a, b) + _grid(x, y - p, a, b))
    upper = (nx[-1] * ny[-1]) // (a * b)
    return lower, upper


@pytest.mark.parametrize(
    "sheet_nm",
    [(300_000_000, 300_000_000),  # 300 x 300 mm: the sheet is 1.5e8 gcd units a side
     (29 * A_NM, 49 * B_NM),  # 290.000058 x 294.000196 mm: a 29 x 49 grid fits exactly
     (29 * A_NM + 3 * B_NM, 10 * A_NM + 32 * B_NM)],
    ids=["300x300", "exact-grid-29x49", "mixed"],
)
@pytest.mark.parametrize("cut", ["free", "guillotine"])
def test_rounding_solver_never_claims_a_false_optimum(sheet_nm: tuple[int, int],
                                                      cut: str) -> None:
    from layoutgen.tiling.rect import packing as rect_packing

    sx, sy = sheet_nm
    gcd_units = max(sx, sy) // math.gcd(A_NM, B_NM)
    assert gcd_units > rect_packing._MAX_INT, "the planted case must force the solver to round"
    sheet = f"{txt(D(sx) / 10**6)}x{txt(D(sy) / 10**6)}"
    job, t = run_tile(sheet, "10.000002x6.000004", "0", "0", cut=cut)
    assert verify_tiling(t, job.shape, job.spec).ok  # rounding must stay feasible
    lower, upper = independent_bounds(sx, sy, A_NM, B_NM)
    assert t.count <= upper
    assert t.upper_bound >= lower, (t.upper_bound, lower, t.bound_method)  # a proven bound
    if t.gap == 0:  # a claimed optimum must survive an independent packing
        assert t.count >= lower, (t.count, lower, t.strategy, t.bound_method)


# --------------------------------------------------------------------------- refused inputs


@pytest.mark.parametrize(
    ("option", "args"),
    [
        ("--sheet", ["--sheet", "100.0000005x50", "--cell", "10x6"]),
        ("--cell", ["--sheet", "100x50", "--cell", "10.0000001x6"]),
        ("--kerf", ["--sheet", "100x50", "--cell", "10x6", "--kerf", "0.0000004"]),
        ("--kerf", ["--sheet", "100x50", "--cell", "10x6", "--kerf", "0.0001um"]),
        ("--edge", ["--sheet", "100x50", "--cell", "10x6", "--edge", "2,1.0000001"]),
        ("--keepout", ["--sheet", "100x50", "--cell", "10x6", "--keepout",
                       "10,10,5.00000001,5"]),
    ],
)
def test_lengths_finer_than_1_nm_are_refused(cli, option: str, args: list[str]) -> None:
    r = cli("tile", *args, "--json")
    assert_user_error(r, option, "1 nm")
    assert r.out == ""


def test_cell_off_the_2_nm_grid_is_refused(cli) -> None:
    r = cli("tile", "--sheet", "100x50", "--cell", "10.000001x6", "--json")
    assert_user_error(r, "2 nm")
