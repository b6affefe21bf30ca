"""Pictures of the stacks: capacity distribution against the target, spreads against limits
(matplotlib on Agg, PNG + SVG without dates or versions: byte-identical for the same input)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from layoutgen.fileio import atomic_path

NAMES = ("stack_capacity", "stack_spreads")


def _plt() -> Any:
    import matplotlib  # heavy optional import: only when pictures are drawn

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["svg.hashsalt"] = "layoutgen"
    return plt


def _save(plt: Any, fig: Any, folder: Path, stem: str) -> list[Path]:
    out = []
    try:
        fig.tight_layout()
        for ext, meta in ((".png", {"Software": None}),
                          (".svg", {"Date": None, "Creator": None})):
            target = folder / f"{stem}{ext}"
            with atomic_path(target) as tmp:
                fig.savefig(tmp, format=ext[1:], metadata=meta)
            out.append(target)
    finally:
        plt.close(fig)
    return out


def _hist(ax: Any, values: np.ndarray, limit: float, label: str, unit: str, kind: str) -> None:
    if values.size:
        lo, hi = float(values.min()), float(values.max())
        span = max(hi - lo, abs(limit) * 0.05, 1e-9)
        bins = np.linspace(min(lo, limit) - 0.02 * span, max(hi, limit) + 0.02 * span, 41)
        ax.hist(values, bins=bins, color="#4C72B0", edgecolor="white")
    ax.axvline(limit, color="#C44E52", linewidth=2, label=f"{kind} {limit:.4g} {unit}")
    ax.set_xlabel(f"{label}, {unit}")
    ax.set_ylabel("stacks")
    ax.legend(loc="upper right", fontsize=8)


def draw(folder: Path, eol_mah: np.ndarray, target_mah: float, z_spread_pct: np.ndarray,
         z_limit_pct: float, v_spread_mv: np.ndarray, v_limit_mv: float) -> list[Path]:
    """stack_capacity.png/.svg and stack_spreads.png/.svg in folder."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 3.6), dpi=110)
    _hist(ax, eol_mah, target_mah, "end-of-life capacity per stack", "mAh", "target")
    ax.set_title(f"{eol_mah.size:,} stacks against the capacity target")
    files = _save(plt, fig, folder, NAMES[0])
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(9.0, 3.4), dpi=110)
    _hist(a1, z_spread_pct, z_limit_pct, "impedance spread (max/min - 1)", "%", "limit")
    _hist(a2, v_spread_mv, v_limit_mv, "OCV spread (max - min)", "mV", "limit")
    fig.suptitle("spreads inside each stack against the deck's limits")
    return files + _save(plt, fig, folder, NAMES[1])
