"""Units of measured values, read from the column name's suffix (`ocv_v`, `impedance_ohm`)."""

from __future__ import annotations

from layoutgen.errors import LayoutgenError

# suffix -> unit shown on colour bars and in tables (longest suffixes are tried first)
UNITS: dict[str, str] = {
    "mv_per_day": "mV/day", "v_per_day": "V/day", "pct_per_day": "%/day",
    "v": "V", "mv": "mV", "uv": "uV",
    "ohm": "ohm", "mohm": "mohm", "kohm": "kohm",
    "a": "A", "ma": "mA", "ua": "uA", "na": "nA",
    "ah": "Ah", "mah": "mAh", "uah": "uAh",
    "wh": "Wh", "mwh": "mWh",
    "s": "s", "ms": "ms", "h": "h",
    "c": "degC", "pct": "%", "hz": "Hz", "khz": "kHz",
    "f": "F", "mf": "mF", "uf": "uF", "nf": "nF",
    "mm": "mm", "um": "um", "nm": "nm", "g": "g", "mg": "mg", "count": "count",
}
_SUFFIXES = sorted(UNITS, key=len, reverse=True)
KNOWN = ", ".join(sorted(UNITS))


def unit_of(column: str) -> str | None:
    """The unit named by a column's suffix (`ocv_v` -> 'V'), or None if it names none we know."""
    low = column.lower()
    for sfx in _SUFFIXES:
        if low.endswith("_" + sfx) and len(low) > len(sfx) + 1:
            return UNITS[sfx]
    return None


def require_unit(column: str, where: str) -> str:
    """The unit of a measured column, or a one-line error listing the known units."""
    unit = unit_of(column)
    if unit is None:
        raise LayoutgenError(
            f"{where}: column {column!r}: no known unit in its name (name measured values "
            f"<quantity>_<unit>, e.g. ocv_v, impedance_ohm; units: {KNOWN}; test conditions "
            "go in columns named condition or condition_<name>)")
    return unit
