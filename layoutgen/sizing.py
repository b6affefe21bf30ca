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

from layoutgen import cellgeom
from layoutgen.deck import Deck
from layoutgen.errors import LayoutgenError
from layoutgen.shapes import CellShape, area
from layoutgen.units import NM_PER_MM, nm_to_mm

MAX_LAYERS = 10000


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


def design(footprint: CellShape, layers: int, deck: Deck, retention: float = 1.0) -> Product:
    """Forward sizing: a footprint and a layer count."""
    if layers < 1:
        raise LayoutgenError(f"--layers: must be at least 1, got {layers}")
    _check_retention(retention)
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


def _check_retention(retention: float) -> None:
    if not 0 < retention <= 1:
        raise LayoutgenError(f"--retention: must be in (0, 1], got {retention:g}")


def _check_capacity(capacity_mAh: float) -> None:
    if not capacity_mAh > 0 or not math.isfinite(capacity_mAh):
        raise LayoutgenError(f"--capacity: must be a positive number of mAh, got {capacity_mAh:g}")


def max_layers(max_thickness_mm: float, deck: Deck) -> int:
    """Most layers whose package stays within max_thickness_mm (0 if not even one)."""
    room = max_thickness_mm - overhead_mm(deck)
    n = math.floor(room * 1000 / layer_pitch_um(deck) + 1e-9) if room > 0 else 0
    return max(0, min(n, MAX_LAYERS))


def layers_for_capacity(footprint: CellShape, capacity_mAh: float, deck: Deck,
                        retention: float = 1.0, max_thickness_mm: float | None = None) -> Product:
    """The least layer count whose (end-of-life) capacity reaches the target."""
    _check_capacity(capacity_mAh)
    _check_retention(retention)
    one = design(footprint, 1, deck, retention)
    per_layer = one.cell_capacity_mAh * retention
    n = max(1, math.ceil(capacity_mAh / per_layer - 1e-12))
    limit = MAX_LAYERS if max_thickness_mm is None else max_layers(max_thickness_mm, deck)
    if n > limit:
        best = design(footprint, limit, deck, retention) if limit >= 1 else None
        what = (f"within {max_thickness_mm:g} mm" if max_thickness_mm is not None
                else f"with at most {MAX_LAYERS} layers")
        reach = (f"the most that fits is {best.eol_capacity_mAh:.4g} mAh with {limit} layers"
                 if best else "not even one layer fits")
        raise LayoutgenError(
            f"--capacity {capacity_mAh:g} mAh cannot be reached {what} on a "
            f"{_fp_text(footprint)} footprint ({n} layers of {per_layer:.4g} mAh needed); {reach}"
        )
    return design(footprint, n, deck, retention)


def most_capacity(footprint: CellShape, max_thickness_mm: float, deck: Deck,
                  retention: float = 1.0) -> Product:
    """The most layers (capacity) that fit a thickness envelope."""
    n = max_layers(max_thickness_mm, deck)
    if n < 1:
        need = thickness_mm(1, deck)
        raise LayoutgenError(
            f"--max-thickness {max_thickness_mm:g} mm: not even one layer fits "
            f"(one layer packaged is {need:.4g} mm)"
        )
    return design(footprint, n, deck, retention)


def _fp_text(fp: CellShape) -> str:
    if fp.kind == "circle":
        return f"{fp.width:g} mm round"
    return f"{fp.width:g} x {fp.height:g} mm"


def _grid_up(mm: float) -> float:
    """A computed size rounded up to the 2 nm grid cell sizes live on."""
    n = mm * NM_PER_MM
    return nm_to_mm(2 * math.ceil(round(n, 3) / 2))


def footprint_of(kind: str, width: float, height: float, corner_radius: float = 0.0) -> CellShape:
    """Build a product footprint shape (validated by shapes)."""
    from layoutgen import shapes

    if kind == "rect":
        return shapes.rect(width, height)
    if kind == "rounded":
        return shapes.rounded(width, height, corner_radius)
    if kind == "circle":
        return shapes.circle(width)
    raise LayoutgenError(f"--shape: unknown shape {kind!r} (allowed: rect, rounded, circle)")


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
    if aspect is not None and not aspect > 0:
        raise LayoutgenError(f"--aspect: must be > 0, got {aspect:g}")
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
        lo, hi = hi, hi * 2
        if hi > 1e5:
            if width is not None:
                raise LayoutgenError(
                    f"--capacity {capacity_mAh:g} mAh cannot be reached with --width {width:g} mm "
                    f"and --max-thickness {max_thickness_mm:g} mm at any length")
            raise LayoutgenError(f"--capacity {capacity_mAh:g} mAh: no footprint reaches it")
    steps_lo, steps_hi = math.floor(lo / grid_mm), math.ceil(hi / grid_mm)
    while steps_hi - steps_lo > 1:
        mid = (steps_lo + steps_hi) // 2
        if reaches(mid * grid_mm):
            steps_hi = mid
        else:
            steps_lo = mid
    fp = make(round(steps_hi * grid_mm, 9))
    return layers_for_capacity(fp, capacity_mAh, deck, retention, max_thickness_mm)
