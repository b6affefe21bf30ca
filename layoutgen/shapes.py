"""Cell outlines: rect, rounded rect, circle, polygon (from WKT or DXF).

A `CellShape` is centred on its bounding-box centre at rotation 0; `width` runs along x.
Curves are exact here (areas are analytic); `to_shapely` draws them with straight segments whose
sagitta stays within a tolerance, with the vertices ON the true curve (chords lie inside it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely
from shapely import affinity

from layoutgen.errors import LayoutgenError

KINDS = ("rect", "rounded", "circle", "polygon")


@dataclass(frozen=True, eq=False)
class CellShape:
    """One cell outline; polygons keep their vertices (n, 2), CCW, centred on the bbox centre."""

    kind: str
    width: float
    height: float
    corner_radius: float = 0.0
    vertices: np.ndarray | None = field(default=None, repr=False)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CellShape):
            return NotImplemented
        same = (self.kind, self.width, self.height, self.corner_radius) == (
            other.kind, other.width, other.height, other.corner_radius)
        if self.vertices is None or other.vertices is None:
            return same and self.vertices is other.vertices
        return same and np.array_equal(self.vertices, other.vertices)

    __hash__ = None  # type: ignore[assignment]

    def describe(self) -> str:
        if self.kind == "circle":
            return f"circle {self.width:g} mm"
        if self.kind == "rounded":
            return f"rounded {self.width:g} x {self.height:g} mm r {self.corner_radius:g}"
        if self.kind == "polygon":
            return f"polygon {self.width:g} x {self.height:g} mm ({len(self.vertices)} vertices)"
        return f"rect {self.width:g} x {self.height:g} mm"


def _positive(value: float, what: str) -> float:
    if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
        raise LayoutgenError(f"{what}: must be a positive length, got {value!r}")
    return float(value)


def rect(width: float, height: float) -> CellShape:
    """A rectangle, width along x."""
    return CellShape("rect", _positive(width, "cell width"), _positive(height, "cell height"))


def rounded(width: float, height: float, corner_radius: float) -> CellShape:
    """A rounded rectangle (radius 0 gives a plain rect)."""
    w, h = _positive(width, "cell width"), _positive(height, "cell height")
    if not (math.isfinite(corner_radius) and corner_radius >= 0):
        raise LayoutgenError(f"--corner-radius: must be >= 0, got {corner_radius!r}")
    if corner_radius > min(w, h) / 2 + 1e-12:
        raise LayoutgenError(
            f"--corner-radius {corner_radius:g} mm: larger than half the short side "
            f"({min(w, h) / 2:g} mm) of a {w:g} x {h:g} mm outline")
    if corner_radius == 0:
        return CellShape("rect", w, h)
    return CellShape("rounded", w, h, float(min(corner_radius, min(w, h) / 2)))


def circle(diameter: float) -> CellShape:
    """A circle of the given diameter."""
    d = _positive(diameter, "cell diameter")
    return CellShape("circle", d, d)


def polygon(points: np.ndarray | list, source: str = "polygon") -> CellShape:
    """A simple polygon from its vertices (any orientation; re-centred and made CCW)."""
    pts = np.asarray(points, dtype=float)
    if pts.ndim != 2 or pts.shape[1] != 2 or not np.isfinite(pts).all():
        raise LayoutgenError(f"{source}: expected a list of (x, y) vertices")
    if len(pts) > 1 and np.allclose(pts[0], pts[-1]):
        pts = pts[:-1]
    if len(pts) < 3:
        raise LayoutgenError(f"{source}: a polygon needs at least 3 vertices, got {len(pts)}")
    poly = shapely.Polygon(pts)
    if not poly.is_valid:
        reason = shapely.is_valid_reason(poly)
        raise LayoutgenError(f"{source}: invalid polygon ({reason}); "
                             "the outline must be simple (not self-intersecting)")
    if poly.area <= 0:
        raise LayoutgenError(f"{source}: the polygon has no area")
    poly = shapely.orient_polygons(poly)
    minx, miny, maxx, maxy = poly.bounds
    coords = np.asarray(poly.exterior.coords)[:-1] - ((minx + maxx) / 2, (miny + maxy) / 2)
    return CellShape("polygon", maxx - minx, maxy - miny, 0.0, coords)


def polygon_from_wkt(text: str, source: str = "WKT") -> CellShape:
    """A polygon from WKT text (POLYGON without holes)."""
    try:
        geom = shapely.from_wkt(text.strip())
    except shapely.errors.GEOSException as exc:
        raise LayoutgenError(f"{source}: cannot read WKT ({str(exc).splitlines()[0]})") from None
    if geom is None or geom.geom_type != "Polygon":
        kind = "nothing" if geom is None else geom.geom_type
        raise LayoutgenError(f"{source}: expected one POLYGON, found {kind}")
    if len(geom.interiors):
        raise LayoutgenError(f"{source}: a cell outline cannot have holes")
    ring = np.asarray(geom.exterior.coords)
    return polygon(ring, source)


def polygon_from_dxf(path: str | Path, tolerance_mm: float = 0.001) -> CellShape:
    """The largest closed outline in a DXF (LWPOLYLINE/POLYLINE with bulges, or CIRCLE)."""
    import ezdxf
    from ezdxf import path as dxfpath

    src = str(path)
    try:
        doc = ezdxf.readfile(src)
    except OSError:
        raise LayoutgenError(f"{src}: cannot read the file") from None
    except ezdxf.DXFStructureError as exc:
        raise LayoutgenError(f"{src}: not a valid DXF ({exc})") from None
    best: np.ndarray | None = None
    best_area = 0.0
    open_found = False
    for e in doc.modelspace():
        kind = e.dxftype()
        if kind not in ("LWPOLYLINE", "POLYLINE", "CIRCLE", "ELLIPSE", "SPLINE"):
            continue
        if kind in ("LWPOLYLINE", "POLYLINE") and not e.closed:
            open_found = True
            continue
        p = dxfpath.make_path(e)
        pts = np.array([(v.x, v.y) for v in p.flattening(distance=tolerance_mm)], dtype=float)
        if len(pts) < 3:
            continue
        a = abs(shapely.Polygon(pts).area) if len(pts) >= 3 else 0.0
        if a > best_area:
            best, best_area = pts, a
    if best is None:
        why = " (found open polylines: close the outline)" if open_found else ""
        raise LayoutgenError(f"{src}: no closed outline (closed LWPOLYLINE/POLYLINE or CIRCLE) "
                             f"in the modelspace{why}")
    return polygon(best, src)


def load_polygon(path: str | Path) -> CellShape:
    """Read a polygon cell outline by extension: .wkt/.txt (WKT) or .dxf."""
    p = Path(path)
    ext = p.suffix.lower()
    if ext == ".dxf":
        return polygon_from_dxf(p)
    if ext in (".wkt", ".txt"):
        try:
            text = p.read_text(encoding="utf-8")
        except OSError:
            raise LayoutgenError(f"{p}: cannot read the file") from None
        return polygon_from_wkt(text, str(p))
    raise LayoutgenError(f"{p}: unknown polygon file type {ext or '(none)'} "
                         "(allowed: .dxf, .wkt, .txt)")


def area(shape: CellShape) -> float:
    """Exact area, mm2."""
    if shape.kind == "rect":
        return shape.width * shape.height
    if shape.kind == "rounded":
        return shape.width * shape.height - (4 - math.pi) * shape.corner_radius ** 2
    if shape.kind == "circle":
        return math.pi * shape.width ** 2 / 4
    return float(shapely.Polygon(shape.vertices).area)


def arc_segments(radius: float, tolerance_mm: float, sweep_rad: float = 2 * math.pi) -> int:
    """Segments for an arc so the chord sagitta stays within tolerance."""
    if radius <= tolerance_mm:
        return max(1, math.ceil(sweep_rad / (math.pi / 2)))
    step = 2 * math.acos(1 - tolerance_mm / radius)
    return max(1, math.ceil(sweep_rad / step))


def outline_points(shape: CellShape, tolerance_mm: float = 0.001) -> np.ndarray:
    """The outline as an (n, 2) CCW vertex array at rotation 0, centred at the origin."""
    w2, h2 = shape.width / 2, shape.height / 2
    if shape.kind == "rect":
        return np.array([[-w2, -h2], [w2, -h2], [w2, h2], [-w2, h2]])
    if shape.kind == "circle":
        n = max(8, arc_segments(w2, tolerance_mm))
        n += (-n) % 4
        t = 2 * math.pi * np.arange(n) / n
        return np.column_stack([w2 * np.cos(t), w2 * np.sin(t)])
    if shape.kind == "rounded":
        r = shape.corner_radius
        n = max(2, arc_segments(r, tolerance_mm, math.pi / 2))
        pts = []
        for cx, cy, start in ((w2 - r, -h2 + r, -math.pi / 2), (w2 - r, h2 - r, 0.0),
                              (-w2 + r, h2 - r, math.pi / 2), (-w2 + r, -h2 + r, math.pi)):
            t = start + (math.pi / 2) * np.arange(n + 1) / n
            pts.append(np.column_stack([cx + r * np.cos(t), cy + r * np.sin(t)]))
        out = np.vstack(pts)
        keep = np.ones(len(out), bool)
        d = np.linalg.norm(np.diff(np.vstack([out, out[:1]]), axis=0), axis=1)
        keep[1:] = d[:-1] > 1e-12
        return out[keep]
    return np.asarray(shape.vertices, dtype=float)


def rotate_points(pts: np.ndarray, rotation_deg: float) -> np.ndarray:
    """Rotate (n, 2) points about the origin; multiples of 90 degrees are exact."""
    q = rotation_deg % 360
    if q == 0:
        return pts.copy()
    if q == 90:
        return np.column_stack([-pts[:, 1], pts[:, 0]])
    if q == 180:
        return -pts
    if q == 270:
        return np.column_stack([pts[:, 1], -pts[:, 0]])
    a = math.radians(rotation_deg)
    c, s = math.cos(a), math.sin(a)
    return pts @ np.array([[c, s], [-s, c]])


def to_shapely(shape: CellShape, x: float = 0.0, y: float = 0.0, rotation_deg: float = 0.0,
               tolerance_mm: float = 0.001) -> shapely.Polygon:
    """The outline as a shapely polygon at a pose (vertices on the true curve)."""
    pts = rotate_points(outline_points(shape, tolerance_mm), rotation_deg)
    return affinity.translate(shapely.Polygon(pts), x, y) if (x or y) else shapely.Polygon(pts)


def rotated_extent(shape: CellShape, rotation_deg: float) -> tuple[float, float]:
    """Bounding-box size at a rotation that is a multiple of 90 degrees (or any, for circles)."""
    if shape.kind == "circle":
        return shape.width, shape.height
    q = round(rotation_deg) % 180
    if q == 0:
        return shape.width, shape.height
    if q == 90:
        return shape.height, shape.width
    b = to_shapely(shape, rotation_deg=rotation_deg).bounds
    return b[2] - b[0], b[3] - b[1]
