"""Every file of a patterning layout, written into one folder (used by `layout` and `run`)."""

from __future__ import annotations

from pathlib import Path

from layoutgen.deck import Deck, deck_to_toml
from layoutgen.export.gds import write_layout
from layoutgen.export.manifest import write_manifest
from layoutgen.layout.model import SheetLayout
from layoutgen.render.layout import write_previews


def write_layout_files(layout: SheetLayout, deck: Deck, folder: Path, name: str, *,
                       flat: bool = False, oasis: bool = False, preview: bool = True
                       ) -> tuple[object, list[str]]:
    """<name>.gds (+ .oas) + .lyp, <name>.rules.toml (the resolved deck), cells.csv and the
    previews; returns the GDS info and the file names written."""

    info = write_layout(layout, folder / f"{name}.gds", name=name, flat=flat, oasis=oasis)
    write_manifest(layout, folder / "cells.csv")
    (folder / f"{name}.rules.toml").write_text(deck_to_toml(deck), encoding="utf-8")
    files = [f"{name}.gds", f"{name}.lyp", f"{name}.rules.toml", "cells.csv"]
    if oasis:
        files.insert(1, f"{name}.oas")
    if preview:

        write_previews(layout, [folder / "preview.png", folder / "preview.svg"])
        files += ["preview.png", "preview.svg"]
    return info, files
