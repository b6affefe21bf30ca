"""Cell outlines: rectangles, rounded rectangles, circles and polygons (mm, centred on the origin).

A `CellShape` is described at rotation 0 by its bounding box (`width` along x, `height` along y).
Polygon vertices are centred on the bounding-box centre and listed counter-clockwise.

Every outline is the Minkowski sum of a *core* (a box, segment, point or polygon) and a disc of
radius `corner_radius` (0 for rectangles and polygons): `core_vertices` exposes that form, which
lets the checker measure distances between curved cells exactly.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import LinearRing, LineString, Polygon
from shapely.geometry.polygon import orient

from layoutgen.errors import LayoutgenError
from layoutgen.fileio import check_input, read_text_input
from layoutgen.units import NM_PER_MM, mm_to_nm, nm_to_mm

KINDS = ("rect", "rounded", "circle", "polygon")


@dataclass(frozen=True, eq=False)
class CellShape:
    """One cell outline at rotation 0 (sizes in mm).

    Build with `rect`, `rounded`, `circle`, `polygon` or the file loaders, which validate input.
    """

    kind: str
    width: float
    height: float
    corner_radius: float = 0.0
    vertices: np.ndarray | None = None
    source: str = ""  # the file (or flag) a polygon came from, for messages; not compared

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise LayoutgenError(f"cell shape: unknown kind {self.kind!r} (allowed: {KINDS})")
        if self.vertices is not None:
            v = np.array(self.vertices, dtype=float).reshape(-1, 2)
            v.setflags(write=False)
            object.__setattr__(self, "vertices", v)

    def _key(self) -> tuple:
        v = None if self.vertices is None else self.vertices.tobytes()
        return (self.kind, self.width, self.height, self.corner_radius, v)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CellShape) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    @property
    def width_nm(self) -> int:
        """Bounding-box width at rotation 0, in nm (exact)."""
        return mm_to_nm(self.width)

    @property
    def height_nm(self) -> int:
        """Bounding-box height at rotation 0, in nm (exact)."""
        return mm_to_nm(self.height)

    @property
    def radius_nm(self) -> int:
        """Corner (or circle) radius in nm, rounded to the grid (exact for rounded rects)."""
        return mm_to_nm(self.corner_radius)

    @property
    def vertices_mm(self) -> np.ndarray:
        """Polygon vertices (n, 2) in mm (a polygon cell's; refused for other kinds)."""
        if self.vertices is None:
            raise LayoutgenError(f"a {self.kind} cell has no polygon vertices")
        return self.vertices

    @property
    def vertices_nm(self) -> np.ndarray:
        """Polygon vertices (n, 2) in integer nm about the cell origin (exact)."""
        if self.vertices is None:
            raise LayoutgenError(f"a {self.kind} cell has no polygon vertices")
        return np.rint(self.vertices * NM_PER_MM).astype(np.int64)

    @property
    def area(self) -> float:
        """Exact area in mm^2."""
        return area(self)

    @property
    def perimeter(self) -> float:
        """Exact perimeter in mm."""
        return perimeter(self)

    @property
    def is_convex(self) -> bool:
        return is_convex(self)

    # Constructors as static methods too: CellShape.rect(10, 5) etc.
    @staticmethod
    def rect(w: float, h: float) -> CellShape:
        return rect(w, h)

    @staticmethod
    def rounded(w: float, h: float, r: float) -> CellShape:
        return rounded(w, h, r)

    @staticmethod
    def circle(d: float) -> CellShape:
        return circle(d)

    @staticmethod
    def polygon(vertices: np.ndarray) -> CellShape:
        return polygon(vertices)


def _positive(value: float, what: str) -> float:
    """A positive size on the 2 nm grid (its half, the centre offset, lies on the 1 nm grid)."""
    v = float(value)
    if not (math.isfinite(v) and 0 < v < 1e9):
        raise LayoutgenError(f"{what} must be a finite number > 0 mm, got {value!r}")
    n = mm_to_nm(v)
    if abs(v * NM_PER_MM - n) > 1e-3 or n % 2:
        raise LayoutgenError(
            f"{what} {v!r} mm is not on the 2 nm grid (cells are centred on the 1 nm layout "
            "grid, so their sizes are whole multiples of 0.000002 mm)")
    return nm_to_mm(n)


def rect(w: float, h: float) -> CellShape:
    """A w x h rectangle."""
    return CellShape("rect", _positive(w, "rectangle width"), _positive(h, "rectangle height"))


def rounded(w: float, h: float, r: float) -> CellShape:
    """A w x h rectangle with corner radius r (0 <= r <= min(w, h)/2; r == 0 gives a rect)."""
    w, h = _positive(w, "rounded-rectangle width"), _positive(h, "rounded-rectangle height")
    r = float(r)
    if not (math.isfinite(r) and r >= 0):
        raise LayoutgenError(f"corner radius must be a finite number >= 0 mm, got {r!r}")
    if r > min(w, h) / 2 * (1 + 1e-12):
        raise LayoutgenError(
            f"corner radius {r:g} mm is more than half the short side ({min(w, h) / 2:g} mm)"
        )
    if r == 0:
        return CellShape("rect", w, h)
    return CellShape("rounded", w, h, min(r, min(w, h) / 2))


def circle(d: float) -> CellShape:
    """A circle of diameter d."""
    d = _positive(d, "circle diameter")
    return CellShape("circle", d, d, d / 2)


def polygon(vertices: np.ndarray, source: str = "polygon") -> CellShape:
    """A simple polygon from (n, 2) vertices (closing duplicate optional, any orientation).

    The result is re-centred on its bounding-box centre and oriented counter-clockwise.
    """
    try:
        v = np.asarray(vertices, dtype=float).reshape(-1, 2)
    except (TypeError, ValueError) as exc:
        raise LayoutgenError(f"{source}: vertices must be an (n, 2) array of numbers") from exc
    if not np.all(np.isfinite(v)):
        raise LayoutgenError(f"{source}: vertices must be finite numbers")
    if len(v) and float(np.abs(v).max()) > 1e6:
        raise LayoutgenError(f"{source}: a vertex lies {float(np.abs(v).max()):g} mm from the "
                             "origin (coordinates are mm, at most 1e+06)")
    if len(v) >= 2 and np.allclose(v[0], v[-1], rtol=0, atol=1e-12):
        v = v[:-1]
    if len(v):  # drop consecutive duplicates
        keep = np.ones(len(v), bool)
        keep[1:] = np.any(np.abs(np.diff(v, axis=0)) > 1e-12, axis=1)
        v = v[keep]
    if len(v) < 3:
        raise LayoutgenError(f"{source}: a cell polygon needs at least 3 distinct vertices")
    poly = Polygon(v)
    if not poly.is_valid:
        reason = shapely.is_valid_reason(poly)
        raise LayoutgenError(f"{source}: polygon is not simple ({reason}); give a simple outline")
    if not poly.area > 0:
        raise LayoutgenError(f"{source}: polygon has zero area")
    poly = orient(poly, 1.0)
    # Vertices snap to the 1 nm grid (CAD exports carry float noise); the origin is the
    # bounding-box centre rounded down to the grid, so every vertex stays a whole nm count.
    vn = np.rint(np.asarray(poly.exterior.coords)[:-1] * NM_PER_MM).astype(np.int64)
    keep = np.any(vn != np.roll(vn, 1, axis=0), axis=1)
    vn = vn[keep]
    if len(vn) < 3 or not Polygon(vn).is_valid or not Polygon(vn).area > 0:
        raise LayoutgenError(f"{source}: polygon is not simple on the 1 nm grid")
    lo, hi = vn.min(axis=0), vn.max(axis=0)
    vn = vn - (lo + hi) // 2
    w, h = (int(d) for d in hi - lo)
    return CellShape("polygon", nm_to_mm(w), nm_to_mm(h), 0.0, vn / NM_PER_MM, source)


def polygon_from_wkt(text: str, source: str = "WKT") -> CellShape:
    """A polygon cell from WKT: POLYGON (no holes), LINEARRING or a closed LINESTRING."""
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")  # NaN / huge coordinates: refused below instead
            geom = shapely.from_wkt(str(text).strip())
            coords = shapely.get_coordinates(geom) if geom is not None else np.zeros((0, 2))
    except Exception as exc:  # shapely raises GEOSException / ValueError
        raise LayoutgenError(f"{source}: cannot parse the outline ({exc})") from exc
    if not np.all(np.isfinite(coords)):
        raise LayoutgenError(f"{source}: coordinates must be finite numbers (found NaN or inf)")
    if len(coords) and float(np.abs(coords).max()) > 1e6:
        raise LayoutgenError(f"{source}: a vertex lies {float(np.abs(coords).max()):g} mm from "
                             "the origin (coordinates are mm, at most 1e+06)")
    if geom is None or geom.is_empty:
        raise LayoutgenError(f"{source}: empty geometry; give a POLYGON")
    if isinstance(geom, Polygon):
        if len(geom.interiors):
            raise LayoutgenError(
                f"{source}: polygon has holes; a cell outline must be a simple polygon")
        return polygon(np.asarray(geom.exterior.coords), source)
    if isinstance(geom, LineString | LinearRing):
        c = np.asarray(geom.coords)
        if len(c) < 2 or not np.allclose(c[0], c[-1], atol=1e-9):
            raise LayoutgenError(
                f"{source}: the outline is an open LINESTRING; close it or use POLYGON")
        return polygon(c, source)
    raise LayoutgenError(f"{source}: got a {geom.geom_type}; a cell outline must be one POLYGON")


def _chain_pieces(pieces: list[np.ndarray], tol: float) -> tuple[list[np.ndarray], int]:
    """Join open polylines end to end into closed loops; return (loops, number of open chains).

    Near-linear: endpoints are indexed in a dict on their grid cell of size `tol` (a match is
    looked up in the 3 x 3 cells around an end), pieces taken in file order as before."""
    remaining = [p for p in pieces if len(p) >= 2]
    used = [False] * len(remaining)
    index: dict[tuple[int, int], list[tuple[int, int]]] = {}

    def cell(pt: np.ndarray) -> tuple[int, int]:
        return int(math.floor(pt[0] / tol)), int(math.floor(pt[1] / tol))

    for i, p in enumerate(remaining):
        for end in (0, 1):
            index.setdefault(cell(p[-end]), []).append((i, end))

    def take(pt: np.ndarray) -> np.ndarray | None:
        cx, cy = cell(pt)
        best: tuple[int, int] | None = None
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for i, end in index.get((cx + dx, cy + dy), ()):
                    if not used[i] and np.hypot(*(remaining[i][-end] - pt)) <= tol and (
                            best is None or (i, end) < best):
                        best = (i, end)
        if best is None:
            return None
        used[best[0]] = True
        p = remaining[best[0]]
        return p if best[1] == 0 else p[::-1]

    loops: list[np.ndarray] = []
    n_open = 0
    for first in range(len(remaining)):
        if used[first]:
            continue
        used[first] = True
        chain = [remaining[first]]
        size = len(chain[0])
        while True:
            start, end = chain[0][0], chain[-1][-1]
            if np.hypot(*(end - start)) <= tol and size > 3:
                loops.append(np.concatenate([c[:-1] for c in chain]))
                break
            nxt = take(end)
            if nxt is None:
                n_open += 1
                break
            chain.append(nxt)
            size += len(nxt)
    return loops, n_open


def polygon_from_dxf(
    path: str | Path, *, tolerance_mm: float = 0.001, unit_mm: float | None = None
) -> CellShape:
    """A polygon cell from the largest closed outline in a DXF's model space.

    Outlines: closed LWPOLYLINE/2D POLYLINE (bulges allowed) or loops of LINE/ARC (and open
    polylines) joined end to end within 1e-6 of a drawing unit. Arcs are flattened with vertices
    on the curve and sagitta <= `tolerance_mm`. Coordinates are scaled by the header's $INSUNITS
    (unitless = mm) unless `unit_mm` (mm per drawing unit) is given.
    """
    import ezdxf
    from ezdxf import path as ezpath
    from ezdxf import units as ezunits

    p = Path(path)
    try:
        doc = ezdxf.readfile(str(p))
    except OSError as exc:
        raise LayoutgenError(f"{p}: cannot read the DXF file ({exc})") from exc
    except Exception as exc:  # ezdxf.DXFStructureError and friends
        raise LayoutgenError(f"{p}: not a readable DXF file ({exc})") from exc
    if unit_mm is None:
        code = int(doc.units or 0)
        try:
            unit_mm = (1.0 if code == 0 else
                       float(ezunits.conversion_factor(code, ezunits.MM)))  # type: ignore[arg-type]
        except Exception:
            unit_mm = 1.0
    tol_units = max(float(tolerance_mm) / unit_mm, 1e-9)
    closed: list[np.ndarray] = []
    pieces: list[np.ndarray] = []
    for e in doc.modelspace():
        kind = e.dxftype()
        if kind == "POLYLINE" and not e.is_2d_polyline:  # type: ignore[attr-defined]
            continue
        if kind not in ("LWPOLYLINE", "POLYLINE", "LINE", "ARC"):
            continue
        pts = np.array([(v.x, v.y) for v in ezpath.make_path(e).flattening(tol_units)], float)
        if len(pts) < 2:
            continue
        is_closed = bool(getattr(e, "closed", False) if kind == "LWPOLYLINE"
                         else getattr(e, "is_closed", False) if kind == "POLYLINE" else False)
        if is_closed or (kind in ("LWPOLYLINE", "POLYLINE") and np.allclose(pts[0], pts[-1])):
            closed.append(pts)
        else:
            pieces.append(pts)
    loops, n_open = _chain_pieces(pieces, 1e-6)
    loops = closed + loops
    if not loops:
        if n_open:
            raise LayoutgenError(
                f"{p}: the outline is not closed ({n_open} open polyline/LINE-ARC chain(s)); "
                "a cell outline must be a closed polyline or a closed loop of LINE/ARC"
            )
        raise LayoutgenError(
            f"{p}: no closed outline found (need a closed LWPOLYLINE/POLYLINE or LINE/ARC loop)"
        )
    best = max(loops, key=lambda c: abs(Polygon(c).area) if len(c) >= 3 else 0.0)
    return polygon(best * unit_mm, str(p))


def load_polygon(path: str | Path, **kwargs: float) -> CellShape:
    """A polygon cell from a file, by extension: .wkt/.txt (WKT) or .dxf."""
    p = Path(path)
    ext = p.suffix.lower()

    if ext in (".wkt", ".txt"):
        try:
            text = read_text_input(p, "outline file", "outline")
        except FileNotFoundError:
            raise LayoutgenError(f"{p}: cannot read the outline file: no such file") from None
        return polygon_from_wkt(text, str(p))
    if ext == ".dxf":
        return polygon_from_dxf(check_input(p, "outline file", "outline"), **kwargs)
    raise LayoutgenError(f"{p}: unknown outline file type {ext!r} (allowed: .wkt, .txt, .dxf)")


def rotation_cs(rotation_deg: float) -> tuple[float, float]:
    """cos and sin of an angle in degrees, exact for multiples of 90."""
    a = float(rotation_deg) % 360.0
    q = a / 90.0
    if abs(q - round(q)) < 1e-12:
        return [(1.0, 0.0), (0.0, 1.0), (-1.0, 0.0), (0.0, -1.0)][int(round(q)) % 4]
    t = math.radians(a)
    return math.cos(t), math.sin(t)


def _arc_step(r: float, tolerance_mm: float, outer: bool) -> float:
    """Largest angular step whose chord (or tangent polygon, if outer) stays within tolerance."""
    tol = max(float(tolerance_mm), 1e-9)
    c = r / (r + tol) if outer else max(1.0 - tol / r, -1.0)
    return 2.0 * math.acos(min(max(c, -1.0), 1.0)) if c < 1.0 else math.pi / 2


def outline_vertices(shape: CellShape, tolerance_mm: float = 0.001, outer: bool = False):
    """Vertices (k, 2) of the outline at rotation 0, CCW, centred on the origin.

    Curves are replaced by segments deviating at most `tolerance_mm` from the true curve:
    vertices ON the curve (polygon inside the true outline) by default, or, with `outer=True`,
    edges tangent to the curve (polygon outside-or-on the true outline).
    """
    hw, hh = shape.width / 2, shape.height / 2
    if shape.kind == "rect":
        return np.array([[-hw, -hh], [hw, -hh], [hw, hh], [-hw, hh]])
    if shape.kind == "polygon":
        return np.array(shape.vertices)
    r = curve_radius(shape)
    n = max(1, math.ceil((math.pi / 2) / _arc_step(r, tolerance_mm, outer) - 1e-9))
    step = (math.pi / 2) / n
    if outer:
        ang = (np.arange(n) + 0.5) * step
        rad = r / math.cos(step / 2)
    else:
        ang = np.arange(n + 1) * step
        rad = r
    cx, cy = hw - r, hh - r
    pts = []
    for k, (sx, sy) in enumerate([(1, 1), (-1, 1), (-1, -1), (1, -1)]):
        a = ang + k * math.pi / 2
        pts.append(np.column_stack([sx * cx + rad * np.cos(a), sy * cy + rad * np.sin(a)]))
    v = np.concatenate(pts)
    keep = np.ones(len(v), bool)  # drop duplicates where straight sides have zero length
    keep[1:] = np.any(np.abs(np.diff(v, axis=0)) > 1e-12, axis=1)
    if np.all(np.abs(v[0] - v[-1]) <= 1e-12):
        keep[-1] = False
    return v[keep]


def transform_vertices(v: np.ndarray, x: float, y: float, rotation_deg: float) -> np.ndarray:
    """Rotate CCW by rotation_deg about the origin, then translate to (x, y)."""
    c, s = rotation_cs(rotation_deg)
    v = np.asarray(v, float)
    return np.column_stack([c * v[:, 0] - s * v[:, 1] + x, s * v[:, 0] + c * v[:, 1] + y])


def to_shapely(
    shape: CellShape,
    x: float = 0.0,
    y: float = 0.0,
    rotation_deg: float = 0.0,
    tolerance_mm: float = 0.001,
    *,
    outer: bool = False,
) -> Polygon:
    """The cell as a shapely Polygon centred at (x, y), rotated CCW by rotation_deg.

    Rounded corners and circles: segments with sagitta <= tolerance_mm, vertices on the true
    curve (the polygon lies inside the true outline, within tolerance). `outer=True` gives
    the tangent polygon instead (outside-or-on the true outline, within tolerance).
    """
    return Polygon(transform_vertices(outline_vertices(shape, tolerance_mm, outer), x, y,
                                      rotation_deg))


def curve_radius(shape: CellShape) -> float:
    """Radius of the curved parts: d/2 for circles, the corner radius for rounded, else 0."""
    if shape.kind == "circle":
        return shape.width / 2
    if shape.kind == "rounded":
        return min(shape.corner_radius, shape.width / 2, shape.height / 2)
    return 0.0


def outline_points(shape: CellShape, tolerance_mm: float = 0.001) -> np.ndarray:
    """Outline vertices (k, 2) at rotation 0 (curves: vertices on the curve, sagitta <= tol)."""
    return outline_vertices(shape, tolerance_mm)


def rotate_points(points: np.ndarray, rotation_deg: float) -> np.ndarray:
    """Points (k, 2) rotated CCW by rotation_deg about the origin (exact for multiples of 90)."""
    return transform_vertices(np.asarray(points, float).reshape(-1, 2), 0.0, 0.0, rotation_deg)


def area(shape: CellShape) -> float:
    """Exact area (mm^2)."""
    w, h, r = shape.width, shape.height, curve_radius(shape)
    if shape.kind == "rect":
        return w * h
    if shape.kind == "rounded":
        return w * h - (4 - math.pi) * r * r
    if shape.kind == "circle":
        return math.pi * w * w / 4
    v = shape.vertices_mm
    xs, ys = v[:, 0], v[:, 1]
    return 0.5 * abs(float(np.dot(xs, np.roll(ys, -1)) - np.dot(ys, np.roll(xs, -1))))


def perimeter(shape: CellShape) -> float:
    """Exact perimeter (mm)."""
    w, h, r = shape.width, shape.height, curve_radius(shape)
    if shape.kind == "rect":
        return 2 * (w + h)
    if shape.kind == "rounded":
        return 2 * (w + h) - (8 - 2 * math.pi) * r
    if shape.kind == "circle":
        return math.pi * w
    v = shape.vertices_mm
    return float(np.hypot(*(np.roll(v, -1, axis=0) - v).T).sum())


def is_convex(shape: CellShape) -> bool:
    if shape.kind != "polygon":
        return True
    v = shape.vertices_mm
    d1 = np.roll(v, -1, axis=0) - v
    d2 = np.roll(d1, -1, axis=0)
    cross = d1[:, 0] * d2[:, 1] - d1[:, 1] * d2[:, 0]
    scale = float(np.abs(d1).max()) ** 2
    return bool(np.all(cross >= -1e-12 * scale))


def halo_area(shape: CellShape, halo_mm: float) -> float:
    """Area of the cell grown by a disc of radius halo_mm (a lower bound; exact if convex).

    Convex cells use Steiner's formula A + P*h + pi*h^2; others the inscribed round buffer.
    """
    h = float(halo_mm)
    if h <= 1e-9:  # (GEOS buffers by sub-1e-12 distances come back empty)
        return area(shape)
    if is_convex(shape):
        return area(shape) + perimeter(shape) * h + math.pi * h * h
    inner = to_shapely(shape, tolerance_mm=1e-4).buffer(h, quad_segs=64)
    return float(inner.area)


def core_vertices(shape: CellShape) -> tuple[np.ndarray, float]:
    """(core, radius): the outline is core (+) disc(radius), exactly.

    The core is (k, 2) vertices at rotation 0: k=1 a point (circle), k=2 a segment, k=4 a box
    (rect, rounded), or the polygon itself.
    """
    hw, hh = shape.width / 2, shape.height / 2
    if shape.kind == "polygon":
        return np.array(shape.vertices), 0.0
    r = curve_radius(shape)
    cx, cy = max(hw - r, 0.0), max(hh - r, 0.0)
    if cx == 0 and cy == 0:
        return np.zeros((1, 2)), r
    if cx == 0 or cy == 0:
        return np.array([[-cx, -cy], [cx, cy]]), r
    return np.array([[-cx, -cy], [cx, -cy], [cx, cy], [-cx, cy]]), r


def rotated_extent(shape: CellShape, rotation_deg: float) -> tuple[float, float]:
    """Half-extents (hx, hy) of the exact bounding box at the given rotation."""
    core, r = core_vertices(shape)
    v = transform_vertices(core, 0.0, 0.0, rotation_deg)
    return float(np.abs(v[:, 0]).max() + r), float(np.abs(v[:, 1]).max() + r)


def describe(shape: CellShape) -> str:
    """A short human description of the outline, e.g. 'rounded 10 x 8 mm, r 0.5'."""
    if shape.kind == "circle":
        return f"circle {shape.width:g} mm"
    size = f"{shape.width:g} x {shape.height:g} mm"
    if shape.kind == "rounded":
        return f"rounded {size}, r {shape.corner_radius:g}"
    if shape.kind == "polygon":
        return f"polygon {size} ({len(shape.vertices_mm)} vertices)"
    return f"rect {size}"
