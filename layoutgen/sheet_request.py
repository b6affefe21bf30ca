"""The sheet and cell as the `tile`, `layout` and `toolpath` options give them, resolved.

Flags become deck overrides (later than --rules and --set), so every stage reads one deck; with
a job file instead, its product is sized and its cell is what gets tiled.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from layoutgen.deck import load_deck
from layoutgen.errors import LayoutgenError
from layoutgen.job import load_job
from layoutgen.product import outline_of
from layoutgen.shapes import CellShape
from layoutgen.stages import SheetInputs, size_stage
from layoutgen.tiling.engine import sheet_spec_from_deck
from layoutgen.units import parse_length, parse_length_nm, parse_size

SHEET_FLAGS = "--sheet, --cell, --shape, --polygon, --kerf, --edge, --keepout, --rotation, --cut"


@dataclass(frozen=True)
class SheetRequest:
    """The sheet/cell options as typed (text; None where not given)."""

    rules: tuple[str, ...] = ()
    sets: tuple[str, ...] = ()
    sheet: str | None = None
    cell: str | None = None
    shape: str | None = None
    corner_radius: str = "0"
    polygon: str | None = None
    kerf: str | None = None
    edge: str | None = None
    keepouts: tuple[str, ...] | None = None
    rotation: str | None = None
    cut: str | None = None
    job: str | None = None  # a job file instead of the sheet/cell options


def _flag_overrides(r: SheetRequest) -> list[tuple[str, dict[str, Any]]]:
    flags: list[tuple[str, dict[str, Any]]] = []
    if r.sheet is not None:
        sx, sy = parse_size(r.sheet, "--sheet")
        flags.append((f"--sheet {r.sheet}", {"sheet": {"width_mm": sx, "length_mm": sy}}))
    if r.kerf is not None:
        kerf_um = parse_length_nm(r.kerf, "--kerf") / 1000  # exact: whole nm over 1000
        flags.append((f"--kerf {r.kerf}", {"tiling": {"kerf_um": kerf_um}}))
    if r.edge is not None:
        parts = [p for p in r.edge.split(",") if p.strip()]
        if len(parts) not in (1, 2):
            raise LayoutgenError(f"--edge {r.edge!r}: give E or EX,EY")
        ex = parse_length(parts[0], "--edge")
        ey = parse_length(parts[-1], "--edge")
        flags.append((f"--edge {r.edge}", {"sheet": {"edge_x_mm": ex, "edge_y_mm": ey}}))
    if r.keepouts:
        items = []
        for i, text in enumerate(r.keepouts):
            parts = [p.strip() for p in text.split(",")]
            if len(parts) not in (4, 5):
                raise LayoutgenError(f"--keepout {text!r}: expected X,Y,W,H or X,Y,W,H,CLEARANCE")
            vals = [parse_length(p, "--keepout") for p in parts]
            if vals[2] <= 0 or vals[3] <= 0:
                raise LayoutgenError(f"--keepout {text!r}: W and H must be > 0")
            items.append({"x_mm": vals[0], "y_mm": vals[1], "w_mm": vals[2], "h_mm": vals[3],
                          "clearance_mm": vals[4] if len(vals) == 5 else 0.0,
                          "name": f"keepout{i + 1}"})
        flags.append(("--keepout", {"tiling": {"keepouts": items}}))
    if r.rotation is not None:
        flags.append((f"--rotation {r.rotation}", {"tiling": {"rotation": r.rotation}}))
    if r.cut is not None:
        flags.append((f"--cut {r.cut}", {"tiling": {"cut": r.cut}}))
    return flags


def cell_outline(cell: str | None, shape: str | None, corner_radius: str,
                 polygon: str | None) -> CellShape:
    """The cell outline the --cell/--shape/--corner-radius/--polygon options describe."""
    return outline_of(shape, cell, parse_length(corner_radius, "--corner-radius"), polygon)


def sheet_inputs(r: SheetRequest) -> SheetInputs:
    """From a job file (its product sized to give the cell) or from the sheet/cell options."""
    if r.job:
        given = [f.name for f in fields(SheetRequest)
                 if f.name not in ("rules", "sets", "job", "corner_radius")
                 and getattr(r, f.name) is not None]
        if given:
            raise LayoutgenError(f"--job gives the sheet and the cell: leave out {SHEET_FLAGS} "
                                 "(use --set to override)")
        return size_stage(load_job(r.job), list(r.rules), list(r.sets)).sheet
    deck = load_deck(list(r.rules), list(r.sets), _flag_overrides(r))
    outline = cell_outline(r.cell, r.shape, r.corner_radius, r.polygon)
    return SheetInputs(deck, outline, sheet_spec_from_deck(deck))
