"""Matplotlib set-up for deterministic figures (no dates or versions in the files), and the one
palette every picture draws with: layer and laser-operation colours from the technology
registry, plus the few picture-only colours (orientations, jumps, frames) defined here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from layoutgen.errors import LayoutgenError
from layoutgen.fileio import atomic_path
from layoutgen.technology import layer, operation

FORMATS = (".png", ".svg")

# Picture-only colours (no layer or operation of their own): a qualitative palette for cell
# orientations, and neutrals for laser jumps, the sheet's face and zoom frames.
ORIENTATION_COLOURS = {0.0: "#4C72B0", 90.0: "#DD8452", 180.0: "#55A868", 270.0: "#C44E52"}
OTHER_ORIENTATION = "#8172B3"
JUMP_COLOUR = "#b0b0b0"
SHEET_FACE = "#eeeeee"
FRAME_COLOUR = "#555555"
TRANSPARENT = "#ffffff00"


def layer_colour(name: str) -> str:
    """The registry colour of a layer (its .lyp fill and frame colour)."""
    return layer(name).colour


def layer_filled(name: str) -> bool:
    """Whether pictures fill the layer (else draw its outline only)."""
    return layer(name).filled


def operation_colour(name: str) -> str:
    """The registry colour of a laser operation (its SVG stroke and LightBurn layer colour)."""
    return operation(name).colour


def orientation_colour(rotation_deg: float) -> str:
    """The picture colour of cells at a rotation (0/90/180/270 distinct, others shared)."""
    return ORIENTATION_COLOURS.get(rotation_deg % 360, OTHER_ORIENTATION)


def figure(size: tuple[float, float]) -> tuple[Any, Any]:
    """A new figure and axes on the non-interactive Agg backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["svg.hashsalt"] = "layoutgen"
    fig, ax = plt.subplots(figsize=size, dpi=120)
    return fig, ax


def save_figure(fig: Any, path: str | Path) -> None:
    """Save atomically as PNG or SVG with metadata that does not change between runs."""
    import matplotlib.pyplot as plt


    target = Path(path)
    ext = target.suffix.lower()
    if ext not in FORMATS:
        plt.close(fig)
        raise LayoutgenError(f"{path}: unknown plot format {ext or '(none)'} "
                             f"(allowed: {', '.join(FORMATS)})")
    meta = {"Software": None} if ext == ".png" else {"Date": None, "Creator": None}
    try:
        fig.tight_layout()
        with atomic_path(target) as tmp:
            fig.savefig(tmp, format=ext[1:], metadata=meta)
    finally:
        plt.close(fig)
