"""Pictures of binned sheets on their true geometry: heat maps per parameter, bin maps and the
stacked fail-rate map of a lot, as PNG and SVG.

Every cell is its outline (rotated and placed, round or polygon as it is) in one
PolyCollection, never one artist per cell. Sheets of more than RASTER_CELLS cells are drawn
through an id raster (`CellPainter`): the outlines are filled once, 1600 pixels on the longer
side, and every picture colours that raster, embedded as an image in the PNG and the SVG (axes,
text and the sheet outline stay vectors); a cell smaller than a raster pixel may not show.
Files carry no dates or versions: same result, same bytes.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
from matplotlib import colormaps, rcParams
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cm import ScalarMappable
from matplotlib.collections import PolyCollection
from matplotlib.colors import Colormap, Normalize, to_rgba, to_rgba_array
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from layoutgen.binning.geometry import cell_polygons, drawn_outline
from layoutgen.binning.result import BinResult
from layoutgen.errors import LayoutgenError
from layoutgen.fileio import LIFT_LIMITS
from layoutgen.units import nm_to_mm

RASTER_CELLS = 20_000  # past this many cells a sheet is drawn through an id raster
RASTER_PX = 1600  # its longer side in pixels
MAX_PICTURES = 400  # figures (each a PNG and an SVG) one run may draw (--force lifts)
NO_VALUE = "#d0d0d0"
PASS_COLOURS = ("#2ca02c", "#98df8a", "#17becf", "#9edae5")
FAIL_COLOURS = ("#d62728", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#bcbd22", "#7f7f7f",
                "#1f77b4", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2", "#dbdb8d", "#aec7e8")

Writer = Callable[[str, bytes], None]


def _figure(sheet_nm: tuple[int, int]) -> tuple[Figure, Axes]:
    """A figure with the sheet's axes at a fixed place (no tight layout: it would draw every
    cell once more), room on the right for a colour bar and below for a legend."""
    rcParams["svg.hashsalt"] = "layoutgen"
    w, h = nm_to_mm(sheet_nm[0]), nm_to_mm(sheet_nm[1])
    aspect = h / w if w else 1.0
    fig = Figure(figsize=(8.0, max(4.0, min(14.0, 0.68 * 8.0 * aspect / 0.76))), dpi=120)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.1, 0.16, 0.68, 0.76))
    ax.add_patch(Rectangle((0, 0), w, h, fill=False, lw=0.8, ec="black"))
    ax.set_xlim(-0.02 * w, 1.02 * w)
    ax.set_ylim(-0.02 * h, 1.02 * h)
    ax.set_aspect("equal")
    ax.set_xlabel("x (mm, across the web)")
    ax.set_ylabel("y (mm, along the web)")
    return fig, ax


def _colorbar(fig: Figure, cmap: Colormap, norm: Normalize, label: str,
              extend: str = "neither") -> None:
    sm = ScalarMappable(norm=norm, cmap=cmap)
    cb = fig.colorbar(sm, cax=fig.add_axes((0.83, 0.25, 0.025, 0.6)), extend=extend)
    cb.set_label(label)


def _save(fig: Figure, stem: str, write: Writer) -> list[str]:
    names = []
    for ext, meta in (("png", {"Software": None}), ("svg", {"Date": None, "Creator": None})):
        buf = io.BytesIO()
        fig.savefig(buf, format=ext, metadata=meta)
        write(f"{stem}.{ext}", buf.getvalue())
        names.append(f"{stem}.{ext}")
    return names


class CellPainter:
    """Fills every cell with its colour: one PolyCollection (vectors) up to RASTER_CELLS
    cells; past that, the cells are drawn once into an id raster (each pixel the index of the
    cell covering it) and every picture colours that raster (one polygon draw for all the
    pictures of a sheet; the PNG and the SVG embed the same image)."""

    def __init__(self, polys: np.ndarray, sheet_nm: tuple[int, int]) -> None:
        self.polys = polys
        w, h = nm_to_mm(sheet_nm[0]), nm_to_mm(sheet_nm[1])
        self.extent = (-0.02 * w, 1.02 * w, -0.02 * h, 1.02 * h)
        self.ids = self._id_raster() if len(polys) > RASTER_CELLS else None

    def _id_raster(self) -> np.ndarray:
        x0, x1, y0, y1 = self.extent
        wpx = RASTER_PX if x1 - x0 >= y1 - y0 else round(RASTER_PX * (x1 - x0) / (y1 - y0))
        hpx = round(wpx * (y1 - y0) / (x1 - x0))
        fig = Figure(figsize=(wpx / 100, hpx / 100), dpi=100, facecolor="black")
        canvas = FigureCanvasAgg(fig)
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_axis_off()
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        k = np.arange(1, len(self.polys) + 1)
        rgb = np.column_stack([(k >> 16) & 255, (k >> 8) & 255, k & 255]) / 255.0
        pc = PolyCollection(self.polys, facecolors=rgb, edgecolors="none",  # type: ignore[arg-type]
                            linewidths=0, antialiased=False)
        ax.add_collection(pc, autolim=False)
        canvas.draw()
        buf = np.asarray(canvas.buffer_rgba())[:, :, :3].astype(np.int64)
        return (buf[:, :, 0] << 16 | buf[:, :, 1] << 8 | buf[:, :, 2]) - 1

    def paint(self, ax: Axes, rgba: np.ndarray) -> None:
        """Fill cell i with rgba[i] (n, 4)."""
        if self.ids is None:
            pc = PolyCollection(self.polys, closed=True,  # type: ignore[arg-type]
                                facecolors=rgba, edgecolors="none")
            ax.add_collection(pc, autolim=False)
            return
        img = np.zeros((*self.ids.shape, 4))
        inside = self.ids >= 0
        img[inside] = rgba[self.ids[inside]]
        ax.imshow(img, extent=self.extent, origin="upper", interpolation="antialiased")
        ax.set_xlim(self.extent[0], self.extent[1])
        ax.set_ylim(self.extent[2], self.extent[3])


def _mapped(values: np.ndarray, cmap: Colormap, norm: Normalize) -> np.ndarray:
    rgba = cmap(norm(np.where(np.isfinite(values), values, 0.0)))
    rgba[~np.isfinite(values)] = to_rgba(NO_VALUE)
    return rgba


def _title(note: str, text: str) -> str:
    return text + (f"\n({note})" if note else "")


def heat_map(r: BinResult, painter: CellPainter, note: str, s: int, p: str, write: Writer
             ) -> list[str]:
    """One parameter of one sheet, colour bar in its unit; cells without a value grey."""
    v = r.cell_values[p][s]
    fig, ax = _figure(r.geometry.sheet_nm)
    ok = np.isfinite(v)
    lo, hi = 0.0, 1.0
    if ok.any():
        lo, hi = (float(q) for q in (np.percentile(v[ok], [1, 99]) if ok.sum() > 100
                                     else (v[ok].min(), v[ok].max())))
    cmap = colormaps["viridis"]
    norm = Normalize(lo, hi if hi > lo else lo + 1e-9)
    painter.paint(ax, _mapped(v, cmap, norm))
    _colorbar(fig, cmap, norm, f"{p} ({r.units[p]})", "both")
    ax.set_title(_title(note, f"sheet {r.sheet_ids[s]}: {p} ({r.units[p]}); grey: no value"),
                 fontsize=9)
    return _save(fig, f"heat_{r.sheet_ids[s]}_{p}", write)


def _bin_colours(r: BinResult) -> list[str]:
    out, kp, kf = [], 0, 0
    for b in r.deck.bins:
        if b.rule == "untested":
            out.append(NO_VALUE)
        elif b.passed:
            out.append(PASS_COLOURS[kp % len(PASS_COLOURS)])
            kp += 1
        else:
            out.append(FAIL_COLOURS[kf % len(FAIL_COLOURS)])
            kf += 1
    return out


def bin_map(r: BinResult, painter: CellPainter, note: str, s: int, write: Writer
            ) -> list[str]:
    """The bins of one sheet with a legend of codes, names and counts."""
    b = r.cell_bins[s].astype(np.int64)
    colours = _bin_colours(r)
    fig, ax = _figure(r.geometry.sheet_nm)
    painter.paint(ax, to_rgba_array(colours)[b])
    counts = np.bincount(b, minlength=len(colours))
    handles = [Patch(facecolor=colours[i], label=f"{x.code} {x.name}: {counts[i]:,}")
               for i, x in enumerate(r.deck.bins) if counts[i]]
    fig.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.45, 0.0), fontsize=8,
               frameon=False, ncol=min(3, max(1, len(handles))))
    sheet = r.sheets[s]
    ax.set_title(_title(note, f"sheet {sheet.sheet}: bins, yield {100 * sheet.yield_:.1f} % "
                              f"({sheet.passed:,} of {sheet.cells:,})"), fontsize=9)
    return _save(fig, f"bins_{sheet.sheet}", write)


def stacked_map(r: BinResult, painter: CellPainter, note: str, write: Writer) -> list[str]:
    """Fail rate at each cell position across the lot's sheets."""
    passes = np.array([x.passed for x in r.deck.bins])
    rate = 1.0 - passes[r.cell_bins].mean(axis=0)
    fig, ax = _figure(r.geometry.sheet_nm)
    cmap, norm = colormaps["Reds"], Normalize(0.0, 1.0)
    painter.paint(ax, _mapped(rate, cmap, norm))
    _colorbar(fig, cmap, norm, f"fail rate across {len(r.sheet_ids)} sheets")
    ax.set_title(_title(note, f"stacked map: fail rate per position, lot yield "
                              f"{100 * r.lot.yield_:.1f} %"), fontsize=9)
    return _save(fig, "stacked", write)


def picture_count(r: BinResult) -> int:
    """How many figures `draw_all` draws (each written as PNG and SVG)."""
    sheets = min(len(r.sheet_ids), r.deck.pictures.max_sheets)
    return sheets * (len(r.parameters) + 1) + (1 if len(r.sheet_ids) > 1 else 0)


def picture_names(r: BinResult) -> list[str]:
    """The file names `draw_all` writes, in its order, without drawing."""
    stems: list[str] = []
    for s in range(min(len(r.sheet_ids), r.deck.pictures.max_sheets)):
        stems += [f"heat_{r.sheet_ids[s]}_{p}" for p in r.parameters]
        stems.append(f"bins_{r.sheet_ids[s]}")
    if len(r.sheet_ids) > 1:
        stems.append("stacked")
    return [f"{stem}.{ext}" for stem in stems for ext in ("png", "svg")]


def check_picture_count(r: BinResult) -> None:
    """Refuse more than MAX_PICTURES figures before drawing any (unless --force)."""
    n = picture_count(r)
    if n > MAX_PICTURES and not LIFT_LIMITS.get():
        raise LayoutgenError(
            f"pictures: {n:,} figures to draw ({min(len(r.sheet_ids), r.deck.pictures.max_sheets)}"
            f" sheets x {len(r.parameters) + 1} maps), over the limit of {MAX_PICTURES}; lower "
            "pictures.max_sheets, --no-pictures, or --force")


def draw_all(r: BinResult, write: Writer) -> list[str]:
    """Heat maps and bin maps of the first `pictures.max_sheets` sheets, and the stacked map
    when there are two sheets or more; returns the file names written."""
    check_picture_count(r)
    o, note = drawn_outline(r.geometry, r.manifest)
    # chord tolerance: 1/100 of the cell, at least a tenth of a pixel (8 in at 120 dpi)
    tol = max(min(o.width, o.height) / 100.0, nm_to_mm(max(r.geometry.sheet_nm)) / 9600.0)
    painter = CellPainter(cell_polygons(r.manifest, o, tol), r.geometry.sheet_nm)
    names: list[str] = []
    for s in range(min(len(r.sheet_ids), r.deck.pictures.max_sheets)):
        for p in r.parameters:
            names += heat_map(r, painter, note, s, p, write)
        names += bin_map(r, painter, note, s, write)
    if len(r.sheet_ids) > 1:
        names += stacked_map(r, painter, note, write)
    return names
