"""Job files (TOML): a product target, its rule decks, the sheet, the lot and the outputs."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from layoutgen.errors import LayoutgenError

FORMATS = ("gds", "oasis", "ngc", "gcode", "dxf", "svg", "json")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProductSpec(_Section):
    """What the product must be."""

    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    shape: Literal["rect", "rounded", "circle", "polygon"] = "rect"
    footprint: str = ""
    corner_radius_mm: float = Field(default=0.0, ge=0)
    polygon: str = ""
    capacity_mah: float | None = Field(default=None, gt=0)
    layers: int | None = Field(default=None, ge=1)
    max_thickness_mm: float | None = Field(default=None, gt=0)
    retention: float = Field(default=1.0, gt=0, le=1)

    @model_validator(mode="after")
    def _consistent(self) -> ProductSpec:
        if self.shape == "polygon":
            if not self.polygon:
                raise ValueError("shape = 'polygon' needs polygon = 'FILE.dxf' (or .wkt)")
        elif not self.footprint:
            raise ValueError("footprint is required (e.g. '10x10', or the diameter for a circle)")
        if self.capacity_mah is not None and self.layers is not None:
            raise ValueError("give capacity_mah or layers, not both")
        return self


class RulesSpec(_Section):
    decks: tuple[str, ...] = ()
    set: tuple[str, ...] = ()


class SheetSpecIn(_Section):
    width_mm: float | None = Field(default=None, gt=0)
    length_mm: float | None = Field(default=None, gt=0)
    edge_x_mm: float | None = Field(default=None, ge=0)
    edge_y_mm: float | None = Field(default=None, ge=0)
    roll_length_m: float | None = Field(default=None, gt=0)


class LotSpec(_Section):
    products: int = Field(default=1000, ge=1)
    cell_yield: float = Field(default=0.9, gt=0, le=1)


class OutputSpec(_Section):
    formats: tuple[Literal["gds", "oasis", "ngc", "gcode", "dxf", "svg", "json"], ...] = (
        "gds", "ngc", "gcode", "dxf", "svg", "json")


class Job(_Section):
    """A whole job file."""

    product: ProductSpec
    rules: RulesSpec = RulesSpec()
    sheet: SheetSpecIn = SheetSpecIn()
    lot: LotSpec = LotSpec()
    outputs: OutputSpec = OutputSpec()
    base_dir: str = "."

    def deck_flags(self) -> list[tuple[str, dict[str, Any]]]:
        """The job's sheet values as deck overrides."""
        sheet = {k: v for k, v in self.sheet.model_dump().items() if v is not None}
        return [("job [sheet]", {"sheet": sheet})] if sheet else []

    def path(self, rel: str) -> Path:
        p = Path(rel)
        return p if p.is_absolute() else Path(self.base_dir) / p


def load_job(path: str | Path) -> Job:
    """Read and validate a job file; errors name the file and the key."""
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LayoutgenError(f"{p}: job file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise LayoutgenError(f"{p}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise LayoutgenError(f"{p}: cannot read job file: {exc.strerror}") from None
    if "base_dir" in data:
        raise LayoutgenError(f"{p}: unknown key 'base_dir'")
    data["base_dir"] = str(p.resolve().parent)
    try:
        return Job.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(x) for x in err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        got = err.get("input")
        shown = "" if isinstance(got, dict) or err["type"] == "missing" else f" (got {got!r})"
        raise LayoutgenError(f"{p}: {loc + ': ' if loc else ''}{msg}{shown}") from None
