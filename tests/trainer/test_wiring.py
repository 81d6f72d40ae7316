"""Wiring that one-line bugs break silently: the loop's EMA update, degla_loss's flags, the zero-shot classifier."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from tests.trainer.test_loop import tiny_config
from trainer.checkpoint import MODEL_DIR, latest_checkpoint, load_state
from trainer.encoders import DualEncoder
from trainer.eval import zeroshot
from trainer.eval.embed import EmbeddingCache
from trainer.loop import train
from trainer.losses import Features, LossWeights, degla_loss, global_loss, tgc_loss
from trainer.models import load_clip


def _after_one_step(shapes_run, out: Path, decay: float) -> tuple[dict, dict]:
    """(student, teacher) parameters after one optimizer step with this EMA decay."""
    train(tiny_config(shapes_run, out, "max_steps=1", f"ema_decay={decay}"))
    checkpoint = latest_checkpoint(out)
    teacher = load_state(checkpoint)["teacher"]
    student = DualEncoder(load_clip(checkpoint / MODEL_DIR)[0]).state_dict()
    names = [n for n, p in DualEncoder(load_clip(checkpoint / MODEL_DIR)[0]).named_parameters()]
    return {n: student[n].double() for n in names}, {n: teacher[n].double() for n in names}


def test_the_loop_updates_the_ema_teacher_after_each_step_with_its_decay(shapes_run, tmp_path):
    # Step 1 sees the teacher at θ0 whatever the decay, so every run reaches the same student θ1, and the
    # teacher must be d·θ0 + (1−d)·θ1: equal to θ1 at d=0, and (θ* − θ1) proportional to d.
    student, at_0 = _after_one_step(shapes_run, tmp_path / "d0", 0.0)
    student_b, at_half = _after_one_step(shapes_run, tmp_path / "d05", 0.5)
    _, at_three_quarters = _after_one_step(shapes_run, tmp_path / "d075", 0.75)
    for name, theta1 in student.items():
        assert torch.equal(student_b[name], theta1), name
        assert torch.allclose(at_0[name], theta1, atol=1e-6), name  # d = 0: the teacher is the student
    moved = [n for n in student if (at_half[n] - student[n]).abs().max() > 1e-4]
    assert moved, "the teacher never left the starting weights or never moved at all"
    for name in moved:
        # θ*(0.75) − θ1 = 1.5 · (θ*(0.5) − θ1)
        assert torch.allclose(at_three_quarters[name] - student[name], 1.5 * (at_half[name] - student[name]), atol=1e-5)


@pytest.fixture
def feats() -> tuple[Features, Features]:
    g = torch.Generator().manual_seed(1)
    make = lambda n: F.normalize(torch.randn(n, 8, generator=g, dtype=torch.float64), dim=-1)  # noqa: E731
    return Features(make(4), make(4), make(8)), Features(make(4), make(4), make(8))


@pytest.mark.parametrize("denominator", ["code", "paper"])
def test_degla_loss_passes_its_global_denominator_flag(feats, denominator):
    student, teacher = feats
    scale = torch.tensor(10.0, dtype=torch.float64)
    terms = degla_loss(student, teacher, scale, LossWeights(global_denominator=denominator))
    assert torch.allclose(terms.base, global_loss(student, scale, denominator))
    other = "paper" if denominator == "code" else "code"
    assert not torch.allclose(terms.base, global_loss(student, scale, other))  # the flag matters here


@pytest.mark.parametrize("mask", ["paper", "code"])
def test_degla_loss_passes_its_tgc_mask_flag(feats, mask):
    student, teacher = feats
    weights = LossWeights(tgc_mask=mask)
    terms = degla_loss(student, teacher, torch.tensor(10.0, dtype=torch.float64), weights)
    assert torch.allclose(terms.tgc, tgc_loss(student, teacher.positive, mask, weights.tgc_scale))
    other = "code" if mask == "paper" else "paper"
    assert not torch.allclose(terms.tgc, tgc_loss(student, teacher.positive, other, weights.tgc_scale))


class TableEncoder:
    """Text embeddings looked up in a table (deliberately not unit length), so the classifier's maths shows."""

    def __init__(self, table: dict[str, list[float]]):
        self.table = table

    def encode_texts(self, texts):
        return torch.tensor([self.table[t] for t in texts], dtype=torch.float64)


def test_zero_shot_class_vectors_average_every_template_then_renormalise():
    encoder = TableEncoder(
        {
            "a cat": [2.0, 0.0, 0.0],
            "the cat": [0.0, 2.0, 0.0],
            "a dog": [0.0, 0.0, 3.0],
            "the dog": [0.0, 3.0, 3.0],
        }
    )
    weights = zeroshot.classifier(EmbeddingCache(encoder), ["cat", "dog"], ["a {c}", "the {c}"])
    # By hand: cat = mean([2,0,0], [0,2,0]) = [1,1,0] / sqrt(2); dog = mean([0,0,3], [0,3,3]) = [0,1.5,3] / sqrt(11.25)
    s2, s = 1 / math.sqrt(2), math.sqrt(11.25)
    expected = torch.tensor([[s2, s2, 0.0], [0.0, 1.5 / s, 3.0 / s]], dtype=torch.float64)
    assert torch.allclose(weights, expected)


def test_resume_with_nothing_to_resume_says_so(shapes_run, tmp_path, caplog):
    from typer.testing import CliRunner

    from trainer.cli import app

    run_dir, images = shapes_run
    args = ["train", "--out", str(tmp_path / "empty"), "--data", str(run_dir), "--resume"]
    for item in (f"data.image_root={images}", "data.image_template=", "data.missing_slot=fill", "data.num_workers=0"):
        args += ["--set", item]
    args += ["--set", "model.tiny={}", "--set", "batch_size=16", "--set", "max_steps=1", "--set", "precision=fp32"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert f"nothing to resume in {tmp_path / 'empty'}" in caplog.text  # the [trainer] log line on stderr


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        (["--set", "model.name=/no/such/clip"], "model.name /no/such/clip does not exist"),
        (["--set", "optim.lr=fast"], "config key optim.lr: Input should be a valid number"),
    ],
)
def test_trainer_errors_are_one_line_naming_the_key(shapes_run, tmp_path, extra, fragment):
    from typer.testing import CliRunner

    from trainer.cli import app

    run_dir, images = shapes_run
    args = ["train", "--out", str(tmp_path / "t"), "--data", str(run_dir), "--set", f"data.image_root={images}"]
    args += ["--set", "data.image_template=", "--set", "data.num_workers=0", "--set", "data.missing_slot=fill"]
    args += ["--set", "batch_size=16", *extra]
    result = CliRunner().invoke(app, args)
    lines = [line for line in result.stderr.splitlines() if line.startswith("trainer: error:")]
    assert result.exit_code == 1 and len(lines) == 1 and fragment in lines[0], result.output
    assert "Traceback" not in result.output
