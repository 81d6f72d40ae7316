"""The repository stands on its own: nothing reads outside the checkout, and the data-reading tests pass in a
copy with no sibling folders (a clone from a public host has no ../shared)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.standalone import copy_checkout

# Every test file that reads data/annotations/ (through the conftest fixtures), run in the lone copy.
DATA_READING_TESTS = (
    "tests/test_ingest.py",
    "tests/validate/test_rules.py",
    "tests/qa/test_stats.py",
    "tests/trainer/eval/test_benchmarks.py",
    "tests/trainer/eval/test_zeroshot.py",
    "tests/trainer/eval/test_zeroshot_mat.py",
    "tests/trainer/eval/test_cli.py",
)
README_LIMIT = 10 * 1024  # the front door stays short; details live in docs/
OUTSIDE = re.compile(r"shared/data|shared/docs|\.\./shared|\"shared\"\s*/\s*\"data\"|parents\[\d\]\.parent")


def test_no_code_or_build_file_points_outside_the_checkout():
    listed = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    offenders = []
    for name in listed.splitlines():
        path = REPO / name
        if path.suffix in (".py", ".toml", ".md", ".cfg") or path.name in ("Makefile", "run"):
            if path.is_file() and name != "tests/test_standalone.py":
                offenders += [f"{name}: {m.group(0)}" for m in OUTSIDE.finditer(path.read_text(encoding="utf-8"))]
    assert not offenders, offenders


def test_documents_cited_in_code_exist():
    """Code naming a document (`docs/<page>.md`, or an upper-case `NAME.md`) names a file the repository has."""
    cited = re.compile(r"\bdocs/[a-z_-]+\.md\b|\b[A-Z]{3,}\.md\b")
    listed = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    present = set(listed.splitlines()) | {Path(n).name for n in listed.splitlines()}
    dangling = []
    for name in listed.splitlines():
        in_code = name.startswith(("neggen/", "trainer/", "bench/")) and name.endswith((".py", ".toml"))
        if in_code or (name.startswith("docs/") and name.endswith(".md")):
            dangling += [f"{name}: {m}" for m in cited.findall((REPO / name).read_text(encoding="utf-8"))
                         if m not in present]  # fmt: skip
    assert not dangling, dangling


def test_readme_is_short_and_links_every_docs_page_that_exists():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert len(readme.encode()) <= README_LIMIT
    linked = set(re.findall(r"\]\((docs/[a-z_-]+\.md)\)", readme))
    pages = {f"docs/{p.name}" for p in (REPO / "docs").glob("*.md")}
    assert linked == pages, (sorted(pages - linked), sorted(linked - pages))


@pytest.mark.slow
def test_data_reading_tests_pass_in_a_copy_with_nothing_beside_it(tmp_path):
    lone = copy_checkout(tmp_path / "alone" / "neggen")
    assert sorted(p.name for p in lone.parent.iterdir()) == ["neggen"]
    env = {**os.environ, "PYTHONPATH": str(lone), "HF_HUB_OFFLINE": "1"}
    args = [sys.executable, "-m", "pytest", "-q", "-x", "-m", "not slow", "-p", "no:cacheprovider", *DATA_READING_TESTS]
    result = subprocess.run(args, cwd=lone, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "error" not in result.stdout.splitlines()[-1]
