"""The one display formatter: how every number reads in CLI tables and in the report (files use
`export/numbers`).

Whole numbers are ,-grouped (2,845); other numbers show 4 significant digits below 10,000
(0.5037, 551.3, 1,164) and whole ,-grouped units from there (39,600), never exponent notation.
Files (summary.json, CSV) keep their own exact rendering; this is for people.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

SIGNIFICANT = 4


def fmt_number(value: float) -> str:
    """One number for display: 2,845; 0.5037; 551.3; 39,600; never '3.96e+04'."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    v = float(value)
    if v == 0 or not math.isfinite(v):
        return f"{v:g}"
    if abs(float(f"{v:.{SIGNIFICANT}g}")) >= 10 ** SIGNIFICANT:  # 9999.7 rounds up to 10,000
        return f"{v:,.0f}"
    if abs(v) >= 10.0 ** -SIGNIFICANT:
        return f"{v:,.{SIGNIFICANT}g}"
    decimals = SIGNIFICANT - 1 - math.floor(math.log10(abs(v)))
    return f"{v:.{decimals}f}".rstrip("0").rstrip(".")


def fmt(value: object) -> str:
    """A table value for display: numbers by `fmt_number`, sizes as 'W x H', text as is."""
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value)
    if isinstance(value, int | float):
        return fmt_number(value)
    if isinstance(value, Sequence) and not isinstance(value, str):
        return " x ".join(fmt(v) for v in value)
    return str(value)
