"""The suite mirrors the package: the tests of `neggen/<room>/` live in `tests/<room>/`.

A test file at the top of tests/ named after a module of a subpackage (tests/test_scheduler.py for
neggen/generation/scheduler.py) is misplaced, and every subpackage has its folder of tests.
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import REPO


def misplaced(package: Path, tests: Path) -> list[str]:
    """What breaks the mirror: subpackages without a test folder, and top-level test files of nested modules."""
    rooms = sorted(p.parent.name for p in package.glob("*/__init__.py"))
    problems = [
        f"tests/{room}/ has no test file for {package.name}/{room}/"
        for room in rooms
        if not any((tests / room).glob("test_*.py"))
    ]
    nested = {m.stem: room for room in rooms for m in (package / room).glob("*.py") if m.stem != "__init__"}
    top_level = {m.stem for m in package.glob("*.py")}
    for test in sorted(tests.glob("test_*.py")):
        module = test.stem.removeprefix("test_")
        if module in nested and module not in top_level:
            room = nested[module]
            problems.append(f"tests/{test.name} tests {package.name}/{room}/{module}.py: move it to tests/{room}/")
    return problems


def test_the_suite_mirrors_the_package():
    assert misplaced(REPO / "neggen", REPO / "tests") == []


def test_a_misplaced_test_file_and_a_room_without_tests_are_named(tmp_path):
    package, tests = tmp_path / "pkg", tmp_path / "tests"
    for folder in (package / "run", package / "text", tests / "run"):
        folder.mkdir(parents=True)
        (folder / "__init__.py").write_text("")
    (package / "run" / "scheduler.py").write_text("")
    (tests / "run" / "test_other.py").write_text("")
    (tests / "test_scheduler.py").write_text("")
    assert misplaced(package, tests) == [
        "tests/text/ has no test file for pkg/text/",
        "tests/test_scheduler.py tests pkg/run/scheduler.py: move it to tests/run/",
    ]
