"""Options and output helpers shared by the commands."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Annotated, Any

import typer

from layoutgen.deck import Deck, load_deck
from layoutgen.display import fmt


def flag(*names: str, help: str) -> Any:  # noqa: A002 - typer's own keyword
    """An on/off option: no value, so no '<bool>' metavar in --help."""
    return typer.Option(*names, help=help, metavar="")


def _hide_flag_metavars() -> None:
    """typer prints '<bool>' beside every on/off flag (--help too), as if it took a value; show
    nothing there for the flags declared anywhere (a no-op if typer changes its internals)."""
    try:
        from typer.core import TyperOption
    except ImportError:  # pragma: no cover - other typer layouts
        return
    shown = getattr(TyperOption, "display_type_rich", None)
    if shown is None or getattr(shown, "_layoutgen", False):
        return

    def display_type_rich(self: Any, ctx: Any) -> str | None:
        if getattr(self, "is_flag", False) and self.metavar is None:
            return None
        return shown(self, ctx)

    display_type_rich._layoutgen = True  # type: ignore[attr-defined]
    TyperOption.display_type_rich = display_type_rich  # type: ignore[method-assign]


_hide_flag_metavars()

RulesOpt = Annotated[
    list[str] | None,
    typer.Option("--rules", "-r", help="Rule deck TOML (repeatable; later wins over earlier)."),
]
SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override one deck key: section.key=value (repeatable)."),
]
JsonOpt = Annotated[bool, flag("--json", help="Print one JSON object instead of a table.")]
OverwriteOpt = Annotated[bool, flag(
    "--overwrite", help="Replace the files layoutgen wrote in the output folder before "
                        "(a folder holding another job's files is refused without it).")]
ReadForceOpt = Annotated[bool, flag("--force", help="Read input files over the size limit.")]


def deck_from(rules: list[str] | None, sets: list[str] | None) -> Deck:
    """Resolve the deck from --rules files and --set overrides."""
    return load_deck(tuple(rules or ()), tuple(sets or ()))


def print_json(obj: Any) -> None:
    typer.echo(json.dumps(obj, indent=2, sort_keys=False, allow_nan=False))


def print_table(rows: Sequence[tuple[str, Any, str]], title: str | None = None) -> None:
    """Print (label, value, unit) rows as an aligned two-column table (values by
    `layoutgen.display.fmt`, as the report shows them)."""
    if title:
        typer.echo(title)
    width = max(len(r[0]) for r in rows)
    for label, value, unit in rows:
        typer.echo(f"  {label:<{width}}  {fmt(value)}{' ' + unit if unit else ''}")
