"""Matplotlib set-up for deterministic figures (no dates or versions in the files)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from layoutgen.errors import LayoutgenError
from layoutgen.fileio import atomic_path

FORMATS = (".png", ".svg")


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
