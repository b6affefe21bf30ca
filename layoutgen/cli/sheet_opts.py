"""The sheet and cell options, declared once and shared by `tile`, `layout` and `toolpath`.

`sheet_options` adds them to a command (typer reads the signature it builds) and hands the
command one `SheetRequest`; `layoutgen.sheet_request.sheet_inputs` resolves it.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Annotated, Any

import typer

from layoutgen.cli.common import RulesOpt, SetOpt, flag
from layoutgen.deck import field_choices, field_help
from layoutgen.product import OUTLINE_KINDS
from layoutgen.shapes import CellShape
from layoutgen.sheet_request import SheetRequest, cell_outline


def _choice_help(key: str) -> str:
    """'any | 0 | 90.'-style help from the deck schema (the flag overrides that key)."""
    return f"{field_help(key)} (overrides {key})."


SheetOpt = Annotated[
    str | None, typer.Option("--sheet", help="Sheet WxL, x by y (default: the deck's sheet).")]
CellOpt = Annotated[
    str | None,
    typer.Option("--cell", help="Cell outline WxH (singulation cut); the diameter for circles."),
]
ShapeOpt = Annotated[
    str | None, typer.Option("--shape", help=f"{' | '.join(OUTLINE_KINDS)} (default rect, or "
                                             "polygon with --polygon).")]
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
RotationOpt = Annotated[str | None, typer.Option(
    "--rotation", help=_choice_help("tiling.rotation"),
    metavar="[" + "|".join(field_choices("tiling.rotation")) + "]")]
CutOpt = Annotated[str | None, typer.Option(
    "--cut", help=_choice_help("tiling.cut"),
    metavar="[" + "|".join(field_choices("tiling.cut")) + "]")]
ForceOpt = Annotated[bool, flag("--force", help="Allow more than tiling.max_cells.")]
JobOpt = Annotated[
    str | None, typer.Option("--job", help="Take deck, sheet and cell from a job file (TOML) "
                                           "instead of the sheet/cell options.")]

# (parameter, annotation, default) of every sheet option, in --help order
SHEET_PARAMS: tuple[tuple[str, Any, Any], ...] = (
    ("sheet", SheetOpt, None), ("cell", CellOpt, None), ("shape", ShapeOpt, None),
    ("corner_radius", RadiusOpt, "0"), ("polygon", PolygonOpt, None), ("kerf", KerfOpt, None),
    ("edge", EdgeOpt, None), ("keepout", KeepoutOpt, None), ("rotation", RotationOpt, None),
    ("cut", CutOpt, None),
)
DECK_PARAMS: tuple[tuple[str, Any, Any], ...] = (
    ("rules", RulesOpt, None), ("sets", SetOpt, None), ("force", ForceOpt, False))
JOB_PARAM = ("job", JobOpt, None)


def request_of(values: dict[str, Any]) -> SheetRequest:
    """The SheetRequest from the options' values (by parameter name)."""
    keep = values.get("keepout")
    return SheetRequest(
        rules=tuple(values.get("rules") or ()), sets=tuple(values.get("sets") or ()),
        sheet=values["sheet"], cell=values["cell"], shape=values["shape"],
        corner_radius=values["corner_radius"], polygon=values["polygon"], kerf=values["kerf"],
        edge=values["edge"], keepouts=tuple(keep) if keep else None,
        rotation=values["rotation"], cut=values["cut"], job=values.get("job"))


def sheet_options(*, job: bool) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Give a command the sheet options (and --job when `job`), --rules, --set and --force.

    The command takes `request: SheetRequest` and `force: bool` instead of the 13 options; its
    other parameters follow them in --help.
    """
    params = [*SHEET_PARAMS, *([JOB_PARAM] if job else []), *DECK_PARAMS]

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        sig = inspect.signature(fn, eval_str=True)
        own = [p for p in sig.parameters.values() if p.name != "request"]
        added = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default,
                                   annotation=ann) for name, ann, default in params]
        names = {name for name, _, _ in params}

        @functools.wraps(fn)
        def command(**kwargs: Any) -> Any:
            mine = {k: kwargs.pop(k) for k in list(kwargs) if k in names}
            if "force" in {p.name for p in own}:
                kwargs["force"] = mine["force"]
            return fn(request=request_of(mine), **kwargs)

        kept = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own
                if p.name not in names]
        new_sig = sig.replace(parameters=[*added, *kept])
        command.__signature__ = new_sig  # type: ignore[attr-defined]
        command.__annotations__ = {p.name: p.annotation for p in [*added, *kept]}
        return command

    return wrap


def cell_shape_from(cell: str | None, shape: str | None, corner_radius: str,
                    polygon: str | None) -> CellShape:
    """The cell outline the flags describe (layoutgen.sheet_request.cell_outline)."""
    return cell_outline(cell, shape, corner_radius, polygon)
