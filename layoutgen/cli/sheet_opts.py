"""Sheet and cell options shared by `tile`, `layout` and `toolpath`, and their resolver.

Flags become deck overrides (later than --rules and --set), so every stage reads one deck.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import typer

from layoutgen import shapes
from layoutgen.cli.common import flag
from layoutgen.deck import load_deck
from layoutgen.errors import LayoutgenError
from layoutgen.job import load_job
from layoutgen.run import resolve_deck, size_product
from layoutgen.tiling.engine import sheet_spec_from_deck
from layoutgen.units import parse_length, parse_length_nm, parse_size

SheetOpt = Annotated[
    str | None, typer.Option("--sheet", help="Sheet WxL, x by y (default: the deck's sheet).")]
CellOpt = Annotated[
    str | None,
    typer.Option("--cell", help="Cell outline WxH (singulation cut); the diameter for circles."),
]
ShapeOpt = Annotated[
    str | None, typer.Option("--shape", help="rect | rounded | circle (default rect, or polygon "
                                             "with --polygon).")]
RadiusOpt = Annotated[str, typer.Option("--corner-radius", help="Corner radius (rounded).")]
PolygonOpt = Annotated[
    str | None, typer.Option("--polygon", help="Cell outline from a file: .wkt/.txt or .dxf.")]
KerfOpt = Annotated[str | None, typer.Option("--kerf", help="Least street between cells.")]
EdgeOpt = Annotated[
    str | None,
    typer.Option("--edge", help="Edge exclusion: E for all edges, or EX,EY (web edges, ends)."),
]
KeepoutOpt = Annotated[
    list[str] | None,
    typer.Option("--keepout", help="Keep-out X,Y,W,H[,CLEARANCE] from its lower-left corner "
                                   "(repeatable; replaces the deck's keep-outs)."),
]
RotationOpt = Annotated[str | None, typer.Option("--rotation", help="any | 0 | 90.")]
CutOpt = Annotated[str | None, typer.Option("--cut", help="free | guillotine.")]
ForceOpt = Annotated[bool, flag("--force", help="Allow more than tiling.max_cells.")]
JobOpt = Annotated[
    str | None, typer.Option("--job", help="Take deck, sheet and cell from a job file (TOML) "
                                           "instead of the sheet/cell options.")]
SHEET_FLAGS = "--sheet, --cell, --shape, --polygon, --kerf, --edge, --keepout, --rotation, --cut"


@dataclass(frozen=True)
class SheetJob:
    """The resolved inputs of a sheet: deck (flags applied), cell outline and sheet spec."""

    deck: Any
    shape: Any
    spec: Any


def _flag_overrides(sheet: str | None, kerf: str | None, edge: str | None,
                    keepouts: list[str] | None, rotation: str | None, cut: str | None
                    ) -> list[tuple[str, dict[str, Any]]]:

    flags: list[tuple[str, dict[str, Any]]] = []
    if sheet is not None:
        sx, sy = parse_size(sheet, "--sheet")
        flags.append((f"--sheet {sheet}", {"sheet": {"width_mm": sx, "length_mm": sy}}))
    if kerf is not None:
        kerf_um = parse_length_nm(kerf, "--kerf") / 1000  # exact: whole nm over 1000
        flags.append((f"--kerf {kerf}", {"tiling": {"kerf_um": kerf_um}}))
    if edge is not None:
        parts = [p for p in edge.split(",") if p.strip()]
        if len(parts) not in (1, 2):
            raise LayoutgenError(f"--edge {edge!r}: give E or EX,EY")
        ex = parse_length(parts[0], "--edge")
        ey = parse_length(parts[-1], "--edge")
        flags.append((f"--edge {edge}", {"sheet": {"edge_x_mm": ex, "edge_y_mm": ey}}))
    if keepouts:
        items = []
        for i, text in enumerate(keepouts):
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
    if rotation is not None:
        flags.append((f"--rotation {rotation}", {"tiling": {"rotation": rotation}}))
    if cut is not None:
        flags.append((f"--cut {cut}", {"tiling": {"cut": cut}}))
    return flags


def cell_shape_from(cell: str | None, shape: str | None, corner_radius: str,
                    polygon: str | None):  # noqa: ANN201
    """The cell outline the flags describe."""

    if polygon:
        if shape not in (None, "polygon"):
            raise LayoutgenError(f"--polygon with --shape {shape}: a polygon file gives the shape")
        if cell:
            raise LayoutgenError("--polygon and --cell: the polygon file gives the size")
        return shapes.load_polygon(polygon)
    kind = shape or "rect"
    if kind not in ("rect", "rounded", "circle"):
        raise LayoutgenError(f"--shape {kind!r}: unknown (allowed: rect, rounded, circle; "
                             "polygon cells come from --polygon FILE)")
    if not cell:
        raise LayoutgenError("--cell is required (e.g. --cell 10x8, or --cell 12 --shape circle)")
    w, h = parse_size(cell, "--cell")
    for v in (w, h):
        if not v > 0:
            raise LayoutgenError(f"--cell {cell}: sizes must be > 0")
    if kind == "circle":
        if abs(w - h) > 1e-12:
            raise LayoutgenError(f"--cell {cell}: a circle takes one diameter (e.g. --cell 12)")
        return shapes.circle(w)
    if kind == "rounded":
        return shapes.rounded(w, h, parse_length(corner_radius, "--corner-radius"))
    return shapes.rect(w, h)


def resolve_sheet(rules: list[str] | None, sets: list[str] | None, sheet: str | None,
                  cell: str | None, shape: str | None, corner_radius: str,
                  polygon: str | None, kerf: str | None, edge: str | None,
                  keepouts: list[str] | None, rotation: str | None, cut: str | None,
                  ) -> SheetJob:
    """Deck (with the flags applied), the cell outline and the sheet spec."""

    flags = _flag_overrides(sheet, kerf, edge, keepouts, rotation, cut)
    deck = load_deck(rules or [], sets or [], flags)
    outline = cell_shape_from(cell, shape, corner_radius, polygon)
    return SheetJob(deck, outline, sheet_spec_from_deck(deck))


def resolve(job_file: str | None, rules: list[str] | None, sets: list[str] | None,
            sheet: str | None, cell: str | None, shape: str | None, corner_radius: str,
            polygon: str | None, kerf: str | None, edge: str | None,
            keepouts: list[str] | None, rotation: str | None, cut: str | None) -> SheetJob:
    """From a job file (its product sized to give the cell) or from the sheet/cell options."""

    if not job_file:
        return resolve_sheet(rules, sets, sheet, cell, shape, corner_radius, polygon, kerf,
                             edge, keepouts, rotation, cut)

    if any(v is not None for v in (sheet, cell, shape, polygon, kerf, edge, keepouts, rotation,
                                   cut)):
        raise LayoutgenError(f"--job gives the sheet and the cell: leave out {SHEET_FLAGS} "
                             "(use --set to override)")
    job = load_job(job_file)
    deck = resolve_deck(job, rules, sets)
    return SheetJob(deck, size_product(job, deck).cell, sheet_spec_from_deck(deck))
