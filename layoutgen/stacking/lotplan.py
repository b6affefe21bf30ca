"""The lot plan from measured yield: good cells and products per measured sheet, and how many
more sheets complete the order at a stated confidence (a bootstrap over the measured sheets)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from statistics import NormalDist

import numpy as np

from layoutgen.errors import LayoutgenError

DRAWS = 2000
MAX_DRAWS = 20_000_000  # simulated future sheets; past it the normal approximation is used


@dataclass(frozen=True)
class MeasuredLotPlan:
    """What the measured sheets give and what the rest of the order takes."""

    order: int                      # products the lot must deliver
    sheets_measured: int
    good_cells: int
    good_cells_per_sheet_mean: float
    good_cells_per_sheet_min: int
    good_cells_per_sheet_max: int
    products_made: int
    products_per_sheet_mean: float  # stack cells of each sheet / their stacks' cell counts
    products_per_sheet_sd: float
    products_short: int
    more_sheets_expected: int       # at the mean products per sheet
    more_sheets: int                # at the stated confidence
    confidence: float
    method: str                     # "bootstrap" or "normal"
    roll_m: float                   # the more sheets at the sheet length

    def as_dict(self) -> dict[str, float | int | str]:
        return asdict(self)


def per_sheet_products(sheet: np.ndarray, stack: np.ndarray, n_sheets: int) -> np.ndarray:
    """Each sheet's share of the products: sum over its stacked cells of 1 / stack size."""
    used = stack >= 0
    sizes = np.bincount(stack[used], minlength=int(stack.max(initial=-1)) + 1)
    share = np.zeros(n_sheets)
    np.add.at(share, sheet[used], 1.0 / sizes[stack[used]])
    return share


def measured_lot_plan(order: int, good_per_sheet: np.ndarray, products_per_sheet: np.ndarray,
                      products_made: int, sheet_length_mm: float, confidence: float,
                      seed: int) -> MeasuredLotPlan:
    """More sheets to finish `order`: the least n such that n sheets drawn (with replacement)
    from the measured ones give the products still short in at least `confidence` of the
    draws (DRAWS sequences, seeded: deterministic)."""
    if not 1 <= order <= 10**9:
        raise LayoutgenError(f"lot.products: must be a whole number from 1 to 10^9, got {order}")
    s = products_per_sheet.size
    if s == 0:
        raise LayoutgenError("the lot plan needs at least one measured sheet")
    mean = float(products_per_sheet.mean())
    sd = float(products_per_sheet.std(ddof=1)) if s > 1 else 0.0
    short = max(0, order - products_made)
    method = "bootstrap"
    if short == 0:
        expected = more = 0
    elif mean <= 0:
        raise LayoutgenError(
            f"the measured sheets give no products: {short:,} more products cannot be planned "
            "from them (check the limits and the maps)")
    else:
        expected = math.ceil(short / mean - 1e-9)
        horizon = math.ceil(expected * 1.5) + 10
        if horizon * DRAWS <= MAX_DRAWS and sd > 0:
            rng = np.random.default_rng(seed)
            parts = []
            chunk = max(1, MAX_DRAWS // 20 // horizon)
            for lo in range(0, DRAWS, chunk):
                draws = rng.choice(products_per_sheet, size=(min(chunk, DRAWS - lo), horizon))
                reached = np.cumsum(draws, axis=1) >= short - 1e-9
                first = reached.argmax(axis=1) + 1  # sheets until the order is complete
                parts.append(np.where(reached.any(axis=1), first, horizon + 1))
            need = np.concatenate(parts)
            more = int(np.quantile(need, confidence, method="higher"))
        else:
            method = "normal" if sd > 0 else "exact"
            z = NormalDist().inv_cdf(confidence)
            # least n with n mean - z sd sqrt(n) >= short
            root = (z * sd + math.sqrt((z * sd) ** 2 + 4 * mean * short)) / (2 * mean)
            more = max(expected, math.ceil(root ** 2 - 1e-9))
    good = good_per_sheet.astype(np.int64)
    return MeasuredLotPlan(
        order=order, sheets_measured=s, good_cells=int(good.sum()),
        good_cells_per_sheet_mean=round(float(good.mean()), 3),
        good_cells_per_sheet_min=int(good.min()), good_cells_per_sheet_max=int(good.max()),
        products_made=products_made, products_per_sheet_mean=round(mean, 3),
        products_per_sheet_sd=round(sd, 3), products_short=short,
        more_sheets_expected=expected, more_sheets=more, confidence=confidence,
        method=method, roll_m=round(more * sheet_length_mm / 1000, 6))
