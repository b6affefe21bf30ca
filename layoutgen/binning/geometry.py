"""The sheet and cell outlines the pictures and zones use: from a job file, a given shape, or
the manifest alone (the largest box that does not overlap a neighbour)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.spatial import cKDTree

from layoutgen.errors import LayoutgenError
from layoutgen.export.manifest import Manifest
from layoutgen.job import load_job
from layoutgen.product import resolve_deck, size_product
from layoutgen.shapes import CellShape, outline_vertices
from layoutgen.shapes import rect as rect_shape
from layoutgen.units import mm_to_nm, to_nm


@dataclass(frozen=True)
class SheetGeometry:
    """Sheet size (nm) and where it came from, and the true cell outline if known."""

    sheet_nm: tuple[int, int]
    outline: CellShape | None  # None: not given (pictures draw `free_box`)
    sheet_note: str


def job_outline_and_sheet(job_path: Path) -> tuple[CellShape, tuple[int, int]]:
    """The cell outline (the product's sized cell, as `run` tiles it) and the sheet size of
    a job file (its deck with the job's [sheet] applied)."""
    job = load_job(job_path)
    deck = resolve_deck(job)
    cell = size_product(job, deck).cell
    sheet = (to_nm(deck.sheet.width_mm, "mm", "sheet.width_mm"),
             to_nm(deck.sheet.length_mm, "mm", "sheet.length_mm"))
    return cell, sheet


def extent_sheet(m: Manifest) -> tuple[int, int]:
    """A sheet size from the manifest alone: the cell centres' extent with equal margins
    (the largest centre coordinate plus the smallest)."""
    if m.count == 0:
        raise LayoutgenError("the manifest has no cells")
    x, y = np.rint(m.x * 1e6).astype(np.int64), np.rint(m.y * 1e6).astype(np.int64)
    return int(x.max() + x.min()), int(y.max() + y.min())


def free_box(m: Manifest) -> CellShape:
    """The largest box (one size for all cells, in each cell's frame as drawn) that overlaps
    none of a cell's 8 nearest neighbours, centred on each cell centre: for the aspect ratio
    giving the largest area among 17 tried."""
    xy = np.column_stack([m.x, m.y])
    if m.count < 2:
        return rect_shape(1.0, 1.0)
    k = min(9, m.count)
    _, nb = cKDTree(xy).query(xy, k=k, workers=-1)
    a_idx = np.repeat(np.arange(m.count), k - 1)
    b_idx = nb[:, 1:].ravel()
    dx = np.abs(xy[a_idx, 0] - xy[b_idx, 0])
    dy = np.abs(xy[a_idx, 1] - xy[b_idx, 1])
    best = (0.0, 1.0, 1.0)
    for a in np.geomspace(0.25, 4.0, 17):  # width = a * height
        h = float(np.min(np.maximum(dx / a, dy)))  # boxes a*h x h overlap no pair
        if a * h * h > best[0]:
            best = (a * h * h, a * h, h)
    w_nm = max(2, (mm_to_nm(best[1]) // 2) * 2)
    h_nm = max(2, (mm_to_nm(best[2]) // 2) * 2)
    return rect_shape(w_nm / 1e6, h_nm / 1e6)


def resolve(m: Manifest, *, outline: CellShape | None, job: Path | None,
            sheet_nm: tuple[int, int] | None) -> SheetGeometry:
    """Outline: given > job > none (`drawn_outline` then draws free boxes). Sheet: given >
    job > manifest extent."""
    job_sheet = None
    if job is not None:
        shape, job_sheet = job_outline_and_sheet(job)
        outline = outline or shape
    sheet_note = "given"
    if sheet_nm is None and job_sheet is not None:
        sheet_nm, sheet_note = job_sheet, "from the job"
    if sheet_nm is None:
        sheet_nm, sheet_note = extent_sheet(m), "from the manifest extent (equal margins)"
    x, y = np.rint(m.x * 1e6), np.rint(m.y * 1e6)
    off = (x < 0) | (x > sheet_nm[0]) | (y < 0) | (y > sheet_nm[1])
    if off.any():
        i = int(np.argmax(off))
        raise LayoutgenError(
            f"the {sheet_nm[0] / 1e6:g} x {sheet_nm[1] / 1e6:g} mm sheet ({sheet_note}) does not "
            f"hold the manifest's cells: {int(off.sum())} centres outside it (first: id "
            f"{int(m.id[i])} at {m.x[i]:g}, {m.y[i]:g} mm); give the sheet the cells were laid on")
    return SheetGeometry(sheet_nm, outline, sheet_note)


def drawn_outline(geo: SheetGeometry, m: Manifest) -> tuple[CellShape, str]:
    """The outline pictures draw and the note their titles carry ("" for the true one)."""
    if geo.outline is not None:
        return geo.outline, ""
    box = free_box(m)
    return box, (f"cell outlines not given: {box.width:g} x {box.height:g} mm boxes that "
                 "overlap no neighbour")


def cell_polygons(m: Manifest, outline: CellShape, tolerance_mm: float) -> np.ndarray:
    """(n, k, 2) outline vertices of every cell, rotated and placed (one template per
    rotation, no Python loop over cells)."""
    v = np.asarray(outline_vertices(outline, tolerance_mm), float)
    out = np.empty((m.count, len(v), 2))
    for rot in np.unique(m.rotation):
        sel = m.rotation == rot
        t = math.radians(float(rot))
        c, s = math.cos(t), math.sin(t)
        if float(rot) % 90 == 0:
            c, s = round(c), round(s)
        rv = np.column_stack([c * v[:, 0] - s * v[:, 1], s * v[:, 0] + c * v[:, 1]])
        out[sel] = rv[None, :, :] + np.column_stack([m.x[sel], m.y[sel]])[:, None, :]
    return out
