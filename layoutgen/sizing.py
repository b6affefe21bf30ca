"""Product sizing: cell capacity, stack count, thickness, energy and VED; inverse queries.

Model (every number from the deck):
- active area A = cathode outline area (cellgeom.active_shape), cell capacity
  = A x cathode_um x cathode_capacity_uah_cm2_um x utilization, energy = capacity x voltage_v;
- layer pitch = substrate + cathode + electrolyte + anode collector [+ plated Li when
  stack.charged_state] + insulator + adhesive; thickness = N x pitch + encapsulation + termination;
- VED packaged = energy / (footprint area x thickness) (the product's envelope prism);
- VED unpackaged = areal energy / (substrate + films) (the paper's Fig. 1: one cell as built).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from layoutgen import cellgeom, shapes
from layoutgen.deck import Deck, shown
from layoutgen.errors import LayoutgenError
from layoutgen.shapes import CellShape, area
from layoutgen.units import NM_PER_MM, nm_to_mm

MAX_LAYERS = 10000            # cells in one stack
MAX_CAPACITY_MAH = 1e9        # past any product: 10000 layers of a 2.1 m square cell < 1e9 mAh
MAX_THICKNESS_MM = 1000.0     # a package height limit past this is a typo
MAX_LENGTH_MM = 2100.0        # a footprint side: the widest sheet a deck allows
MAX_ASPECT = 1000.0           # smallest-footprint query: width / height within [1/1000, 1000]


@dataclass(frozen=True)
class Names:
    """How errors name the sizing inputs: CLI flags (the default) or a job file's keys."""

    capacity: str = "--capacity"
    layers: str = "--layers"
    max_thickness: str = "--max-thickness"
    retention: str = "--retention"
    footprint: str = "--footprint"
    source: str = ""  # prefix for keys, e.g. "job.toml"
    eq: str = " "  # between a name and its value: " " for flags, " = " for keys

    @classmethod
    def job(cls, source: str) -> Names:
        """The names of a job file's [product] keys."""
        return cls("product.capacity_mah", "product.layers", "product.max_thickness_mm",
                   "product.retention", "product.footprint", f"{source}: ", " = ")

    def said(self, name: str, value: float, unit: str = "") -> str:
        """'--capacity 10 mAh' or 'product.capacity_mah = 10 mAh' (numbers %g)."""
        return f"{getattr(self, name)}{self.eq}{_g(value)}{unit}"


CLI = Names()


def _g(value: float) -> str:
    """A number as messages show it: %g, whole numbers ,-grouped."""
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}" if abs(value) < 10**15 else shown(value)
    return f"{value:g}"


def check_number(value: float, lo: float, hi: float, what: str, unit: str = "",
                 lo_open: bool = True) -> float:
    """A finite number in (lo, hi] (or [lo, hi]), else one line naming what and the range."""
    try:
        v = float(value)
    except OverflowError:
        v = math.inf
    ok = math.isfinite(v) and (v > lo if lo_open else v >= lo) and v <= hi
    if not ok:
        unit = f" {unit}" if unit else ""
        if lo_open and lo == 0:
            allowed = f"a positive finite number up to {_g(hi)}{unit}"
        else:
            allowed = f"a finite number in {'(' if lo_open else '['}{_g(lo)}, {_g(hi)}]{unit}"
        raise LayoutgenError(f"{what}: must be {allowed}, got {_g(value)}")
    return v


@dataclass(frozen=True)
class Product:
    """A sized product: N cells in parallel in one package."""

    layers: int
    footprint: CellShape
    cell: CellShape
    active_area_mm2: float
    cell_capacity_mAh: float
    capacity_mAh: float
    eol_capacity_mAh: float
    retention: float
    energy_mWh: float
    layer_pitch_um: float
    thickness_mm: float
    ved_Wh_per_L: float
    ved_unpackaged_Wh_per_L: float

    def as_dict(self) -> dict[str, object]:
        """Plain JSON-ready mapping (lengths mm, areas mm2)."""
        fp = self.footprint
        return {
            "layers": self.layers,
            "capacity_mAh": round(self.capacity_mAh, 6),
            "eol_capacity_mAh": round(self.eol_capacity_mAh, 6),
            "retention": self.retention,
            "energy_mWh": round(self.energy_mWh, 6),
            "thickness_mm": round(self.thickness_mm, 6),
            "footprint_mm": [round(fp.width, 6), round(fp.height, 6)],
            "shape": fp.kind,
            "corner_radius_mm": round(fp.corner_radius, 6),
            "footprint_area_mm2": round(area(fp), 6),
            "cell_mm": [round(self.cell.width, 6), round(self.cell.height, 6)],
            "cell_capacity_mAh": round(self.cell_capacity_mAh, 6),
            "active_area_mm2": round(self.active_area_mm2, 6),
            "layer_pitch_um": round(self.layer_pitch_um, 6),
            "ved_Wh_per_L": round(self.ved_Wh_per_L, 3),
            "ved_unpackaged_Wh_per_L": round(self.ved_unpackaged_Wh_per_L, 3),
        }


def plated_li_um(deck: Deck) -> float:
    """Thickness of lithium plated in the charged state, um."""
    s = deck.stack
    return s.cathode_um * s.cathode_capacity_uah_cm2_um * s.utilization / s.li_capacity_uah_cm2_um


def cell_stack_um(deck: Deck) -> float:
    """One cell as built: substrate + films (+ plated Li if charged_state), um."""
    s = deck.stack
    t = s.substrate_um + s.cathode_um + s.electrolyte_um + s.anode_cc_um
    return t + (plated_li_um(deck) if s.charged_state else 0.0)


def layer_pitch_um(deck: Deck) -> float:
    """Height one more stacked cell adds, um."""
    return cell_stack_um(deck) + deck.stack.insulator_um + deck.stack.adhesive_um


def overhead_mm(deck: Deck) -> float:
    """Package height independent of the layer count, mm."""
    return (deck.package.encapsulation_um + deck.package.termination_um) / 1000


def areal_capacity_uah_cm2(deck: Deck) -> float:
    s = deck.stack
    return s.cathode_um * s.cathode_capacity_uah_cm2_um * s.utilization


def ved_unpackaged_wh_per_l(deck: Deck) -> float:
    """Areal energy over one cell's substrate + films (uWh/cm2 / cm = mWh/L... -> Wh/L)."""
    uwh_cm2 = areal_capacity_uah_cm2(deck) * deck.stack.voltage_v
    return uwh_cm2 / (cell_stack_um(deck) * 1e-4) * 1e-3


def cell_capacity_mah(active_mm2: float, deck: Deck) -> float:
    return areal_capacity_uah_cm2(deck) * active_mm2 / 100 / 1000


def thickness_mm(layers: int, deck: Deck) -> float:
    return layers * layer_pitch_um(deck) / 1000 + overhead_mm(deck)


def check_footprint(footprint: CellShape, names: Names = CLI) -> None:
    """A footprint no side of which is longer than MAX_LENGTH_MM (the widest sheet)."""
    if not footprint.width <= MAX_LENGTH_MM or not footprint.height <= MAX_LENGTH_MM:
        raise LayoutgenError(
            f"{names.source}{names.footprint}: {_g(footprint.width)} x {_g(footprint.height)} mm "
            f"is larger than any sheet (each side at most {_g(MAX_LENGTH_MM)} mm)")


def design(footprint: CellShape, layers: int, deck: Deck, retention: float = 1.0,
           names: Names = CLI) -> Product:
    """Forward sizing: a footprint and a layer count."""
    if isinstance(layers, bool) or not isinstance(layers, int) or not 1 <= layers <= MAX_LAYERS:
        raise LayoutgenError(f"{names.source}{names.layers}: must be a whole number from 1 to "
                             f"{MAX_LAYERS:,}, got {_g(layers)}")
    _check_retention(retention, names)
    check_footprint(footprint, names)
    cell = cellgeom.cell_outline(footprint, deck)
    active = cellgeom.active_area_mm2(cell, deck)
    cell_cap = cell_capacity_mah(active, deck)
    cap = layers * cell_cap
    energy = cap * deck.stack.voltage_v
    t = thickness_mm(layers, deck)
    return Product(
        layers=layers,
        footprint=footprint,
        cell=cell,
        active_area_mm2=active,
        cell_capacity_mAh=cell_cap,
        capacity_mAh=cap,
        eol_capacity_mAh=cap * retention,
        retention=retention,
        energy_mWh=energy,
        layer_pitch_um=layer_pitch_um(deck),
        thickness_mm=t,
        ved_Wh_per_L=energy / (area(footprint) * t) * 1000,
        ved_unpackaged_Wh_per_L=ved_unpackaged_wh_per_l(deck),
    )


def _check_retention(retention: float, names: Names = CLI) -> None:
    check_number(retention, 0, 1, f"{names.source}{names.retention}")


def _check_capacity(capacity_mAh: float, names: Names = CLI) -> None:
    check_number(capacity_mAh, 0, MAX_CAPACITY_MAH, f"{names.source}{names.capacity}", "mAh")


def check_thickness(max_thickness_mm: float, names: Names = CLI) -> None:
    """A package height limit: finite, in (0, MAX_THICKNESS_MM] mm."""
    check_number(max_thickness_mm, 0, MAX_THICKNESS_MM, f"{names.source}{names.max_thickness}",
                 "mm")


def max_layers(max_thickness_mm: float, deck: Deck, names: Names = CLI) -> int:
    """Most layers whose package stays within max_thickness_mm (0 if not even one)."""
    check_thickness(max_thickness_mm, names)
    room = max_thickness_mm - overhead_mm(deck)
    n = math.floor(room * 1000 / layer_pitch_um(deck) + 1e-9) if room > 0 else 0
    return max(0, min(n, MAX_LAYERS))


def layers_for_capacity(footprint: CellShape, capacity_mAh: float, deck: Deck,
                        retention: float = 1.0, max_thickness_mm: float | None = None,
                        names: Names = CLI) -> Product:
    """The least layer count whose (end-of-life) capacity reaches the target."""
    _check_capacity(capacity_mAh, names)
    _check_retention(retention, names)
    one = design(footprint, 1, deck, retention, names)
    per_layer = one.cell_capacity_mAh * retention
    limit = MAX_LAYERS if max_thickness_mm is None else max_layers(max_thickness_mm, deck, names)
    ratio = capacity_mAh / per_layer if per_layer > 0 else math.inf
    if ratio > MAX_LAYERS + 1:  # past any limit: no exact count needed (and none overflows)
        n_text = f"over {MAX_LAYERS:,}"
        n = MAX_LAYERS + 1
    else:
        n = max(1, math.ceil(ratio - 1e-12))
        n_text = f"{n:,}"
    if n > limit:
        best = design(footprint, limit, deck, retention, names) if limit >= 1 else None
        what = (f"within {names.said('max_thickness', max_thickness_mm, ' mm')}"
                if max_thickness_mm is not None else f"with at most {MAX_LAYERS:,} layers")
        reach = (f"the most that fits is {best.eol_capacity_mAh:.4g} mAh with {limit:,} layers"
                 if best else "not even one layer fits")
        raise LayoutgenError(
            f"{names.source}{names.said('capacity', capacity_mAh, ' mAh')} cannot be reached "
            f"{what} on a {_fp_text(footprint)} footprint ({n_text} layers of {per_layer:.4g} "
            f"mAh needed); {reach}"
        )
    return design(footprint, n, deck, retention, names)


def most_capacity(footprint: CellShape, max_thickness_mm: float, deck: Deck,
                  retention: float = 1.0, names: Names = CLI) -> Product:
    """The most layers (capacity) that fit a thickness envelope."""
    n = max_layers(max_thickness_mm, deck, names)
    if n < 1:
        need = thickness_mm(1, deck)
        raise LayoutgenError(
            f"{names.source}{names.said('max_thickness', max_thickness_mm, ' mm')}: not even "
            f"one layer fits (one layer packaged is {need:.4g} mm)"
        )
    return design(footprint, n, deck, retention, names)


def _fp_text(fp: CellShape) -> str:
    if fp.kind == "circle":
        return f"{fp.width:g} mm round"
    return f"{fp.width:g} x {fp.height:g} mm"


def _grid_up(mm: float) -> float:
    """A computed size rounded up to the 2 nm grid cell sizes live on."""
    n = mm * NM_PER_MM
    return nm_to_mm(2 * math.ceil(round(n, 3) / 2))


def footprint_of(kind: str, width: float, height: float, corner_radius: float = 0.0,
                 names: Names = CLI) -> CellShape:
    """Build a product footprint shape (validated by shapes; no side past MAX_LENGTH_MM)."""

    if kind == "rect":
        fp = shapes.rect(width, height)
    elif kind == "rounded":
        fp = shapes.rounded(width, height, corner_radius)
    elif kind == "circle":
        fp = shapes.circle(width)
    else:
        raise LayoutgenError(f"--shape: unknown shape {kind!r} (allowed: rect, rounded, circle)")
    check_footprint(fp, names)
    return fp


def smallest_footprint(capacity_mAh: float, max_thickness_mm: float, deck: Deck, *,
                       shape: str = "rect", aspect: float | None = None,
                       width: float | None = None, corner_radius: float = 0.0,
                       retention: float = 1.0, grid_mm: float = 0.01) -> Product:
    """The smallest footprint (on a grid_mm grid) that reaches the capacity within the thickness.

    The footprint grows along one parameter: the height for a given aspect (width = aspect x
    height) or a fixed width, the diameter for a circle. Using the most layers that fit needs the
    least area per layer, so the answer stacks that many (or fewer if the grid step leaves room).
    """
    _check_capacity(capacity_mAh)
    _check_retention(retention)
    if aspect is not None and width is not None:
        raise LayoutgenError("--aspect and --width: give one of them, not both")
    if aspect is not None:
        check_number(aspect, 1 / MAX_ASPECT, MAX_ASPECT, "--aspect", lo_open=False)
    if width is not None:
        check_number(width, 0, MAX_LENGTH_MM, "--width", "mm")
    n_max = max_layers(max_thickness_mm, deck)
    if n_max < 1:
        raise LayoutgenError(
            f"--max-thickness {max_thickness_mm:g} mm: not even one layer fits "
            f"(one layer packaged is {thickness_mm(1, deck):.4g} mm)"
        )
    ratio = 1.0 if aspect is None else aspect

    def make(s: float) -> CellShape:
        if shape == "circle":
            return footprint_of("circle", s, s)
        if width is not None:
            return footprint_of(shape, width, s, corner_radius)
        return footprint_of(shape, _grid_up(ratio * s), s, corner_radius)

    def reaches(s: float) -> bool:
        try:
            fp = make(s)
            cap = n_max * cell_capacity_mah(
                cellgeom.active_area_mm2(cellgeom.cell_outline(fp, deck), deck), deck)
        except LayoutgenError:
            return False
        return cap * retention >= capacity_mAh * (1 - 1e-12)

    lo, hi = 0.0, max(1.0, 2 * corner_radius + 2 * deck.package.border_mm + 1)
    while not reaches(hi):
        lo, hi = hi, min(hi * 2, MAX_LENGTH_MM)
        if lo >= MAX_LENGTH_MM:
            if width is not None:
                raise LayoutgenError(
                    f"--capacity {capacity_mAh:g} mAh cannot be reached with --width {width:g} mm "
                    f"and --max-thickness {max_thickness_mm:g} mm at any length up to "
                    f"{MAX_LENGTH_MM:g} mm")
            raise LayoutgenError(f"--capacity {capacity_mAh:g} mAh: no footprint up to "
                                 f"{MAX_LENGTH_MM:g} mm a side reaches it within --max-thickness "
                                 f"{max_thickness_mm:g} mm")
    steps_lo, steps_hi = math.floor(lo / grid_mm), math.ceil(hi / grid_mm)
    while steps_hi - steps_lo > 1:
        mid = (steps_lo + steps_hi) // 2
        if reaches(mid * grid_mm):
            steps_hi = mid
        else:
            steps_lo = mid
    fp = make(round(steps_hi * grid_mm, 9))
    return layers_for_capacity(fp, capacity_mAh, deck, retention, max_thickness_mm)
