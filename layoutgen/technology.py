"""The technology registry: every process layer and every laser operation, defined once.

A `Layer` carries its GDS number and datatype (the deck's `[layers]` defaults, equal to
`rules/default.toml`), its purpose, its role (a layer of every cell master, a sheet feature, the
label text or the DRC marker), its display colour, KLayout dither pattern, whether pictures fill
it, and its draw order. `LAYERS` is listed in draw order, bottom first, and every name tuple
here keeps that order; the .lyp lists the layers top first (its reverse). An `Operation`
carries the colour every laser file and picture uses for it: the SVG stroke, the DXF ACI index
and the LightBurn layer (cut index) are chosen together so that a DXF and an SVG of one job
import onto the same LightBurn layers.

Everything that names a layer or an operation colour (deck defaults, GDS/OASIS, the .lyp file,
DRC markers, DXF/SVG/LightBurn/EZCAD writers, every preview) reads it from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Role = Literal["cell", "sheet", "text", "marker"]


@dataclass(frozen=True)
class Layer:
    """One layout layer."""

    name: str
    number: int
    datatype: int
    purpose: str
    colour: str  # "#rrggbb"
    dither: str  # KLayout dither pattern, "I0" solid .. "I9"
    filled: bool  # drawn filled in the pictures
    order: int  # draw order in pictures (bottom first); the .lyp lists the reverse
    role: Role  # cell: in every master; sheet: a top-cell feature; text: labels; marker: DRC

    @property
    def cell(self) -> bool:
        """A layer of every cell master (drawn by `pattern.cell_pattern`)."""
        return self.role == "cell"

    @property
    def gds(self) -> tuple[int, int]:
        """The default (layer, datatype) pair."""
        return self.number, self.datatype


@dataclass(frozen=True)
class Operation:
    """One laser operation's colours across the formats."""

    name: str
    colour: str  # "#rrggbb": SVG stroke, pictures; equal to LightBurn's palette colour
    aci: int  # AutoCAD colour index for DXF (LightBurn maps it to the same layer)
    lightburn_index: int  # LightBurn cut-setting index (C00 .. C29)
    description: str


LAYERS: tuple[Layer, ...] = (
    Layer("FIELD", 60, 0, "galvo scan fields", "#ff00ff", "I1", False, 0, "sheet"),
    Layer("USABLE", 2, 0, "sheet minus the edge exclusion", "#a0a0ff", "I1", False, 1, "sheet"),
    Layer("SHEET", 1, 0, "sheet outline", "#808080", "I1", False, 2, "sheet"),
    Layer("KEEPOUT", 5, 0, "keep-out regions", "#ff8000", "I5", True, 3, "sheet"),
    Layer("CONTACT_RAIL", 41, 0, "contact rail for the parallel tester", "#707000", "I2", True,
          4, "sheet"),
    Layer("SINGULATION", 10, 0, "cell outline cut free by the laser", "#202020", "I1", False, 5,
          "cell"),
    Layer("ISOLATION", 11, 0, "isolation scribe ring", "#d00000", "I0", True, 6, "cell"),
    Layer("ELECTROLYTE", 21, 0, "LiPON electrolyte", "#40c040", "I5", True, 7, "cell"),
    Layer("CATHODE", 20, 0, "LiCoO2 cathode (the area sizing counts)", "#3060ff", "I9", True, 8,
          "cell"),
    Layer("ANODE_CC", 22, 0, "anode current collector (lithium plates beneath it)", "#c0a000",
          "I3", True, 9, "cell"),
    Layer("PAD", 30, 0, "probe / contact pad", "#a000c0", "I0", True, 10, "cell"),
    Layer("FIDUCIAL", 40, 0, "alignment crosses", "#00a0a0", "I0", True, 11, "sheet"),
    Layer("LABEL", 50, 0, "cell and sheet labels", "#000000", "I1", False, 12, "text"),
    Layer("DRC_MARKER", 99, 0, "DRC violation markers", "#ff0000", "I0", True, 13, "marker"),
)

# Colours are LightBurn's default layer palette (C01 #0000FF blue, C02 #FF0000 red, C03 #00E000
# green, C07 #FF00FF magenta; docs.lightburnsoftware.com/2.0/Reference/UI/ColorPalette, "RGB and
# hex codes for the LightBurn color palette"). LightBurn puts an imported SVG stroke or DXF
# colour on the palette layer nearest in RGB: the ACI indices 5 (0,0,255), 1 (255,0,0),
# 3 (0,255,0) and 6 (255,0,255) are nearest to C01, C02, C03 and C07, so a DXF and an SVG of one
# job land on the same layers (an SVG #00a000 fiducial, as before, went to C11 #00A000).
OPERATIONS: tuple[Operation, ...] = (
    Operation("isolation", "#0000ff", 5, 1, "isolation scribe (ablates the films, not the foil)"),
    Operation("singulation", "#ff0000", 1, 2, "singulation cut through the foil"),
    Operation("fiducial", "#00e000", 3, 3, "fiducial crosses"),
    Operation("reject", "#ff00ff", 6, 7, "reject mark on a failing cell"),
)

_LAYER = {layer.name: layer for layer in LAYERS}
_OPERATION = {op.name: op for op in OPERATIONS}

LAYER_NAMES: tuple[str, ...] = tuple(layer.name for layer in LAYERS)
CELL_LAYER_NAMES: tuple[str, ...] = tuple(layer.name for layer in LAYERS if layer.cell)
SHEET_LAYER_NAMES: tuple[str, ...] = tuple(layer.name for layer in LAYERS
                                           if layer.role == "sheet")


def layer(name: str) -> Layer:
    """The registry entry of a layer (KeyError names the layer)."""
    return _LAYER[name]


def operation(name: str) -> Operation:
    """The registry entry of a laser operation (KeyError names it)."""
    return _OPERATION[name]


def by_draw_order(names: tuple[str, ...] | list[str]) -> list[str]:
    """`names` sorted bottom layer first."""
    return sorted(names, key=lambda n: _LAYER[n].order)


def default_layer_map() -> dict[str, tuple[int, int]]:
    """Name -> (layer, datatype) of every layer: the defaults of the deck's `[layers]`."""
    return {layer.name: layer.gds for layer in LAYERS}
