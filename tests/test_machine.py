"""Machine profiles: the [machine] deck section (strict values, shipped profiles, --set), the
feed clamp with its power consequence, and the gantry time estimate against a step-by-step
simulation of the same planner."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from layoutgen.deck import load_deck
from layoutgen.errors import LayoutgenError
from layoutgen.machine import Machine
from layoutgen.toolpath.metrics import (
    _trapezoid_s,
    gantry_mark_s,
    machine_settings,
    number_text,
)

REPO = Path(__file__).resolve().parents[1]


def test_shipped_profiles_and_set() -> None:
    g = load_deck([REPO / "rules" / "machines" / "grbl_diode.toml"]).machine
    assert g.kind == "gantry" and g.max_feed_mm_min == 6000 and g.acceleration_mm_s2 == 1000
    f = load_deck([REPO / "rules" / "machines" / "galvo_fiber.toml"]).machine
    assert f == load_deck().machine == Machine()
    s = load_deck([], ["machine.kind=gantry", "machine.max_feed_mm_min=6000"]).machine
    assert s.kind == "gantry" and s.max_feed_mm_min == 6000.0


@pytest.mark.parametrize("bad", ["machine.kind=robot", "machine.max_feed_mm_min=0",
                                 "machine.max_feed_mm_min='6000'", "machine.power_scale=10.5",
                                 "machine.arcs=1", "machine.speed=3"])
def test_bad_machine_values_are_refused(bad: str) -> None:
    with pytest.raises(LayoutgenError, match="machine"):
        load_deck([], [bad])


def test_feed_clamp_keeps_energy_per_mm() -> None:
    op = load_deck().laser.singulation
    m = Machine(kind="gantry", max_feed_mm_min=6000.0)
    ms = machine_settings(op, m)
    assert ms.clamped and ms.feed_mm_min == 6000.0
    assert ms.power_pct / ms.feed_mm_min == pytest.approx(op.power_pct /
                                                          (op.mark_speed_mm_s * 60))
    assert not machine_settings(op, Machine()).clamped


def _simulated_s(xy: np.ndarray, vmax: float, acc: float, jd: float) -> float:
    """The same planner step by step (loops): junction limits, backward then forward pass."""
    seg = np.diff(xy, axis=0)
    length = np.hypot(*seg.T)
    u = seg / length[:, None]
    n = len(length)
    lim = [0.0]
    for i in range(1, n):
        cos_t = -float(u[i] @ u[i - 1])
        sh = np.sqrt(max(0.0, 0.5 * (1 - cos_t)))
        vj = np.inf if sh >= 1 else acc * jd * sh / (1 - sh)
        lim.append(min(vj, vmax * vmax))
    lim.append(0.0)
    v = list(lim)
    for i in range(n - 1, -1, -1):
        v[i] = min(v[i], v[i + 1] + 2 * acc * length[i])
    for i in range(1, n + 1):
        v[i] = min(v[i], v[i - 1] + 2 * acc * length[i - 1])
    return float(sum(_trapezoid_s(np.array([length[i]]), np.array([v[i]]), np.array([v[i + 1]]),
                                  vmax, acc)[0] for i in range(n)))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(-20, 20), st.floats(-20, 20)), min_size=2, max_size=12),
       st.floats(5, 200), st.floats(100, 5000), st.floats(0.001, 0.1))
def test_gantry_time_matches_a_step_by_step_planner(pts, vmax, acc, jd) -> None:  # noqa: ANN001
    xy = np.array(pts, float)
    assume(np.all(np.hypot(*np.diff(xy, axis=0).T) > 1e-3))
    m = Machine(kind="gantry", acceleration_mm_s2=acc, junction_deviation_mm=jd)
    got = gantry_mark_s(xy, np.array([0, len(xy)]), vmax, m)
    # (a reversal's junction speed is sqrt of a rounding-level sin: 1e-5 s apart at most)
    assert got == pytest.approx(_simulated_s(xy, vmax, acc, jd), rel=1e-9, abs=1e-5)
    # never faster than distance / feed
    assert got >= np.hypot(*np.diff(xy, axis=0).T).sum() / vmax - 1e-12


def test_single_move_is_a_trapezoid() -> None:
    m = Machine(kind="gantry", acceleration_mm_s2=1000.0)
    # 100 mm at 100 mm/s, 1000 mm/s^2: 0.1 s up, 0.1 s down, 90 mm cruise (0.9 s)
    assert gantry_mark_s(np.array([[0, 0], [100.0, 0]]), np.array([0, 2]), 100.0, m) == \
        pytest.approx(1.1)


def test_numbers_are_formatted_alike() -> None:
    assert number_text(39600.0) == "39,600" and number_text(2845) == "2,845"
    assert number_text(0.5) == "0.5" and "e" not in number_text(1.2e7)
