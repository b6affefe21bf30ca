"""Polygon tiling benchmark: count and wall time of `pack_polygons_nm` on the issue's cases.

    python benchmarks/polygons.py

L-shaped cell 10 x 10 mm outer, arms 4 mm wide, on a 1000 x 700 mm sheet with kerf 0.05 mm and
edge 5 mm (usable 990 x 690 mm; a brute-force lattice search found 9,931), and the 10 x 6 mm
rectangle given as a polygon on a 94.8 x 46.6 mm sheet, kerf 0.1, edge 2 (63 fit exactly).
"""

from __future__ import annotations

import time

import numpy as np

from layoutgen import shapes as S
from layoutgen.tiling.polygons import pack_polygons_nm

CASES = [
    ("L 10x10 arms 4, 990 x 690, kerf 0.05",
     S.polygon(np.array([(0, 0), (10, 0), (10, 4), (4, 4), (4, 10), (0, 10)], float)),
     990_000_000, 690_000_000, 50_000),
    ("rect 10x6 as polygon, 90.8 x 42.6, kerf 0.1",
     S.polygon(np.array([(0, 0), (10, 0), (10, 6), (0, 6)], float)),
     90_800_000, 42_600_000, 100_000),
]


def main() -> None:
    for name, shape, w, h, k in CASES:
        t = time.perf_counter()
        x, _, _, strategy, bound, _ = pack_polygons_nm(shape, w, h, k, (0, 90, 180, 270))
        dt = time.perf_counter() - t
        print(f"{name}: {len(x)} cells (bound {bound}) in {dt:.2f} s  [{strategy}]")


if __name__ == "__main__":
    main()
