"""An ink-less bin map for the pick tool, in the manner of SEMI E142 (substrate map XML).

E142 describes a substrate as regular grids (Layouts: a dimension in columns and rows, a step
size and a device size) and, per substrate, one bin code per grid position (a BinCodeMap with
its bin definitions and a null bin for positions without a device). layoutgen's sheets are not
always one grid, so the cells are split into regular grids first:

1. cells are grouped by rotation;
2. a group whose centres sit on one lattice (equal steps in x and in y, each centre within
   100 nm of its lattice position) with at most twice as many positions as cells is one grid
   (a hexagonal packing becomes a grid with every other position null);
3. otherwise the group is split into blocks (cells joined to their lattice neighbours: the
   nearest offset straight along x, or along y), and each block that is a lattice becomes a
   grid (a single cell is one 1 x 1 grid).

Each grid is a child Layout of the sheet Layout; cells on no grid are left out of the XML (the
CSV pick map always holds every cell) and counted in `GridSplit.left_out`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from layoutgen.binning.bindeck import BinDeck
from layoutgen.export.manifest import Manifest
from layoutgen.shapes import CellShape, rotated_extent
from layoutgen.units import nm_to_mm

NULL_BIN = 255
MAX_POSITIONS = 20_000_000  # grid positions over all grids (a lattice past this is no grid)
LATTICE_TOL_NM = 100  # a centre off its lattice position by more than this: not a lattice
NS = "urn:semi-org:xsd.E142-1.V1005.SubstrateMap"


@dataclass(frozen=True)
class Grid:
    """One regular grid: manifest cells at lattice positions (i, j)."""

    cells: np.ndarray  # manifest row indices
    i: np.ndarray  # column index of each cell
    j: np.ndarray  # row index of each cell
    nx: int
    ny: int
    x0_nm: int  # centre of position (0, 0)
    y0_nm: int
    px_nm: int  # 0: one column (the writer gives the device size)
    py_nm: int  # 0: one row
    rotation: float


@dataclass(frozen=True)
class GridSplit:
    """The regular grids of a manifest and how many cells are on none."""

    grids: tuple[Grid, ...]
    left_out: int


def _axis(v: np.ndarray) -> tuple[float, float, np.ndarray] | None:
    """(first position, step, index of each value) if the values sit on one arithmetic
    progression within LATTICE_TOL_NM, else None."""
    u = np.unique(v)
    keep = np.ones(len(u), bool)
    keep[1:] = np.diff(u) > LATTICE_TOL_NM
    u = u[keep]
    if len(u) == 1:
        return float(u[0]), 0.0, np.zeros(len(v), np.int64)
    steps = round(float(u[-1] - u[0]) / float(np.diff(u).min()))
    p = float(u[-1] - u[0]) / steps
    idx = np.rint((v - u[0]) / p).astype(np.int64)
    if np.abs(v - (u[0] + idx * p)).max() > LATTICE_TOL_NM:
        return None
    return float(u[0]), p, idx


def _lattice(idx: np.ndarray, xn: np.ndarray, yn: np.ndarray, rot: float) -> Grid | None:
    ax, ay = _axis(xn[idx]), _axis(yn[idx])
    if ax is None or ay is None:
        return None
    i, j = ax[2], ay[2]
    nx, ny = int(i.max()) + 1, int(j.max()) + 1
    if nx * ny > 2 * len(idx) or nx * ny > MAX_POSITIONS:
        return None
    if np.unique(j * nx + i).size != len(idx):
        return None
    return Grid(idx, i, j, nx, ny, round(ax[0]), round(ay[0]), round(ax[1]), round(ay[1]), rot)


def _blocks(idx: np.ndarray, xn: np.ndarray, yn: np.ndarray) -> np.ndarray:
    """Block label of each cell: cells joined to their lattice neighbours (the nearest
    offset straight along x or along y, same for the whole group)."""
    pts = np.column_stack([xn[idx], yn[idx]]).astype(float)
    tree = cKDTree(pts)
    d, _ = tree.query(pts, k=2)
    pairs = tree.query_pairs(float(d[:, 1].max()) * 1.5, output_type="ndarray")
    dx = np.abs(pts[pairs[:, 0], 0] - pts[pairs[:, 1], 0])
    dy = np.abs(pts[pairs[:, 0], 1] - pts[pairs[:, 1], 1])
    link = np.zeros(len(pairs), bool)
    for along, across in ((dx, dy), (dy, dx)):
        straight = across <= LATTICE_TOL_NM
        if straight.any():
            step = along[straight].min()
            link |= straight & (np.abs(along - step) <= LATTICE_TOL_NM)
    pl = pairs[link]
    adj = coo_matrix((np.ones(len(pl)), (pl[:, 0], pl[:, 1])), shape=(len(idx), len(idx)))
    return connected_components(adj, directed=False)[1]


def split_grids(m: Manifest) -> GridSplit:
    """The manifest's cells as regular grids (see the module docstring)."""
    xn = np.rint(m.x * 1e6).astype(np.int64)
    yn = np.rint(m.y * 1e6).astype(np.int64)
    grids: list[Grid] = []
    left = 0
    for rot in np.unique(m.rotation):
        idx = np.flatnonzero(m.rotation == rot)
        g = _lattice(idx, xn, yn, float(rot))
        if g is not None:
            grids.append(g)
            continue
        label = _blocks(idx, xn, yn) if len(idx) > 1 else np.zeros(len(idx), np.int64)
        for lab in np.unique(label):
            sub = idx[label == lab]
            g = _lattice(sub, xn, yn, float(rot))
            if g is None:
                left += len(sub)
            else:
                grids.append(g)
    return GridSplit(tuple(grids), left)


_LUT = np.array([list(f"{k:03d}".encode()) for k in range(256)], np.uint8)


def _rows_text(codes: np.ndarray) -> list[str]:
    """Rows of 3-digit decimal bin codes (row 0 first)."""
    ny, nx = codes.shape
    digits = _LUT[codes.ravel()].reshape(ny, nx * 3)
    return [digits[r].tobytes().decode("ascii") for r in range(ny)]


def e142_xml(m: Manifest, split: GridSplit, deck: BinDeck, sheet_ids: tuple[str, ...],
             cell_bins: np.ndarray, outline: CellShape | None,
             sheet_nm: tuple[int, int]) -> bytes:
    """The XML text: one sheet Layout with one child Layout per grid; one SubstrateMap per
    sheet and grid, rows listed from the origin (lower-left, y up) outwards. Without an
    outline the device size is the step."""
    ET.register_namespace("", NS)
    root = ET.Element(f"{{{NS}}}MapData")
    layouts = ET.SubElement(root, f"{{{NS}}}Layouts")
    top = ET.SubElement(layouts, f"{{{NS}}}Layout", LayoutId="Sheet", DefaultUnits="mm",
                        TopLevel="true")
    ET.SubElement(top, f"{{{NS}}}Dimension", X="1", Y="1")
    ET.SubElement(top, f"{{{NS}}}DeviceSize", X=f"{nm_to_mm(sheet_nm[0]):.6f}",
                  Y=f"{nm_to_mm(sheet_nm[1]):.6f}")
    children = ET.SubElement(top, f"{{{NS}}}ChildLayouts")
    for k in range(len(split.grids)):
        ET.SubElement(children, f"{{{NS}}}ChildLayout", LayoutId=f"Grid{k + 1}")
    for k, g in enumerate(split.grids):
        if outline is not None:
            hx, hy = rotated_extent(outline, g.rotation)  # half-extents
            w, h = 2 * hx, 2 * hy
        else:  # no outline given: the device fills its step
            w, h = nm_to_mm(g.px_nm), nm_to_mm(g.py_nm)
            w, h = (w or h or 1.0), (h or w or 1.0)
        lay = ET.SubElement(layouts, f"{{{NS}}}Layout", LayoutId=f"Grid{k + 1}",
                            DefaultUnits="mm")
        ET.SubElement(lay, f"{{{NS}}}Dimension", X=str(g.nx), Y=str(g.ny))
        ET.SubElement(lay, f"{{{NS}}}LowerLeft", X=f"{nm_to_mm(g.x0_nm):.6f}",
                      Y=f"{nm_to_mm(g.y0_nm):.6f}")
        sx = nm_to_mm(g.px_nm) if g.px_nm else w
        sy = nm_to_mm(g.py_nm) if g.py_nm else h
        ET.SubElement(lay, f"{{{NS}}}StepSize", X=f"{sx:.6f}", Y=f"{sy:.6f}")
        ET.SubElement(lay, f"{{{NS}}}DeviceSize", X=f"{w:.6f}", Y=f"{h:.6f}")
        ET.SubElement(lay, f"{{{NS}}}Rotation", Degrees=f"{g.rotation:g}")
    subs = ET.SubElement(root, f"{{{NS}}}Substrates")
    for sid in sheet_ids:
        ET.SubElement(subs, f"{{{NS}}}Substrate", SubstrateType="Sheet", SubstrateId=sid)
    maps = ET.SubElement(root, f"{{{NS}}}SubstrateMaps")
    codes_of = np.array([b.code for b in deck.bins], np.uint8)
    for s, sid in enumerate(sheet_ids):
        for k, g in enumerate(split.grids):
            sm = ET.SubElement(maps, f"{{{NS}}}SubstrateMap", SubstrateType="Sheet",
                               SubstrateId=sid, Orientation="0", OriginLocation="LowerLeft",
                               AxisDirection="UpRight", LayoutSpecifier=f"Sheet/Grid{k + 1}")
            ov = ET.SubElement(sm, f"{{{NS}}}Overlay", MapName="BinCodeMap", MapVersion="1")
            bcm = ET.SubElement(ov, f"{{{NS}}}BinCodeMap", BinType="Decimal",
                                NullBin=str(NULL_BIN))
            grid = np.full((g.ny, g.nx), NULL_BIN, np.uint8)
            grid[g.j, g.i] = codes_of[cell_bins[s, g.cells]]
            defs = ET.SubElement(bcm, f"{{{NS}}}BinDefinitions")
            counts = np.bincount(cell_bins[s, g.cells], minlength=len(deck.bins))
            for bi, b in enumerate(deck.bins):
                ET.SubElement(defs, f"{{{NS}}}BinDefinition", BinCode=f"{b.code:03d}",
                              BinCount=str(int(counts[bi])),
                              BinQuality="Pass" if b.passed else "Fail",
                              BinDescription=b.name)
            for text in _rows_text(grid):
                ET.SubElement(bcm, f"{{{NS}}}BinCode").text = text
    ET.indent(root, space=" ")
    body = ET.tostring(root, encoding="unicode")
    note = (f"<!-- layoutgen bin: E142-style map; {len(split.grids)} regular grid(s); "
            f"{split.left_out} cell(s) on no regular grid are left out (see pickmap.csv); "
            "BinCode rows run from the lower-left origin upwards -->\n")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + note + body + "\n").encode("utf-8")
