"""`layoutgen rules show|check|explain`."""

from __future__ import annotations

from typing import Annotated

import typer

from layoutgen.cli.common import JsonOpt, RulesOpt, SetOpt, deck_from, flag, print_json
from layoutgen.deck import check_deck_file, deck_to_toml, explain


def register(app: typer.Typer) -> None:
    rules_app = typer.Typer(help="Show the resolved rule deck, check deck files, or explain "
                                 "deck keys.",
                            no_args_is_help=True)

    @rules_app.command("show")
    def show(rules: RulesOpt = None, sets: SetOpt = None, as_json: JsonOpt = False) -> None:
        """Print the resolved deck (defaults <- --rules files <- --set overrides)."""

        deck = deck_from(rules, sets)
        if as_json:
            print_json(deck.model_dump(mode="json"))
        else:
            typer.echo(deck_to_toml(deck), nl=False)

    @rules_app.command("check")
    def check(files: Annotated[list[str], typer.Argument(help="Deck files to validate.")]) -> None:
        """Validate deck files (each on top of the defaults); exit 2 on the first error."""

        for f in files:
            check_deck_file(f)
            typer.echo(f"{f}: ok")

    @rules_app.command("explain")
    def explain_cmd(
        key: Annotated[str | None, typer.Argument(
            help="A deck key (tiling.kerf_um) or section (laser); none: every key.")] = None,
        as_json: JsonOpt = False,
        as_markdown: Annotated[bool, flag("--markdown", help="Print Markdown tables (the "
                                          "README's deck reference).")] = False,
    ) -> None:
        """Explain deck keys from the schema: type, unit, range, default, allowed values."""

        found = explain(key)
        if as_json:
            print_json(found.as_json())
        else:
            typer.echo(found.markdown() if as_markdown else found.text(), nl=False)

    app.add_typer(rules_app, name="rules")
