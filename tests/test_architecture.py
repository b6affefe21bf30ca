"""The house plan, enforced: no import cycles between first-party modules (lazy imports
included), no first-party import inside a function unless marked `# lazy: <reason>`, and the
rooms import only downwards (the layer order below, written down in docs/architecture.md)."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "layoutgen"

# Rooms from the bottom up: a module may import its own room and the rooms below it.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors", "units", "fileio", "technology", "schema", "machine", "display", "report_model"),
    ("deck",),
    ("shapes", "cellgeom", "pattern", "sizing", "product", "lot", "sweep", "job"),
    ("tiling", "fields"),
    ("layout",),
    ("toolpath",),
    ("export", "render"),
    ("drc",),
    ("binning", "stacking"),
    ("run", "report", "stages", "sheet_request"),
    ("cli", "__main__"),
)


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The first-party module an imported name lands in (a package's __init__ for names)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def _imports(path: Path, modules: dict[str, Path]) -> list[tuple[str, int, bool, str]]:
    """(target module, line, inside a function, source line) of every first-party import."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    src = path.read_text(encoding="utf-8").splitlines()
    out: list[tuple[str, int, bool, str]] = []

    def visit(node: ast.AST, in_func: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = in_func or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.ImportFrom) and child.module and child.level == 0 \
                    and child.module.split(".")[0] == "layoutgen":
                for alias in child.names:
                    target = _resolve(f"{child.module}.{alias.name}", modules)
                    if target:
                        out.append((target, child.lineno, in_func, src[child.lineno - 1]))
            elif isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name.split(".")[0] == "layoutgen":
                        target = _resolve(alias.name, modules)
                        if target:
                            out.append((target, child.lineno, in_func, src[child.lineno - 1]))
            visit(child, inner)

    visit(tree, False)
    return out


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        for target, _, _, _ in _imports(path, modules):
            if target != name and not name.startswith(target + "."):  # a package's own children
                graph[name].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph.get(w, ())))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    found.append(sorted(comp))
    return found


def _room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _level(room: str) -> int:
    for k, rooms in enumerate(LAYERS):
        if room in rooms:
            return k
    raise AssertionError(f"room {room!r} is in no layer of tests/test_architecture.py")


def test_no_import_cycles() -> None:
    assert _cycles(_graph()) == []


def test_cycle_finder_catches_a_planted_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_unmarked_imports_inside_functions() -> None:
    modules = _modules()
    bad = [f"{path.relative_to(ROOT.parent)}:{line}: {text.strip()}"
           for path in modules.values()
           for _, line, in_func, text in _imports(path, modules)
           if in_func and "# lazy:" not in text]
    assert bad == []


def test_rooms_import_only_downwards() -> None:
    graph = _graph()
    bad = []
    for module, targets in sorted(graph.items()):
        if module == "layoutgen":
            continue
        src = _level(_room(module))
        for t in sorted(targets):
            if t == "layoutgen":
                continue
            if _level(_room(t)) > src:
                bad.append(f"{module} -> {t}")
    assert bad == []


def test_layer_check_catches_an_upward_import() -> None:
    assert _level("cli") > _level("tiling") > _level("units")
    with pytest.raises(AssertionError):
        _level("no_such_room")


def test_every_package_is_installed() -> None:
    """pyproject's package list names every folder of layoutgen/ (a fresh install would miss a
    package it leaves out; the tests here would not notice, importing from the checkout)."""
    listed = set(tomllib.loads((ROOT.parent / "pyproject.toml").read_text())["tool"][
        "setuptools"]["packages"])
    found = {_module_name(p) for p in ROOT.rglob("__init__.py")}
    assert found - listed == set()
