"""GDSII / OASIS writer for a `SheetLayout` (gdstk), plus the KLayout layer-properties file.

Hierarchical output (default): one master cell per orientation (`CELL_R000`, `CELL_R090`, ...)
holding the process layers; the top cell references the masters and holds the sheet features.
Regular blocks of the placement arrays (same orientation, constant pitch along rows and columns)
become GDS arrays (AREF), split at 32767 per axis; the irregular remainder becomes single
references (stored as one repetition per master, which OASIS keeps compact). `flat=True` writes
every polygon into the top cell: each master polygon is given the same block repetitions, which
gdstk expands in C++ while writing (no Python object per cell).

Units: user unit 1 um (unit 1e-6 m), database unit 1 nm (precision 1e-9). Everything is laid
out in integer nm first: placements are the tiling's whole-nm centres (`SheetLayout.x_nm`,
`y_nm`), array origins and pitches are integer differences of them, and master polygons are
snapped once to integer nm (`layout.grid.snap_nm`: grid vertices exactly, curve points toward the
cell centre). gdstk is then handed nm / 1000 um, which it scales back to exactly those integers
(|n| < 2**52), so the file holds the integers computed here. An array is only formed where the
positions are exactly regular, so every instance sits exactly where the manifest says.

Output is deterministic: fixed timestamp, cells sorted by name, blocks sorted by position.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast
from xml.sax.saxutils import escape

import gdstk
import numpy as np
import shapely

from layoutgen.errors import LayoutgenError
from layoutgen.fileio import atomic_path, write_text
from layoutgen.layout.grid import floats_to_nm, snap_nm
from layoutgen.layout.model import SheetLayout
from layoutgen.technology import LAYER_NAMES, SHEET_LAYER_NAMES, layer

UNIT = 1e-6
PRECISION = 1e-9
TIMESTAMP = datetime.datetime(2000, 1, 1)
MAX_ARRAY = 32767  # GDS AREF: columns and rows are 16-bit signed
MAX_POINTS = 8190  # GDS BOUNDARY vertex limit (no fracturing below it)
UM_PER_MM = 1000.0

# The .lyp lists the registry's layers top first (KLayout paints the list's first entry on top).
LYP_ORDER = tuple(reversed(LAYER_NAMES))


@dataclass(frozen=True)
class GdsInfo:
    """What was written: paths, counts of array and single references, file sizes."""

    gds_path: Path
    oasis_path: Path | None
    lyp_path: Path | None
    top: str
    masters: tuple[str, ...]
    arrays: int
    single_refs: int
    flat: bool
    gds_bytes: int
    oasis_bytes: int


def cell_name(text: str) -> str:
    """A GDS-safe structure name (A-Z a-z 0-9 _ ? $), at most 32 characters."""
    name = re.sub(r"[^A-Za-z0-9_?$]", "_", text.strip()) or "SHEET"
    return name[:32]


def _runs(keys: list[np.ndarray], pos: np.ndarray, tol: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Split sorted items into runs of equal keys and a constant nonzero step of `pos`.

    With `tol` > 0 a run may deviate from its lattice (first item + i * rounded mean step) by at
    most `tol` per item: rounding an irrational pitch to the 1 nm grid makes steps differ by 1.
    Returns (start index, length) of each run; items must be sorted by keys, then pos.
    """
    n = len(pos)
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    group = np.zeros(n, bool)
    group[0] = True
    for k in keys:
        group[1:] |= k[1:] != k[:-1]
    starts, lengths = _split(group, pos, tol)
    if tol <= 0:
        return starts, lengths
    # verify each tolerant run against its lattice; re-split failing ones exactly
    step = np.where(lengths > 1, np.round((pos[starts + lengths - 1] - pos[starts])
                                          / np.maximum(lengths - 1, 1)), 0).astype(np.int64)
    rid = np.repeat(np.arange(len(starts)), lengths)
    idx = np.arange(n) - starts[rid]
    dev = np.abs(pos - (pos[starts[rid]] + idx * step[rid]))
    bad_run = np.zeros(len(starts), bool)
    np.logical_or.at(bad_run, rid, dev > tol)
    if not bad_run.any():
        return starts, lengths
    brk = np.zeros(n, bool)
    brk[starts] = True
    bad_item = bad_run[rid]
    s2, _ = _split(group | brk, pos, 0)
    keep = np.zeros(n, bool)
    keep[starts[~bad_run]] = True
    keep[s2[bad_item[s2]]] = True
    new_starts = np.flatnonzero(keep)
    return new_starts, np.diff(np.r_[new_starts, n])


def _split(group: np.ndarray, pos: np.ndarray, tol: int) -> tuple[np.ndarray, np.ndarray]:
    """Greedy left-to-right runs of a constant step, vectorised.

    Item i starts a run if its group starts there, its step is 0, or its step differs from the
    previous one while item i-1 does not itself start a run (then i-1 and i set the new step).
    Along a chain of consecutive step changes the starts alternate, which parity resolves.
    """
    n = len(pos)
    d = np.zeros(n, np.int64)
    d[1:] = pos[1:] - pos[:-1]
    d[group] = 0
    forced = group | (d == 0)
    d_prev = np.zeros(n, np.int64)
    d_prev[1:] = d[:-1]
    chain = (np.abs(d - d_prev) > tol) & ~forced
    first = chain.copy()
    first[1:] &= ~chain[:-1]
    idx = np.arange(n)
    start_of = np.maximum.accumulate(np.where(first, idx, 0))
    j = idx - start_of
    prev_forced = forced[np.maximum(start_of - 1, 0)]
    brk = forced | (chain & ((j % 2 == 0) != prev_forced))
    starts = np.flatnonzero(brk)
    return starts, np.diff(np.r_[starts, n])


def regular_blocks(ix: np.ndarray, iy: np.ndarray, tol: int = 0) -> np.ndarray:
    """Decompose integer points into rectangular lattices.

    Returns (nb, 6) int64 rows: x0, y0, dx, dy, columns, rows. Every point is in exactly one
    block (single points are 1 x 1 blocks) and lies within `tol` per axis of its lattice
    point (tol 0, the default the writer uses: exactly on it, so every instance is the exact
    placement); blocks are sorted by y0, then x0.
    """
    ix = np.asarray(ix, np.int64)
    iy = np.asarray(iy, np.int64)
    if not len(ix):
        return np.zeros((0, 6), np.int64)
    ordered = bool(np.all((iy[1:] > iy[:-1]) | ((iy[1:] == iy[:-1]) & (ix[1:] >= ix[:-1]))))
    if ordered:  # the tiling's own order (rows along y, then x): no sort needed
        X, Y = ix, iy
    else:
        o = np.lexsort((ix, iy))
        X, Y = ix[o], iy[o]
    s, ln = _runs([Y], X, tol)  # runs along each row
    last = s + ln - 1
    rx0, ry, rn = X[s], Y[s], ln
    rdx = np.where(ln > 1, np.round((X[last] - X[s]) / np.maximum(ln - 1, 1)), 0).astype(np.int64)
    # stack runs with the same (x0, dx, n) at a constant row pitch
    o2 = np.lexsort((ry, rn, rdx, rx0))
    kx0, kdx, kn, ky = rx0[o2], rdx[o2], rn[o2], ry[o2]
    s2, ln2 = _runs([kx0, kdx, kn], ky, tol)
    last2 = s2 + ln2 - 1
    bdy = np.where(ln2 > 1, np.round((ky[last2] - ky[s2]) / np.maximum(ln2 - 1, 1)),
                   0).astype(np.int64)
    blocks = np.column_stack([kx0[s2], ky[s2], kdx[s2], bdy, kn[s2], ln2]).astype(np.int64)
    return blocks[np.lexsort((blocks[:, 0], blocks[:, 1]))]


def split_blocks(blocks: np.ndarray, limit: int = MAX_ARRAY) -> np.ndarray:
    """Split blocks so no array has more than `limit` columns or rows."""
    out = []
    for x0, y0, dx, dy, nx, ny in blocks.tolist():
        if nx <= limit and ny <= limit:
            out.append((x0, y0, dx, dy, nx, ny))
            continue
        for i in range(0, nx, limit):
            for j in range(0, ny, limit):
                out.append((x0 + i * dx, y0 + j * dy, dx, dy, min(limit, nx - i),
                            min(limit, ny - j)))
    return np.array(out, np.int64).reshape(-1, 6)


def placement_blocks(layout: SheetLayout) -> list[tuple[int, np.ndarray]]:
    """Per master index: its blocks (x0, y0, dx, dy, nx, ny in nm), split at 32767."""
    ix = np.asarray(layout.x_nm, np.int64)
    iy = np.asarray(layout.y_nm, np.int64)
    out = []
    for m in range(len(layout.patterns)):
        sel = layout.master == m
        if np.any(sel):
            out.append((m, split_blocks(regular_blocks(ix[sel], iy[sel]))))
    return out


def _um(nm: np.ndarray) -> Sequence[tuple[float, float]]:
    """Integer nm (n, 2) -> the um floats gdstk scales back to exactly those integers (an
    (n, 2) array, which gdstk takes as its point sequence)."""
    return cast(Sequence[tuple[float, float]], np.asarray(nm, np.int64) / UM_PER_MM)


def _gds_polygons(geom: shapely.Geometry, layer: tuple[int, int], *, cell: bool = False
                  ) -> list[gdstk.Polygon]:
    """gdstk polygons (um) of a shapely polygon (mm); holes become keyhole polygons.

    Vertices go to integer nm first: a master's (`cell`) with `snap_nm` (curve points toward
    the cell centre), sheet features to the nearest nm.
    """
    grid = snap_nm if cell else floats_to_nm
    out: list[gdstk.Polygon] = []
    for poly in getattr(geom, "geoms", [geom]):
        if poly.is_empty:
            continue
        poly = shapely.orient_polygons(poly)
        outer = _um(grid(shapely.get_coordinates(poly.exterior)[:-1]))
        if not len(poly.interiors):
            out.append(gdstk.Polygon(outer, layer=layer[0], datatype=layer[1]))
            continue
        holes = [_um(grid(shapely.get_coordinates(h)[:-1])) for h in poly.interiors]
        out.extend(gdstk.boolean(gdstk.Polygon(outer), [gdstk.Polygon(h) for h in holes],
                                 "not", precision=PRECISION / UNIT, layer=layer[0],
                                 datatype=layer[1]))
    return out


def master_polygons(layout: SheetLayout, m: int) -> list[gdstk.Polygon]:
    """The process-layer polygons of master m (um, cell-centred)."""
    layers = layout.deck.layers
    pat = layout.patterns[m]
    out: list[gdstk.Polygon] = []
    for name in sorted(pat.layers):
        out.extend(_gds_polygons(pat.layers[name], getattr(layers, name), cell=True))
    return out


def _feature_polygons(layout: SheetLayout) -> list[gdstk.Polygon]:
    """The top cell's own shapes: every registry sheet layer, in (layer, datatype) order."""
    layers = layout.deck.layers
    out: list[gdstk.Polygon] = []
    for name in sorted(SHEET_LAYER_NAMES, key=lambda n: tuple(getattr(layers, n))):
        for i, geom in enumerate(layout.features[name]):
            polys = _gds_polygons(geom, getattr(layers, name))
            if name == "KEEPOUT":
                prop = (f"name={layout.keepout_names[i]};"
                        f"clearance_mm={layout.keepout_clearance[i]!r}")
                for p in polys:
                    p.set_gds_property(1, prop)
            out.extend(polys)
    return out


def _labels(layout: SheetLayout) -> list[gdstk.Label]:
    if not layout.deck.layout.labels or not layout.count:
        return []
    lx, ly = layout.label_positions()
    layer, dt = layout.deck.layers.LABEL
    mag = layout.deck.layout.label_height_um  # text height in um (magnification of 1 um text)
    return [gdstk.Label(str(i), (float(a), float(b)), "o", magnification=mag, layer=layer,
                        texttype=dt)
            for i, a, b in zip(range(layout.count), lx * UM_PER_MM, ly * UM_PER_MM, strict=True)]


def _repetition(blk: np.ndarray) -> tuple[tuple[float, float], gdstk.Repetition | None]:
    """Origin (um) and repetition of one block; 1 x 1 blocks have no repetition."""
    x0, y0, dx, dy, nx, ny = (int(v) for v in blk)
    origin = (x0 / UM_PER_MM, y0 / UM_PER_MM)  # exact: gdstk scales back to the integers
    if nx == 1 and ny == 1:
        return origin, None
    return origin, gdstk.Repetition(columns=nx, rows=ny,
                                    spacing=((dx or 1000) / UM_PER_MM, (dy or 1000) / UM_PER_MM))


def _singles(blocks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    one = (blocks[:, 4] == 1) & (blocks[:, 5] == 1)
    return blocks[~one], blocks[one]


def build_library(layout: SheetLayout, name: str = "SHEET", *, flat: bool = False
                  ) -> tuple[gdstk.Library, dict[str, int]]:
    """The gdstk library of a sheet layout, and counts of arrays and single references."""
    top_name = cell_name(name)
    lib = gdstk.Library(top_name, unit=UNIT, precision=PRECISION)
    names = [p.name for p in layout.patterns]
    if top_name in names:
        raise LayoutgenError(f"--name {name!r}: clashes with a master cell name ({top_name})")
    top = gdstk.Cell(top_name)
    top.add(*_feature_polygons(layout))
    top.add(*_labels(layout))
    stats = {"arrays": 0, "single_refs": 0}
    cells = [top]
    for m, blocks in placement_blocks(layout):
        arrays, singles = _singles(blocks)
        stats["arrays"] += len(arrays)
        stats["single_refs"] += len(singles)
        polys = master_polygons(layout, m)
        if flat:
            _add_flat(top, polys, arrays, singles)
            continue
        master = gdstk.Cell(names[m])
        master.add(*polys)
        cells.append(master)
        for blk in arrays:
            origin, rep = _repetition(blk)
            ref = gdstk.Reference(master, origin)
            if rep is not None:
                ref.repetition = rep
            top.add(ref)
        if len(singles):
            pts = _um(singles[:, :2])
            ref = gdstk.Reference(master, (float(pts[0][0]), float(pts[0][1])))
            if len(pts) > 1:
                ref.repetition = gdstk.Repetition(offsets=_um(singles[1:, :2] - singles[0, :2]))
            top.add(ref)
    for c in sorted(cells, key=lambda c: c.name):
        lib.add(c)
    return lib, stats


def _add_flat(top: gdstk.Cell, polys: list[gdstk.Polygon], arrays: np.ndarray,
              singles: np.ndarray) -> None:
    """Every polygon of every placement: one repeated polygon per master polygon and block."""
    groups: list[tuple[tuple[float, float], gdstk.Repetition | None]] = [
        _repetition(b) for b in arrays]
    if len(singles):
        pts = _um(singles[:, :2])
        rep = (gdstk.Repetition(offsets=_um(singles[1:, :2] - singles[0, :2]))
               if len(pts) > 1 else None)
        groups.append(((float(pts[0][0]), float(pts[0][1])), rep))
    for origin, rep in groups:
        for p in polys:
            q = p.copy()
            q.translate(origin)
            if rep is not None:
                q.repetition = rep
            top.add(q)


def write_lyp(layers: object, path: str | Path) -> Path:
    """KLayout layer properties of every registry layer (top first): name, the deck's
    layer/datatype, the registry's colour and dither pattern."""
    rows = ['<?xml version="1.0" encoding="utf-8"?>', "<layer-properties>"]
    for name in LYP_ORDER:
        ld = getattr(layers, name)
        colour, dither = layer(name).colour, layer(name).dither
        rows += [
            " <properties>",
            f"  <frame-color>{colour}</frame-color>",
            f"  <fill-color>{colour}</fill-color>",
            "  <frame-brightness>0</frame-brightness>",
            "  <fill-brightness>0</fill-brightness>",
            f"  <dither-pattern>{dither}</dither-pattern>",
            "  <line-style/>",
            "  <valid>true</valid>",
            "  <visible>true</visible>",
            "  <transparent>false</transparent>",
            "  <width>1</width>",
            "  <marked>false</marked>",
            "  <xfill>false</xfill>",
            "  <animation>0</animation>",
            f"  <name>{escape(name)} {ld[0]}/{ld[1]}</name>",
            f"  <source>{ld[0]}/{ld[1]}@1</source>",
            " </properties>",
        ]
    rows += [" <name/>", "</layer-properties>", ""]
    write_text(path, "\n".join(rows))
    return Path(path)


def write_layout(layout: SheetLayout, gds_path: str | Path, *, name: str = "SHEET",
                 flat: bool = False, oasis: bool = False, lyp: bool = True) -> GdsInfo:
    """Write `<gds_path>` (and `.oas`, `.lyp` beside it) atomically; return what was written."""
    gds_path = Path(gds_path)
    lib, stats = build_library(layout, name, flat=flat)
    with atomic_path(gds_path) as tmp:
        lib.write_gds(str(tmp), max_points=MAX_POINTS, timestamp=TIMESTAMP)
    oas_path = None
    if oasis:
        oas_path = gds_path.with_suffix(".oas")
        with atomic_path(oas_path) as tmp:
            lib.write_oas(str(tmp), compression_level=6, detect_rectangles=True,
                          detect_trapezoids=True, circle_tolerance=0,  # type: ignore[call-arg]
                          standard_properties=False, validation="crc32")
    lyp_path = write_lyp(layout.deck.layers, gds_path.with_suffix(".lyp")) if lyp else None
    top = cell_name(name)
    return GdsInfo(
        gds_path=gds_path, oasis_path=oas_path, lyp_path=lyp_path, top=top,
        masters=() if flat else tuple(sorted(p.name for p in layout.patterns)),
        arrays=stats["arrays"], single_refs=stats["single_refs"], flat=flat,
        gds_bytes=gds_path.stat().st_size,
        oasis_bytes=oas_path.stat().st_size if oas_path else 0,
    )
