"""Job files (TOML): a product target, its rule decks, the sheet, the lot and the outputs."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import (
    Field,
    ValidationError,
    model_validator,
)

from layoutgen import schema
from layoutgen.deck import _clip, error_text
from layoutgen.errors import LayoutgenError
from layoutgen.fileio import load_toml
from layoutgen.schema import Settings
from layoutgen.sizing import MAX_CAPACITY_MAH, MAX_LAYERS, MAX_LENGTH_MM, MAX_THICKNESS_MM

FORMATS = ("gds", "oasis", "ngc", "gcode", "dxf", "svg", "json")


class ProductSpec(Settings):
    """What the product must be."""

    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$",
        description="Product name (1 to 64 letters, digits, _ . -), used in the file names")
    shape: Literal["rect", "rounded", "circle", "polygon"] = Field(default="rect",
        description=("Product outline: a rectangle, a rounded rectangle, a circle, or a polygon "
                     "from a file"))
    footprint: str = Field(default="", max_length=100, json_schema_extra={"unit": "mm"},
        description=("Product footprint WxH, e.g. '10x10' (the diameter for a circle; unused for "
                     "a polygon)"))
    corner_radius_mm: float = Field(default=0.0, ge=0, le=MAX_LENGTH_MM / 2,
        description="Corner radius of a rounded outline")
    polygon: str = Field(default="",
        description=("Outline file of a polygon product (.dxf, .wkt or .txt; relative to the job "
                     "file)"))
    capacity_mah: float | None = Field(default=None, gt=0, le=MAX_CAPACITY_MAH,
        description="Capacity the product must still deliver at end of life (give this or layers)")
    layers: int | None = Field(default=None, ge=1, le=MAX_LAYERS,
        description="Stacked cell layers (give this or capacity_mah)")
    max_thickness_mm: float | None = Field(default=None, gt=0, le=MAX_THICKNESS_MM,
        description="Most product thickness allowed (none: no limit)")
    retention: float = Field(default=1.0, gt=0, le=1, json_schema_extra={"unit": "fraction"},
        description="Share of the initial capacity left at end of life (capacity_mah is met then)")

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


class RulesSpec(Settings):
    """Rule decks and overrides on top of the shipped default deck."""

    decks: tuple[str, ...] = Field(default=(),
        description=("Rule decks over the shipped default, later wins (files relative to the job "
                     "file, or shipped deck names)"))
    set: tuple[str, ...] = Field(default=(),
        description="Deck overrides section.key=value, applied after the decks")


class SheetSpecIn(Settings):
    """The sheet, when it differs from the deck's [sheet]."""

    width_mm: float | None = Field(default=None, gt=0,
        description="Sheet width, x: across the web (none: the deck's sheet.width_mm)")
    length_mm: float | None = Field(default=None, gt=0,
        description="Sheet length, y: along the web (none: the deck's sheet.length_mm)")
    edge_x_mm: float | None = Field(default=None, ge=0,
        description="Edge exclusion at the web edges (none: the deck's sheet.edge_x_mm)")
    edge_y_mm: float | None = Field(default=None, ge=0,
        description="Edge exclusion at the frame ends (none: the deck's sheet.edge_y_mm)")
    roll_length_m: float | None = Field(default=None, gt=0,
        description="Roll length, for lot planning (none: the deck's sheet.roll_length_m)")


class LotSpec(Settings):
    """The production lot."""

    products: int = Field(default=1000, ge=1, le=10**9,
        description="Products the lot must deliver")
    cell_yield: float = Field(default=0.9, gt=0, le=1, json_schema_extra={"unit": "fraction"},
        description="Share of the cells that pass test")


class OutputSpec(Settings):
    """What files a run writes."""

    formats: tuple[Literal["gds", "oasis", "ngc", "gcode", "dxf", "svg", "json", "lbrn2"],
                   ...] = Field(
        default=("gds", "ngc", "gcode", "dxf", "svg", "json", "lbrn2"),
        description="Files to write beside the layout and the report")


class TesterSpec(Settings):
    """Tester maps of sheets patterned to this job: bin them, steer the laser, stack the cells."""

    maps: tuple[str, ...] = Field(default=(),
        description=("Tester maps (CSV or Parquet, relative to the job file; see layoutgen bin); "
                     "none: the run has no bin or stack stage"))
    bins: tuple[str, ...] = Field(default=(),
        description="Bin decks over the shipped default, later wins (relative to the job file)")
    rejects: Literal["none", "mark", "skip"] = Field(default="none",
        description=("What the laser job does with the failing cells of the sheet it cuts: "
                     "nothing, a reject cross on each, or leave their singulation out"))
    sheet: str = Field(default="", max_length=200,
        description=("The sheet id (in the maps) this laser job cuts; needed for rejects when "
                     "the maps hold several sheets"))
    stack: bool = Field(default=True,
        description="Build matched stacks from the passing cells and plan the lot from them")
    stack_limits: str = Field(default="", max_length=4096,
        description="A stacking limits file (layoutgen stack --limits; empty: the defaults)")


class Job(Settings):
    """A whole job file."""

    product: ProductSpec
    rules: RulesSpec = RulesSpec()
    sheet: SheetSpecIn = SheetSpecIn()
    lot: LotSpec = LotSpec()
    outputs: OutputSpec = OutputSpec()
    test: TesterSpec = TesterSpec()
    base_dir: str = Field(default=".", json_schema_extra={"internal": True},
                          description="Folder of the job file (set by load_job)")
    source: str = Field(default="job", json_schema_extra={"internal": True},
                        description="The job file, as messages name it (set by load_job)")

    def deck_flags(self) -> list[tuple[str, dict[str, Any]]]:
        """The job's sheet values as deck overrides (errors name the job file)."""
        sheet = {k: v for k, v in self.sheet.model_dump().items() if v is not None}
        return [(self.source, {"sheet": sheet})] if sheet else []

    def deck_overrides(self) -> list[tuple[str, str]]:
        """The job's rules.set entries as (source, text) deck overrides."""
        return [(f"{self.source}: rules.set {_clip(t)!r}", t) for t in self.rules.set]

    def path(self, rel: str) -> Path:
        p = Path(rel)
        return p if p.is_absolute() else Path(self.base_dir) / p


def load_job(path: str | Path) -> Job:
    """Read and validate a job file; errors name the file and the key."""

    p = Path(path)
    try:
        data = load_toml(p, "job file")
    except FileNotFoundError:
        raise LayoutgenError(f"{p}: job file not found") from None
    for key in ("base_dir", "source"):
        if key in data:
            raise LayoutgenError(f"{p}: unknown key {key!r}")
    data["base_dir"] = str(p.resolve().parent)
    data["source"] = str(p)
    try:
        return Job.model_validate(data)
    except ValidationError as exc:
        raise _explain_job(exc, p) from None


def _explain_job(exc: ValidationError, path: Path) -> LayoutgenError:
    """One line naming the job file, the key, the value (%g) and what is allowed."""
    loc, msg, value = error_text(exc.errors()[0])
    if not loc:
        return LayoutgenError(f"{path}: {msg}")
    if msg == "unknown key":
        return LayoutgenError(f"{path}: {loc}: unknown key")
    return LayoutgenError(f"{path}: {loc}{' = ' + value if value else ''}: {msg}")


def reference_markdown() -> str:
    """The README's job-file reference: every table and key of a job file as Markdown tables,
    from the schema (defaults: the model's own)."""
    return schema.markdown(schema.section_docs(Job, description="A whole job file."))
