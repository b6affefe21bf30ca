"""Synthetic bins.csv maps (seeded numpy) for tests, benchmarks and demos."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from layoutgen.fileio import write_bytes


def sheet_frame(sheet: str, rows: int, cols: int, seed: int, *, capacity_mah: float = 0.5,
                cap_cv: float = 0.03, impedance_ohm: float = 20.0, z_cv: float = 0.06,
                ocv_v: float = 4.0, ocv_sd_v: float = 0.008, pass_rate: float = 0.92,
                pitch_mm: float = 3.0, drift: float = 0.0, with_capacity: bool = True
                ) -> pl.DataFrame:
    """One sheet's bins.csv rows: a grid of cells with measured values (6 decimals), a
    gradient `drift` across the sheet in impedance (fraction, left to right)."""
    rng = np.random.default_rng(seed)
    n = rows * cols
    r, c = np.divmod(np.arange(n), cols)
    grad = 1 + drift * (c / max(1, cols - 1) - 0.5)
    z = impedance_ohm * grad * rng.lognormal(0.0, z_cv, n)
    cap = capacity_mah * rng.normal(1.0, cap_cv, n) / np.sqrt(grad)
    ocv = rng.normal(ocv_v, ocv_sd_v, n)
    ok = rng.random(n) < pass_rate
    data = {
        "sheet": [sheet] * n, "id": np.arange(n), "row": r, "col": c,
        "x": np.round(c * pitch_mm, 3), "y": np.round(r * pitch_mm, 3),
        "ocv_v": np.round(ocv, 6), "impedance_ohm": np.round(z, 6),
    }
    if with_capacity:
        data["capacity_mah"] = np.round(np.maximum(cap, 1e-6), 6)
    data.update({"bin_code": np.where(ok, 1, 7), "bin_name": np.where(ok, "good", "spec_fail"),
                 "pass": np.where(ok, "true", "false"), "rule": np.where(ok, "", "spec")})
    return pl.DataFrame(data)


def write_map(frame: pl.DataFrame, path: str | Path) -> Path:
    """Write a map as CSV (LF, deterministic)."""
    write_bytes(path, frame.write_csv(line_terminator="\n").encode())
    return Path(path)
