"""The stacking stage: bins.csv maps -> matched stacks, bounds, naive reference, pick list,
leftovers, measured lot plan; its outputs and its report section."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import numpy as np
import polars as pl

from layoutgen import fileio, sizing
from layoutgen.deck import Deck
from layoutgen.display import fmt
from layoutgen.errors import LayoutgenError
from layoutgen.report_model import ReportFigure, ReportSection, ReportTable
from layoutgen.stacking import matching, stacker
from layoutgen.stacking.bounds import Bounds, fewest_cells, upper_bounds
from layoutgen.stacking.cells import Cells, read_cells
from layoutgen.stacking.limits import StackLimits, is_limit_key, load_limits
from layoutgen.stacking.lotplan import MeasuredLotPlan, measured_lot_plan, per_sheet_products
from layoutgen.stacking.naive import Naive, naive_stacks
from layoutgen.stacking.picklist import PickList, pick_list
from layoutgen.stacking.pictures import NAMES as PICTURES
from layoutgen.stacking.pictures import draw
from layoutgen.stacking.target import Options, Target, target_of_job, target_of_options

MICRO = 1_000_000
OUTPUTS = ("stacks.csv", "stack_summary.csv", "picklist.csv", "leftovers.csv",
           "stack_summary.json", *(f"{p}{e}" for p in PICTURES for e in (".png", ".svg")))
REASON_NO_MATCH = "no_match"        # fewer than N cells within both spread limits of it
REASON_REMAINDER = "window_short"   # its matching window's leftovers miss the target


@dataclass(frozen=True)
class StackRequest:
    """What `layoutgen stack` was given (text as typed; checked by `stack_cells`)."""

    maps: tuple[str, ...]
    job: str | None = None
    options: Options = field(default_factory=Options)
    rules: tuple[str, ...] = ()
    sets: tuple[str, ...] = ()
    limits_file: str | None = None


@dataclass(frozen=True)
class StackResult:
    """Everything the stacking stage found; cell arrays are indexed like `cells`."""

    target: Target
    limits: StackLimits
    deck: Deck
    spec: matching.Spec
    cells: Cells
    stack: np.ndarray          # stack number per cell, -1 left over
    n_stacks: int
    bounds: Bounds
    naive: Naive
    picks: PickList
    reason: np.ndarray         # per cell: "" in a stack, else why it is left
    stack_cells_n: np.ndarray  # per stack
    stack_cap_nah: np.ndarray
    stack_z_ppm: np.ndarray    # impedance spread, ppm
    stack_v_uv: np.ndarray     # OCV spread, uV
    stack_thickness_mm: np.ndarray
    lot: MeasuredLotPlan
    notes: list[str]

    @property
    def products(self) -> int:
        return self.n_stacks

    def summary(self) -> dict[str, object]:
        """Plain JSON-ready figures."""
        t = self.target
        eol = self.stack_cap_nah * t.retention / MICRO
        return {
            "products": self.n_stacks,
            "upper_bound": self.bounds.upper,
            "bounds": {"capacity": self.bounds.capacity, "count": self.bounds.count,
                       "window": self.bounds.window, "components": self.bounds.components,
                       "unusable_cells": self.bounds.unusable_cells},
            "of_upper_bound": round(self.n_stacks / self.bounds.upper, 6)
            if self.bounds.upper else None,
            "naive": asdict(self.naive),
            "passing_cells": self.cells.n,
            "cells_stacked": int((self.stack >= 0).sum()),
            "capacity": "measured" if self.cells.measured_capacity else "nominal",
            "target_eol_mAh": t.capacity_mah,
            "retention": t.retention,
            "cells_per_stack": [self.spec.n_min, self.spec.n_max],
            "n_rule": self.limits.cells,
            "limits": self.limits.model_dump(),
            "surplus_mAh": round(float((eol - t.capacity_mah).sum()), 6),
            "eol_capacity_mAh": {"min": _r(eol.min()), "mean": _r(eol.mean()),
                                 "max": _r(eol.max())} if eol.size else None,
            "pick_travel_mm": self.picks.travel_mm,
            "pick_travel_map_order_mm": self.picks.travel_map_order_mm,
            "leftover": {k: int((self.reason == k).sum())
                         for k in (REASON_NO_MATCH, REASON_REMAINDER)},
            "lot": self.lot.as_dict(),
            "notes": self.notes,
        }


def _r(v: float) -> float:
    return round(float(v), 6)


def _need_nah(capacity_mah: float, retention: float) -> int:
    """The least raw capacity sum (nAh) whose end-of-life share reaches the target: exact."""
    t = Fraction(Decimal(repr(float(capacity_mah)))) * MICRO
    r = Fraction(Decimal(repr(float(retention))))
    return math.ceil(t / r)


def _split_sets(sets: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """--set values for the deck and for the stack limits: `stack.KEY` is a limit unless KEY
    is one of the deck's film keys (deck [stack]); an unknown one is refused as a limit."""
    films = set(Deck.model_fields["stack"].annotation.model_fields)  # type: ignore[union-attr]

    def is_limit(text: str) -> bool:
        key = text.split("=", 1)[0].strip()
        return is_limit_key(text) or (key.startswith("stack.")
                                      and key.removeprefix("stack.") not in films)

    return [s for s in sets if not is_limit(s)], [s for s in sets if is_limit(s)]


def _resolve(req: StackRequest) -> tuple[Deck, StackLimits, Target]:
    deck_sets, limit_sets = _split_sets(req.sets)
    limits = load_limits(req.limits_file, limit_sets)
    if req.job is not None:
        deck, target = target_of_job(req.job, list(req.rules), deck_sets, req.options.products)
    else:
        deck, target = target_of_options(req.options, list(req.rules), deck_sets)
    return deck, limits, target


def _n_range(target: Target, limits: StackLimits, deck: Deck, cells: Cells, need: int
             ) -> tuple[int, int]:
    if limits.cells == "fixed":
        if target.layers is None:
            raise LayoutgenError("stack.cells = 'fixed' needs the product's layer count: give "
                                 "--footprint (or --layers, or --job), or "
                                 "--set stack.cells=free")
        return target.layers, target.layers
    n_max = (sizing.max_layers(target.max_thickness_mm, deck)
             if target.max_thickness_mm is not None else sizing.MAX_LAYERS)
    if n_max < 1:
        raise LayoutgenError(f"max thickness {target.max_thickness_mm:g} mm: not even one "
                             "layer fits")
    return min(fewest_cells(cells.cap_nah, need), n_max), n_max


def _mah(nah: int) -> str:
    return f"{nah / MICRO:.4g}"


def _check_feasible(cells: Cells, spec: matching.Spec, bounds: Bounds, target: Target,
                    limits: StackLimits) -> None:
    """One line saying what is short and by how much when no stack can be made."""
    total_rows = sum(s.rows for s in cells.sheets)
    if cells.n == 0:
        raise LayoutgenError(f"no passing cells in the maps (0 of {total_rows:,} rows pass); a "
                             f"stack needs {spec.n_min} cells")
    top = np.sort(cells.cap_nah)[::-1][:spec.n_max]
    best = int(top.sum())
    if best < spec.need_nah:
        eol = best * target.retention
        need_eol = target.capacity_mah * MICRO
        raise LayoutgenError(
            f"{target.capacity_said} at end of life cannot be reached: the {top.size:,} "
            f"largest passing cells (the most a stack holds) give {_mah(int(eol))} mAh, "
            f"{_mah(int(math.ceil(need_eol - eol)))} mAh short")
    if cells.n < spec.n_min:
        raise LayoutgenError(f"{cells.n:,} passing cells, {spec.n_min - cells.n:,} short of "
                             f"the {spec.n_min} one stack needs")
    if bounds.window == 0:
        z = np.sort(cells.z_uohm)
        v = np.sort(cells.v_uv)
        z_best = (float((z[1:] / z[:-1]).min()) - 1) if z.size > 1 else math.inf
        v_best = float(np.diff(v).min()) / 1000 if v.size > 1 else math.inf
        if z_best * MICRO > spec.z_ppm:
            raise LayoutgenError(
                f"no pair of passing cells meets stack.max_impedance_spread = "
                f"{limits.max_impedance_spread:g}: the closest pair differs by "
                f"{z_best:.4g} ({z_best - limits.max_impedance_spread:.4g} over)")
        if v_best * 1000 > spec.v_uv:
            raise LayoutgenError(
                f"no pair of passing cells meets stack.max_ocv_spread_mv = "
                f"{limits.max_ocv_spread_mv:g} mV: the closest pair differs by {v_best:.4g} "
                f"mV ({v_best - limits.max_ocv_spread_mv:.4g} mV over)")
        raise LayoutgenError(
            f"no {spec.n_min} passing cells meet both spread limits together "
            f"(stack.max_impedance_spread = {limits.max_impedance_spread:g}, "
            f"stack.max_ocv_spread_mv = {limits.max_ocv_spread_mv:g}) and reach "
            f"{target.capacity_said}: widen the limits or add sheets")


def _per_stack(cells: Cells, stack: np.ndarray, k: int) -> tuple[np.ndarray, ...]:
    """Per stack: cells, capacity sum (nAh, exact), impedance spread (ppm), OCV spread (uV)."""
    used = np.flatnonzero(stack >= 0)
    s = stack[used]
    n = np.bincount(s, minlength=k)
    cap = np.zeros(k, dtype=np.int64)
    np.add.at(cap, s, cells.cap_nah[used])
    lo, hi = np.iinfo(np.int64).min, np.iinfo(np.int64).max
    zmax, zmin, vmax, vmin = (np.full(k, x, dtype=np.int64) for x in (lo, hi, lo, hi))
    np.maximum.at(zmax, s, cells.z_uohm[used])
    np.minimum.at(zmin, s, cells.z_uohm[used])
    np.maximum.at(vmax, s, cells.v_uv[used])
    np.minimum.at(vmin, s, cells.v_uv[used])
    z_ppm = np.rint((zmax / np.maximum(zmin, 1) - 1) * MICRO).astype(np.int64)
    return n, cap, z_ppm, vmax - vmin


def stack_cells(req: StackRequest) -> StackResult:
    """Read the maps, form matched stacks, bound them, plan the lot (nothing written)."""
    deck, limits, target = _resolve(req)
    nominal = (int(round(target.nominal_cell_mah * MICRO))
               if target.nominal_cell_mah is not None else 0)
    cells = read_cells(tuple(Path(m) for m in req.maps), nominal)
    notes: list[str] = []
    if cells.n == 0:
        rows = sum(s.rows for s in cells.sheets)
        each = target.layers if limits.cells == "fixed" and target.layers else None
        raise LayoutgenError(f"no passing cells in the maps (0 of {rows:,} rows pass); "
                             + (f"a stack needs {each}" if each else "nothing to stack"))
    if not cells.measured_capacity:
        if target.nominal_cell_mah is None:
            raise LayoutgenError("the maps carry no capacity_mah and no nominal cell capacity "
                                 "is known: give --footprint (or --job) for the sizing model")
        notes.append(f"the maps carry no capacity_mah: every cell counts the sizing model's "
                     f"nominal {target.nominal_cell_mah:.6g} mAh (the stack count is nominal)")
    need = _need_nah(target.capacity_mah, target.retention)
    n_min, n_max = _n_range(target, limits, deck, cells, need) if cells.n else (
        target.layers or 1, target.layers or 1)
    spec = matching.Spec(need_nah=need, n_min=n_min, n_max=n_max, z_ppm=limits.impedance_ppm,
                         v_uv=limits.ocv_uv)
    bounds = upper_bounds(cells.cap_nah, cells.z_uohm, cells.v_uv, need, n_min, n_max,
                          spec.z_ppm, spec.v_uv)
    _check_feasible(cells, spec, bounds, target, limits)
    fileio.checkpoint()
    a = stacker.stack_cells(cells.cap_nah, cells.z_uohm, cells.v_uv, spec)
    fileio.checkpoint()
    naive, naive_label = naive_stacks(cells.cap_nah, cells.z_uohm, cells.v_uv, need, n_min,
                                      n_max, spec.z_ppm, spec.v_uv)
    if naive.products > a.n_stacks:  # never worse than the naive order
        a = matching.Assignment(stack=naive_label, n_stacks=naive.products)
        notes.append("the naive order gave more products than the matching; its stacks "
                     "are used")
    picks = pick_list(cells.sheet, cells.row, cells.col, cells.x, cells.y, a.stack)
    reason = np.where(a.stack >= 0, "", np.where(bounds.usable, REASON_REMAINDER,
                                                  REASON_NO_MATCH)).astype(object)
    n, cap, z_ppm, v_uv = _per_stack(cells, a.stack, a.n_stacks)
    thick = np.array([sizing.thickness_mm(int(c), deck) for c in range(n_max + 1)]) \
        if n_max <= 100_000 else None
    stack_t = thick[n] if thick is not None else np.array(
        [sizing.thickness_mm(int(c), deck) for c in n])
    good = np.bincount(cells.sheet, minlength=len(cells.sheet_names))
    share = per_sheet_products(cells.sheet, a.stack, len(cells.sheet_names))
    lot = measured_lot_plan(target.order, good, share, a.n_stacks, target.sheet_length_mm,
                            limits.confidence, limits.seed)
    return StackResult(target=target, limits=limits, deck=deck, spec=spec, cells=cells,
                       stack=a.stack, n_stacks=a.n_stacks, bounds=bounds, naive=naive,
                       picks=picks, reason=reason, stack_cells_n=n, stack_cap_nah=cap,
                       stack_z_ppm=z_ppm, stack_v_uv=v_uv, stack_thickness_mm=stack_t,
                       lot=lot, notes=notes)


# --------------------------------------------------------------------------- outputs


def _fixed6(values: np.ndarray) -> np.ndarray:
    """Integer micro-units as floats: written with 6 decimals they are the exact decimals
    (below 2^53 / 10^6 the nearest double prints back to its 6-decimal value)."""
    return np.asarray(values, dtype=np.int64) / MICRO


def _csv(frame: pl.DataFrame, path: Path) -> None:
    fileio.write_bytes(path, frame.write_csv(line_terminator="\n", float_precision=6).encode())


def write_stack_outputs(result: StackResult, out_dir: str | Path, *, overwrite: bool = False
                        ) -> list[Path]:
    """stacks.csv, stack_summary.csv, picklist.csv, leftovers.csv, stack_summary.json and the
    pictures, staged into out_dir (all or nothing); the paths written."""
    c, r = result.cells, result
    names = pl.Series("sheet", c.sheet_names, dtype=pl.Utf8)
    ret = r.target.retention
    with fileio.staged_dir(out_dir, overwrite=overwrite) as tmp:
        order = r.picks.order
        in_stack = order[np.lexsort((r.picks.position[order], r.stack[order]))]
        _csv(pl.DataFrame({
            "stack": r.stack[in_stack], "position": r.picks.position[in_stack],
            "sheet": names.gather(c.sheet[in_stack]), "cell_id": c.cell_id.gather(in_stack),
            "capacity_mah": _fixed6(c.cap_nah[in_stack]),
            "impedance_ohm": _fixed6(c.z_uohm[in_stack]), "ocv_v": _fixed6(c.v_uv[in_stack]),
        }), tmp / "stacks.csv")
        eol = np.floor(r.stack_cap_nah * ret).astype(np.int64)
        _csv(pl.DataFrame({
            "stack": np.arange(r.n_stacks), "cells": r.stack_cells_n,
            "capacity_mah": _fixed6(r.stack_cap_nah), "eol_capacity_mah": _fixed6(eol),
            "surplus_mah": _fixed6(eol - int(round(r.target.capacity_mah * MICRO))),
            "impedance_spread": _fixed6(r.stack_z_ppm),
            "ocv_spread_mv": _fixed6(r.stack_v_uv * 1000),
            "thickness_mm": np.round(r.stack_thickness_mm, 6),
        }), tmp / "stack_summary.csv")
        _csv(pl.DataFrame({
            "pick": np.arange(order.size), "sheet": names.gather(c.sheet[order]),
            "cell_id": c.cell_id.gather(order), "row": c.row[order], "col": c.col[order],
            "x_mm": c.x[order], "y_mm": c.y[order], "stack": r.stack[order],
            "position": r.picks.position[order],
        }), tmp / "picklist.csv")
        left = np.flatnonzero(r.stack < 0)
        _csv(pl.DataFrame({
            "sheet": names.gather(c.sheet[left]), "cell_id": c.cell_id.gather(left),
            "capacity_mah": _fixed6(c.cap_nah[left]), "impedance_ohm": _fixed6(c.z_uohm[left]),
            "ocv_v": _fixed6(c.v_uv[left]), "reason": r.reason[left].astype(str),
        }, schema_overrides={"reason": pl.Utf8}), tmp / "leftovers.csv")
        fileio.write_text(tmp / "stack_summary.json",
                          json.dumps(r.summary(), indent=2, allow_nan=False) + "\n")
        draw(tmp, r.stack_cap_nah * ret / MICRO, r.target.capacity_mah,
             r.stack_z_ppm / 10_000, r.limits.max_impedance_spread * 100,
             r.stack_v_uv / 1000, r.limits.max_ocv_spread_mv)
    folder = Path(out_dir)
    return [folder / n for n in OUTPUTS]


def stack_and_write(req: StackRequest, out_dir: str | Path, *, overwrite: bool = False
                    ) -> StackResult:
    """`layoutgen stack`: the output folder checked first, then stack and write."""
    fileio.check_out_dir(out_dir)
    result = stack_cells(req)
    write_stack_outputs(result, out_dir, overwrite=overwrite)
    return result


def summary_rows(result: StackResult) -> list[tuple[str, object, str]]:
    """The figures a table (CLI, report) shows."""
    r, b, lot = result, result.bounds, result.lot
    pct = f"{100 * r.n_stacks / b.upper:.2f} % of the bound" if b.upper else ""
    return [
        ("passing cells", r.cells.n, f"({'measured' if r.cells.measured_capacity else 'nominal'}"
                                     " capacity)"),
        ("cells per stack", f"{r.spec.n_min}" if r.spec.fixed
         else f"{r.spec.n_min}-{r.spec.n_max}", f"({r.limits.cells})"),
        ("products", r.n_stacks, pct),
        ("upper bound", b.upper, f"(capacity {b.capacity:,}, count {b.count:,}, window "
                                 f"{b.window:,})"),
        ("naive order", r.naive.products, f"({r.naive.short_capacity:,} short of capacity, "
                                          f"{r.naive.over_spread:,} over a spread limit)"),
        ("leftover cells", int((r.stack < 0).sum()), ""),
        ("pick travel", r.picks.travel_mm, f"mm (map order {r.picks.travel_map_order_mm:,.0f})"),
        ("order", lot.order, "products"),
        ("more sheets", lot.more_sheets, f"at {100 * lot.confidence:g} % confidence "
                                         f"({lot.more_sheets_expected:,} at the mean)"),
    ]


def report_section(result: StackResult) -> ReportSection:
    """The stacking section of report.html: figures, stacks against their limits, lot plan;
    the pictures are the files `write_stack_outputs` wrote into the run folder."""
    header = ("quantity", "value", "unit")
    main = ReportTable("stack-table", header, tuple(
        (label, fmt(value), unit) for label, value, unit in summary_rows(result)))
    lot = result.lot
    lot_rows = (
        ("order", fmt(lot.order), "products"),
        ("measured sheets", fmt(lot.sheets_measured), ""),
        ("good cells per sheet", fmt(lot.good_cells_per_sheet_mean),
         f"mean ({lot.good_cells_per_sheet_min:,} to {lot.good_cells_per_sheet_max:,})"),
        ("products made", fmt(lot.products_made), ""),
        ("products per sheet", fmt(lot.products_per_sheet_mean), f"mean (sd "
                                                                 f"{lot.products_per_sheet_sd:g})"),
        ("more sheets", fmt(lot.more_sheets),
         f"at {100 * lot.confidence:g} % confidence ({lot.method})"),
        ("more sheets at the mean", fmt(lot.more_sheets_expected), ""),
        ("roll length for them", fmt(lot.roll_m), "m"),
    )
    tables = (main, ReportTable("stack-lot-table", header, lot_rows,
                                    "lot plan from the measured yield"))
    pics = (ReportFigure(f"{PICTURES[0]}.png", "end-of-life capacity of each stack against "
                                               "the target"),
            ReportFigure(f"{PICTURES[1]}.png", "impedance and OCV spread inside each stack "
                                               "against the limits"))
    return ReportSection("stacks", "Stacks", tables, pics, tuple(result.notes))
