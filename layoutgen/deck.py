"""The rule deck: one typed schema, loaded from TOML, merged in layers, overridden with --set.

Resolution order: the shipped default deck <- each --rules file in turn <- each --set override.
Every error names its source (file or flag), the key, and what is allowed.
"""

from __future__ import annotations

import copy
import difflib
import functools
import re
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import shapely
from pydantic import (
    BaseModel,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from layoutgen import schema, technology
from layoutgen.errors import LayoutgenError
from layoutgen.fileio import load_toml
from layoutgen.machine import Machine
from layoutgen.schema import Settings
from layoutgen.units import to_nm

Pos = Field(gt=0)
NonNeg = Field(ge=0)


class Stack(Settings):
    """Materials and films of one cell layer."""

    substrate_um: float = Field(gt=0, le=1000,
        description="Stainless-steel foil (the cathode current collector) thickness")
    cathode_um: float = Field(gt=0, le=1000, description="LiCoO2 cathode film thickness")
    cathode_capacity_uah_cm2_um: float = Field(gt=0, le=1000,
        description=("Cathode capacity per volume (LiCoO2: 137 mAh/g x 5.05 g/cm3 at a 4.2 V "
                     "cutoff = 69.2)"))
    utilization: float = Field(gt=0, le=1, json_schema_extra={"unit": "fraction"},
        description="Share of the cathode capacity delivered")
    voltage_v: float = Field(gt=0, le=10, description="Average discharge voltage")
    electrolyte_um: float = Field(ge=0, le=100, description="LiPON electrolyte film thickness")
    anode_cc_um: float = Field(ge=0, le=100,
        description="Anode current collector (sputtered metal) thickness")
    li_capacity_uah_cm2_um: float = Field(gt=0, le=1000,
        description=("Plated lithium capacity per volume (3860 mAh/g x 0.534 g/cm3 = 206.1): sets"
                     " its thickness"))
    charged_state: bool = Field(
        description=("true: count the plated lithium in every layer's thickness (charged); false:"
                     " the as-made stack"))
    insulator_um: float = Field(ge=0, le=1000,
        description="Insulating packaging film between stacked cells")
    adhesive_um: float = Field(ge=0, le=1000, description="Adhesive thickness per layer")


class Package(Settings):
    """What packaging adds around and on top of the cell stack."""

    border_mm: float = Field(ge=0, le=100,
        description="Product outline to cell outline (the singulation cut), each side")
    encapsulation_um: float = Field(ge=0, le=10000,
        description="Top plus bottom encapsulation, in total")
    termination_um: float = Field(ge=0, le=10000,
        description="SMT metallization / terminals added to the height")


class Process(Settings):
    """Process rules that decide a cell's active area inside its singulation outline."""

    singulation_clearance_um: float = Field(ge=0, le=10000,
        description="Singulation cut to the outer edge of the isolation scribe")
    isolation_width_um: float = Field(gt=0, le=10000,
        description=("Isolation scribe ring width (through anode CC, LiPON and LCO down to the "
                     "foil)"))
    electrolyte_overhang_um: float = Field(ge=0, le=10000,
        description="LiPON covers the cathode edge by this much")
    anode_cc_setback_um: float = Field(ge=0, le=10000,
        description="Anode collector edge set back inside the LiPON edge")


class Sheet(Settings):
    """The patterned sheet (one frame of the roll)."""

    width_mm: float = Field(gt=0, le=2100, description="Sheet width, x: across the web")
    length_mm: float = Field(gt=0, le=2100, description="Sheet (frame) length, y: along the web")
    edge_x_mm: float = Field(ge=0, le=1000,
        description="Edge exclusion at the two web edges (x = 0 and x = width)")
    edge_y_mm: float = Field(ge=0, le=1000,
        description="Edge exclusion at the two frame ends (y = 0 and y = length)")
    roll_length_m: float = Field(gt=0, le=100000, description="Roll length, for lot planning")

    @property
    def size_nm(self) -> tuple[int, int]:
        """Width and length in whole nm (read exactly from the decimals)."""
        return (to_nm(self.width_mm, "mm", "sheet.width_mm"),
                to_nm(self.length_mm, "mm", "sheet.length_mm"))

    @property
    def edges_nm(self) -> tuple[int, int]:
        """The edge exclusions along x and y in whole nm."""
        return (to_nm(self.edge_x_mm, "mm", "sheet.edge_x_mm"),
                to_nm(self.edge_y_mm, "mm", "sheet.edge_y_mm"))

    @property
    def usable_box_nm(self) -> tuple[int, int, int, int]:
        """The sheet minus the edge exclusion: x0, y0, x1, y1 in whole nm."""
        return usable_box_nm(*self.size_nm, *self.edges_nm)


def usable_box_nm(width_nm: int, length_nm: int, edge_x_nm: int,
                  edge_y_nm: int) -> tuple[int, int, int, int]:
    """The one definition of the usable box: the sheet minus its edge exclusions (nm)."""
    return edge_x_nm, edge_y_nm, width_nm - edge_x_nm, length_nm - edge_y_nm


class Keepout(Settings):
    """A keep-out in sheet coordinates: a rectangle (lower-left corner x, y and size w, h) or a
    polygon given as WKT; cells stay clearance_mm away from it."""

    x_mm: float = Field(default=0.0, ge=0, le=2100,
        description="Lower-left corner x of a rectangular keep-out, sheet coordinates")
    y_mm: float = Field(default=0.0, ge=0, le=2100,
        description="Lower-left corner y of a rectangular keep-out, sheet coordinates")
    w_mm: float = Field(default=0.0, ge=0, le=2100, description="Width of a rectangular keep-out")
    h_mm: float = Field(default=0.0, ge=0, le=2100, description="Height of a rectangular keep-out")
    wkt: str = Field(default="",
        description="The keep-out as a WKT polygon in sheet mm (instead of x/y/w/h)")
    clearance_mm: float = Field(default=0.0, ge=0, le=1000,
        description="Least distance from every cell to the keep-out")
    name: str = Field(default="keepout",
        description="Name the messages and the layout give the keep-out")

    @model_validator(mode="after")
    def _rect_or_polygon(self) -> Keepout:
        if not self.wkt and not (self.w_mm > 0 and self.h_mm > 0):
            raise ValueError("a keep-out needs w_mm > 0 and h_mm > 0, or a polygon in wkt")
        return self

    def geometry(self) -> shapely.Geometry:
        """The keep-out's shapely geometry in sheet mm (rectangle or WKT polygon): the one
        keep-out geometry the tiling, layout and DRC use."""
        if self.wkt:
            try:
                g = shapely.from_wkt(self.wkt)
            except shapely.errors.GEOSException as exc:
                raise LayoutgenError(f"tiling.keepouts {self.name}: cannot read WKT "
                                     f"({str(exc).splitlines()[0]})") from None
            if g is None or g.geom_type not in ("Polygon", "MultiPolygon") or not g.is_valid:
                raise LayoutgenError(
                    f"tiling.keepouts {self.name}: the WKT must be a valid polygon")
            return g
        return shapely.box(self.x_mm, self.y_mm, self.x_mm + self.w_mm, self.y_mm + self.h_mm)


class Tiling(Settings):
    """Placement rules."""

    kerf_um: float = Field(ge=0, le=100000, description="Least street between two cells")
    rotation: Literal["any", "0", "90"] = Field(
        description="Cell turns the packer may use: any, or only 0 or only 90 degrees")
    cut: Literal["free", "guillotine"] = Field(
        description="free: contour singulation; guillotine: edge-to-edge line cuts only")
    max_cells: int = Field(gt=0,
        description=("Most cells per sheet (estimated before packing); more is refused unless "
                     "--force"))
    max_polygon_vertices: int = Field(default=1000, gt=2,
        description=("Most polygon outline vertices after simplifying within "
                     "layout.chord_tolerance_um; more is refused unless --force"))
    max_nfp_pieces: int = Field(default=20000, gt=0,
        description=("Most convex-piece pairs of the no-fit polygons (an outline of n vertices: "
                     "about 4 (n - 2)^2); more is refused unless --force"))
    keepouts: tuple[Keepout, ...] = Field(default=(),
        description="Sheet regions no cell may come near, each inside the sheet")

    @field_validator("rotation", mode="before")
    @classmethod
    def _rotation_text(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int) and not isinstance(v, bool) else v


class Layout(Settings):
    """How the patterning layout is drawn."""

    chord_tolerance_um: float = Field(ge=0.01, le=1000,
        description="Largest sagitta of an arc drawn as a polygon")
    max_outline_vertices: int = Field(default=2000, gt=3,
        description=("Most vertices of one cell outline as drawn (curves at the chord tolerance);"
                     " more is refused unless --force"))
    pad_w_um: float = Field(gt=0, le=100000,
        description="Probe pad width (on the anode collector)")
    pad_h_um: float = Field(gt=0, le=100000,
        description="Probe pad height (on the anode collector)")
    pad_position: Literal["center", "corner"] = Field(
        description=("Probe pad place: the centre, or the lower-left corner inside the anode "
                     "collector"))
    labels: bool = Field(
        description="Write each cell's id as text on LABEL (big files: off by default)")
    label_height_um: float = Field(gt=0, le=100000, description="Label text height")
    fiducial_size_um: float = Field(gt=0, le=100000, description="Fiducial cross arm length")
    fiducial_width_um: float = Field(gt=0, le=100000,
        description="Fiducial cross arm width (less than fiducial_size_um)")
    fiducial_margin_mm: float = Field(ge=0, le=1000,
        description="Fiducial centre from the sheet corner, in x and y")
    fiducials_per_field: bool = Field(description="Also put a fiducial at each scan-field corner")
    contact_rail_width_mm: float = Field(ge=0, le=1000,
        description="Exposed foil strip for the tester's common contact (0: none)")
    contact_rail_side: Literal["left", "right", "bottom", "top"] = Field(
        description="Which edge-exclusion strip holds the contact rail")

    @model_validator(mode="after")
    def _fiducial_arm(self) -> Layout:
        if self.fiducial_width_um >= self.fiducial_size_um:
            raise ValueError(
                "layout.fiducial_width_um must be smaller than layout.fiducial_size_um "
                f"(got {self.fiducial_width_um:g} >= {self.fiducial_size_um:g})"
            )
        return self


class LaserOp(Settings):
    """Laser parameter set of one operation."""

    enabled: bool = Field(default=True, description="Run this operation")
    power_pct: float = Field(gt=0, le=100, description="Laser power, share of full power")
    mark_speed_mm_s: float = Field(gt=0, le=100000, description="Scan speed while the laser fires")
    jump_speed_mm_s: float = Field(gt=0, le=100000,
        description="Scan speed between marks, laser off")
    frequency_khz: float = Field(gt=0, le=100000, description="Pulse repetition frequency")
    pulse_width_ns: float = Field(gt=0, le=1e9, description="Pulse width")
    passes: int = Field(ge=1, le=1000, description="Passes over each path")
    spot_um: float = Field(ge=1, le=10000,
        description="Focused spot diameter: the width one pass removes")
    laser_on_delay_us: float = Field(ge=0, le=1e6,
        description="Delay from the start of a mark to the laser turning on")
    laser_off_delay_us: float = Field(ge=0, le=1e6,
        description="Delay from the end of a mark to the laser turning off")


class Laser(Settings):
    """Laser job rules and one parameter set per operation, in process order."""

    field_mm: float = Field(ge=5, le=2100, description="Galvo scan field side (square)")
    max_scan_fields: int = Field(default=10000, gt=0,
        description="Most scan fields per sheet; more is refused unless --force")
    stitch_overlap_um: float = Field(ge=0, le=10000,
        description="Overlap where a line crosses a scan-field boundary")
    singulation_paths: Literal["auto", "lines", "contours"] = Field(
        description="Singulation as lines or contours; auto: lines for guillotine rectangle grids")
    lines_run_through: bool = Field(
        description=("Singulation lines run across the whole sheet (true) or stop at the usable "
                     "area"))
    kerf_compensation: bool = Field(
        description="Offset contours by half the cut width so cells keep their size")
    lead_in_um: float = Field(ge=0, le=10000,
        description="Tangential lead-in / lead-out of a contour (0: none)")
    microtabs: int = Field(ge=0, le=16,
        description="Bridges per contour that hold the cell in the sheet")
    microtab_width_um: float = Field(gt=0, le=10000, description="Width of one microtab")
    scribe_overlap: float = Field(ge=0, le=0.9, json_schema_extra={"unit": "fraction"},
        description="Share of the spot overlapped between parallel scribe passes")
    max_scribe_passes: int = Field(default=200, gt=0,
        description="Most parallel passes of one scribe or fill; more is refused unless --force")
    field_move_s: float = Field(ge=0, le=3600,
        description="Stage / web move time between scan fields")
    fiducial: LaserOp = Field(description="Laser parameters of the fiducial crosses")
    isolation: LaserOp = Field(description="Laser parameters of the isolation scribe")
    singulation: LaserOp = Field(description="Laser parameters of the singulation cut")


def _layer_field(name: str) -> Any:
    """A [layers] key whose default and description come from the technology registry."""
    entry = technology.layer(name)
    return Field(default=(entry.number, entry.datatype), description=entry.purpose,
                 json_schema_extra={"range": "0 <= layer, datatype <= 65535"})


class Layers(Settings):
    """Layer map: name -> [GDS layer, datatype] (defaults: the technology registry)."""

    SHEET: tuple[int, int] = _layer_field("SHEET")
    USABLE: tuple[int, int] = _layer_field("USABLE")
    KEEPOUT: tuple[int, int] = _layer_field("KEEPOUT")
    SINGULATION: tuple[int, int] = _layer_field("SINGULATION")
    ISOLATION: tuple[int, int] = _layer_field("ISOLATION")
    CATHODE: tuple[int, int] = _layer_field("CATHODE")
    ELECTROLYTE: tuple[int, int] = _layer_field("ELECTROLYTE")
    ANODE_CC: tuple[int, int] = _layer_field("ANODE_CC")
    PAD: tuple[int, int] = _layer_field("PAD")
    FIDUCIAL: tuple[int, int] = _layer_field("FIDUCIAL")
    CONTACT_RAIL: tuple[int, int] = _layer_field("CONTACT_RAIL")
    LABEL: tuple[int, int] = _layer_field("LABEL")
    FIELD: tuple[int, int] = _layer_field("FIELD")
    DRC_MARKER: tuple[int, int] = _layer_field("DRC_MARKER")

    @model_validator(mode="after")
    def _distinct(self) -> Layers:
        seen: dict[tuple[int, int], str] = {}
        for name in type(self).model_fields:
            ld = getattr(self, name)
            if not (0 <= ld[0] <= 65535 and 0 <= ld[1] <= 65535):
                raise ValueError(f"layers.{name} = {shown(ld)}: layer and datatype must be "
                                 "0..65535")
            if ld in seen:
                raise ValueError(f"layers.{name} and layers.{seen[ld]} share {shown(ld)}")
            seen[ld] = name
        return self


class Deck(Settings):
    """The whole resolved rule deck."""

    stack: Stack
    package: Package
    process: Process
    sheet: Sheet
    tiling: Tiling
    layout: Layout
    layers: Layers
    laser: Laser
    machine: Machine = Field(default=Machine(),
        description="The machine the laser files are written for (see rules/machines/)")

    @model_validator(mode="after")
    def _consistent(self) -> Deck:
        sh = self.sheet
        if 2 * sh.edge_x_mm >= sh.width_mm or 2 * sh.edge_y_mm >= sh.length_mm:
            raise ValueError(
                f"sheet edges leave no usable area: 2 x edge_x_mm {sh.edge_x_mm:g} must be < "
                f"width_mm {sh.width_mm:g} and 2 x edge_y_mm {sh.edge_y_mm:g} < "
                f"length_mm {sh.length_mm:g}"
            )
        return self

    def flat(self) -> dict[str, Any]:
        """The deck as a flat {section.key: value} mapping of scalar keys."""
        out: dict[str, Any] = {}
        _flatten(self.model_dump(mode="json"), "", out)
        return out


def _flatten(d: dict[str, Any], prefix: str, out: dict[str, Any]) -> None:
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            _flatten(v, key + ".", out)
        else:
            out[key] = v


def default_deck_path() -> Path:
    """The shipped default deck (package data after install; rules/ in a checkout)."""
    try:
        p = Path(str(resources.files("layoutgen.rules").joinpath("default.toml")))
        if p.is_file():
            return p
    except (ModuleNotFoundError, TypeError):
        pass
    return Path(__file__).resolve().parent.parent / "rules" / "default.toml"


def shipped_decks() -> dict[str, Path]:
    """Name -> path of every deck shipped with layoutgen."""
    folder = default_deck_path().parent
    return {p.stem: p for p in sorted(folder.glob("*.toml"))}


def _read_toml(path: Path) -> dict[str, Any]:

    try:
        return load_toml(path, "rule deck")
    except FileNotFoundError:
        shipped = shipped_decks()
        if path.suffix == "" and path.name in shipped:
            return _read_toml(shipped[path.name])
        raise LayoutgenError(
            f"{path}: rule deck not found (give a TOML file or a shipped deck: "
            f"{', '.join(shipped)})"
        ) from None


def _check_keys(data: dict[str, Any], model: type[BaseModel], prefix: str, source: str) -> None:
    """Reject unknown keys early, naming the source that brought them."""
    for key, value in data.items():
        full = f"{prefix}{key}"
        if key not in model.model_fields:
            allowed = ", ".join(model.model_fields)
            raise LayoutgenError(f"{source}: unknown key {full!r} (allowed here: {allowed})")
        ann = model.model_fields[key].annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            if not isinstance(value, dict):
                raise LayoutgenError(f"{source}: {full!r} must be a table [{full}]")
            _check_keys(value, ann, full + ".", source)


def _merge(base: dict[str, Any], top: dict[str, Any], origin: dict[str, str], source: str,
           prefix: str = "") -> None:
    for k, v in top.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            _merge(base[k], v, origin, source, key + ".")
        else:
            base[k] = copy.deepcopy(v)
            origin[key] = source


def _clip(text: str, most: int = 60) -> str:
    """User text as a message quotes it: long digit runs and long values cut short."""
    text = re.sub(r"\d{16,}", lambda m: f"{m.group()[:3]}...({len(m.group()):,} digits)", text)
    return text if len(text) <= most else text[:most - 3] + "..."


def _parse_override(text: str, source: str | None = None) -> tuple[str, Any]:
    where = source or f"--set {_clip(text)!r}"
    if "=" not in text:
        raise LayoutgenError(f"{where}: expected section.key=value")
    key, raw = (s.strip() for s in text.split("=", 1))
    if "." not in key:
        raise LayoutgenError(
            f"{where}: the key must be section.key (e.g. stack.utilization)")
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw  # a bare word: take it as a string
    return key, value


def _nest(key: str, value: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    cur = out
    parts = key.split(".")
    for p in parts[:-1]:
        cur = cur.setdefault(p, {})
    cur[parts[-1]] = value
    return out


def _origin_of(loc: str, origin: dict[str, str]) -> str:
    loc = re.sub(r"\[\d+\]", "", loc)  # tiling.keepouts[0].x_mm came with tiling.keepouts
    default = origin.get("", "deck")
    inner = [s for k, s in origin.items() if k.startswith(loc + ".") and s != default]
    if inner:
        return " + ".join(dict.fromkeys(inner))
    parts = loc.split(".")
    for n in range(len(parts), 0, -1):
        src = origin.get(".".join(parts[:n]))
        if src:
            return src
    return _latest_source(origin)


def _latest_source(origin: dict[str, str]) -> str:
    """The sources that changed the defaults (for whole-deck consistency errors)."""
    default = origin.get("", "deck")
    extra = [s for s in dict.fromkeys(origin.values()) if s != default]
    return " + ".join(extra) if extra else default


def shown(value: Any) -> str:
    """A value as an error message shows it: numbers %g (ints ,-grouped), text cut short."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        if abs(value) < 10**15:
            return f"{value:,}"
        return f"{Decimal(value):.6g}".replace("E", "e").replace(".00000", "")
    if isinstance(value, float):
        text = f"{value:g}"
        return text if any(c in text for c in ".einf") else text + ".0"
    if isinstance(value, list | tuple):
        text = "[" + ", ".join(shown(v) for v in value[:8]) + (", ...]" if len(value) > 8
                                                               else "]")
    else:
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


_BOUNDS = {"greater_than": ("gt", "greater than"),
           "greater_than_equal": ("ge", "greater than or equal to"),
           "less_than": ("lt", "less than"), "less_than_equal": ("le", "less than or equal to")}


def bound_text(value: float | int) -> str:
    """A range limit as messages state it (%g, ints ,-grouped)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    return shown(value)


def error_text(err: Any) -> tuple[str, str, str]:
    """(dotted key, what is wrong, the value shown) of one pydantic error."""
    loc = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"]).lstrip(".")
    msg = err["msg"].removeprefix("Value error, ")
    kind = err["type"]
    if kind in _BOUNDS:
        name, op = _BOUNDS[kind]
        msg = f"must be {op} {bound_text(err['ctx'][name])}"
    elif kind == "finite_number":
        msg = "must be a finite number (not nan or inf)"
    elif kind == "extra_forbidden":
        msg = "unknown key"
    got = err.get("input")
    value = "" if isinstance(got, dict) or kind == "missing" else shown(got)
    return loc, msg, value


def _explain(exc: ValidationError, origin: dict[str, str]) -> LayoutgenError:
    err = exc.errors()[0]
    loc, msg, value = error_text(err)
    if loc:
        source = _origin_of(loc, origin)
        return LayoutgenError(f"{source}: {loc}{' = ' + value if value else ''}: {msg}")
    return LayoutgenError(f"{_latest_source(origin)}: {msg}")


Override = str | tuple[str, str]


def load_deck(paths: list[str | Path] | tuple[str | Path, ...] = (),
              overrides: list[Override] | tuple[Override, ...] = (),
              flags: list[tuple[str, dict[str, Any]]] | tuple = (),
              run_checks: bool = False) -> Deck:
    """Resolve the deck: defaults <- each file in order <- each 'section.key=value' override
    (text, or (source, text) to name where it came from) <- command-line flags given as
    (flag name, nested values) pairs. run_checks adds the checks a whole run makes on the deck
    alone (keep-outs inside the sheet, the singulation spot within the kerf): `layoutgen run`
    and `layoutgen rules check` both ask for them."""
    default = default_deck_path()
    data = _read_toml(default)
    origin: dict[str, str] = {"": str(default)}
    _mark_origin(data, "", str(default), origin)
    for p in paths:
        path = Path(p)
        top = _read_toml(path)
        _check_keys(top, Deck, "", str(path))
        _merge(data, top, origin, str(path))
    for item in overrides:
        source, text = item if isinstance(item, tuple) else (f"--set {_clip(item)}", item)
        key, value = _parse_override(text, source)
        nested = _nest(key, value)
        _check_keys(nested, Deck, "", source)
        _merge(data, nested, origin, source)
    for source, nested in flags:
        _check_keys(nested, Deck, "", source)
        _merge(data, nested, origin, source)
    try:
        deck = Deck.model_validate(data)
    except ValidationError as exc:
        raise _explain(exc, origin) from None
    _check_grid(deck, origin)
    _check_keepouts(deck, origin)
    if run_checks:
        check_for_run(deck, origin)
    return deck


def _blame(keys: tuple[str, ...], text: str, origin: dict[str, str]) -> LayoutgenError:
    """An error about several keys, named after the sources that set them (not the defaults)."""
    default = origin.get("", "deck")
    found = list(dict.fromkeys(_origin_of(k, origin) for k in keys)) if origin else [default]
    changed = [s for s in found if s != default]
    return LayoutgenError(f"{' + '.join(changed or found)}: {text}")


def _check_keepouts(deck: Deck, origin: dict[str, str]) -> None:
    """Every keep-out a readable polygon or rectangle inside the sheet (named by its key)."""
    if not deck.tiling.keepouts:
        return
    width = to_nm(deck.sheet.width_mm, "mm", "sheet.width_mm")
    length = to_nm(deck.sheet.length_mm, "mm", "sheet.length_mm")
    for i, k in enumerate(deck.tiling.keepouts):
        key = f"tiling.keepouts[{i}]"
        try:
            x0, y0, x1, y1 = k.geometry().bounds
        except LayoutgenError as exc:
            raise _blame((key,), str(exc), origin) from None
        if x0 < 0 or y0 < 0 or x1 * 1e6 > width + 0.5 or y1 * 1e6 > length + 0.5:
            raise _blame((key, "sheet.width_mm", "sheet.length_mm"),
                         f"{key} ({k.name}) spans ({x0:g}, {y0:g})-({x1:g}, {y1:g}) mm, outside "
                         f"the {deck.sheet.width_mm:g} x {deck.sheet.length_mm:g} mm sheet "
                         "(keep-outs must lie inside it)", origin)


def check_spot_within_kerf(deck: Deck) -> None:
    """Refuse a singulation spot wider than the kerf (exact on the nm grid)."""
    spot = deck.laser.singulation.spot_um
    kerf = deck.tiling.kerf_um
    if deck.laser.singulation.enabled and (
            to_nm(spot, "um", "laser.singulation.spot_um") > to_nm(kerf, "um", "tiling.kerf_um")):
        raise LayoutgenError(
            f"laser.singulation.spot_um = {spot:g} is wider than tiling.kerf_um = {kerf:g}: the "
            "cut would eat into the neighbouring cells (need spot_um <= kerf_um)")


def check_usable_area(deck: Deck) -> None:
    """Refuse edge exclusions that leave no usable area on the sheet."""
    x0, y0, x1, y1 = deck.sheet.usable_box_nm
    if x1 <= x0 or y1 <= y0:
        s = deck.sheet
        raise LayoutgenError(
            f"--edge: edge exclusion {s.edge_x_mm:g}/{s.edge_y_mm:g} mm leaves no usable area on "
            f"a {s.width_mm:g} x {s.length_mm:g} mm sheet")


def check_for_run(deck: Deck, origin: dict[str, str] | None = None) -> None:
    """What a run refuses about a deck on its own beyond load_deck's checks: a singulation spot
    wider than the kerf, a sheet with no usable area; errors name the key and its source."""
    origin = origin or {}
    try:
        check_spot_within_kerf(deck)
    except LayoutgenError as exc:
        raise _blame(("laser.singulation.spot_um", "tiling.kerf_um"), str(exc), origin) from None
    try:
        check_usable_area(deck)
    except LayoutgenError as exc:
        raise _blame(("sheet", "tiling"), str(exc), origin) from None


# Geometric lengths (in the layout's plane) that must lie on the 1 nm grid; film thicknesses,
# capacities and the roll length are physical quantities, not layout coordinates.
_GRID_SECTIONS = ("package.border", "process.", "sheet.", "tiling.", "layout.", "laser.")


def _check_grid(deck: Deck, origin: dict[str, str]) -> None:
    """Refuse a layout length finer than the 1 nm grid, naming the key and its source."""

    items = list(deck.flat().items())
    for i, k in enumerate(deck.tiling.keepouts):
        items += [(f"tiling.keepouts[{i}].{f}", getattr(k, f))
                  for f in ("x_mm", "y_mm", "w_mm", "h_mm", "clearance_mm")]
    for key, value in items:
        unit = key.rsplit("_", 1)[-1]
        if unit not in ("mm", "um") or not key.startswith(_GRID_SECTIONS):
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        try:
            to_nm(value, unit, key)
        except LayoutgenError as exc:
            src = _origin_of(key, origin)
            raise LayoutgenError(f"{src}: {exc}") from None


def _mark_origin(d: dict[str, Any], prefix: str, source: str, origin: dict[str, str]) -> None:
    for k, v in d.items():
        origin[f"{prefix}{k}"] = source
        if isinstance(v, dict):
            _mark_origin(v, f"{prefix}{k}.", source, origin)


def check_deck_file(path: str | Path) -> Deck:
    """Validate one deck file on top of the defaults with every check a run makes on a deck
    (`layoutgen rules check`; `layoutgen run` resolves its deck through the same load_deck)."""
    return load_deck([path], run_checks=True)


def with_value(deck: Deck, key: str, value: Any) -> Deck:
    """A copy of the deck with one dotted key replaced (validated)."""
    return with_values(deck, {key: value})


def with_values(deck: Deck, values: dict[str, Any], source: str | None = None) -> Deck:
    """A copy of the deck with several dotted keys replaced at once (validated together)."""
    data = deck.model_dump(mode="python")
    origin: dict[str, str] = {}
    for key, value in values.items():
        name = source or f"parameter {key}"
        _check_keys(_nest(key, value), Deck, "", name)
        _merge(data, _nest(key, value), origin, name)
    try:
        return Deck.model_validate(data)
    except ValidationError as exc:
        raise _explain(exc, origin) from None


TOML_HEADER = ("layoutgen rule deck, resolved. Every key is under a comment: what it is (unit; "
               "range, or the allowed values). Load it back with --rules FILE; later decks and "
               "--set overrides win over it.")


DEFAULT_DECK_HEADER = (
    "layoutgen default rule deck: the process of Cheng et al. (10 um stainless-steel foil, 10 um "
    "LiCoO2 cathode, LiPON electrolyte, anodeless: lithium plates in situ on first charge). "
    "Later decks and --set overrides win over this one. Numbers must be finite (no nan/inf), "
    "true/false is not a number, an integer key takes a whole number written without a decimal "
    "point, and a true/false key takes only true/false. The comments come from the schema "
    "(layoutgen/deck.py): after changing a value or a field, run scripts/refresh_reference.py.")


def deck_to_toml(deck: Deck, header: str = TOML_HEADER) -> str:
    """The resolved deck as TOML text, sections in schema order and every key under a comment
    from the schema (description, unit, range or allowed values); it loads back to the same
    deck."""
    return schema.commented_toml(Deck, deck.model_dump(mode="json"), header)


def default_deck_text() -> str:
    """What rules/default.toml holds: the shipped deck's values, commented from the schema."""
    return deck_to_toml(load_deck(), DEFAULT_DECK_HEADER)


@functools.cache
def _docs() -> tuple[schema.SectionDoc, ...]:
    """The deck schema's sections, without default values (cheap: no deck file read)."""
    return tuple(schema.section_docs(Deck))


@functools.cache
def _docs_with_defaults() -> tuple[schema.SectionDoc, ...]:
    """The deck schema's sections with the shipped default deck's values."""
    return tuple(schema.section_docs(Deck, load_deck().model_dump(mode="json")))


def _normal_key(key: str) -> str:
    """tiling.keepouts[0].x_mm and tiling.keepouts.x_mm -> tiling.keepouts[].x_mm."""
    key = re.sub(r"\[\d*\]", "[]", key.strip())
    return re.sub(r"\.keepouts\.", ".keepouts[].", key)


def key_doc(path: str) -> schema.KeyDoc:
    """The schema record of one deck key, e.g. key_doc("tiling.kerf_um") (KeyError if none)."""
    wanted = _normal_key(path)
    for section in _docs():
        for doc in section.keys:
            if doc.key == wanted:
                return doc
    raise KeyError(f"no deck key {path!r}")


def field_help(path: str) -> str:
    """One line of help for a deck key from the schema (description, unit and range, or the
    allowed values), for CLI options: field_help("tiling.kerf_um")."""
    return key_doc(path).summary()


def field_choices(path: str) -> tuple[str, ...]:
    """The allowed values of a choice key ('' choices: not a choice), e.g. tiling.cut."""
    return key_doc(path).choices


@dataclass(frozen=True)
class Explanation:
    """What `rules explain` shows: the deck sections (or the one key) asked for."""

    query: str
    sections: tuple[schema.SectionDoc, ...]

    def text(self) -> str:
        blocks: list[str] = []
        for s in self.sections:
            if not s.keys:
                continue
            head = f"{s.header}  {s.description}" if s.key else s.description
            blocks.append("\n\n".join([head, *(k.text() for k in s.keys)]))
        return "\n\n".join(blocks) + "\n"

    def as_json(self) -> dict[str, Any]:
        return {"query": self.query, "sections": [s.as_json() for s in self.sections]}

    def markdown(self) -> str:
        return schema.markdown(list(self.sections))


def explain(key: str | None = None) -> Explanation:
    """The schema of the whole deck, of one section (with its sub-sections) or of one key, with
    the shipped default deck's values; an unknown name is refused with the sections."""
    docs = _docs_with_defaults()
    if not key:
        return Explanation("", docs)
    wanted = _normal_key(key).removesuffix("[]")
    found = tuple(s for s in docs if s.key == wanted or s.key.startswith(wanted + "."))
    if found:
        return Explanation(key, found)
    for s in docs:
        for doc in s.keys:
            if doc.key == wanted:
                items = tuple(i for i in docs if i.key == f"{wanted}[]")  # a list of tables
                return Explanation(key, (schema.SectionDoc(s.key, s.description, (doc,)),
                                         *items))
    every = [d.key for s in docs for d in s.keys] + [s.key for s in docs]
    near = difflib.get_close_matches(wanted, every, n=3)
    hint = f"did you mean {', '.join(near)}? " if near else ""
    sections = ", ".join(s.key for s in docs if s.key and "[]" not in s.key)
    raise LayoutgenError(f"rules explain {_clip(key)!r}: no such deck key or section ({hint}"
                         f"sections: {sections})")


def reference_markdown() -> str:
    """The README's deck reference: every section and key as Markdown tables, from the schema
    (defaults: the shipped deck)."""
    return explain().markdown()
