"""The independent checker: reads the maps with the csv module and decimal arithmetic and
verifies every stack (capacity reached at end of life, spreads within limits, size allowed,
each cell used once, only passing cells). Shares no code with the stacker or cells.py."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

_Q = Decimal("0.000001")  # the documented resolution of measured values
_PASS = {"true", "1", "yes", "pass", "t", "y"}


@dataclass(frozen=True)
class CheckReport:
    """The checker's verdict: every problem found (empty: all stacks are valid)."""

    stacks: int
    cells: int
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _dec(text: str) -> Decimal:
    return Decimal(text.strip()).quantize(_Q, rounding=ROUND_HALF_EVEN)


def read_maps(paths: Iterable[str | Path]) -> dict[tuple[str, str], dict[str, str]]:
    """(sheet, id) -> the row as text, for every row of the maps."""
    rows: dict[tuple[str, str], dict[str, str]] = {}
    for p in paths:
        with open(p, newline="", encoding="utf-8-sig") as fh:
            for row in csv.DictReader(fh):
                rows[(row["sheet"].strip(), row["id"])] = row
    return rows


def check_stacks(maps: dict[tuple[str, str], dict[str, str]],
                 stacks: Sequence[Sequence[tuple[str, str]]], *, target_mah: float | str,
                 retention: float | str, n_min: int, n_max: int,
                 max_impedance_spread: float | str, max_ocv_spread_mv: float | str,
                 nominal_mah: float | str | None = None) -> CheckReport:
    """Check each stack (a list of (sheet, id)) against the maps and the limits."""
    target = Decimal(repr(target_mah) if isinstance(target_mah, float) else str(target_mah))
    ret = Decimal(repr(retention) if isinstance(retention, float) else str(retention))
    zs = Decimal(repr(max_impedance_spread) if isinstance(max_impedance_spread, float)
                 else str(max_impedance_spread))
    vs = Decimal(repr(max_ocv_spread_mv) if isinstance(max_ocv_spread_mv, float)
                 else str(max_ocv_spread_mv)) / 1000
    nominal = None if nominal_mah is None else Decimal(
        repr(nominal_mah) if isinstance(nominal_mah, float) else str(nominal_mah))
    problems: list[str] = []
    seen: dict[tuple[str, str], int] = {}
    cells = 0
    for s, members in enumerate(stacks):
        if not n_min <= len(members) <= n_max:
            problems.append(f"stack {s}: {len(members)} cells, allowed {n_min}..{n_max}")
        caps, zz, vv = [], [], []
        for key in members:
            cells += 1
            if key in seen:
                problems.append(f"stack {s}: cell {key} already in stack {seen[key]}")
            seen[key] = s
            row = maps.get(key)
            if row is None:
                problems.append(f"stack {s}: cell {key} is in no map")
                continue
            if row["pass"].strip().lower() not in _PASS:
                problems.append(f"stack {s}: cell {key} did not pass")
            if nominal is None:
                caps.append(_dec(row["capacity_mah"]))
            else:
                caps.append(nominal)
            zz.append(_dec(row["impedance_ohm"]))
            vv.append(_dec(row["ocv_v"]))
        if not caps:
            continue
        if sum(caps) * ret < target:
            problems.append(f"stack {s}: end-of-life capacity {sum(caps) * ret} mAh below the "
                            f"target {target} mAh")
        if max(zz) > min(zz) * (1 + zs):
            problems.append(f"stack {s}: impedance spread {max(zz) / min(zz) - 1:.6f} over "
                            f"{zs}")
        if max(vv) - min(vv) > vs:
            problems.append(f"stack {s}: OCV spread {(max(vv) - min(vv)) * 1000} mV over "
                            f"{vs * 1000} mV")
    return CheckReport(stacks=len(stacks), cells=cells, problems=problems)


def read_stacks_csv(path: str | Path) -> list[list[tuple[str, str]]]:
    """The stacks of a written stacks.csv, in stack order, cells from the bottom."""
    by: dict[int, list[tuple[int, str, str]]] = {}
    with open(path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            by.setdefault(int(row["stack"]), []).append(
                (int(row["position"]), row["sheet"], row["cell_id"]))
    return [[(sh, cid) for _, sh, cid in sorted(by[k])] for k in sorted(by)]
