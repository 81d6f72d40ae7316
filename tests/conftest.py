"""Shared fixtures. Tests never download: the hub is off and models come from the bundled GGUF."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# The plausibility filter's default scorer in this suite (and the subprocesses and Ray actors it starts) scores
# every text alike, so the filter passes everything: tests of other features keep their counts, and loading
# no scorer model keeps them fast. Tests of the filter name a real model (tests/test_plausibility*.py).
os.environ["NEGGEN_SCORER"] = "constant"
# Likewise the relation table (neggen/validate/relations.py) is off, so that exchanges are offered as the checks
# of the parse and WordNet alone decide; tests of the table name it (tests/validate/test_relations.py).
os.environ["NEGGEN_RELATIONS"] = "off"

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
ANNOTATIONS = REPO / "data" / "annotations"


def annotation_file(relative: str) -> Path:
    """A real annotation file shipped in data/annotations/; fails (never skips) naming the file when absent."""
    path = ANNOTATIONS / relative
    if not path.exists():
        pytest.fail(f"missing real input {path}: the repository ships it in data/annotations/")
    return path


# `make test-fast` (-m "not slow") skips these. A test is slow when it loads the bundled LLM (these fixtures) or
# lives in a file that starts vLLM, Ray or torchrun processes; others mark themselves (@pytest.mark.slow).
SLOW_FIXTURES = frozenset({"bundled_model_dir", "hf_engine"})
SLOW_FILES = frozenset(
    {
        "test_cli_ray.py",
        "test_cli_vllm.py",
        "test_ray_runner.py",
        "test_vllm_adapter.py",
        "test_vllm_server.py",
        "test_distributed.py",
    }
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())) or item.path.name in SLOW_FILES:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def karpathy_file() -> Path:
    return annotation_file("coco_karpathy_test.json")


@pytest.fixture(scope="session")
def sugarcrepe_dir() -> Path:
    return annotation_file("sugarcrepe/swap_att.json").parent


@pytest.fixture(scope="session")
def bundled_model_dir() -> Path:
    from neggen.models import convert_bundled_model

    return convert_bundled_model()


@pytest.fixture(scope="session")
def hf_engine(bundled_model_dir):
    from neggen.engines.hf import HFEngine

    engine = HFEngine(str(bundled_model_dir), dtype="float32", batch_size=8)
    yield engine
    engine.close()
