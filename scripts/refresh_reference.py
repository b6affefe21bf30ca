"""Refresh what is generated from the schema: the README's deck and job-file references and
the comments of rules/default.toml.

Run `python scripts/refresh_reference.py` after changing a deck or job field (its description,
range, unit or default) or a value in rules/default.toml; tests/test_schema.py fails while either
file differs from the schema.
"""

from __future__ import annotations

from pathlib import Path

from layoutgen import deck, job, schema
from layoutgen.fileio import write_text

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DEFAULT_DECK = ROOT / "rules" / "default.toml"


def refreshed(text: str) -> str:
    """The README text with both generated references rebuilt from the schema."""
    text = schema.with_generated_block(text, "deck-reference", deck.reference_markdown())
    return schema.with_generated_block(text, "job-reference", job.reference_markdown())


def _refresh(path: Path, new: str) -> None:
    if path.read_text(encoding="utf-8") == new:
        print(f"{path.name}: up to date")
        return
    write_text(path, new)
    print(f"{path.name}: refreshed")


def main() -> None:
    _refresh(DEFAULT_DECK, deck.default_deck_text())
    _refresh(README, refreshed(README.read_text(encoding="utf-8")))


if __name__ == "__main__":
    main()
