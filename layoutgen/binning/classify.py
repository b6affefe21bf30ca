"""Bin the cells of one sheet: the deck's bins in order, the first whose rule takes a cell
decides (as on a tester).

Rules: the input problems (`duplicate`, `non_numeric`, `untested`; `no_match` concerns rows, not
cells), `spec` (hard limits: a cell outside [low, high] is taken), `dynamic` (part-average
testing after AEC-Q001: limits reset per sheet at median +- k sigma, sigma = IQR / 1.349, over
the cells still unbinned that have the value; fewer than `min_cells` such cells: the bin is
skipped on that sheet), `neighbourhood` (a cell still unbinned with at least `min_failing`
failing cells within `radius_mm`, centre to centre; untested cells do not count as failing) and
`pass` (every cell left).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from layoutgen.binning.bindeck import Bin, BinDeck
from layoutgen.errors import LayoutgenError
from layoutgen.fileio import LIFT_LIMITS
from layoutgen.units import nm_to_mm

IQR_TO_SIGMA = 1.349  # IQR of a normal distribution in units of its sigma
MAX_NEIGHBOUR_PAIRS = 200_000_000  # estimated failing-neighbour pairs per sheet (--force lifts)


@dataclass(frozen=True)
class DynamicLimit:
    """The limits a dynamic bin used on one sheet."""

    bin: str
    parameter: str
    cells: int  # the population the statistics came from
    median: float
    sigma: float
    low: float
    high: float
    applied: bool  # False: fewer than min_cells cells, the bin was skipped on this sheet


@dataclass(frozen=True)
class SheetInput:
    """What the classifier needs of one sheet, per manifest cell."""

    values: dict[str, np.ndarray]  # parameter -> (n,) float, NaN where none
    tested: np.ndarray  # (n,) bool: at least one row
    duplicate: np.ndarray  # (n,) bool: two or more rows
    bad: np.ndarray  # (n,) bool: a value missing or not a number (first row)


@dataclass(frozen=True)
class SheetBins:
    """The bin of every cell of one sheet and the rule text that decided."""

    bin_index: np.ndarray  # (n,) int16: index into deck.bins
    rule_text: tuple[str, ...]  # per deck bin, as it applied on this sheet
    dynamic: tuple[DynamicLimit, ...]


def spec_text(b: Bin) -> str:
    p = b.parameter
    if b.low is not None and b.high is not None:
        return f"{p} outside [{b.low:g}, {b.high:g}]"
    return f"{p} < {b.low:g}" if b.low is not None else f"{p} > {b.high:g}"


def _neighbour_counts(free: np.ndarray, failing: np.ndarray, xy: np.ndarray, r_mm: float,
                      area_mm2: float) -> np.ndarray:
    """Failing cells within r of each free cell (0 elsewhere); work estimated first."""
    counts = np.zeros(len(free), np.int64)
    nf, nfree = int(failing.sum()), int(free.sum())
    if nf == 0 or nfree == 0:
        return counts
    pairs = nf * nfree * math.pi * r_mm * r_mm / max(area_mm2, 1e-9)
    if pairs > MAX_NEIGHBOUR_PAIRS and not LIFT_LIMITS.get():
        raise LayoutgenError(
            f"neighbourhood rule: about {pairs:,.0f} cell pairs within {r_mm:g} mm to count, over "
            f"the limit of {MAX_NEIGHBOUR_PAIRS:,} (a smaller radius_mm, or --force)")
    tree = cKDTree(xy[failing])
    counts[free] = tree.query_ball_point(xy[free], r_mm * (1 + 1e-12), return_length=True,
                                            workers=-1)
    return counts


def classify_sheet(deck: BinDeck, cells: SheetInput, xy: np.ndarray, area_mm2: float,
                   sheet: str) -> SheetBins:
    """The bin of every cell: the first bin whose rule takes it."""
    n = len(cells.tested)
    b = np.full(n, -1, np.int16)
    passed = np.array([x.passed for x in deck.bins])
    untested_idx = next((i for i, x in enumerate(deck.bins) if x.rule == "untested"), -1)
    texts: list[str] = []
    dyn: list[DynamicLimit] = []
    for i, rule in enumerate(deck.bins):
        free = b < 0
        text: str = rule.rule
        if rule.rule == "duplicate":
            take = free & cells.duplicate
        elif rule.rule == "non_numeric":
            take = free & cells.tested & cells.bad
        elif rule.rule == "untested":
            take = free & ~cells.tested
        elif rule.rule == "no_match":
            take = np.zeros(n, bool)
        elif rule.rule == "spec":
            v = cells.values[str(rule.parameter)]
            with np.errstate(invalid="ignore"):
                out = np.zeros(n, bool)
                if rule.low is not None:
                    out |= v < rule.low
                if rule.high is not None:
                    out |= v > rule.high
            take = free & out
            text = spec_text(rule)
        elif rule.rule == "dynamic":
            v = cells.values[str(rule.parameter)]
            pop = free & np.isfinite(v)
            k = float(rule.k or 0)
            if int(pop.sum()) >= rule.min_cells:
                q1, med, q3 = (float(q) for q in np.percentile(v[pop], [25, 50, 75]))
                sigma = (q3 - q1) / IQR_TO_SIGMA
                lo, hi = med - k * sigma, med + k * sigma
                out = np.zeros(n, bool)
                if rule.side in ("both", "low"):
                    out |= v < lo
                if rule.side in ("both", "high"):
                    out |= v > hi
                take = pop & out
                dyn.append(DynamicLimit(rule.name, str(rule.parameter), int(pop.sum()), med,
                                        sigma, lo, hi, True))
                text = (f"{rule.parameter} outside [{lo:.6g}, {hi:.6g}] (median {med:.6g} +- "
                        f"{k:g} sigma, sheet {sheet})")
            else:
                take = np.zeros(n, bool)
                nan = float("nan")
                dyn.append(DynamicLimit(rule.name, str(rule.parameter), int(pop.sum()), nan,
                                        nan, nan, nan, False))
                text = f"{rule.parameter} dynamic limits skipped (fewer than {rule.min_cells})"
        elif rule.rule == "neighbourhood":
            failing = (b >= 0) & ~passed[np.maximum(b, 0)] & (b != untested_idx)
            r_mm = nm_to_mm(rule.radius_nm)
            counts = _neighbour_counts(free, failing, xy, r_mm, area_mm2)
            take = free & (counts >= int(rule.min_failing or 0))
            text = f">= {rule.min_failing} failing cells within {r_mm:g} mm"
        else:  # pass
            take = free
            text = "passes every test"
        b[take] = i
        texts.append(text)
    return SheetBins(b, tuple(texts), tuple(dyn))
