"""Stack limits (deck keys `stack.*` of the stacking stage): matching windows and the N rule."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from layoutgen.deck import _parse_override, error_text, shown
from layoutgen.errors import LayoutgenError
from layoutgen.fileio import load_toml
from layoutgen.schema import strict_number


class StackLimits(BaseModel):
    """How closely the cells of one parallel stack must match, and how many it holds."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    max_impedance_spread: float = Field(
        default=0.10, ge=0, le=10,
        description="Largest impedance spread inside a stack, max/min - 1 (0.10 = 10 %).")
    max_ocv_spread_mv: float = Field(
        default=20.0, ge=0, le=10000,
        description="Largest open-circuit-voltage spread inside a stack, max - min, mV.")
    cells: Literal["fixed", "free"] = Field(
        default="fixed",
        description="N rule: 'fixed' = the product's layer count; 'free' = any count whose "
                    "package stays within the maximum thickness.")
    confidence: float = Field(
        default=0.95, ge=0.5, le=0.999,
        description="Lot plan: probability that the stated number of more sheets completes "
                    "the order (bootstrap over the measured sheets).")
    seed: int = Field(default=0, ge=0, le=2**31 - 1,
                      description="Seed of the lot plan's bootstrap (deterministic output).")

    @field_validator("max_impedance_spread", "max_ocv_spread_mv")
    @classmethod
    def _on_grid(cls, v: float, info: ValidationInfo) -> float:
        """Limits are compared exactly: the impedance spread on a 1e-6 grid, OCV on 1 uV."""
        places = 6 if info.field_name == "max_impedance_spread" else 3
        if Decimal(repr(float(v))) % Decimal(10) ** -places:
            raise ValueError(f"give at most {places} decimals")
        return v

    @property
    def impedance_ppm(self) -> int:
        """The impedance spread limit in parts per million (exact integer comparisons)."""
        return int(round(self.max_impedance_spread * 1_000_000))

    @property
    def ocv_uv(self) -> int:
        """The OCV spread limit in microvolts."""
        return int(round(self.max_ocv_spread_mv * 1000))


KEYS = tuple(StackLimits.model_fields)


def _kind(name: str) -> str | None:
    ann = StackLimits.model_fields[name].annotation
    return {float: "float", int: "int"}.get(ann)  # type: ignore[arg-type]


def is_limit_key(text: str) -> bool:
    """True for an override 'stack.KEY=VALUE' whose KEY is a stack limit (not a film key)."""
    key = text.split("=", 1)[0].strip()
    return key.startswith("stack.") and key.removeprefix("stack.") in KEYS


def load_limits(path: str | Path | None = None, sets: list[str] | tuple[str, ...] = ()
                ) -> StackLimits:
    """Defaults <- a TOML file ([stack] table or top-level keys) <- 'stack.KEY=VALUE' overrides;
    errors name the file or the --set and the key, with the allowed range."""
    data: dict[str, Any] = {}
    origin: dict[str, str] = {}
    if path is not None:
        try:
            raw = load_toml(path, "stack limits file")
        except FileNotFoundError:
            raise LayoutgenError(f"{path}: stack limits file not found") from None
        table = raw.get("stack", raw) if set(raw) <= {"stack"} else raw
        if not isinstance(table, dict):
            raise LayoutgenError(f"{path}: 'stack' must be a table [stack]")
        for k, v in table.items():
            data[k] = v
            origin[k] = str(path)
    for text in sets:
        source = f"--set {text[:60]}"
        key, value = _parse_override(text, source)
        if not key.startswith("stack."):
            raise LayoutgenError(f"{source}: not a stack limit (allowed: "
                                 f"{', '.join('stack.' + k for k in KEYS)})")
        data[key.removeprefix("stack.")] = value
        origin[key.removeprefix("stack.")] = source
    for k, v in data.items():
        if k not in KEYS:
            raise LayoutgenError(f"{origin[k]}: unknown stack limit {k!r} (allowed: "
                                 f"{', '.join(KEYS)}; or a film key of the deck's [stack])")
        try:
            strict_number(v, _kind(k))
        except ValueError as exc:
            raise LayoutgenError(f"{origin[k]}: stack.{k} = {shown(v)}: {exc}") from None
    try:
        return StackLimits.model_validate(data)
    except ValidationError as exc:
        loc, msg, value = error_text(exc.errors()[0])
        key = loc.split(".")[-1] if loc else ""
        where = origin.get(key, "stack limits")
        raise LayoutgenError(f"{where}: stack.{key}{' = ' + value if value else ''}: "
                             f"{msg}") from None


def limits_table() -> list[tuple[str, str, str]]:
    """(key, default, description) rows for the docs and --help."""
    rows = []
    for name, f in StackLimits.model_fields.items():
        rows.append((f"stack.{name}", shown(f.default), f.description or ""))
    return rows
