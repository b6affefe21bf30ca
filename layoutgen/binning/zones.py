"""Yield by zone: edge rings, scan fields, lanes across the web (x) and bands along it (y).

A cell belongs to a zone by its centre. Rings: distance of the centre to the nearest sheet edge
in steps of `zones.ring_mm` (the last ring holds everything farther in). Lanes and bands split
the sheet's width and length into equal parts. All in integer nm.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from layoutgen.binning.bindeck import Zones
from layoutgen.units import nm_to_mm


@dataclass(frozen=True)
class ZoneYield:
    """Cells and passing cells of one zone."""

    kind: str  # edge_ring | field | across | along
    label: str
    cells: int
    passed: int

    @property
    def yield_(self) -> float:
        return self.passed / self.cells if self.cells else 0.0


@dataclass(frozen=True)
class ZoneIndex:
    """Each cell's zone, per kind, with the zone labels (computed once per manifest)."""

    kinds: tuple[tuple[str, np.ndarray, tuple[str, ...]], ...]


def zone_index(x_nm: np.ndarray, y_nm: np.ndarray, field: np.ndarray,
               sheet_nm: tuple[int, int], z: Zones) -> ZoneIndex:
    """The zone of every cell for every kind of zone."""
    w, h = sheet_nm
    edge = np.minimum(np.minimum(x_nm, w - x_nm), np.minimum(y_nm, h - y_nm)).clip(0)
    ring_nm = z.ring_nm
    ring = np.minimum(edge // ring_nm, z.rings - 1).astype(np.int64)
    r_mm = nm_to_mm(ring_nm)
    rings = tuple(f"{k * r_mm:g}-{(k + 1) * r_mm:g} mm from the edge" if k < z.rings - 1
                  else f">= {k * r_mm:g} mm from the edge" for k in range(z.rings))
    fields, finv = np.unique(field, return_inverse=True)
    flabels = tuple(f"field {int(f)}" for f in fields)

    def bands(v: np.ndarray, size: int, count: int, axis: str) -> tuple[np.ndarray, tuple]:
        k = np.clip((v * count) // max(size, 1), 0, count - 1).astype(np.int64)
        labels = tuple(f"{axis} {nm_to_mm(size * j // count):g}-"
                       f"{nm_to_mm(size * (j + 1) // count):g} mm" for j in range(count))
        return k, labels

    ax, alab = bands(x_nm, w, z.bands_across, "x")
    ay, ylab = bands(y_nm, h, z.bands_along, "y")
    return ZoneIndex((("edge_ring", ring, rings), ("field", finv.astype(np.int64), flabels),
                      ("across", ax, alab), ("along", ay, ylab)))


def zone_counts(index: ZoneIndex, passed: np.ndarray) -> tuple[tuple[np.ndarray, np.ndarray],
                                                                ...]:
    """(cells, passed) per zone for every kind, as arrays (summable over sheets)."""
    out = []
    for _kind, idx, labels in index.kinds:
        cells = np.bincount(idx, minlength=len(labels))
        ok = np.bincount(idx, weights=passed.astype(np.float64), minlength=len(labels))
        out.append((cells.astype(np.int64), ok.astype(np.int64)))
    return tuple(out)


def zone_yields(index: ZoneIndex, counts: tuple[tuple[np.ndarray, np.ndarray], ...]
                ) -> tuple[ZoneYield, ...]:
    """The counts as ZoneYield rows (zones without cells left out)."""
    rows: list[ZoneYield] = []
    for (kind, _idx, labels), (cells, ok) in zip(index.kinds, counts, strict=True):
        rows.extend(ZoneYield(kind, labels[j], int(cells[j]), int(ok[j]))
                    for j in range(len(labels)) if cells[j])
    return tuple(rows)
