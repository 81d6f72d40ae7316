"""One override syntax for both CLIs: `--set a.b=value` (JSON values), the named flags as typed shorthands."""

from __future__ import annotations

import os
import subprocess
import sys

import polars as pl
import pytest

from neggen.config import apply_overrides, load_config, parse_override
from tests.conftest import REPO
from trainer.config import load_train_config

SAMPLE = REPO / "data" / "coco_karpathy_test_sample.json"


def run(module: str, *args: str, cwd=REPO) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True, env=env, cwd=cwd)


def test_values_parse_as_json_else_stay_strings():
    assert parse_override("sampling.temperature=0.5") == ("sampling.temperature", 0.5)
    assert parse_override("structured_output=true") == ("structured_output", True)
    assert parse_override("model = runs/x=1") == ("model", "runs/x=1")  # only the first "=" splits
    with pytest.raises(ValueError, match="expects key=value"):
        parse_override("sampling.temperature")
    with pytest.raises(ValueError, match="empty key"):
        apply_overrides({}, ["sampling..n=2"])
    with pytest.raises(ValueError, match="seed is not a section"):
        apply_overrides({"seed": 1}, ["seed.x=2"])


def test_the_same_syntax_configures_generator_and_trainer(tmp_path):
    config = load_config(None, ["sampling.temperature=0.25", "hf.batch_size=3"], {"seed": 7, "model": None})
    assert (config.sampling.temperature, config.hf.batch_size, config.seed, config.model) == (0.25, 3, 7, "default")
    train = load_train_config(None, ["loss.igc=0.2", "optim.lr=2e-6"], {"out": tmp_path / "7"})
    assert (train.loss.igc, train.optim.lr, train.out) == (0.2, 2e-6, tmp_path / "7")


def test_named_flags_win_over_set_and_stay_typed():
    # --model 123 is a name, not the number 123 (a named flag never goes through JSON).
    config = load_config(None, ["model=other", "seed=1"], {"model": "123", "seed": None})
    assert (config.model, config.seed) == ("123", 1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--set", "max_attempts=0"], "max_attempts"),
        (["--set", "hf.batch_sise=1"], "batch_sise"),
        (["--set", "chunk_size"], "--set expects key=value"),
        (["--set", "engine=hf", "--engine", "bogus"], "engine"),  # the named flag is applied after --set
    ],
)
def test_generate_set_errors_are_one_line(tmp_path, args, message):
    result = run("neggen", "generate", "--captions", str(SAMPLE), "--out", str(tmp_path / "out"), *args)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert "neggen: error:" in result.stderr and message in result.stderr, result.stderr
    assert not (tmp_path / "out").exists()


def test_trainer_out_shorthand_is_a_path_even_when_it_looks_like_a_number(tmp_path):
    # `--out 2024` used to become the JSON number 2024 and fail as an invalid config.
    result = run("trainer", "train", "--data", str(tmp_path / "missing"), "--out", "2024", cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert "invalid training config" not in result.stderr and "missing" in result.stderr, result.stderr


@pytest.mark.slow
def test_generate_set_reaches_the_rows(tmp_path, bundled_model_dir):
    out = tmp_path / "run"
    args = ["--set", "sampling.max_tokens=9", "--set", "max_attempts=1", "--set", "hf.dtype=float32"]
    result = run("neggen", "generate", "--captions", str(SAMPLE), "--type", "replace_nouns", "--limit", "2",
                 "--out", str(out), *args)  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = pl.concat(
        [pl.read_parquet(f"{out}/{kind}/**/*.parquet") for kind in ("negatives", "rejects")], how="diagonal"
    )
    assert rows.height == 2 and rows["max_tokens"].to_list() == [9, 9]
