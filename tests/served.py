"""`neggen generate` through the CLI against a loopback OpenAI-compatible server (tests/engines/fault_server.py).

The real openai engine, HTTP and pipeline run in a child process; only the model behind the server is fake,
so CLI-level fault and concurrency tests take seconds instead of loading an LLM.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

SAMPLE = REPO / "data" / "coco_karpathy_test_sample.json"


def neggen_cmd(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "neggen", *map(str, args)]


def child_env() -> dict[str, str]:
    # The child must import this checkout's neggen and tests, whatever the venv's editable install points at.
    return {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)}


def neggen(*args: str | Path, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(neggen_cmd(*args), capture_output=True, text=True, env=child_env(), cwd=REPO, **kwargs)


def served_generate_args(
    base_url: str, out: Path, *extra: str | Path, limit: int = 24, captions: Path = SAMPLE
) -> list[str | Path]:
    """A generate command on the bundled Karpathy sample served by the fake server (reshuffle in sentence form by
    default: the fake server answers sentences)."""
    args: list[str | Path] = ["generate", "--captions", captions, "--out", out, "--limit", str(limit)]
    args += ["--engine", "openai", "--model", "served", "--base-url", base_url, "--chunk-size", "8"]
    if "--type" not in extra:
        args += ["--type", "reshuffle"] + ([] if "--output" in extra else ["--output", "sentence"])
    return [*args, *extra]
