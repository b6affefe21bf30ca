"""Parameter sweeps over one numeric deck key, with CSV and plot output."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from layoutgen.deck import Deck, with_values
from layoutgen.errors import LayoutgenError

COLUMNS = ["value", "layers", "capacity_mAh", "energy_mWh", "thickness_mm", "ved_Wh_per_L",
           "ved_unpackaged_Wh_per_L", "note"]
MAX_POINTS = 10000
MAX_VALUE = 1e12  # sweep ends and step: far past every deck key's range


@dataclass(frozen=True)
class SweepTable:
    """One row per swept value: the product's figures there, or a note why none."""

    param: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (`size sweep --json`, the plot)."""
        return {"param": self.param, "columns": list(self.columns),
                "rows": [list(r) for r in self.rows]}


def sweep_values(start: float, stop: float, step: float) -> list[float]:
    """Values start, start+step, ... up to stop inclusive (no float drift)."""
    for flag, v in (("--from", start), ("--to", stop), ("--step", step)):
        if not math.isfinite(v) or abs(v) > MAX_VALUE:
            raise LayoutgenError(f"{flag}: must be a finite number within +-{MAX_VALUE:g}, "
                                 f"got {v:g}")
    if not step > 0:
        raise LayoutgenError(f"--step: must be > 0, got {step:g}")
    if stop < start:
        raise LayoutgenError(f"--to {stop:g} is below --from {start:g}")
    span = (stop - start) / step
    if not span < MAX_POINTS:
        raise LayoutgenError(f"--from {start:g} --to {stop:g} --step {step:g}: more than "
                             f"{MAX_POINTS:,} points (give a larger --step)")
    n = math.floor(span + 1e-9) + 1
    return [round(start + i * step, 12) for i in range(n)]


def run_sweep(deck: Deck, param: str, start: float, stop: float, step: float,
              query: Callable[[Deck], Any]) -> SweepTable:
    """Evaluate `query(deck with param = v)` for each value; unreachable points get a note."""
    flat = deck.flat()
    if param not in flat:
        numeric = [k for k, v in flat.items() if isinstance(v, int | float)
                   and not isinstance(v, bool)]
        raise LayoutgenError(f"--param {param!r}: not a deck key (numeric keys: "
                             f"{', '.join(numeric[:12])}, ...; see `layoutgen rules show`)")
    current = flat[param]
    if isinstance(current, bool) or not isinstance(current, int | float):
        raise LayoutgenError(f"--param {param}: not numeric (it is {current!r})")
    rows: list[list[Any]] = []
    values = sweep_values(start, stop, step)
    decks = []
    for v in values:  # every value checked against the key's range before anything runs
        value: float | int = int(v) if isinstance(current, int) and float(v).is_integer() else v
        decks.append(with_values(deck, {param: value}, f"size sweep --param {param}"))
    for v, d in zip(values, decks, strict=True):
        try:
            p = query(d)
        except LayoutgenError as exc:
            rows.append([v, None, None, None, None, None, None, str(exc)])
            continue
        rows.append([
            v, p.layers, round(p.capacity_mAh, 4), round(p.energy_mWh, 4),
            round(p.thickness_mm, 4), round(p.ved_Wh_per_L, 2),
            round(p.ved_unpackaged_Wh_per_L, 2), "",
        ])
    return SweepTable(param, tuple(COLUMNS), tuple(tuple(r) for r in rows))


def sweep_csv(table: SweepTable) -> str:
    """The sweep as CSV text (first column named after the parameter)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([table.param, *table.columns[1:]])
    for row in table.rows:
        w.writerow(["" if x is None else x for x in row])
    return buf.getvalue()
