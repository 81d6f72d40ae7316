"""The commands that only read answer at once: `neggen --help`, `status`, `stats` and `python -m trainer --help`
import no spaCy, lemminflect (which imports spaCy), torch, transformers, NLTK or vLLM. Read from
`python -X importtime`: the modules the real command loaded, not its wall time."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import REPO
from tests.engines.fault_server import FaultServer
from tests.served import neggen, served_generate_args

HEAVY = frozenset({"spacy", "lemminflect", "torch", "transformers", "nltk", "vllm"})


def loaded_modules(*argv: str) -> set[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1"}
    result = subprocess.run([sys.executable, "-X", "importtime", *argv], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    lines = [line for line in result.stderr.splitlines() if line.startswith("import time:") and "|" in line]
    return {line.rsplit("|", 1)[1].strip() for line in lines}


@pytest.fixture(scope="module")
def served_run(tmp_path_factory):
    """A real run directory (manifest, parts, success markers) made through a loopback fake server."""
    out = tmp_path_factory.mktemp("served") / "run"
    with FaultServer(lambda call, body: (200, None, 0.0)) as server:
        result = neggen(*served_generate_args(server.base_url, out, limit=4))
    assert result.returncode == 0, result.stderr[-2000:]
    return out


# `--help` and `status` answer in under half a second: not even polars or pandas (a quarter second each).
FRAMES = frozenset({"polars", "pandas"})


@pytest.mark.parametrize(
    ("argv", "forbidden"),
    [
        (["-m", "neggen", "--help"], HEAVY | FRAMES),
        (["-m", "neggen", "status", "{run}"], HEAVY | FRAMES),
        (["-m", "neggen", "stats", "{run}"], HEAVY),
        (["-m", "trainer", "--help"], HEAVY | FRAMES),
    ],
    ids=["neggen --help", "neggen status", "neggen stats", "trainer --help"],
)
def test_reading_commands_import_no_language_or_model_library(argv, forbidden, served_run):
    modules = loaded_modules(*(a.replace("{run}", str(served_run)) for a in argv))
    assert "neggen.cli" in modules or "trainer.cli" in modules  # the reading is real
    assert not modules & forbidden, sorted(modules & forbidden)


def test_loaded_modules_sees_a_heavy_import():
    assert "lemminflect" in loaded_modules("-c", "import neggen.edits.replacements")


def test_the_run_plan_is_light():
    """Planning (check, select, assign shards, the manifest) loads no language or model library: the driver of
    a Ray run and `neggen status` can read plans without them."""
    modules = loaded_modules("-c", "import neggen.run.plan")
    assert "neggen.run.plan" in modules
    assert not modules & (HEAVY | FRAMES), sorted(modules & (HEAVY | FRAMES))
