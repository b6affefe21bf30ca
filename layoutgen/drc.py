"""Design-rule check of a written layout file against the rule deck (klayout.db: an independent
reader; nothing here reuses the writer's geometry).

Checks (rule ids in brackets):
- per cell: every SINGULATION outline holds an ISOLATION ring, ELECTROLYTE, CATHODE, ANODE_CC
  and PAD [cell.missing_layer]; ISOLATION width >= process.isolation_width_um [ISOLATION.width];
  PAD width >= the smaller pad side [PAD.width]; ISOLATION inside SINGULATION by
  process.singulation_clearance_um [SINGULATION.enclosure.ISOLATION]; the ring closed around
  the films: ELECTROLYTE inside the ring's hole [ISOLATION.closed] and not on the scribe
  [ELECTROLYTE.on.ISOLATION]; ELECTROLYTE over CATHODE by electrolyte_overhang_um
  [ELECTROLYTE.enclosure.CATHODE]; ANODE_CC inside ELECTROLYTE by anode_cc_setback_um
  [ELECTROLYTE.enclosure.ANODE_CC]; PAD inside ANODE_CC [ANODE_CC.enclosure.PAD];
- sheet: SINGULATION outlines apart by >= the kerf [SINGULATION.space] and not overlapping or
  touching [SINGULATION.overlap]; clear of every keep-out by its clearance [KEEPOUT.clearance],
  of FIDUCIAL and CONTACT_RAIL by the kerf [FIDUCIAL.space, CONTACT_RAIL.space]; every cell layer
  inside USABLE (the file's USABLE within the deck's sheet minus edges) [USABLE.outside];
  fiducials and rails on the sheet [SHEET.outside];
- manifest: cell count [manifest.count], every row at a cell centre [manifest.position] and its
  pad at a PAD centre [manifest.pad], every cell listed [manifest.unlisted].

Exactness: rule values are read from the deck's decimals straight onto the file's database grid
(`rule_dbu`: a minimum that falls between grid steps rounds up, never by float truncation), and
KLayout compares integer geometry against them, so a layout that meets a rule exactly (cells
exactly one kerf apart, touching the usable edge) is clean and 1 dbu less is a violation. The
2-dbu slack (`GRID_TOL`) and the chord tolerance are only granted where the file's geometry
cannot be exact: outlines with curved or oblique edges, whose vertices the writer had to snap to
the grid. Rectilinear cells (and their sheet-level spacing) are checked with no slack at all.

Scale: per-cell rules are checked once per cell *definition* (each master, plus the top cell's
own shapes) and multiplied by its placements. That is exact because the sheet rules prove the
cells cannot interact: all of a cell's layers lie inside its own SINGULATION outline (checked),
and outlines are kerf apart (checked hierarchically with KLayout's deep mode). Placements come
from the instance arrays with numpy, never one Python object per cell. Markers go on DRC_MARKER
in `<name>.drc.gds`, inside the cell definitions where the violation is, so a master's error
shows at every placement.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_HALF_EVEN, Decimal
from pathlib import Path

import numpy as np

from layoutgen.deck import Deck
from layoutgen.errors import LayoutgenError
from layoutgen.export.manifest import read_manifest
from layoutgen.fileio import atomic_path, check_input
from layoutgen.layout.features import keepout_zones
from layoutgen.layout.grid import sheet_nm, usable_box_nm
from layoutgen.technology import CELL_LAYER_NAMES, LAYER_NAMES
from layoutgen.units import decimal_of

GRID_TOL = 2  # dbu of slack for 1-grid snapping of both partners (non-rectilinear outlines only)
_PER_NM = {"mm": Decimal(10**6), "um": Decimal(10**3), "nm": Decimal(1)}


def rule_dbu(value: object, unit: str, dbu_um: float, *, up: bool = True) -> int:
    """A deck length (its decimal text, in `unit`) on a database grid of `dbu_um` um, exactly.

    A minimum (`up`) that falls between grid steps rounds up (the check stays at least as strict
    as the rule); a coordinate (`up=False`) rounds to the nearest step. No binary float ever
    stands in between (0.1 um is 100 dbu at 1 nm, never int(0.1 * 1000 / 0.001) = 99).
    """
    nm = decimal_of(value, "rule") * _PER_NM[unit]
    q = nm / (decimal_of(dbu_um, "dbu") * 1000)
    return int(q.to_integral_value(ROUND_CEILING if up else ROUND_HALF_EVEN))


@dataclass(frozen=True)
class Violation:
    """One broken rule: how many markers (flat), what was required, the first locations (mm)."""

    rule: str
    message: str
    count: int
    locations: tuple[tuple[float, float], ...]

    def to_dict(self) -> dict:
        return {"rule": self.rule, "message": self.message, "count": self.count,
                "locations_mm": [list(p) for p in self.locations]}


@dataclass
class DrcReport:
    """The outcome of `run_drc`."""

    gds_path: Path
    top: str
    cell_count: int
    manifest_count: int | None
    violations: list[Violation] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    marker_path: Path | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.violations

    @property
    def total(self) -> int:
        return sum(v.count for v in self.violations)

    def to_dict(self) -> dict:
        return {
            "file": str(self.gds_path), "top": self.top, "ok": self.ok,
            "cells": self.cell_count, "manifest_cells": self.manifest_count,
            "violations": [v.to_dict() for v in self.violations],
            "checks": list(self.checks),
            "markers": str(self.marker_path) if self.marker_path else None,
            "seconds": round(self.seconds, 3),
        }


# --------------------------------------------------------------------------- placements


@dataclass
class _Group:
    """Placements of one cell definition: a 2x2 matrix and (n, 2) offsets, in dbu."""

    m: np.ndarray
    offsets: np.ndarray


def _trans_matrix(t) -> np.ndarray:  # noqa: ANN001  (klayout ICplxTrans)
    a = np.radians(t.angle)
    c, s = np.cos(a), np.sin(a)
    if abs(t.angle % 90) < 1e-9:
        c, s = round(c), round(s)
    mag = t.mag
    mirror = np.array([[1, 0], [0, -1]]) if t.is_mirror() else np.eye(2)
    return mag * np.array([[c, -s], [s, c]]) @ mirror


def _inst_offsets(inst) -> np.ndarray:  # noqa: ANN001
    d = inst.cplx_trans.disp
    base = np.array([[d.x, d.y]], float)
    if inst.is_regular_array():
        i = np.arange(inst.na)
        j = np.arange(inst.nb)
        a = np.array([inst.a.x, inst.a.y], float)
        b = np.array([inst.b.x, inst.b.y], float)
        grid = (i[None, :, None] * a + j[:, None, None] * b).reshape(-1, 2)
        return base + grid
    if inst.size() > 1:
        pts = [(t.disp.x, t.disp.y) for t in inst.cell_inst.each_cplx_trans()]
        return np.array(pts, float)
    return base


def placements(layout, top) -> dict[int, list[_Group]]:  # noqa: ANN001
    """Every cell's flat placements under `top`, as matrix + offset arrays (no per-cell objects)."""
    out: dict[int, list[_Group]] = defaultdict(list)
    out[top.cell_index()].append(_Group(np.eye(2), np.zeros((1, 2))))
    for ci in layout.each_cell_top_down():
        groups = out.get(ci)
        if not groups:
            continue
        cell = layout.cell(ci)
        for inst in cell.each_inst():
            mi = _trans_matrix(inst.cplx_trans)
            oi = _inst_offsets(inst)
            for g in groups:
                offs = (g.offsets[:, None, :] + (oi @ g.m.T)[None, :, :]).reshape(-1, 2)
                out[inst.cell_index].append(_Group(g.m @ mi, offs))
    return out


def _flat_points(local: np.ndarray, groups: list[_Group]) -> np.ndarray:
    """Local points (k, 2) of a cell at all its placements: (n*k, 2)."""
    if not len(local):
        return np.zeros((0, 2))
    parts = [(g.offsets[:, None, :] + (local @ g.m.T)[None, :, :]).reshape(-1, 2) for g in groups]
    return np.concatenate(parts) if parts else np.zeros((0, 2))


def _n_placements(groups: list[_Group]) -> int:
    return int(sum(len(g.offsets) for g in groups))


# --------------------------------------------------------------------------- checker


class _Checker:
    def __init__(self, path: Path, deck: Deck, max_locations: int) -> None:
        import klayout.db as db

        self.db = db
        self.deck = deck
        self.max_locations = max_locations
        self.layout = db.Layout()
        try:
            self.layout.read(str(path))
        except RuntimeError as exc:
            raise LayoutgenError(f"{path}: cannot read the layout file "
                                 f"({str(exc).splitlines()[0]})") from None
        tops = self.layout.top_cells()
        if not tops:
            raise LayoutgenError(f"{path}: an empty layout (no cells); give a file written by "
                                 "`layoutgen layout`")
        if len(tops) != 1:
            raise LayoutgenError(f"{path}: expected one top cell, found {len(tops)} "
                                 f"({', '.join(c.name for c in tops[:5])})")
        self.top = tops[0]
        self.dbu_mm = self.layout.dbu / 1000.0
        self.li = {name: self.layout.find_layer(db.LayerInfo(*getattr(deck.layers, name)))
                   for name in LAYER_NAMES}
        missing = [n for n in ("SHEET", "USABLE")
                   if self.li.get(n) is None or self.top.shapes(self.li[n]).is_empty()]
        if missing:
            ld = "; ".join(f"{n} {list(getattr(deck.layers, n))}" for n in missing)
            raise LayoutgenError(f"{path}: not a layoutgen sheet layout (no shapes on {ld} in "
                                 f"top cell {self.top.name!r}); check --rules layers or give "
                                 "a file written by `layoutgen layout`")
        ml = deck.layers.DRC_MARKER
        self.marker_li = self.layout.layer(db.LayerInfo(ml[0], ml[1]))
        self.dss = db.DeepShapeStore()
        self.dss.threads = 1
        self.places = placements(self.layout, self.top)
        self.violations: list[Violation] = []
        self.checks: list[str] = []
        self.tol_chord = rule_dbu(deck.layout.chord_tolerance_um, "um", self.layout.dbu)
        self.slack = 0 if self._rectilinear("SINGULATION") else GRID_TOL

    # helpers -----------------------------------------------------------------
    def d(self, mm: float) -> int:
        """mm -> dbu, nearest (marker locations and sizes; rules go through `rule`)."""
        return int(round(mm / self.dbu_mm))

    def rule(self, value: object, unit: str = "um") -> int:
        """A minimum distance of the deck in dbu, exactly (see `rule_dbu`)."""
        return rule_dbu(value, unit, self.layout.dbu)

    def coord(self, value: object, unit: str = "mm") -> int:
        """A deck coordinate in dbu, exactly (nearest grid step if off the grid)."""
        return rule_dbu(value, unit, self.layout.dbu, up=False)

    def _rectilinear(self, name: str, cells: list | None = None) -> bool:  # noqa: ANN001
        """True if every shape on the layer in these cell definitions (default: all placed
        ones) has only horizontal and vertical edges, so the writer placed it exactly."""
        li = self.li.get(name)
        if li is None:
            return True
        for cell in cells if cells is not None else [self.layout.cell(ci) for ci in self.places]:
            if not self.local(cell, name).non_rectilinear().is_empty():
                return False
        return True

    def local(self, cell, name: str):  # noqa: ANN001, ANN201
        """Flat region of one cell's own shapes on a layer (no children)."""
        li = self.li.get(name)
        r = self.db.Region()
        if li is not None:
            r.insert(cell.shapes(li))
        return r

    def deep(self, name: str):  # noqa: ANN201
        li = self.li.get(name)
        if li is None:
            return self.db.Region()
        return self.db.Region(self.top.begin_shapes_rec(li), self.dss)

    def near(self, name: str, box):  # noqa: ANN001, ANN201
        """Flat region of a layer's shapes (all levels) overlapping a box."""
        li = self.li.get(name)
        if li is None:
            return self.db.Region()
        return self.db.Region(self.top.begin_shapes_rec_overlapping(li, box))

    def top_only(self, name: str):  # noqa: ANN201
        return self.local(self.top, name)

    def _polys(self, found):  # noqa: ANN001, ANN201
        """Marker polygons of a check result (Region or EdgePairs)."""
        if isinstance(found, self.db.EdgePairs):
            return found.polygons(self.d(0.001))
        return found

    def enclosure(self, outer, inner, dist: float):  # noqa: ANN001, ANN201
        """Where `inner` pokes out of `outer` or sits closer than `dist` to its edge."""
        outside = inner - outer
        if dist <= 0:
            return outside
        return _join(self.db, outside, outer.enclosing_check(inner, dist))

    def report_local(self, rule: str, message: str, cell, found) -> None:  # noqa: ANN001
        """A violation inside one cell definition: counted and located at every placement."""
        if found.is_empty():
            return
        polys = self._polys(found)
        cell.shapes(self.marker_li).insert(polys)
        groups = self.places.get(cell.cell_index(), [])
        n = _n_placements(groups)
        centres = np.array([[p.bbox().center().x, p.bbox().center().y]
                            for _, p in zip(range(self.max_locations), polys.each(),
                                            strict=False)], float).reshape(-1, 2)
        pts = _flat_points(centres, _first(groups, self.max_locations))
        self._add(rule, message, polys.count() * n, pts)

    def report_flat(self, rule: str, message: str, found) -> None:  # noqa: ANN001
        """A violation found on flat (top-level) geometry."""
        if found.is_empty():
            return
        polys = self._polys(found)
        self.top.shapes(self.marker_li).insert(polys)
        pts = np.array([[p.bbox().center().x, p.bbox().center().y]
                        for _, p in zip(range(self.max_locations), polys.each(), strict=False)],
                       float).reshape(-1, 2)
        self._add(rule, message, polys.count(), pts)

    def report_deep(self, rule: str, message: str, found) -> None:  # noqa: ANN001
        """A violation found in deep mode: markers keep the hierarchy."""
        if found.is_empty():
            return
        polys = self._polys(found)
        tmp = self.layout.layer()
        polys.insert_into(self.layout, self.top.cell_index(), tmp)
        pts: list[tuple[int, int]] = []
        it = self.top.begin_shapes_rec(tmp)
        while not it.at_end() and len(pts) < self.max_locations:
            c = it.shape().bbox().transformed(it.trans()).center()
            pts.append((c.x, c.y))
            it.next()
        self.layout.move_layer(tmp, self.marker_li)
        self.layout.delete_layer(tmp)
        self._add(rule, message, polys.count(), np.array(pts, float).reshape(-1, 2))

    def report_points(self, rule: str, message: str, count: int, pts: np.ndarray) -> None:
        """A violation at points (dbu), e.g. manifest rows: small square markers."""
        if count <= 0:
            return
        h = self.d(0.01)
        for x, y in pts[: self.max_locations]:
            self.top.shapes(self.marker_li).insert(
                self.db.Box(int(x) - h, int(y) - h, int(x) + h, int(y) + h))
        self._add(rule, message, count, pts)

    def _add(self, rule: str, message: str, count: int, pts: np.ndarray) -> None:
        locs = tuple((round(float(x) * self.dbu_mm, 6), round(float(y) * self.dbu_mm, 6))
                     for x, y in np.asarray(pts).reshape(-1, 2)[: self.max_locations])
        self.violations.append(Violation(rule, message, int(count), locs))
        if locs:
            x, y = locs[0]
            self.top.shapes(self.marker_li).insert(
                self.db.Text(rule, self.db.Trans(self.d(x), self.d(y))))

    # checks --------------------------------------------------------------------
    def units(self) -> list:
        """Cell definitions holding shapes on cell layers (masters, or the top if flat)."""
        out = []
        for ci in self.layout.each_cell_top_down():
            cell = self.layout.cell(ci)
            if ci not in self.places:
                continue
            if any(self.li.get(n) is not None and not cell.shapes(self.li[n]).is_empty()
                   for n in CELL_LAYER_NAMES):
                out.append(cell)
        return out

    def check_units(self) -> None:
        p, lay = self.deck.process, self.deck.layout
        iso_w = self.rule(p.isolation_width_um)
        clear = self.rule(p.singulation_clearance_um)
        over = self.rule(p.electrolyte_overhang_um)
        setback = self.rule(p.anode_cc_setback_um)
        pad_min = self.rule(min(lay.pad_w_um, lay.pad_h_um))
        self.checks += ["cell.missing_layer", "ISOLATION.width", "PAD.width",
                        "SINGULATION.enclosure.ISOLATION", "ISOLATION.closed",
                        "ELECTROLYTE.on.ISOLATION", "ELECTROLYTE.enclosure.CATHODE",
                        "ELECTROLYTE.enclosure.ANODE_CC", "ANODE_CC.enclosure.PAD",
                        "cell.outside_outline"]
        for cell in self.units():
            groups = self.places.get(cell.cell_index(), [])
            if any(abs(abs(np.linalg.det(g.m)) - 1) > 1e-9 for g in groups):
                raise LayoutgenError(
                    f"cell {cell.name} is placed with a magnification: layoutgen drc checks "
                    "unscaled placements only")
            r = {n: self.local(cell, n) for n in CELL_LAYER_NAMES}
            sing, iso, el, cat = r["SINGULATION"], r["ISOLATION"], r["ELECTROLYTE"], r["CATHODE"]
            an, pad = r["ANODE_CC"], r["PAD"]
            # rectilinear cells are exact on the grid; curves were drawn as chords and snapped
            exact = all(r[n].non_rectilinear().is_empty() for n in CELL_LAYER_NAMES)
            tol = 0 if exact else self.tol_chord + GRID_TOL
            inner = [n for n in CELL_LAYER_NAMES if n != "SINGULATION"]  # inside the outline
            films = self.db.Region()
            for n in inner:
                films += r[n]
            self.report_local(
                "cell.outside_outline", "every cell layer must lie inside a SINGULATION outline",
                cell, films - sing)
            for n in inner:  # inside (above), so touching means holding one
                self.report_local(
                    "cell.missing_layer", f"every SINGULATION outline needs a {n} shape",
                    cell, sing.not_interacting(r[n]))
            self.report_local(
                "ISOLATION.width", f"isolation scribe width >= {p.isolation_width_um:g} um "
                "(process.isolation_width_um)", cell, iso.width_check(max(1, iso_w - tol)))
            # a pad centred on the cell loses up to 1 dbu to the grid when its size is odd
            pad_tol = tol if tol else (1 if pad_min % 2 else 0)
            self.report_local(
                "PAD.width", f"probe pad width >= {min(lay.pad_w_um, lay.pad_h_um):g} um "
                "(layout.pad_w_um/pad_h_um)", cell, pad.width_check(max(1, pad_min - pad_tol)))
            if clear - tol > 0:
                self.report_local(
                    "SINGULATION.enclosure.ISOLATION",
                    f"isolation scribe >= {p.singulation_clearance_um:g} um inside the "
                    "singulation cut (process.singulation_clearance_um)",
                    cell, sing.enclosing_check(iso, clear - tol))
            holes = iso.holes()
            self.report_local(
                "ISOLATION.closed", "ELECTROLYTE must lie inside a closed ISOLATION ring",
                cell, el - holes)
            self.report_local(
                "ELECTROLYTE.on.ISOLATION", "no LiPON on the isolation scribe", cell, el & iso)
            self.report_local(
                "ELECTROLYTE.enclosure.CATHODE",
                f"ELECTROLYTE covers CATHODE by >= {p.electrolyte_overhang_um:g} um "
                "(process.electrolyte_overhang_um)", cell, self.enclosure(el, cat, over - tol))
            self.report_local(
                "ELECTROLYTE.enclosure.ANODE_CC",
                f"ANODE_CC set back >= {p.anode_cc_setback_um:g} um inside ELECTROLYTE "
                "(process.anode_cc_setback_um)", cell, self.enclosure(el, an, setback - tol))
            self.report_local(
                "ANODE_CC.enclosure.PAD", "PAD must lie inside ANODE_CC", cell, pad - an)

    def check_sheet(self) -> int:
        db = self.db
        kerf = self.rule(self.deck.tiling.kerf_um)
        slack = self.slack
        sing = self.deep("SINGULATION")
        n_cells = sing.count()
        self.checks += ["SINGULATION.space", "SINGULATION.overlap"]
        if kerf - slack > 0:
            raw = sing.dup()
            raw.merged_semantics = False
            self.report_deep(
                "SINGULATION.space",
                f"cells >= {self.deck.tiling.kerf_um:g} um apart (tiling.kerf_um)",
                raw.isolated_check(kerf - slack))
        raw = sing.dup()
        raw.merged_semantics = False
        merged = sing.merged()
        if merged.count() != n_cells:
            self.report_deep("SINGULATION.overlap", "cells must not overlap or touch",
                             merged.interacting(raw, 2))
        # keep-outs (file KEEPOUT shapes with their clearance property, plus deck keep-outs)
        self.checks.append("KEEPOUT.clearance")
        for box, poly_region, clearance, name in self._keepouts():
            need = self.rule(clearance, "mm")
            grow = need + kerf + 1
            near = self.near("SINGULATION", box.enlarged(grow, grow))
            found = near & poly_region
            if need - slack > 0:
                found = _join(db, found, near.separation_check(poly_region, need - slack))
            self.report_flat("KEEPOUT.clearance",
                             f"cells clear of keep-out {name} by >= {float(clearance):g} mm", found)
        for feat, rule in (("FIDUCIAL", "FIDUCIAL.space"), ("CONTACT_RAIL", "CONTACT_RAIL.space")):
            self.checks.append(rule)
            shapes = self.top_only(feat)
            if shapes.is_empty():
                continue
            near = self.near("SINGULATION", shapes.bbox().enlarged(kerf + 1, kerf + 1))
            found = near & shapes
            if kerf - slack > 0:
                found = _join(db, found, near.separation_check(shapes, kerf - slack))
            self.report_flat(rule, f"cells >= {self.deck.tiling.kerf_um:g} um from {feat}",
                             found)
        self._check_usable()
        return n_cells

    def _keepouts(self) -> list:
        db = self.db
        out = []
        seen: list = []
        li = self.li.get("KEEPOUT")
        if li is not None:
            for s in self.top.shapes(li).each():
                if not (s.is_polygon() or s.is_box() or s.is_path()):
                    continue
                prop = s.property(1)
                clearance: str | float = "0"  # the file's decimal text, else the deck's value
                name = "keepout"
                if prop:
                    kv = dict(part.split("=", 1) for part in str(prop).split(";") if "=" in part)
                    clearance = kv.get("clearance_mm", "0")  # its decimal text, read exactly
                    name = kv.get("name", name)
                else:
                    clearance = self._deck_clearance(s.bbox())
                reg = db.Region(s.polygon)
                out.append((s.bbox(), reg, clearance, name))
                seen.append(s.bbox())

        for geom, clearance, name in keepout_zones(self.deck):
            for part in getattr(geom, "geoms", [geom]):
                poly = db.Polygon([db.Point(self.coord(x), self.coord(y))
                                   for x, y in part.exterior.coords[:-1]])
                if any(b == poly.bbox() for b in seen):
                    continue
                out.append((poly.bbox(), db.Region(poly), clearance, name))
        return out

    def _deck_clearance(self, box) -> float:  # noqa: ANN001

        for geom, clearance, _ in keepout_zones(self.deck):
            x0, y0, x1, y1 = geom.bounds
            b = self.db.Box(self.coord(x0), self.coord(y0), self.coord(x1), self.coord(y1))
            if b == box:
                return clearance
        return 0.0

    def _check_usable(self) -> None:
        db = self.db

        self.checks += ["USABLE.outside", "SHEET.outside"]
        ux0, uy0, ux1, uy1 = (self.coord(v, "nm") for v in usable_box_nm(self.deck))
        usable = db.Region(db.Box(ux0, uy0, ux1, uy1))
        file_usable = self.top_only("USABLE")
        if not file_usable.is_empty():
            usable = usable & file_usable
        is_box = usable.count() == 1 and usable.is_box()
        ubox = usable.bbox()
        for name in CELL_LAYER_NAMES:
            li = self.li.get(name)
            if li is None:
                continue
            bb = self.top.bbox(li)
            if bb.empty() or (is_box and ubox.contains(bb.p1) and ubox.contains(bb.p2)):
                continue
            self.report_deep("USABLE.outside",
                             f"{name} must lie inside USABLE (sheet minus edge exclusion)",
                             self.deep(name) - usable)
        sw, sl = self.deck.sheet.width_mm, self.deck.sheet.length_mm
        sheet = db.Region(db.Box(0, 0, *(self.coord(v, "nm") for v in sheet_nm(self.deck))))
        for name in ("FIDUCIAL", "CONTACT_RAIL", "KEEPOUT"):
            self.report_flat("SHEET.outside", f"{name} must lie on the {sw:g} x {sl:g} mm sheet",
                             self.top_only(name) - sheet)

    def cell_centres(self, name: str) -> np.ndarray:
        """Bounding-box centres (dbu, doubled to stay integer) of every shape on a layer."""
        li = self.li.get(name)
        parts = []
        if li is None:
            return np.zeros((0, 2), np.int64)
        for ci, groups in self.places.items():
            cell = self.layout.cell(ci)
            shapes = cell.shapes(li)
            if shapes.is_empty():
                continue
            b = np.array([[s.bbox().left + s.bbox().right, s.bbox().bottom + s.bbox().top]
                          for s in shapes.each()], float)
            parts.append(_flat_points(b / 2, groups) * 2)
        if not parts:
            return np.zeros((0, 2), np.int64)
        return np.round(np.concatenate(parts)).astype(np.int64)

    def check_manifest(self, manifest_path: Path, n_cells: int) -> int:

        man = read_manifest(manifest_path)
        self.checks += ["manifest.count", "manifest.position", "manifest.pad",
                        "manifest.unlisted", "manifest.ids"]
        if man.count != n_cells:
            self._add("manifest.count",
                      f"{manifest_path.name} lists {man.count} cells, the layout has {n_cells}",
                      abs(man.count - n_cells), np.zeros((0, 2)))
        if not np.array_equal(man.id, np.arange(man.count)):
            self._add("manifest.ids", "ids must be 0 .. n-1 in order", 1, np.zeros((0, 2)))
        scale = 2.0 / self.dbu_mm
        centres = self.cell_centres("SINGULATION")
        want = np.round(np.column_stack([man.x, man.y]) * scale).astype(np.int64)
        # doubled dbu: tol 1 is the half dbu of an odd-sized outline's box centre, so a
        # manifest row 1 dbu off its cell is caught
        miss_m, miss_c = _match(want, centres, tol=1)
        self.report_points("manifest.position",
                           "each manifest row must sit at the centre of a cell outline",
                           len(miss_m), want[miss_m] // 2)
        self.report_points("manifest.unlisted", "each cell must be listed in the manifest",
                           len(miss_c), centres[miss_c] // 2)
        pads = self.cell_centres("PAD")
        pw = np.round(np.column_stack([man.pad_x, man.pad_y]) * scale).astype(np.int64)
        miss_p, _ = _match(pw, pads, tol=1)
        self.report_points("manifest.pad", "each manifest pad_x, pad_y must be a PAD centre",
                           len(miss_p), pw[miss_p] // 2)
        return man.count

    def write_markers(self, path: Path) -> None:
        db = self.db
        keep = self.marker_li
        for li in list(self.layout.layer_indexes()):
            if li != keep:
                self.layout.delete_layer(li)
        opt = db.SaveLayoutOptions()
        opt.format = "GDS2"
        opt.gds2_write_timestamps = False
        with atomic_path(path) as tmp:
            self.layout.write(str(tmp), opt)


def _first(groups: list[_Group], k: int) -> list[_Group]:
    out, left = [], k
    for g in groups:
        if left <= 0:
            break
        out.append(_Group(g.m, g.offsets[:left]))
        left -= len(out[-1].offsets)
    return out


def _join(db, a, b):  # noqa: ANN001, ANN201
    """Union of two check results as a Region of marker polygons."""
    ra = a if isinstance(a, db.Region) else a.polygons(1)
    rb = b if isinstance(b, db.Region) else b.polygons(1)
    return ra + rb


def _match(a: np.ndarray, b: np.ndarray, tol: int, max_fuzzy: int = 20000
           ) -> tuple[np.ndarray, np.ndarray]:
    """Unmatched indices of integer points a and b (one-to-one, within tol per axis).

    Exact matches first (as multisets); the few left over are paired within the tolerance.
    """
    if not len(a) or not len(b):
        return np.arange(len(a)), np.arange(len(b))
    pts = np.concatenate([a, b])
    o = np.lexsort((pts[:, 0], pts[:, 1]))
    srt = pts[o]
    new = np.ones(len(pts), bool)
    new[1:] = np.any(srt[1:] != srt[:-1], axis=1)
    key = np.empty(len(pts), np.int64)
    key[o] = np.cumsum(new) - 1  # equal points, equal key
    ka, kb = key[: len(a)], key[len(a):]
    oa, ob = np.argsort(ka, kind="stable"), np.argsort(kb, kind="stable")
    sa, sb = ka[oa], kb[ob]
    # pair equal keys in order: the r-th a of a key with the r-th b of that key
    first_b = np.searchsorted(sb, sa, "left")
    rank_a = np.arange(len(sa)) - np.searchsorted(sa, sa, "left")
    pos = first_b + rank_a
    ok = (pos < len(sb)) & (sb[np.minimum(pos, len(sb) - 1)] == sa)
    matched_b = np.zeros(len(sb), bool)
    matched_b[pos[ok]] = True
    left_a = np.sort(oa[~ok])
    left_b = np.sort(ob[~matched_b])
    if not (len(left_a) and len(left_b)) or tol <= 0 or len(left_a) > max_fuzzy:
        return left_a, left_b
    rest_b = b[left_b]
    used = np.zeros(len(left_b), bool)
    still = []
    for i in left_a:
        d = np.abs(rest_b - a[i]).max(axis=1)
        d[used] = np.iinfo(np.int64).max
        j = int(np.argmin(d))
        if d[j] <= tol:
            used[j] = True
        else:
            still.append(i)
    return np.array(still, np.int64), left_b[~used]


_MAGIC = {b"\x00\x06\x00\x02": "GDSII", b"%SEMI-OASIS\r\n": "OASIS", b"\x1f\x8b": "gzip"}


def _check_layout_file(path: Path) -> None:
    """Refuse anything but a regular GDSII/OASIS file (by its first bytes), one line."""

    check_input(path, "layout file", "layout")
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        raise LayoutgenError(f"{path}: cannot read the layout file ({exc.strerror})") from None
    if not any(head.startswith(m) for m in _MAGIC):
        what = "empty" if not head else "not a GDSII or OASIS file (by its first bytes)"
        raise LayoutgenError(f"{path}: {what}; give a layout written by `layoutgen layout` "
                             "(.gds or .oas)")


def run_drc(gds_path: str | Path, deck: Deck, manifest_path: str | Path | None = None,
            marker_path: str | Path | None = None, *, max_locations: int = 20) -> DrcReport:
    """Check a GDS/OASIS file against the deck; write markers to `<stem>.drc.gds` (or
    `marker_path`) and return the report (ok when no rule is broken)."""
    t0 = time.perf_counter()
    path = Path(gds_path)
    if not path.exists():
        raise LayoutgenError(f"{path}: no such layout file")
    _check_layout_file(path)
    chk = _Checker(path, deck, max_locations)
    n_cells = chk.check_sheet()
    chk.check_units()
    n_man = None
    if manifest_path is not None:
        n_man = chk.check_manifest(Path(manifest_path), n_cells)
    order = {r: i for i, r in enumerate(chk.checks)}
    chk.violations.sort(key=lambda v: (order.get(v.rule, len(order)), v.message))
    out = Path(marker_path) if marker_path else path.with_name(path.stem + ".drc.gds")
    chk.write_markers(out)
    return DrcReport(
        gds_path=path, top=chk.top.name, cell_count=n_cells, manifest_count=n_man,
        violations=chk.violations, checks=list(dict.fromkeys(chk.checks)), marker_path=out,
        seconds=time.perf_counter() - t0)
