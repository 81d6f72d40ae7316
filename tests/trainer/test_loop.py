"""The training loop end to end on a real neggen run: loss goes down, resume is exact, checkpoints load back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from transformers import CLIPModel

from trainer.checkpoint import latest_checkpoint, load_state, resolve_model_dir
from trainer.config import load_train_config
from trainer.loop import RunExists, train
from trainer.models import load_clip


def tiny_config(shapes_run, out: Path, *extra: str):
    run_dir, images = shapes_run
    return load_train_config(
        None,
        [
            f"data.run_dir={run_dir}",
            f"data.image_root={images}",
            "data.image_template=",
            "data.missing_slot=fill",
            "data.num_workers=0",
            "model.tiny={}",
            "batch_size=16",
            "precision=fp32",
            "optim.lr=0.002",
            "optim.warmup_steps=2",
            "ema_decay=0.99",
            "log_every=1",
            f"out={out}",
            *extra,
        ],
    )


def metrics(run_dir: Path) -> list[dict]:
    lines = (run_dir / "metrics.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines if "total" in json.loads(line)]


def test_tiny_degla_run_lowers_the_loss_and_saves_a_loadable_model(shapes_run, tmp_path):
    result = train(tiny_config(shapes_run, tmp_path / "run", "max_steps=24", "save_every=12"))
    assert result.step == 24 and result.data_report["samples"] == 48
    records = metrics(tmp_path / "run")
    assert [r["step"] for r in records] == list(range(1, 25))
    first = sum(r["base"] for r in records[:4]) / 4
    last = sum(r["base"] for r in records[-4:]) / 4
    assert last < first - 0.3, (first, last)
    assert all(r["igc"] > 0 and r["tgc"] > 0 for r in records) and records[-1]["distill"] > 0
    checkpoint = latest_checkpoint(tmp_path / "run")
    assert checkpoint is not None and checkpoint.name == "step-000024"
    assert (tmp_path / "run" / "checkpoints" / "step-000012").is_dir()
    saved = json.loads((checkpoint / "config.json").read_text())
    assert saved["loss"]["igc"] == 0.1 and saved["model"]["tiny"]["hidden"] == 32
    state = load_state(checkpoint)
    assert state["step"] == 24 and len(state["data_fingerprint"]) == 64 and state["teacher"] is not None
    model, tokenizer = load_clip(resolve_model_dir(tmp_path / "run"))
    assert isinstance(model, CLIPModel) and len(tokenizer) == model.config.text_config.vocab_size
    # The exported weights are the trained ones, not a fresh init.
    fresh = CLIPModel(model.config)
    assert not torch.equal(fresh.text_projection.weight, model.text_projection.weight)


def test_two_steps_resume_two_steps_equals_four_straight(shapes_run, tmp_path):
    straight = train(tiny_config(shapes_run, tmp_path / "a", "max_steps=4"))
    first = train(tiny_config(shapes_run, tmp_path / "b", "max_steps=4", "stop_after=2"))
    assert first.step == 2 and latest_checkpoint(tmp_path / "b").name == "step-000002"
    resumed = train(tiny_config(shapes_run, tmp_path / "b", "max_steps=4"), resume=True)
    assert straight.step == resumed.step == 4
    a, b = (load_state(latest_checkpoint(tmp_path / d)) for d in ("a", "b"))
    model_a, _ = load_clip(resolve_model_dir(tmp_path / "a"))
    model_b, _ = load_clip(resolve_model_dir(tmp_path / "b"))
    for (name, pa), (_, pb) in zip(model_a.state_dict().items(), model_b.state_dict().items(), strict=True):
        assert torch.equal(pa, pb), name
    for key in a["teacher"]:
        assert torch.equal(a["teacher"][key], b["teacher"][key]), key
    assert a["scheduler"] == b["scheduler"]
    losses = lambda d: [(r["step"], r["total"]) for r in metrics(tmp_path / d)]  # noqa: E731
    assert losses("a") == losses("b")  # metrics past the checkpoint were not duplicated


def test_existing_run_needs_resume_and_resume_checks_the_data(shapes_run, tmp_path):
    train(tiny_config(shapes_run, tmp_path / "run", "max_steps=1"))
    with pytest.raises(RunExists, match="--resume"):
        train(tiny_config(shapes_run, tmp_path / "run", "max_steps=1"))
    # A run whose data changed since the checkpoint is refused, not silently continued.
    run_dir, _ = shapes_run
    state_file = latest_checkpoint(tmp_path / "run") / "trainer_state.pt"
    state = torch.load(state_file, weights_only=False)
    state["data_fingerprint"] = "0" * 64
    torch.save(state, state_file)
    with pytest.raises(ValueError, match="other data"):
        train(tiny_config(shapes_run, tmp_path / "run", "max_steps=2"), resume=True)


def test_baselines_are_configs_of_the_same_loop(shapes_run, tmp_path):
    negclip = train(
        tiny_config(shapes_run, tmp_path / "neg", "max_steps=2", "loss.igc=0", "loss.tgc=0", "loss.distill=0")
    )
    assert negclip.last_loss["igc"] == negclip.last_loss["tgc"] == negclip.last_loss["distill"] == 0
    assert load_state(latest_checkpoint(tmp_path / "neg"))["teacher"] is None  # no teacher without its terms
    plain = train(
        tiny_config(
            shapes_run,
            tmp_path / "plain",
            "max_steps=2",
            "negatives=false",
            "loss.igc=0",
            "loss.tgc=0",
            "loss.distill=0",
        )
    )
    assert plain.last_loss["total"] == pytest.approx(plain.last_loss["base"])
    with pytest.raises(ValueError, match="need negatives"):
        tiny_config(shapes_run, tmp_path / "x", "negatives=false")


def test_validation_hook_and_gradient_accumulation(shapes_run, tmp_path):
    result = train(
        tiny_config(
            shapes_run,
            tmp_path / "run",
            "max_steps=2",
            "grad_accum=2",
            "batch_size=8",
            "data.val_fraction=0.25",
            "eval_every=1",
        )
    )
    assert result.step == 2 and result.data_report["samples"] < 48
    lines = [json.loads(x) for x in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    evals = [x for x in lines if "eval" in x]
    assert [x["step"] for x in evals] == [1, 2] and all(x["eval"]["val_loss"] > 0 for x in evals)


def test_data_loader_workers_give_the_same_batches(shapes_run, tmp_path):
    a = train(tiny_config(shapes_run, tmp_path / "w0", "max_steps=2"))
    b = train(tiny_config(shapes_run, tmp_path / "w2", "max_steps=2", "data.num_workers=2"))
    assert a.last_loss == b.last_loss


def test_bf16_autocast_path_runs_on_cpu(shapes_run, tmp_path):
    result = train(tiny_config(shapes_run, tmp_path / "run", "max_steps=2", "precision=bf16"))
    assert result.step == 2 and all(value == value for value in result.last_loss.values())  # finite, not NaN
    model, _ = load_clip(resolve_model_dir(tmp_path / "run"))
    assert next(model.parameters()).dtype == torch.float32  # autocast computes in bf16, weights stay fp32


def test_keep_together_refuses_a_run_whose_loader_dropped_captions(shapes_run, tmp_path):
    """Blocks are consecutive rows: a dropped caption would shift every later block onto the wrong partner."""
    from trainer.data import DataError

    with pytest.raises(DataError, match=r"keep_together = 2 needs every caption .* but 16 were dropped"):
        train(tiny_config(shapes_run, tmp_path / "a", "data.keep_together=2", "data.missing_slot=drop", "max_steps=1"))
    # With every caption kept (missing slots filled) the same blocks train.
    assert train(tiny_config(shapes_run, tmp_path / "b", "data.keep_together=2", "max_steps=1")).step == 1
