"""The project's modules form no import cycle, counting the imports hidden inside functions too, and none
imports another's private names.

A cycle hidden behind a function-level import works until someone moves the import to the top; this test
reads every `import` statement (module level or not) of neggen/ and trainer/ and fails naming the cycle.
A name with a leading underscore is its module's own business: a module that needs it from outside makes it
public (and documents it) instead.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from tests.conftest import REPO

PACKAGES = ("neggen", "trainer")


def project_modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            parts = list(path.relative_to(REPO).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def imports_of(path: Path, modules: dict[str, Path]) -> set[str]:
    """Project modules one file imports: `from a.b import c` counts as a.b.c when that is a module, else a.b."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name in modules}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                target = f"{node.module}.{alias.name}"
                found.add(target if target in modules else node.module)
    return {name for name in found if name in modules}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as [a, b, ..., a], by depth-first search; None when the graph is acyclic."""
    state: dict[str, int] = {}  # 1 on the current path, 2 finished
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_find_cycle_finds_a_function_level_cycle(tmp_path):
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_no_import_cycles_in_the_project():
    modules = project_modules()
    graph = {name: imports_of(path, modules) - {name} for name, path in modules.items()}
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])


@pytest.mark.parametrize(
    "module",
    ["trainer.cli", "trainer.eval.cli", "trainer.eval.suite", "trainer.eval.zeroshot", "trainer.shapes.report"],
)
def test_modules_once_in_a_cycle_import_on_their_own(module):
    importlib.import_module(module)


def private_imports(path: Path, modules: dict[str, Path]) -> list[str]:
    """`module.name` for each private name (one leading underscore) a file imports from a project module."""
    return [
        f"{node.module}.{alias.name}"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom) and node.module in modules and node.level == 0
        for alias in node.names
        if alias.name.startswith("_") and not alias.name.startswith("__")
    ]


def test_private_imports_are_found(tmp_path):
    source = tmp_path / "m.py"
    source.write_text("from neggen.validate.rules import _STUFF, COLOURS\nfrom neggen import __version__\n")
    assert private_imports(source, project_modules()) == ["neggen.validate.rules._STUFF"]


def test_no_module_imports_another_modules_private_names():
    modules = project_modules()
    found = {name: private_imports(path, modules) for name, path in modules.items()}
    assert not {name: names for name, names in found.items() if names}
