"""Time `layoutgen run` on every shipped example: wall time, peak memory, outputs.

    python benchmarks/run.py [--examples DIR]

Each run is its own process (peak RSS from the OS); figures are printed, not asserted.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run_one(job: Path) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        code = ("import resource, sys; from layoutgen.cli import main\n"
                "try:\n    main(sys.argv[1:])\nexcept SystemExit as e:\n"
                "    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
                "    print('RSS', rss, file=sys.stderr); raise\n")
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", code, "run", str(job), "-o", tmp, "-q",
                               "--json"], capture_output=True, text=True, check=False)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            return {"job": job.name, "error": proc.stderr.strip().splitlines()[-1]}
        rss_kb = int(next(ln.split()[1] for ln in proc.stderr.splitlines()
                          if ln.startswith("RSS")))
        summary = json.loads(proc.stdout)
        size = sum(p.stat().st_size for p in Path(tmp).iterdir() if p.is_file())
        laser = summary.get("laser", {}).get("total", {})
        return {"job": job.name, "wall_s": wall, "peak_mb": rss_kb / 1024,
                "cells": summary["sheet"]["count"], "bound": summary["sheet"]["upper_bound"],
                "layers": summary["product"]["layers"], "output_mb": size / 1e6,
                "laser_s": laser.get("time_s", 0.0)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--examples", default=str(REPO / "examples"))
    args = ap.parse_args()
    jobs = sorted(Path(args.examples).glob("*.toml"))
    print(f"machine: {platform.machine()}, {resource.getpagesize()} B pages, "
          f"python {platform.python_version()}")
    print(f"{'example':<24}{'wall s':>8}{'peak MB':>9}{'cells':>8}{'bound':>8}{'layers':>7}"
          f"{'out MB':>8}{'laser s':>9}")
    for job in jobs:
        r = run_one(job)
        if "error" in r:
            print(f"{r['job']:<24} ERROR {r['error']}")
            continue
        print(f"{r['job']:<24}{r['wall_s']:>8.2f}{r['peak_mb']:>9.0f}{r['cells']:>8}"
              f"{r['bound']:>8}{r['layers']:>7}{r['output_mb']:>8.2f}{r['laser_s']:>9.1f}")


if __name__ == "__main__":
    main()
