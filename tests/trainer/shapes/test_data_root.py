"""A world's eval/<version>/ is a standard `--data-root`: `python -m trainer eval run` evaluates it unchanged."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import torch
from transformers import CLIPModel
from typer.testing import CliRunner

from tests.conftest import REPO
from trainer.cli import app
from trainer.models import tiny_clip_config
from trainer.tokenizer import train_tokenizer

# What the world provides, and so what `eval run` must evaluate rather than skip.
EVALUATED = ("sugarcrepe", "aro", "coco_order", "valse", "winoground", "zeroshot", "retrieval")


@pytest.mark.slow  # a world and a full evaluation: about a minute on 2 cores
def test_eval_run_reads_a_world_version_as_its_data_root(world: Path, tmp_path: Path) -> None:
    captions = [json.loads(line)["caption"] for line in (world / "captions_train.jsonl").read_text().splitlines()]
    tokenizer = train_tokenizer(captions[:200], vocab_size=300)
    torch.manual_seed(0)
    model_dir = tmp_path / "model"
    CLIPModel(tiny_clip_config(tokenizer)).save_pretrained(model_dir)
    tokenizer.save_pretrained(model_dir)
    out = tmp_path / "results"
    args = ["eval", "run", "--model", str(model_dir), "--data-root", str(world / "eval" / "in_distribution")]
    result = CliRunner().invoke(app, [*args, "--out", str(out), "--tagger", "lexicon", "--tag", "m"])
    assert result.exit_code == 0, result.output
    skipped = [line for line in result.output.splitlines() if "skipped" in line]
    assert all(f"skipped {name}:" not in result.output for name in EVALUATED), skipped
    files = {p.name for p in (out / "m").glob("*.json")}
    for expected in (
        "sugarcrepe__summary__image_caption_selection.json",
        "aro__vg_relation__image_caption_selection.json",
        "valse__summary__image_caption_selection.json",
        "winoground__all__winoground.json",
        "zeroshot__shapes_colour__zeroshot_classification.json",
        "aro__coco_order__image_caption_selection.json",
    ):
        assert expected in files, sorted(files)
    colour = json.loads((out / "m" / "zeroshot__shapes_colour__zeroshot_classification.json").read_text())
    assert colour["n_items"] == len(
        list((world / "eval" / "in_distribution" / "zeroshot" / "shapes_colour").rglob("*.png"))
    )


def test_make_eval_falls_back_to_the_world_and_says_so(tmp_path: Path) -> None:
    args = ["make", "-n", "eval", f"BENCHMARKS_DIR={tmp_path / 'none'}", f"TRAIN_WORLD={tmp_path / 'w'}"]
    dry = subprocess.run(args, cwd=REPO, capture_output=True, text=True, check=True).stdout
    assert f"--data-root {tmp_path / 'w'}/eval/in_distribution" in dry
    assert "evaluating on the shapes world" in dry
    (tmp_path / "bench").mkdir()
    dry = subprocess.run([*args[:3], f"BENCHMARKS_DIR={tmp_path / 'bench'}"], cwd=REPO, capture_output=True,
                         text=True, check=True).stdout  # fmt: skip
    assert f"--data-root {tmp_path / 'bench'} " in dry and "evaluating on the shapes world" not in dry
