"""Length parsing: "10mm", "500um", "1.2" (mm by default) -> millimetres."""

from __future__ import annotations

import re

from layoutgen.errors import LayoutgenError

_FACTORS_MM = {
    "mm": 1.0, "um": 1e-3, "µm": 1e-3, "cm": 10.0, "m": 1000.0, "in": 25.4, "mil": 0.0254,
}
_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_LENGTH_RE = re.compile(rf"^\s*({_NUMBER})\s*([a-zA-Zµ]*)\s*$")


def parse_length(text: str | float | int, what: str = "length") -> float:
    """Parse a length with an optional unit suffix into millimetres."""
    if isinstance(text, int | float):
        return float(text)
    match = _LENGTH_RE.match(str(text))
    if not match:
        raise LayoutgenError(
            f"{what}: cannot read {text!r} as a length (a number with an optional unit: "
            f"{', '.join(sorted(_FACTORS_MM))}; mm by default)"
        )
    value, unit = float(match.group(1)), match.group(2).lower() or "mm"
    if unit not in _FACTORS_MM:
        raise LayoutgenError(
            f"{what}: unknown unit {match.group(2)!r} in {text!r} "
            f"(allowed: {', '.join(sorted(_FACTORS_MM))})"
        )
    return value * _FACTORS_MM[unit]


def parse_size(text: str, what: str = "size", allow_single: bool = True) -> tuple[float, float]:
    """Parse "10x8", "10mmx8mm" or (if allowed) "12" into (x, y) millimetres."""
    parts = re.split(r"\s*[xX×*]\s*", str(text).strip())
    if len(parts) == 1 and allow_single:
        v = parse_length(parts[0], what)
        return v, v
    if len(parts) != 2:
        raise LayoutgenError(f"{what}: cannot read {text!r} as a size (expected WxH, e.g. 10x8)")
    return parse_length(parts[0], what), parse_length(parts[1], what)


def parse_positive_length(text: str | float, what: str) -> float:
    """A length that must be > 0."""
    v = parse_length(text, what)
    if not v > 0:
        raise LayoutgenError(f"{what}: must be > 0, got {text!r}")
    return v
