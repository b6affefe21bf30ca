"""Issue 14: every hostile input through the real CLI, in a subprocess under resource limits.

The corpus (tests/hostile_cases.py) runs once per session in a module-scoped fixture, two
subprocesses at a time; each case is then one parametrised assertion on its recorded result.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import hostile_cases as hc  # noqa: E402

COMMANDS = ("size", "size sweep", "size compare", "tile", "layout", "drc", "toolpath",
            "rules show", "rules check", "run")
CLASSES = ("encoding", "number", "empty", "binary", "directory", "missing", "nesting", "units",
           "boolean", "bomb", "output", "drc", "usage", "signal")


def _command(case: hc.Case) -> str:
    head = [a for a in case.argv[:2] if isinstance(a, str)]
    two = " ".join(head)
    return two if two in COMMANDS else head[0]


class _Results(dict):
    """id -> result, with a short repr (pytest prints fixture values on failure)."""

    def __repr__(self) -> str:
        return f"<{len(self)} hostile results>"


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, hc.Result]:
    return _Results(hc.run_corpus(tmp_path_factory.mktemp("hostile"), workers=2))


def test_corpus_covers_every_command_and_class() -> None:
    assert len(hc.CASES) >= 120
    commands = Counter(_command(c) for c in hc.CASES)
    classes = Counter(c.cls for c in hc.CASES)
    for cmd in COMMANDS:
        assert commands[cmd] >= 3, (cmd, commands)
    for cls in CLASSES:
        assert classes[cls] >= 3, (cls, classes)
    assert {c.expected for c in hc.CASES} <= set(hc.EXPECTED)


@pytest.mark.parametrize("case", hc.CASES, ids=[c.id for c in hc.CASES])
def test_hostile_case(case: hc.Case, results: dict[str, hc.Result]) -> None:
    r = results[case.id]
    bad = hc.problems(r)
    assert not bad, f"{case.id} ({case.cls}, expected {case.expected}): " + "; ".join(bad)


def _result(expected: str, code: int, err: str, **kw: object) -> hc.Result:
    case = hc.Case("synthetic", "self-check", ("size",), expected)
    return hc.Result(case, code, "", err, 0.1, 1000, **kw)  # type: ignore[arg-type]


def test_judge_accepts_a_clean_refusal() -> None:
    assert hc.problems(_result("error", 2, "error: --capacity: must be > 0\n")) == []
    assert hc.problems(_result("ok", 0, "")) == []


@pytest.mark.parametrize("result", [
    _result("error", 1, "Traceback (most recent call last):\nValueError: x\n"),
    _result("error", 2, "error: one\nerror: two\n"),
    _result("error", 2, "warning: no prefix\n"),
    _result("error", 0, ""),
    _result("error", 2, "error: x\n", before={}, after={"out/a.gds": (1, 1)}),
    _result("error", 2, "error: x\n", leftovers=["out/.staging.abc"]),
    _result("ok", 2, "error: refused a legal input\n"),
    _result("either", -9, ""),
    _result("interrupted", -15, "", signalled=True, leftovers=["out/.staging.x"]),
    _result("interrupted", 0, "", signalled=False),
], ids=["traceback", "two-lines", "no-prefix", "exit-0", "new-file", "staging", "ok-refused",
        "killed", "staging-after-signal", "no-signal"])
def test_judge_rejects(result: hc.Result) -> None:
    assert hc.problems(result)
