"""Laser ordering and field-plan figures (issue 15 items 4 and 5): per case and operation, the
jump length of our order, of the generation order and, for line jobs, of a greedy
nearest-neighbour walk over the same cut pieces per field (entering a line at either end, left
at the far end after an odd pass count); jumps as a share of the marked length (passes
included); the layout's field count beside the laser job's (one plan: always equal).

Cases: the issue's 120 x 100 mm sheet of 10 x 8 mm cells (kerf 0.1, edge 3, guillotine), the
big 300 x 300 mm sheet of 3 x 2 mm cells (free, guillotine, and cut by contours), and every
shipped example.

    python benchmarks/ordering.py                 # every case
    python benchmarks/ordering.py --case lines-120x100
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from layoutgen.deck import load_deck  # noqa: E402
from layoutgen.job import load_job  # noqa: E402
from layoutgen.layout.assemble import build_layout  # noqa: E402
from layoutgen.layout.model import SheetLayout  # noqa: E402
from layoutgen.product import resolve_deck, size_product  # noqa: E402
from layoutgen.shapes import rect  # noqa: E402
from layoutgen.tiling.engine import sheet_spec_from_deck, tile  # noqa: E402
from layoutgen.toolpath.generate import build_toolpath  # noqa: E402
from layoutgen.toolpath.metrics import job_metrics  # noqa: E402


def grid(w: float, h: float, cw: float, ch: float, kerf_um: float, edge: float, cut: str,
         *sets: str) -> SheetLayout:
    deck = load_deck([], [f"sheet.width_mm={w}", f"sheet.length_mm={h}",
                          f"tiling.kerf_um={kerf_um}", f"sheet.edge_x_mm={edge}",
                          f"sheet.edge_y_mm={edge}", f'tiling.cut="{cut}"', *sets])
    cell = rect(cw, ch)
    return build_layout(tile(cell, sheet_spec_from_deck(deck)), cell, deck)


def example(name: str) -> SheetLayout:
    job = load_job(ROOT / "examples" / f"{name}.toml")
    deck = resolve_deck(job)
    prod = size_product(job, deck)
    return build_layout(tile(prod.cell, sheet_spec_from_deck(deck)), prod.cell, deck)


CASES: dict[str, Callable[[], SheetLayout]] = {
    "lines-120x100": lambda: grid(120, 100, 10, 8, 100, 3, "guillotine"),
    "big-300x300-free": lambda: grid(300, 300, 3, 2, 100, 3, "free"),
    "big-300x300-guillotine": lambda: grid(300, 300, 3, 2, 100, 3, "guillotine"),
    "big-300x300-contours": lambda: grid(300, 300, 3, 2, 100, 3, "free",
                                         'laser.singulation_paths="contours"'),
    **{n: (lambda n=n: example(n)) for n in ("hearable_round", "iot_small", "tab_cell",
                                             "wearable_patch")},
}


def run(name: str) -> None:
    layout = CASES[name]()
    t0, c0 = time.perf_counter(), time.process_time()
    tp = build_toolpath(layout)
    t1, c1 = time.perf_counter(), time.process_time()
    m = job_metrics(tp)
    print(f"\n== {name} ==  cells {layout.count:,}; fields: layout {len(layout.fields)}, "
          f"job {tp.fields.count}; toolpath {t1 - t0:.2f} s ({c1 - c0:.2f} s CPU); "
          f"job time {m['total']['time_s']:,.1f} s")
    for op in tp.operations:
        om = m["operations"][op.name]
        share = om["jump_mm"] / om["mark_total_mm"] if om["mark_total_mm"] else 0.0
        greedy = "" if op.jump_greedy_mm is None else \
            f"  greedy NN {op.jump_greedy_mm:10,.1f} mm"
        print(f"  {op.name:12s} {op.kind:8s} strokes {om['strokes']:7,}  jumps "
              f"{om['jump_mm']:10,.1f} mm (generated {op.jump_before_mm:10,.1f}){greedy}  "
              f"{100 * share:5.2f} % of marks {om['mark_total_mm']:12,.1f} mm")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--case", choices=list(CASES), action="append")
    for name in ap.parse_args().case or list(CASES):
        run(name)


if __name__ == "__main__":
    main()
