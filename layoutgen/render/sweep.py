"""The sizing sweep's picture: VED against the swept parameter."""

from __future__ import annotations

from typing import Any

from layoutgen.render.figure import figure, save_figure


def sweep_plot(table: dict[str, Any], path: str) -> None:
    """Plot packaged and unpackaged VED against the parameter (PNG or SVG by extension)."""

    xs = [r[0] for r in table["rows"] if r[1] is not None]
    fig, ax = figure((7, 4.2))
    ax.plot(xs, [r[5] for r in table["rows"] if r[1] is not None], "o-",
            label="VED packaged (product envelope)")
    ax.plot(xs, [r[6] for r in table["rows"] if r[1] is not None], "s--",
            label="VED unpackaged (cell as built)")
    ax.set_xlabel(table["param"])
    ax.set_ylabel("volumetric energy density, Wh/L")
    ax.grid(True, alpha=0.3)
    ax.legend()
    save_figure(fig, path)
