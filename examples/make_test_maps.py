"""Make the synthetic tester maps in examples/testmaps/ (SYNTHETIC DATA, not measurements).

    python examples/make_test_maps.py            # rewrites examples/testmaps/*_sheet*.csv

Each map is drawn from a plain physical picture of a patterned sheet, seeded so the files are
the same on every run:
- the cathode is thicker towards one side of the web (a linear gradient across x plus a slow
  wave): formation capacity follows the thickness (about the sizing model's nominal capacity
  of one cell, one layer of the product's stack) and OCV follows it a little;
- impedance rises near the sheet edges (thinner electrolyte at the coater's edge bead);
- Poisson-scattered shorts (on average `SHORT_RATE` of the cells): OCV far below the others,
  self-discharge high;
- one scratch along the web (a nearly straight line in y at a random x): the cells it crosses
  get a lower OCV, a higher impedance and some of them a short;
- on the wearable maps, sheet 2 misses two cells (untested) and sheet 3 has one cell probed
  twice (a duplicate), as a prober's skip and re-test would leave them.

The cells come from the manifests beside the maps (cells.csv written by
`layoutgen run examples/wearable_patch.toml` and `examples/hearable_round.toml`). The wearable
maps key cells by id, one file with a sheet column; the hearable maps give the tester's own x,y
in um from the sheet's upper-left corner, y pointing down (one file per sheet): bin them with
`examples/testmaps/hearable_tester.toml`, which declares that transform.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from layoutgen.job import load_job
from layoutgen.product import resolve_deck, size_product

EXAMPLES = Path(__file__).resolve().parent
HERE = Path(__file__).resolve().parent / "testmaps"
SHORT_RATE = 0.006  # shorts per cell
CONDITION = "after first partial charge to 4.2 V, 25 C, 1 kHz impedance"
HEADER = ("# SYNTHETIC tester map made by examples/make_test_maps.py (seed {seed}): not "
          "measured data\n")


def cell_capacity_mah(example: str) -> float:
    """The sizing model's nominal capacity of ONE cell (one layer of the product's stack)."""
    job = load_job(EXAMPLES / f"{example}.toml")
    return size_product(job, resolve_deck(job)).cell_capacity_mAh


def read_cells(path: Path) -> dict[str, np.ndarray]:
    data = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    names = ("id", "row", "col", "x", "y", "rotation", "pad_x", "pad_y", "field")
    return {k: data[:, i] for i, k in enumerate(names)}


def sheet_values(c: dict[str, np.ndarray], sheet_w: float, sheet_l: float, capacity: float,
                 rng: np.random.Generator) -> dict[str, np.ndarray]:
    """OCV (V), impedance (ohm), capacity (mAh) and self-discharge (mV/day) of every cell."""
    x, y = c["x"], c["y"]
    n = len(x)
    u = x / sheet_w  # 0..1 across the web
    thick = 1.0 + 0.06 * (u - 0.5) + 0.015 * np.sin(2 * np.pi * y / sheet_l * 1.5)
    cap = capacity * thick * (1 + 0.01 * rng.standard_normal(n))
    ocv = 3.90 + 0.08 * (thick - 1.0) + 0.004 * rng.standard_normal(n)
    edge = np.minimum.reduce([x, sheet_w - x, y, sheet_l - y])
    imp = 120.0 * (1 + 0.5 * np.exp(-edge / 15.0)) * (1 + 0.03 * rng.standard_normal(n))
    sd = 0.4 * (1 + 0.1 * rng.standard_normal(n)).clip(0.2)
    # a scratch along the web: x = x0 + slope * y, about 1 mm wide
    x0 = rng.uniform(0.25, 0.75) * sheet_w
    slope = rng.uniform(-0.05, 0.05)
    hit = np.abs(x - (x0 + slope * y)) < 2.5
    ocv[hit] -= rng.uniform(0.05, 0.3, hit.sum())
    imp[hit] *= rng.uniform(1.5, 5.0, hit.sum())
    shorts = rng.random(n) < SHORT_RATE
    shorts |= hit & (rng.random(n) < 0.3)
    ocv[shorts] = rng.uniform(0.05, 2.5, shorts.sum())
    sd[shorts] = rng.uniform(20.0, 400.0, shorts.sum())
    return {"ocv_v": ocv, "impedance_ohm": imp, "capacity_mah": cap,
            "self_discharge_mv_per_day": sd}


def fmt(values: np.ndarray, decimals: int) -> list[str]:
    return [f"{v:.{decimals}f}" for v in values]


def wearable(seed: int = 16) -> Path:
    c = read_cells(HERE / "wearable_patch_cells.csv")
    nominal = cell_capacity_mah("wearable_patch")
    rng = np.random.default_rng(seed)
    lines = [HEADER.format(seed=seed), f"# condition: {CONDITION}\n",
             "sheet,id,ocv_v,impedance_ohm,capacity_mah,self_discharge_mv_per_day,condition\n"]
    for k in range(3):
        v = sheet_values(c, 300.0, 300.0, nominal, rng)
        order = list(range(len(c["id"])))
        if k == 1:  # the prober skipped two cells: they come out untested
            order = order[:40] + order[42:]
        if k == 2:  # one cell probed twice (a re-test): both rows go to the duplicate bin
            order = order + [order[100]]
        cols = [fmt(v["ocv_v"], 4), fmt(v["impedance_ohm"], 2), fmt(v["capacity_mah"], 3),
                fmt(v["self_discharge_mv_per_day"], 3)]
        for j in order:
            lines.append(f"WP-{k + 1:03d},{int(c['id'][j])},{cols[0][j]},{cols[1][j]},"
                         f"{cols[2][j]},{cols[3][j]},\"{CONDITION}\"\n")
    out = HERE / "wearable_patch_sheets.csv"
    out.write_text("".join(lines), encoding="utf-8", newline="\n")
    return out


def hearable(seed: int = 17) -> list[Path]:
    c = read_cells(HERE / "hearable_round_cells.csv")
    nominal = cell_capacity_mah("hearable_round")
    rng = np.random.default_rng(seed)
    sheet_l = 250.0
    outs = []
    for k in range(2):
        v = sheet_values(c, 250.0, sheet_l, nominal, rng)
        # the tester's frame: origin at the upper-left corner, x right, y down, in um
        tx = np.rint(c["pad_x"] * 1000 + rng.normal(0, 20, len(c["x"]))).astype(int)
        ty = np.rint((sheet_l - c["pad_y"]) * 1000 + rng.normal(0, 20, len(c["x"]))).astype(int)
        order = rng.permutation(len(tx))  # the prober's own order
        lines = [HEADER.format(seed=seed), f"# condition: {CONDITION}\n",
                 "x_um,y_um,ocv_v,impedance_ohm,capacity_mah,condition_temperature_c\n"]
        cols = [fmt(v["ocv_v"], 4), fmt(v["impedance_ohm"], 2), fmt(v["capacity_mah"], 3)]
        for j in order:
            lines.append(f"{tx[j]},{ty[j]},{cols[0][j]},{cols[1][j]},{cols[2][j]},25\n")
        out = HERE / f"hearable_round_sheet{k + 1}.csv"
        out.write_text("".join(lines), encoding="utf-8", newline="\n")
        outs.append(out)
    return outs


def main() -> int:
    paths = [wearable(), *hearable()]
    for p in paths:
        print(f"wrote {p} (synthetic)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
