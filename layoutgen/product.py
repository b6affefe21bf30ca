"""The product stage: the outline a job or the flags describe, one sizing query, its table rows.

One implementation for `layoutgen run` (a job file's [product]), `layoutgen size` (flags) and
the commands that size a product on the way (tile/layout/toolpath --job, bin, stack). Errors
name what the user gave: CLI flags (`sizing.CLI`) or the job file's keys (`sizing.Names.job`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from layoutgen import shapes, sizing
from layoutgen.deck import Deck, load_deck
from layoutgen.errors import LayoutgenError
from layoutgen.job import Job
from layoutgen.shapes import CellShape
from layoutgen.sizing import CLI, Names, Product
from layoutgen.units import parse_length, parse_positive_length, parse_size

OUTLINE_KINDS = ("rect", "rounded", "circle")
Row = tuple[str, object, str]  # (label, value, unit): one line of a product/sheet table


@dataclass(frozen=True)
class OutlineNames:
    """How errors name the outline inputs: `--cell`/`--footprint` flags or a job's keys."""

    size: str = "--cell"
    shape: str = "--shape"
    polygon: str = "--polygon"
    source: str = ""  # e.g. "job.toml: "
    eq: str = " "

    @classmethod
    def job(cls, source: str) -> OutlineNames:
        return cls("product.footprint", "product.shape", "product.polygon", f"{source}: ", " = ")

    def said(self, name: str, value: str) -> str:
        shown = value[:60] if self.eq == " " else repr(value[:60])
        return f"{self.source}{getattr(self, name)}{self.eq}{shown}"


def outline_of(shape: str | None, size: str | None, corner_radius_mm: float = 0.0,
               polygon: str | Path | None = None, names: OutlineNames = OutlineNames(),
               sizing_names: Names | None = None) -> CellShape:
    """The outline given as a shape name and a size text ('10x8'; one diameter for a circle),
    or as a polygon file (.wkt/.txt/.dxf). Sides past the widest sheet are refused."""
    if sizing_names is None:
        sizing_names = Names(footprint=names.size)
    if polygon:
        if shape not in (None, "polygon"):
            raise LayoutgenError(f"{names.source}{names.polygon} with {names.shape}{names.eq}"
                                 f"{shape}: a polygon file gives the shape")
        if size:
            raise LayoutgenError(f"{names.source}{names.polygon} and {names.size}: the polygon "
                                 "file gives the size")
        outline = shapes.load_polygon(polygon)
        sizing.check_footprint(outline, sizing_names)
        return outline
    kind = shape or "rect"
    if kind not in OUTLINE_KINDS:
        raise LayoutgenError(f"{names.said('shape', kind)}: unknown (allowed: "
                             f"{', '.join(OUTLINE_KINDS)}; polygon outlines come from "
                             f"{names.polygon} FILE)")
    if not size:
        raise LayoutgenError(f"{names.source}{names.size} is required (e.g. {names.size}"
                             f"{names.eq}10x8, or 12 with a circle)")
    w, h = parse_size(size, f"{names.source}{names.size}")
    for v in (w, h):
        if not v > 0:
            raise LayoutgenError(f"{names.said('size', size)}: sizes must be > 0")
    if kind == "circle" and abs(w - h) > 1e-12:
        raise LayoutgenError(f"{names.said('size', size)}: a circle takes one diameter "
                             "(e.g. 12)")
    return sizing.footprint_of(kind, w, h, corner_radius_mm, sizing_names)


def resolve_deck(job: Job, rules: list[str] | None = None, sets: list[str] | None = None
                 ) -> Deck:
    """The job's deck: defaults <- its decks <- --rules <- its overrides <- --set <- [sheet],
    with every check `layoutgen rules check` makes (errors name the job file and its key)."""
    decks = [job.path(d) for d in job.rules.decks] + list(rules or [])
    return load_deck(decks, [*job.deck_overrides(), *(sets or [])], job.deck_flags(),
                     run_checks=True)


def footprint_of_job(job: Job) -> CellShape:
    """The product outline the job describes."""
    p = job.product
    polygon = job.path(p.polygon) if p.shape == "polygon" else None
    return outline_of(None if polygon else p.shape, None if polygon else p.footprint,
                      p.corner_radius_mm, polygon, OutlineNames.job(job.source),
                      Names.job(job.source))


@dataclass(frozen=True)
class SizingQuery:
    """One sizing question. With a footprint: `layers` (forward), `capacity_mah` (least layers),
    `max_thickness_mm` alone (most capacity) or nothing (one layer). Without one: the smallest
    footprint of `shape` (and `aspect` or `width_mm`) reaching `capacity_mah` within
    `max_thickness_mm`."""

    footprint: CellShape | None
    layers: int | None = None
    capacity_mah: float | None = None
    retention: float = 1.0
    max_thickness_mm: float | None = None
    shape: str = "rect"
    corner_radius_mm: float = 0.0
    aspect: float | None = None
    width_mm: float | None = None
    names: Names = CLI


@dataclass(frozen=True)
class SizingText:
    """`layoutgen size`-style options as typed (parsed and checked by `query_of_text`)."""

    footprint: str | None = None
    shape: str = "rect"
    corner_radius: str = "0"
    layers: int | None = None
    capacity: float | None = None
    retention: float = 1.0
    max_thickness: str | None = None
    aspect: float | None = None
    width: str | None = None


def query_of_text(t: SizingText) -> SizingQuery:
    """The query the flags ask (lengths parsed from their text; combinations checked)."""
    r = parse_length(t.corner_radius, "--corner-radius")
    t_max = parse_positive_length(t.max_thickness, "--max-thickness") if t.max_thickness \
        else None
    if t.footprint is None:
        if t.capacity is None or t_max is None:
            raise LayoutgenError(
                "give --footprint (with --layers, --capacity or --max-thickness), or "
                "--capacity with --max-thickness for the smallest footprint")
        if t.layers is not None:
            raise LayoutgenError("--layers needs --footprint")
        w = parse_positive_length(t.width, "--width") if t.width else None
        return SizingQuery(None, None, t.capacity, t.retention, t_max, t.shape, r, t.aspect, w)
    if t.aspect is not None or t.width is not None:
        raise LayoutgenError("--aspect/--width belong to the smallest-footprint query "
                             "(--capacity with --max-thickness, no --footprint)")
    if t.layers is not None and t.capacity is not None:
        raise LayoutgenError("--layers and --capacity: give one of them")
    fp = outline_of(t.shape, t.footprint, r, names=OutlineNames(size="--footprint"))
    return SizingQuery(fp, t.layers, t.capacity, t.retention, t_max, t.shape, r)


def query_of_job(job: Job) -> SizingQuery:
    """The query a job file's [product] asks."""
    p = job.product
    return SizingQuery(footprint_of_job(job), p.layers, p.capacity_mah, p.retention,
                       p.max_thickness_mm, names=Names.job(job.source))


def size(q: SizingQuery, deck: Deck) -> Product:
    """Answer one sizing query (the one implementation behind `run` and `size`)."""
    names = q.names
    if q.max_thickness_mm is not None:
        sizing.check_thickness(q.max_thickness_mm, names)
    if q.capacity_mah is not None:
        sizing.check_number(q.capacity_mah, 0, sizing.MAX_CAPACITY_MAH,
                            f"{names.source}{names.capacity}", "mAh")
    sizing.check_number(q.retention, 0, 1, f"{names.source}{names.retention}")
    if q.footprint is None:
        if q.capacity_mah is None or q.max_thickness_mm is None:
            raise LayoutgenError("the smallest-footprint query needs a capacity and a "
                                 "thickness limit")
        return sizing.smallest_footprint(q.capacity_mah, q.max_thickness_mm, deck,
                                         shape=q.shape, aspect=q.aspect, width=q.width_mm,
                                         corner_radius=q.corner_radius_mm, retention=q.retention)
    if q.layers is not None:
        product = sizing.design(q.footprint, q.layers, deck, q.retention, names)
        t_max = q.max_thickness_mm
        if t_max is not None and product.thickness_mm > t_max + 1e-12:
            raise LayoutgenError(
                f"{names.source}{names.said('layers', q.layers)}: the package is "
                f"{product.thickness_mm:.4g} mm thick, over "
                f"{names.said('max_thickness', t_max, ' mm')} (at most "
                f"{sizing.max_layers(t_max, deck, names)} layers fit)")
        return product
    if q.capacity_mah is not None:
        return sizing.layers_for_capacity(q.footprint, q.capacity_mah, deck, q.retention,
                                          q.max_thickness_mm, names)
    if q.max_thickness_mm is not None:
        return sizing.most_capacity(q.footprint, q.max_thickness_mm, deck, q.retention, names)
    return sizing.design(q.footprint, 1, deck, q.retention, names)


def size_product(job: Job, deck: Deck) -> Product:
    """Sizing as the job asks: layers, least layers for a capacity, or most in a thickness."""
    return size(query_of_job(job), deck)


def product_rows(p: Product) -> list[Row]:
    """The product table (CLI `size`, `run` and the report): label, value, unit."""
    fp = p.footprint
    shown = f"round {fp.width:g}" if fp.kind == "circle" else (fp.width, fp.height)
    rows: list[Row] = [
        ("footprint", shown, "mm"),
        ("shape", fp.kind, ""),
        ("cell outline", (p.cell.width, p.cell.height), "mm"),
        ("active area per cell", p.active_area_mm2, "mm2"),
        ("cell capacity", p.cell_capacity_mAh, "mAh"),
        ("layers", p.layers, ""),
        ("capacity", p.capacity_mAh, "mAh"),
    ]
    if p.retention < 1:
        rows.append((f"end-of-life capacity (retention {p.retention:g})", p.eol_capacity_mAh,
                     "mAh"))
    rows += [
        ("energy", p.energy_mWh, "mWh"),
        ("thickness", p.thickness_mm, "mm"),
        ("layer pitch", p.layer_pitch_um, "um"),
        ("VED packaged", p.ved_Wh_per_L, "Wh/L"),
        ("VED unpackaged (cell as built)", p.ved_unpackaged_Wh_per_L, "Wh/L"),
    ]
    return rows
