"""Run the issue-14 hostile-input corpus and print, class by class, how the CLI fares.

    python benchmarks/hostile.py [--workers 2] [--only CLASS] [--failures]

Columns: cases; meets (one line + exit 2, or the correct result); tracebacks; partial files
(.staging*/.part left, or new/changed files after a refused input); max wall s; max RSS MB (the
children's ru_maxrss). Each case runs as its own process under RLIMIT_AS 2 GiB, RLIMIT_CPU 20 s
and a 30 s wall timeout (tests/hostile_cases.py). Figures are printed, not asserted.
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import hostile_cases as hc  # noqa: E402


def _partial(r: hc.Result) -> bool:
    if r.leftovers:
        return True
    if r.case.expected == "ok" or (r.case.expected == "either" and r.code == 0):
        return False
    changed = any(r.after.get(k) != v for k, v in r.before.items())
    return changed or bool(set(r.after) - set(r.before))


def table(results: dict[str, hc.Result]) -> list[str]:
    """The class-by-class table as lines."""
    by_cls: dict[str, list[hc.Result]] = {}
    for r in results.values():
        by_cls.setdefault(r.case.cls, []).append(r)
    head = (f"{'class':<11}{'cases':>6}{'meets':>7}{'%':>6}{'tracebk':>8}{'partial':>8}"
            f"{'>10 s':>6}{'max s':>7}{'max MB':>8}")
    lines = [head, "-" * len(head)]
    rows = sorted(by_cls.items()) + [("ALL", list(results.values()))]
    for cls, rs in rows:
        ok = sum(not hc.problems(r) for r in rs)
        tb = sum("Traceback" in r.err for r in rs)
        part = sum(_partial(r) for r in rs)
        slow = sum(r.seconds > 10 or bool(r.killed) for r in rs)
        lines.append(f"{cls:<11}{len(rs):>6}{ok:>7}{100 * ok / len(rs):>6.0f}{tb:>8}{part:>8}"
                     f"{slow:>6}{max(r.seconds for r in rs):>7.1f}"
                     f"{max(r.maxrss_kb for r in rs) / 1024:>8.0f}")
        if cls == sorted(by_cls)[-1]:
            lines.append("-" * len(head))
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--only", action="append", help="run only this class (repeatable)")
    ap.add_argument("--failures", action="store_true", help="list every failing case")
    args = ap.parse_args()
    cases = [c for c in hc.CASES if not args.only or c.cls in args.only]
    print(f"machine: {platform.machine()}, python {platform.python_version()}; "
          f"{len(cases)} cases, {args.workers} at a time; limits: {hc.MEM_LIMIT >> 30} GiB "
          f"address space, {hc.CPU_LIMIT} s CPU, {hc.WALL_LIMIT:g} s wall")
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="hostile.") as tmp:
        results = hc.run_corpus(Path(tmp), cases, workers=args.workers)
    print("\n".join(table(results)))
    print(f"total wall {time.monotonic() - t0:.0f} s")
    heavy = sorted(results.values(), key=lambda r: -r.seconds)[:5]
    print("slowest: " + ", ".join(f"{r.case.id} {r.seconds:.1f} s" for r in heavy))
    heavy = sorted(results.values(), key=lambda r: -r.maxrss_kb)[:5]
    print("largest: " + ", ".join(f"{r.case.id} {r.maxrss_kb / 1024:.0f} MB" for r in heavy))
    failing = [(cid, hc.problems(r)) for cid, r in results.items() if hc.problems(r)]
    if args.failures and failing:
        print("\nfailing cases:")
        for cid, bad in sorted(failing, key=lambda x: (results[x[0]].case.cls, x[0])):
            r = results[cid]
            print(f"  [{r.case.cls}] {cid} (expected {r.case.expected}, {r.seconds:.1f} s): "
                  + "; ".join(bad))


if __name__ == "__main__":
    main()
