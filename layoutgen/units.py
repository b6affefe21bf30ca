"""Lengths on the 1 nm grid: "10mm", "500um", "16.8" (mm by default) -> integer nanometres.

A length is read from its decimal text (never through a binary float) and held as an integer
count of database units (`NM_PER_MM` per mm, the GDS grid). A length finer than 1 nm is
refused. Floats in millimetres elsewhere in layoutgen are the correctly rounded images of such
integers (`nm_to_mm`); `mm_to_nm` brings them back exactly, and every decision that can gain or
lose a cell is integer arithmetic on these counts.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation

from layoutgen.errors import LayoutgenError

NM_PER_MM = 1_000_000
GRID = "1 nm"
_FACTORS_NM = {
    "mm": Decimal(10**6), "um": Decimal(10**3), "µm": Decimal(10**3), "nm": Decimal(1),
    "cm": Decimal(10**7), "m": Decimal(10**9), "in": Decimal(25_400_000),
    "mil": Decimal(25_400),
}
_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_LENGTH_RE = re.compile(rf"^\s*({_NUMBER})\s*([a-zA-Zµ]*)\s*$")
MAX_NM = 10**15  # one million km: any length past this is a typo, not a sheet
_UNITS = ", ".join(sorted(_FACTORS_NM, key=lambda u: _FACTORS_NM[u]))


def _on_grid(value: Decimal, text: object, what: str) -> int:
    if not value.is_finite() or abs(value) > MAX_NM:
        raise LayoutgenError(f"{what}: {text!r} is not a finite length below 10^9 m")
    n = int(value)
    if n != value:
        raise LayoutgenError(
            f"{what}: {text!r} is finer than the {GRID} grid lengths are held on "
            f"(give at most 6 decimals in mm, 3 in um)")
    return n


def decimal_of(value: object, what: str) -> Decimal:
    """The decimal a number stands for: its text, or a float's shortest round-trip repr."""
    if isinstance(value, bool):
        raise LayoutgenError(f"{what}: {value!r} is not a number")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise LayoutgenError(f"{what}: {value!r} is not a finite number")
        return Decimal(repr(value))
    try:
        return Decimal(str(value).strip())
    except InvalidOperation:
        raise LayoutgenError(f"{what}: cannot read {value!r} as a number") from None


def to_nm(value: object, unit: str = "mm", what: str = "length") -> int:
    """An exact length (int, Decimal, decimal text or a float's repr) in `unit` -> nm.

    Refuses a length finer than 1 nm, naming `what`.
    """
    return _on_grid(decimal_of(value, what) * _FACTORS_NM[unit], value, what)


def mm_to_nm(mm: float | int) -> int:
    """The nm count a millimetre float carries (it is the rounded image of one: exact)."""
    return int(round(float(mm) * NM_PER_MM))


def nm_to_mm(nm: int) -> float:
    """Nanometres -> millimetres, correctly rounded (for display and float kernels)."""
    return nm / NM_PER_MM


def parse_length_nm(text: str | float | int, what: str = "length") -> int:
    """Parse a length with an optional unit suffix (mm by default) into integer nm."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        return to_nm(text, "mm", what)
    match = _LENGTH_RE.match(str(text))
    if not match:
        raise LayoutgenError(
            f"{what}: cannot read {text!r} as a length (a number with an optional unit: "
            f"{_UNITS}; mm by default)"
        )
    unit = match.group(2) or "mm"
    if unit not in _FACTORS_NM and len(unit) > 1 and unit.isupper():
        unit = unit.lower()  # "MM", "UM": shouting, not another unit ("Mm" stays refused)
    if unit not in _FACTORS_NM:
        raise LayoutgenError(
            f"{what}: unknown unit {match.group(2)!r} in {text!r} (allowed: {_UNITS})"
        )
    return _on_grid(Decimal(match.group(1)) * _FACTORS_NM[unit], text, what)


def parse_length(text: str | float | int, what: str = "length") -> float:
    """Parse a length with an optional unit suffix into millimetres (on the 1 nm grid)."""
    return nm_to_mm(parse_length_nm(text, what))


def parse_size_nm(text: str, what: str = "size", allow_single: bool = True) -> tuple[int, int]:
    """Parse "10x8", "10mmx8mm" or (if allowed) "12" into (x, y) nanometres."""
    parts = re.split(r"\s*[xX×*]\s*", str(text).strip())
    if len(parts) == 1 and allow_single:
        v = parse_length_nm(parts[0], what)
        return v, v
    if len(parts) != 2:
        raise LayoutgenError(f"{what}: cannot read {text!r} as a size (expected WxH, e.g. 10x8)")
    return parse_length_nm(parts[0], what), parse_length_nm(parts[1], what)


def parse_size(text: str, what: str = "size", allow_single: bool = True) -> tuple[float, float]:
    """Parse "10x8", "10mmx8mm" or (if allowed) "12" into (x, y) millimetres."""
    x, y = parse_size_nm(text, what, allow_single)
    return nm_to_mm(x), nm_to_mm(y)


def parse_positive_length(text: str | float, what: str) -> float:
    """A length that must be > 0."""
    v = parse_length_nm(text, what)
    if not v > 0:
        raise LayoutgenError(f"{what}: must be > 0, got {text!r}")
    return nm_to_mm(v)
