"""Job metrics per operation and in total: mark and jump length, strokes, segments, fields,
field moves and the estimated job time for the machine profile (`layoutgen.machine`).

Galvo time: marks x passes / mark speed + jumps / jump speed + (laser on + off delay) per
stroke + field moves x `laser.field_move_s`. Jumps are straight lines between the exit of one
stroke and the start of the next, in sheet coordinates (the galvo jump inside a field, or the
residual jump after a field move); the first jump starts at the job's start point (the sheet
origin). A field move is counted whenever consecutive strokes lie in different scan fields.

Gantry time: every move accelerates and brakes (`machine.acceleration_mm_s2`): a trapezoidal
(or triangular) speed profile per segment of the marked chords, at most the operation's feed
(clamped to `machine.max_feed_mm_min`), entering and leaving each corner at most at GRBL's
junction speed (`machine.junction_deviation_mm`), from rest at each stroke's start to rest at
its end; jumps from rest to rest at `machine.rapid_mm_min`; no delays, no field moves. The
planner's forward and backward passes are cumulative minima over the whole job (vectorised).

An operation faster than the machine's feed limit is marked at the limit with its power lowered
in proportion (`machine_settings`: the same energy per mm); every writer uses those values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from layoutgen.deck import LaserOp
from layoutgen.machine import Machine
from layoutgen.toolpath.model import Toolpath, expand_passes

_KEYS = ("mark_mm", "mark_total_mm", "jump_mm", "strokes", "segments", "fields", "field_moves",
         "mark_s", "jump_s", "delay_s", "field_move_s", "time_s")


@dataclass(frozen=True)
class MachineSetting:
    """What a machine-facing file writes for one operation: feed (mm/min) and power (%), the
    operation's own feed, and whether the machine's limit lowered it."""

    feed_mm_min: float
    power_pct: float
    wanted_feed_mm_min: float
    clamped: bool

    def note(self, name: str) -> str:
        """One line saying what the clamp did ('' when nothing was clamped)."""
        if not self.clamped:
            return ""
        return (f"{name}: feed {self.wanted_feed_mm_min:g} mm/min is above the machine's "
                f"{self.feed_mm_min:g}: written at {self.feed_mm_min:g} mm/min with power "
                f"{self.power_pct:.4g} pct, lowered in proportion to keep the energy per mm")


def machine_settings(params: LaserOp, machine: Machine) -> MachineSetting:
    """The feed and power an operation is written with on `machine`: its own, or, above the
    machine's feed limit, the limit with the power lowered by the same ratio."""
    want = params.mark_speed_mm_s * 60.0
    if want <= machine.max_feed_mm_min:
        return MachineSetting(want, params.power_pct, want, False)
    ratio = machine.max_feed_mm_min / want
    return MachineSetting(machine.max_feed_mm_min, params.power_pct * ratio, want, True)


def machine_of(tp: Toolpath, machine: Machine | None = None) -> Machine:
    """The machine a job is written for: the one given, else the toolpath's own (the deck's
    [machine], recorded by the generator)."""
    return machine if machine is not None else tp.machine


def _trapezoid_s(length: np.ndarray, v0sq: np.ndarray, v1sq: np.ndarray, vmax: float,
                 acc: float) -> np.ndarray:
    """Time of each move of `length` entered at speed^2 v0sq and left at v1sq, accelerating
    and braking at `acc` up to `vmax` (trapezoid, or triangle when vmax is not reached)."""
    v0, v1 = np.sqrt(v0sq), np.sqrt(v1sq)
    peak_sq = (2 * acc * length + v0sq + v1sq) / 2
    tri = (2 * np.sqrt(peak_sq) - v0 - v1) / acc
    cruise = length - (2 * vmax * vmax - v0sq - v1sq) / (2 * acc)
    trap = (2 * vmax - v0 - v1) / acc + np.maximum(cruise, 0.0) / vmax
    return np.where(peak_sq <= vmax * vmax, tri, trap)


def gantry_mark_s(xy: np.ndarray, starts: np.ndarray, vmax: float, machine: Machine) -> float:
    """Time to mark the polylines (xy, starts) at most at `vmax` mm/s on a gantry: GRBL's
    planner in closed form (junction speeds from the junction deviation, forward and backward
    acceleration passes as cumulative minima), every stroke from rest to rest."""
    if len(xy) < 2:
        return 0.0
    acc, jd = machine.acceleration_mm_s2, machine.junction_deviation_mm
    d = np.diff(xy, axis=0)
    length = np.hypot(*d.T)
    owner = np.repeat(np.arange(len(starts) - 1), np.diff(starts))
    keep = (length > 0) & (owner[1:] == owner[:-1])  # steps inside a stroke
    d, length, stroke = d[keep], length[keep], owner[:-1][keep]
    if not len(length):
        return 0.0
    u = d / length[:, None]
    new = np.r_[True, stroke[1:] != stroke[:-1]]  # first segment of a stroke
    # nodes: each segment's start, plus one end node per stroke
    n_seg = len(length)
    cos_t = -(u[1:] * u[:-1]).sum(axis=1)
    sin_h = np.sqrt(np.clip(0.5 * (1 - cos_t), 0.0, 1.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        vj = np.where(sin_h >= 1.0, np.inf, acc * jd * sin_h / (1 - sin_h))
    start_lim = np.r_[0.0, np.minimum(vj, vmax * vmax)]
    start_lim[new] = 0.0
    node_of_seg = np.arange(n_seg) + np.cumsum(new) - 1  # node index of each segment start
    n_node = n_seg + int(new.sum())
    lim = np.zeros(n_node)
    lim[node_of_seg] = start_lim
    link = np.zeros(n_node)  # 2 a L from each node to the next (0 into a new stroke)
    link[node_of_seg] = 2 * acc * length
    s = np.r_[0.0, np.cumsum(link)[:-1]]
    fwd = np.minimum.accumulate(lim - s) + s
    bwd = np.minimum.accumulate((lim + s)[::-1])[::-1] - s
    v2 = np.maximum(np.minimum(fwd, bwd), 0.0)
    t = _trapezoid_s(length, v2[node_of_seg], v2[node_of_seg + 1], vmax, acc)
    return float(t.sum())


def gantry_jump_s(lengths: np.ndarray, machine: Machine) -> float:
    """Time of straight jumps from rest to rest at the machine's rapid rate."""
    vr, acc = machine.rapid_mm_min / 60.0, machine.acceleration_mm_s2
    z = np.zeros(len(lengths))
    return float(_trapezoid_s(np.asarray(lengths, float), z, z, vr, acc).sum())


@dataclass(frozen=True)
class JobMetrics:
    """The job's metrics, computed once for one machine profile: per operation and in total
    (lengths mm, times s; `time_s` is the profile's estimate)."""

    operations: dict[str, dict[str, Any]]
    total: dict[str, Any]
    machine: Machine = field(default_factory=Machine)

    def as_dict(self) -> dict[str, Any]:
        return {"operations": self.operations, "total": self.total,
                "machine": {"name": self.machine.name, "kind": self.machine.kind,
                            "time_basis": time_basis(self.machine)}}


def time_basis(machine: Machine) -> str:
    """One line saying what the time estimate assumes."""
    if machine.is_gantry:
        return (f"gantry {machine.name!r}: feed at most {machine.max_feed_mm_min:g} mm/min, "
                f"{machine.acceleration_mm_s2:g} mm/s^2, junction deviation "
                f"{machine.junction_deviation_mm:g} mm, rapids {machine.rapid_mm_min:g} mm/min")
    return (f"galvo {machine.name!r}: mark and jump speeds of each operation, laser delays, "
            "scan-field moves")


def job_metrics(tp: Toolpath, machine: Machine | None = None) -> dict[str, Any]:
    """{"operations": {name: metrics}, "total": metrics, "machine": profile} (lengths mm,
    times s): `compute_metrics(...).as_dict()`."""
    return compute_metrics(tp, machine).as_dict()


def compute_metrics(tp: Toolpath, machine: Machine | None = None) -> JobMetrics:
    """The job's metrics for `machine` (default: the toolpath's, else the galvo marker)."""
    mach = machine_of(tp, machine)
    pos = np.asarray(tp.start_xy, float)
    prev_field = -1
    out: dict[str, dict[str, Any]] = {}
    all_fields: set[int] = set()
    for op in tp.operations:
        p = op.paths
        prm = op.params
        mark = float(p.lengths().sum())
        if p.count:
            first, exits = p.first, p.exit_points(prm.passes)
            prev = np.vstack([pos.reshape(1, 2), exits[:-1]])
            jump = float(np.hypot(*(first - prev).T).sum())
            f = p.field
            moves = int(np.count_nonzero(f[1:] != f[:-1])) + int(prev_field >= 0 and
                                                                 f[0] != prev_field)
            fields = np.unique(f)
            all_fields.update(int(v) for v in fields)
            pos, prev_field = exits[-1], int(f[-1])
        else:
            jump, moves, fields = 0.0, 0, np.zeros(0)
            first = prev = np.zeros((0, 2))
        m = {
            "mark_mm": mark,
            "mark_total_mm": mark * prm.passes,
            "jump_mm": jump,
            "strokes": p.count,
            "segments": p.segments,
            "fields": int(len(fields)),
            "field_moves": moves,
            "mark_s": mark * prm.passes / prm.mark_speed_mm_s,
            "jump_s": jump / prm.jump_speed_mm_s,
            "delay_s": p.count * (prm.laser_on_delay_us + prm.laser_off_delay_us) * 1e-6,
            "field_move_s": moves * tp.field_move_s,
            "jump_before_mm": op.jump_before_mm,
            "jump_after_mm": op.jump_after_mm,
        }
        if mach.is_gantry and p.count:
            ms = machine_settings(prm, mach)
            ex = expand_passes(p, prm.passes)
            m["mark_s"] = gantry_mark_s(ex.xy, ex.starts, ms.feed_mm_min / 60.0, mach)
            m["jump_s"] = gantry_jump_s(np.hypot(*(first - prev).T), mach)
            m["delay_s"] = 0.0
            m["field_move_s"] = 0.0
        m["time_s"] = m["mark_s"] + m["jump_s"] + m["delay_s"] + m["field_move_s"]
        out[op.name] = m
    total: dict[str, Any] = {k: sum(m[k] for m in out.values()) for k in _KEYS}
    total["fields"] = len(all_fields)
    total["jump_before_mm"] = sum(m["jump_before_mm"] for m in out.values())
    total["jump_after_mm"] = sum(m["jump_after_mm"] for m in out.values())
    return JobMetrics(out, total, mach)


def rounded(metrics: dict[str, Any], digits: int = 6) -> dict[str, Any]:
    """Metrics with floats rounded (stable text in JSON and reports)."""
    def r(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: r(x) for k, x in v.items()}
        if isinstance(v, float):
            return round(v, digits)
        return v
    return r(metrics)


def number_text(v: float) -> str:
    """Numbers of the report tables formatted alike: thousands separated, at most 3 decimals,
    no exponent (39,600; 2,845; 0.5; 12.346)."""
    if float(v).is_integer():
        return f"{int(v):,}"
    return f"{v:,.3f}".rstrip("0").rstrip(".")


LASER_PARAMETER_HEADER = ("operation", "machine", "power %", "speed mm/s", "feed mm/min",
                          "passes", "frequency kHz", "pulse ns", "spot um", "time s", "note")


def laser_parameter_rows(tp: Toolpath, machines: tuple[Machine, ...] | None = None
                         ) -> list[tuple[str, ...]]:
    """The report's laser-parameter table: a header row, then one row per operation and machine
    profile (default: the job's own, the deck's [machine]) with the values the files are written
    with (power and speed after the machine's feed limit) and the profile's time for it."""
    rows: list[tuple[str, ...]] = [LASER_PARAMETER_HEADER]
    for mach in machines or (tp.machine,):
        met = compute_metrics(tp, mach)
        for op in tp.operations:
            p = op.params
            ms = machine_settings(p, mach)
            galvo = not mach.is_gantry
            rows.append((
                op.name, f"{mach.name} ({mach.kind})", number_text(round(ms.power_pct, 3)),
                number_text(round(ms.feed_mm_min / 60.0, 3)), number_text(round(ms.feed_mm_min,
                                                                                  3)),
                number_text(p.passes), number_text(p.frequency_khz) if galvo else "-",
                number_text(p.pulse_width_ns) if galvo else "-", number_text(p.spot_um),
                number_text(round(met.operations[op.name]["time_s"], 1)),
                "feed clamped, power lowered in proportion" if ms.clamped else ""))
    return rows

