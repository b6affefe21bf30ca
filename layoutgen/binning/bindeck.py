"""The bin deck: ordered bins with their rules, tester-map matching and zone settings.

A deck is TOML. The shipped `rules/bins_default.toml` is the base; each `--rules` file is merged
over it in turn (tables key by key; a file that gives `[[bin]]` replaces the whole bin list, as
the order of bins is the order of tests). Bins are tried in order and the first bin whose rule
takes a cell decides, as on a tester: the input problems (`no_match`, `duplicate`,
`non_numeric`, `untested`) first, then spec limits, dynamic (part-average) limits and the
neighbourhood rule, and last the one `pass` bin that takes every cell left.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from layoutgen.binning.units import require_unit
from layoutgen.errors import LayoutgenError
from layoutgen.fileio import load_toml
from layoutgen.units import to_nm

PROBLEM_RULES = ("no_match", "duplicate", "non_numeric", "untested")
RULES = (*PROBLEM_RULES, "spec", "dynamic", "neighbourhood", "pass")
ORIGINS = ("lower_left", "lower_right", "upper_left", "upper_right")
AXES = ("up_right", "up_left", "down_right", "down_left")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Bin(_Model):
    """One bin: a code, a name, pass or fail, and the rule that puts a cell in it."""

    code: int = Field(ge=0, le=254)
    name: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$")
    passed: bool = Field(alias="pass")
    rule: Literal["no_match", "duplicate", "non_numeric", "untested", "spec", "dynamic",
                  "neighbourhood", "pass"]
    parameter: str | None = None
    low: float | None = None
    high: float | None = None
    k: float | None = Field(default=None, gt=0, le=100)
    side: Literal["both", "low", "high"] = "both"
    min_cells: int = Field(default=20, ge=5, le=10**9)
    radius_mm: float | str | None = None
    min_failing: int | None = Field(default=None, ge=1, le=1000)
    description: str = Field(default="", max_length=200)

    @model_validator(mode="after")
    def _fields_of_rule(self) -> Bin:
        r = self.rule
        given = {f for f in ("parameter", "low", "high", "k", "radius_mm", "min_failing")
                 if getattr(self, f) is not None}
        needs: dict[str, set[str]] = {"spec": {"parameter"}, "dynamic": {"parameter", "k"},
                                      "neighbourhood": {"radius_mm", "min_failing"}}
        allowed: dict[str, set[str]] = {"spec": {"parameter", "low", "high"},
                                        "dynamic": {"parameter", "k"},
                                        "neighbourhood": {"radius_mm", "min_failing"}}
        missing = needs.get(r, set()) - given
        if missing:
            raise ValueError(f"a {r} bin needs {', '.join(sorted(missing))}")
        extra = given - allowed.get(r, set())
        if extra:
            raise ValueError(f"a {r} bin takes no {', '.join(sorted(extra))}")
        if r == "spec":
            if self.low is None and self.high is None:
                raise ValueError("a spec bin needs low, high or both (the pass window)")
            if self.low is not None and self.high is not None and not self.low < self.high:
                raise ValueError(f"low {self.low:g} must be below high {self.high:g}")
        if r in PROBLEM_RULES and self.passed:
            raise ValueError(f"a {r} bin cannot be a pass bin")
        if r == "pass" and not self.passed:
            raise ValueError("the pass bin must have pass = true")
        return self

    @property
    def radius_nm(self) -> int:
        return to_nm(self.radius_mm if self.radius_mm is not None else 0, "mm",
                     f"bin {self.name}: radius_mm")


class Match(_Model):
    """How tester rows find their cell."""

    tolerance_mm: float | str = 0.5  # x,y matching: farthest a pad may be from the tester point
    unmatched: Literal["bin", "refuse"] = "bin"
    duplicate: Literal["bin", "refuse"] = "bin"
    non_numeric: Literal["bin", "refuse"] = "bin"
    untested: Literal["bin", "refuse"] = "bin"

    @property
    def tolerance_nm(self) -> int:
        return to_nm(self.tolerance_mm, "mm", "match.tolerance_mm")


class Transform(_Model):
    """Tester coordinates -> sheet coordinates, the SEMI E142 way (origin corner, axes)."""

    origin: Literal["lower_left", "lower_right", "upper_left", "upper_right"] = "lower_left"
    axis_direction: Literal["up_right", "up_left", "down_right", "down_left"] = "up_right"
    rotation_deg: int = 0
    offset_mm: list[float | str] = Field(default=[0.0, 0.0], min_length=2, max_length=2)

    @model_validator(mode="after")
    def _quarter_turns(self) -> Transform:
        if self.rotation_deg % 90 or not 0 <= self.rotation_deg < 360:
            raise ValueError(f"rotation_deg {self.rotation_deg}: allowed 0, 90, 180, 270")
        return self


class Zones(_Model):
    """Zones yield is read by."""

    ring_mm: float | str = 10  # width of each edge ring (distance of a cell centre to the edge)
    rings: int = Field(default=5, ge=1, le=100)  # the last ring holds everything farther in
    bands_across: int = Field(default=5, ge=1, le=100)  # lanes across the web (along x)
    bands_along: int = Field(default=5, ge=1, le=100)  # bands along the web (along y)

    @property
    def ring_nm(self) -> int:
        n = to_nm(self.ring_mm, "mm", "zones.ring_mm")
        if n <= 0:
            raise LayoutgenError(f"zones.ring_mm = {self.ring_mm}: must be > 0 mm")
        return n


class Pictures(_Model):
    """Which pictures are drawn."""

    max_sheets: int = Field(default=12, ge=0, le=10_000)  # per-sheet maps for the first N


class BinDeck(_Model):
    """The whole bin deck."""

    name: str = "bins"
    match: Match = Match()
    transform: Transform = Transform()
    zones: Zones = Zones()
    pictures: Pictures = Pictures()
    bins: list[Bin] = Field(alias="bin", min_length=1)

    @property
    def parameters(self) -> tuple[str, ...]:
        """The measured columns the deck tests, in order of first use."""
        seen: dict[str, None] = {}
        for b in self.bins:
            if b.parameter is not None:
                seen.setdefault(b.parameter, None)
        return tuple(seen)

    def of_rule(self, rule: str) -> Bin | None:
        return next((b for b in self.bins if b.rule == rule), None)


@dataclass(frozen=True)
class LoadedDeck:
    """A validated deck and the files it was composed from."""

    deck: BinDeck
    sources: tuple[str, ...]


def default_bins_path() -> Path:
    """The shipped bin deck (installed as package data, or beside the source tree)."""
    try:
        p = Path(str(resources.files("layoutgen.rules").joinpath("bins_default.toml")))
        if p.is_file():
            return p
    except (ModuleNotFoundError, TypeError):
        pass
    return Path(__file__).resolve().parents[2] / "rules" / "bins_default.toml"


def _merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for k, v in top.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def _loc(err: dict[str, Any], data: dict[str, Any]) -> str:
    parts: list[str] = []
    bins = data.get("bin")
    loc = list(err.get("loc", ()))
    if len(loc) >= 2 and loc[0] == "bin" and isinstance(loc[1], int) and isinstance(bins, list):
        b = bins[loc[1]] if loc[1] < len(bins) else {}
        name = b.get("name", "?") if isinstance(b, dict) else "?"
        parts.append(f"bin {loc[1] + 1} ({name})")
        loc = loc[2:]
    parts.extend(str(x) for x in loc)
    return ".".join(parts) or "deck"


def _validate(data: dict[str, Any], source: str) -> BinDeck:
    try:
        deck = BinDeck.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = _loc(dict(err), data)
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        raise LayoutgenError(f"{source}: {where}: {msg}") from None
    check_order(deck, source)
    return deck


def check_order(deck: BinDeck, source: str) -> None:
    """Refuse a deck whose bins clash: repeated codes or names, problem bins after value
    bins, a rule given twice that can be given once, a bin no cell can reach (an earlier bin
    already takes every cell it would), no pass bin or a bin after it."""
    codes: dict[int, str] = {}
    names: set[str] = set()
    seen_value = False
    once: set[str] = set()
    for i, b in enumerate(deck.bins):
        tag = f"{source}: bin {i + 1} ({b.name})"
        if b.code in codes:
            raise LayoutgenError(f"{tag}: code {b.code} already used by bin {codes[b.code]!r}; "
                                 "give each bin its own code")
        if b.name in names:
            raise LayoutgenError(f"{tag}: name used twice; give each bin its own name")
        codes[b.code] = b.name
        names.add(b.name)
        if b.rule in (*PROBLEM_RULES, "pass"):
            if b.rule in once:
                raise LayoutgenError(f"{tag}: a second {b.rule} bin would never be reached; "
                                     "give one")
            once.add(b.rule)
        if b.rule in PROBLEM_RULES and seen_value:
            raise LayoutgenError(f"{tag}: {b.rule} bins come before the spec, dynamic and "
                                 "neighbourhood bins (a cell without a value cannot be tested)")
        if b.rule in ("spec", "dynamic", "neighbourhood"):
            seen_value = True
        if b.parameter is not None:
            require_unit(b.parameter, f"{tag}: parameter")
        shadow = _shadowed_by(deck.bins[:i], b)
        if shadow is not None:
            raise LayoutgenError(f"{tag}: overlaps bin {shadow!r} so that no cell can reach it "
                                 "(the earlier bin takes every cell it would); widen or "
                                 "reorder the limits")
    last = deck.bins[-1]
    if last.rule != "pass":
        raise LayoutgenError(f"{source}: the last bin must be the pass bin (rule = \"pass\"), "
                             f"not {last.name!r}: it takes every cell no earlier bin took")


def _shadowed_by(before: list[Bin], b: Bin) -> str | None:
    """The name of an earlier bin that takes every cell `b` would take, if any."""
    for a in before:
        if b.rule == "spec" and a.rule == "spec" and a.parameter == b.parameter:
            low_covered = b.low is None or (a.low is not None and a.low >= b.low)
            high_covered = b.high is None or (a.high is not None and a.high <= b.high)
            if low_covered and high_covered:
                return a.name
        if b.rule == "dynamic" and a.rule == "dynamic" and a.parameter == b.parameter:
            if a.k is not None and b.k is not None and a.k <= b.k:
                return a.name
    return None


def transform_overrides(texts: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """`--transform key=value` texts as a [transform] table (offset_mm as 'dx,dy' in mm)."""
    out: dict[str, Any] = {}
    for t in texts:
        key, sep, value = t.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or key not in Transform.model_fields:
            raise LayoutgenError(f"--transform {t!r}: give key=value with key one of "
                                 f"{', '.join(Transform.model_fields)}")
        if key == "rotation_deg":
            try:
                out[key] = int(value)
            except ValueError:
                raise LayoutgenError(f"--transform {t!r}: rotation_deg is 0, 90, 180 or "
                                     "270") from None
        elif key == "offset_mm":
            parts = [p.strip() for p in value.split(",")]
            if len(parts) != 2:
                raise LayoutgenError(f"--transform {t!r}: offset_mm is 'dx,dy' in mm")
            out[key] = parts
        else:
            out[key] = value
    return out


def load_bin_deck(paths: list[Path] | tuple[Path, ...] | None = None,
                  transform: dict[str, Any] | None = None) -> LoadedDeck:
    """The shipped deck with each given file merged over it in turn (then the [transform]
    overrides), validated."""
    base_path = default_bins_path()
    try:
        data = load_toml(base_path, "bin deck")
    except FileNotFoundError:
        raise LayoutgenError(f"{base_path}: the shipped bin deck is missing "
                             "(reinstall layoutgen)") from None
    sources = ["bins_default.toml (shipped)"]  # no install path in the outputs
    for p in paths or ():
        try:
            top = load_toml(p, "bin deck")
        except FileNotFoundError:
            raise LayoutgenError(f"{p}: cannot read the bin deck: no such file") from None
        data = _merge(data, top)
        sources.append(str(p))
    if transform:
        data = _merge(data, {"transform": transform})
        sources.append("--transform")
    return LoadedDeck(_validate(data, sources[-1] if len(sources) > 1 else str(base_path)),
                      tuple(sources))
