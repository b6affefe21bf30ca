"""Wall-clock figures of the operations the tests check for behaviour only.

The tests used to assert these times (a loaded 2-core CI machine made them flaky); the
behaviour assertions stay in the tests named below, the times are printed here, not asserted.
Each case runs in this process, `--repeat` times (the first run includes numba compilation);
the figures are wall and CPU seconds, with the limit the test used to assert, for reference.

    python benchmarks/timings.py                   # every case once
    python benchmarks/timings.py --repeat 3 rect_1M verify_100k
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from layoutgen import shapes as S
from layoutgen.deck import Deck, load_deck
from layoutgen.drc import run_drc
from layoutgen.export.gds import write_layout
from layoutgen.export.manifest import write_manifest
from layoutgen.layout.assemble import build_layout
from layoutgen.tiling import circles as C
from layoutgen.tiling import polygons as P
from layoutgen.tiling.rect.packing import pack_rectangles
from layoutgen.tiling.result import Tiling
from layoutgen.tiling.verify import verify_placements

SHEET = ["sheet.edge_x_mm=0", "sheet.edge_y_mm=0", "tiling.kerf_um=100"]


@dataclass(frozen=True)
class Case:
    """One timed operation: what it does, the test that checks its behaviour, the old limit."""

    name: str
    what: str
    test: str
    old_limit_s: float
    run: Callable[[], object]


def _grid(deck: Deck, w: float, h: float) -> Tiling:
    """A regular grid of w x h cells over the whole sheet (edge 0), rows along the web."""
    k = deck.tiling.kerf_um / 1000
    nx = int((deck.sheet.width_mm + k) // (w + k))
    ny = int((deck.sheet.length_mm + k) // (h + k))
    xs, ys = np.meshgrid(w / 2 + np.arange(nx) * (w + k), h / 2 + np.arange(ny) * (h + k))
    n = nx * ny
    return Tiling(xs.ravel(), ys.ravel(), np.zeros(n), np.repeat(np.arange(ny), nx),
                  np.tile(np.arange(nx), ny), "grid", n, "count",
                  (deck.sheet.width_mm, deck.sheet.length_mm), 1.0, w * h)


def _big_deck(mm: int) -> Deck:
    return load_deck([], [f"sheet.width_mm={mm}", f"sheet.length_mm={mm}", *SHEET])


def _layout_1m() -> object:
    return build_layout(_grid(_big_deck(2000), 1.9, 1.9), S.rect(1.9, 1.9), _big_deck(2000))


def _gds_1m() -> object:
    deck = _big_deck(2000)
    layout = build_layout(_grid(deck, 1.9, 1.9), S.rect(1.9, 1.9), deck)
    with tempfile.TemporaryDirectory() as tmp:
        return write_layout(layout, Path(tmp) / "m.gds", oasis=True)


def _drc_10k(flat: bool) -> Callable[[], object]:
    deck = _big_deck(200)
    shape = S.rect(1.9, 1.9)
    layout = build_layout(_grid(deck, 1.9, 1.9), shape, deck)
    tmp = Path(tempfile.mkdtemp(prefix="timings-drc-"))
    info = write_layout(layout, tmp / "s.gds", flat=flat)
    write_manifest(layout, tmp / "cells.csv")
    return lambda: run_drc(info.gds_path, deck, tmp / "cells.csv")  # only the check is timed


def _verify_100k() -> object:
    tri = S.polygon_from_wkt("POLYGON ((0 0, 4 0, 2 2, 0 0))")
    gx, gy = np.meshgrid(np.arange(316) * 4.3, np.arange(316) * 2.3)
    return verify_placements(tri, gx.ravel(), gy.ravel(), 0, usable=None, kerf=0.2)


L_SHAPE = S.polygon(np.array([(0, 0), (10, 0), (10, 4), (4, 4), (4, 10), (0, 10)], float))

CASES: dict[str, Callable[[], Case]] = {
    "circles_1M": lambda: Case(
        "circles_1M", "pack_circles 1101 x 1101 mm, d 1, kerf 0.1 (>1M circles)",
        "test_circles.py::test_million_circles_deterministic", 2.0,
        lambda: C.pack_circles(1101, 1101, 1.0, kerf=0.1)),
    "circles_exact_300mm": lambda: Case(
        "circles_exact_300mm", "pack_circles_nm 300 x 300 mm, d 1 mm",
        "test_circles_exact.py::test_300mm_sheet_of_1mm_circles", 2.0,
        lambda: C.pack_circles_nm(300_000_000, 300_000_000, 1_000_000, 0)),
    "rect_1M": lambda: Case(
        "rect_1M", "pack_rectangles 2000.1 x 2000.1, 2 x 2 (1M cells)",
        "test_rect_packing.py::test_million_cells", 2.0,
        lambda: pack_rectangles(2000.1, 2000.1, 2.0, 2.0)),
    "rect_unequal": lambda: Case(
        "rect_unequal", "pack_rectangles 2000 x 2000, 3.05 x 2.05",
        "test_rect_packing.py::test_large_unequal_instance", 6.0,
        lambda: pack_rectangles(2000, 2000, 3.05, 2.05)),
    "l_shape_9931": lambda: Case(
        "l_shape_9931", "pack_polygons_nm L cell on 990 x 690 mm, kerf 0.05",
        "test_polygons_exact.py::test_l_shape_issue_case_9931", 30.0,
        lambda: P.pack_polygons_nm(L_SHAPE, 990_000_000, 690_000_000, 50_000,
                                   (0, 90, 180, 270))),
    "verify_100k": lambda: Case(
        "verify_100k", "verify_placements of 316 x 316 triangles",
        "test_verify.py::test_100k_polygons", 10.0, _verify_100k),
    "layout_1M": lambda: Case(
        "layout_1M", "build_layout of 1000 x 1000 cells",
        "test_layout.py::test_million_cells_lay_out", 5.0, _layout_1m),
    "gds_1M": lambda: Case(
        "gds_1M", "build_layout + write_layout (GDS + OASIS) of 1M cells",
        "test_gds.py::test_million_cells_under_a_megabyte", 5.0, _gds_1m),
    "drc_10k": lambda: Case(
        "drc_10k", "run_drc of 10,000 cells, hierarchical GDS",
        "test_drc.py::test_ten_thousand_cells", 5.0, _drc_10k(flat=False)),
    "drc_10k_flat": lambda: Case(
        "drc_10k_flat", "run_drc of 10,000 cells, flat GDS",
        "test_drc.py::test_ten_thousand_cells", 5.0, _drc_10k(flat=True)),
}


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("cases", nargs="*", help=f"some of: {', '.join(CASES)} (default: all)")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each case (default 1)")
    args = ap.parse_args(argv)
    unknown = sorted(set(args.cases) - set(CASES))
    if unknown:
        ap.error(f"unknown case(s) {', '.join(unknown)}")
    print(f"{'case':<20} {'run':>3} {'wall s':>8} {'cpu s':>8} {'old limit s':>11}  what")
    for name in args.cases or list(CASES):
        case = CASES[name]()
        for i in range(args.repeat):
            w0, c0 = time.perf_counter(), time.process_time()
            case.run()
            wall, cpu = time.perf_counter() - w0, time.process_time() - c0
            print(f"{case.name:<20} {i + 1:>3} {wall:>8.2f} {cpu:>8.2f} {case.old_limit_s:>11g}"
                  f"  {case.what} ({case.test})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
