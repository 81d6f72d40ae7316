"""The repository carries source and shipped data only: no generated world, run, staging folder or large file.

A 141 MB shapes-world staging folder (data/.shapes-twins.tmp-NNNN) was once committed unnoticed; this test reads
what git tracks (the index, so a staged file counts before it is committed) and names every offender.
"""

from __future__ import annotations

import subprocess

from neggen.run.atomic import TMP_MARK
from tests.conftest import REPO

MAX_BYTES = 5 * 1024 * 1024
# Under data/ only the annotations (with their licences), the demo's sample and the README ship.
SHIPPED_UNDER_DATA = ("data/README.md", "data/coco_karpathy_test_sample.json", "data/annotations/")


def tracked_files() -> list[str]:
    out = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    return [name for name in out.decode("utf-8").split("\0") if name]


def size_in_checkout(name: str) -> int:
    path = REPO / name
    return path.stat().st_size if path.is_file() else 0


def offenders(names: list[str], size_of=size_in_checkout) -> list[str]:
    found = []
    for name in names:
        if name.startswith("data/") and not name.startswith(SHIPPED_UNDER_DATA):
            found.append(f"{name}: under data/ but not shipped data")
        if TMP_MARK in name:
            found.append(f"{name}: a staging path ({TMP_MARK})")
        elif size_of(name) > MAX_BYTES:
            found.append(f"{name}: over {MAX_BYTES // 2**20} MB")
    return found


def test_git_tracks_only_source_and_shipped_data():
    names = tracked_files()
    assert "data/annotations/coco_karpathy_test.json" in names  # the reader sees the real index
    assert offenders(names) == []


def test_the_rule_names_each_kind_of_offender():
    names = [
        "data/.shapes-twins.tmp-18814/images/0.png",
        "data/shapes-quick/world.json",
        "neggen/.layout.py.tmp-7",
        "data/annotations/coco_karpathy_test.json",
        "README.md",
    ]
    sizes = {"data/annotations/coco_karpathy_test.json": MAX_BYTES + 1, "README.md": MAX_BYTES}
    found = offenders(names, size_of=lambda name: sizes.get(name, 0))
    assert any(line.startswith("data/.shapes-twins.tmp-18814/images/0.png: under data/") for line in found)
    assert "data/.shapes-twins.tmp-18814/images/0.png: a staging path (.tmp-)" in found
    assert "data/shapes-quick/world.json: under data/ but not shipped data" in found
    assert "neggen/.layout.py.tmp-7: a staging path (.tmp-)" in found
    assert "data/annotations/coco_karpathy_test.json: over 5 MB" in found
    assert not any(line.startswith("README.md") for line in found)  # exactly 5 MB is allowed
