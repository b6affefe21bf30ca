"""What one stack must reach: the product's target, retention, N and thickness limit, from a
job file or from `layoutgen size`-style options (the one place that imports the job's deck and
footprint, from layoutgen.product)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from layoutgen import sizing
from layoutgen.deck import Deck, load_deck
from layoutgen.errors import LayoutgenError
from layoutgen.job import load_job
from layoutgen.product import SizingText, footprint_of_job, query_of_text, resolve_deck, size
from layoutgen.units import parse_positive_length

DEFAULT_ORDER = 1000  # lot.products when neither a job nor --products gives it


@dataclass(frozen=True)
class Target:
    """The product one stack makes."""

    capacity_mah: float            # end-of-life capacity each product must reach
    retention: float               # end-of-life share of the cells' capacity
    layers: int | None             # the product's N (None: not sized)
    max_thickness_mm: float | None
    nominal_cell_mah: float | None  # the sizing model's cell capacity (None: no footprint)
    order: int                     # products the lot must deliver
    sheet_length_mm: float
    source: str                    # where the target came from (a job file or the flags)
    capacity_said: str             # how messages name the target, e.g. "--capacity 10 mAh"


@dataclass(frozen=True)
class Options(SizingText):
    """`layoutgen size`-style options (text as given; parsed and checked by
    `product.query_of_text`) and the order size for the lot plan."""

    products: int | None = None


def target_of_job(path: str, rules: list[str], sets: list[str], products: int | None
                  ) -> tuple[Deck, Target]:
    """The job's deck and product: N from its layers or its capacity (sizing), its target."""
    job = load_job(path)
    deck = resolve_deck(job, rules, sets)
    p = job.product
    names = sizing.Names.job(job.source)
    fp = footprint_of_job(job)
    if p.layers is not None:
        prod = sizing.design(fp, p.layers, deck, p.retention, names)
        capacity = p.capacity_mah if p.capacity_mah is not None else prod.eol_capacity_mAh
    elif p.capacity_mah is not None:
        prod = sizing.layers_for_capacity(fp, p.capacity_mah, deck, p.retention,
                                          p.max_thickness_mm, names)
        capacity = p.capacity_mah
    else:
        raise LayoutgenError(f"{job.source}: stacking needs product.capacity_mah (or "
                             "product.layers): the capacity each stack must reach")
    return deck, Target(
        capacity_mah=capacity, retention=p.retention, layers=prod.layers,
        max_thickness_mm=p.max_thickness_mm, nominal_cell_mah=prod.cell_capacity_mAh,
        order=products if products is not None else job.lot.products,
        sheet_length_mm=deck.sheet.length_mm, source=job.source,
        capacity_said=f"{job.source}: product.capacity_mah = {capacity:g} mAh")


def target_of_options(o: Options, rules: list[str], sets: list[str]) -> tuple[Deck, Target]:
    """The deck and product from flags, as `layoutgen size` reads them."""
    deck = load_deck(tuple(rules), tuple(sets))
    t_max = parse_positive_length(o.max_thickness, "--max-thickness") if o.max_thickness \
        else None
    if t_max is not None:
        sizing.check_thickness(t_max)
    sizing.check_number(o.retention, 0, 1, "--retention")
    if o.capacity is not None:
        sizing.check_number(o.capacity, 0, sizing.MAX_CAPACITY_MAH, "--capacity", "mAh")
    layers: int | None = None
    nominal: float | None = None
    capacity = o.capacity
    if o.footprint is not None:
        if o.layers is None and capacity is None:
            raise LayoutgenError("give --capacity MAH (the end-of-life capacity each stack "
                                 "must reach) or --layers with --footprint")
        # the one sizing implementation: N from --layers (the target may still be --capacity)
        # or the least N that reaches --capacity
        prod = size(query_of_text(replace(o, capacity=None) if o.layers is not None else o),
                    deck)
        capacity = capacity if capacity is not None else prod.eol_capacity_mAh
        layers, nominal = prod.layers, prod.cell_capacity_mAh
    elif o.layers is not None:
        if capacity is None:
            raise LayoutgenError("--layers without --footprint needs --capacity MAH")
        if o.layers < 1 or o.layers > sizing.MAX_LAYERS:
            raise LayoutgenError(f"--layers: must be a whole number from 1 to "
                                 f"{sizing.MAX_LAYERS:,}, got {o.layers}")
        layers = o.layers
    if capacity is None:
        raise LayoutgenError("give --job JOB, or --capacity MAH (with --footprint for the "
                             "product's layer count and nominal cell capacity)")
    order = o.products if o.products is not None else DEFAULT_ORDER
    return deck, Target(
        capacity_mah=capacity, retention=o.retention, layers=layers, max_thickness_mm=t_max,
        nominal_cell_mah=nominal, order=order, sheet_length_mm=deck.sheet.length_mm,
        source="options", capacity_said=f"--capacity {capacity:g} mAh")
