"""Checkpoints: one directory per step, written under a temporary name and renamed into place.

RUN/checkpoints/step-000120/
  model/              the student: CLIPModel.save_pretrained + its tokenizer (what evaluators load)
  trainer_state.pt    EMA teacher, optimizer, scheduler, step, RNG states, data manifest hash
  config.json         the full training config
RUN/checkpoints/latest.json   {"step": 120, "name": "step-000120"}, replaced atomically after each save
"""

from __future__ import annotations

import json
import os
import random
import shutil
from pathlib import Path
from typing import Any

import torch
from transformers import CLIPModel, PreTrainedTokenizerBase

from neggen.run.atomic import TMP_MARK, fsync_dir, write_json_atomic

LATEST = "latest.json"
MODEL_DIR = "model"
STATE_FILE = "trainer_state.pt"


def step_name(step: int) -> str:
    return f"step-{step:06d}"


def rng_state() -> dict[str, Any]:
    state: dict[str, Any] = {"python": random.getstate(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng(state: dict[str, Any]) -> None:
    random.setstate(state["python"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_checkpoint(
    run_dir: Path,
    step: int,
    model: CLIPModel,
    tokenizer: PreTrainedTokenizerBase,
    state: dict[str, Any],
    config: dict[str, Any],
) -> Path:
    """Write the checkpoint for `step` completely, then publish it; returns its directory."""
    root = run_dir / "checkpoints"
    final = root / step_name(step)
    tmp = root / f".{step_name(step)}{TMP_MARK}{os.getpid()}"
    for stale in root.glob(f".step-*{TMP_MARK}*"):  # left by a save that was killed
        shutil.rmtree(stale, ignore_errors=True)
    (tmp / MODEL_DIR).mkdir(parents=True)
    model.save_pretrained(tmp / MODEL_DIR)
    tokenizer.save_pretrained(tmp / MODEL_DIR)
    torch.save({**state, "step": step, "rng": rng_state()}, tmp / STATE_FILE)
    write_json_atomic(tmp / "config.json", config)
    for path in tmp.rglob("*"):
        if path.is_file():
            with open(path, "rb+") as handle:
                os.fsync(handle.fileno())
    if final.exists():  # a re-save of the same step (resumed run): replace it whole
        shutil.rmtree(final)
    os.replace(tmp, final)
    fsync_dir(root)
    write_json_atomic(root / LATEST, {"step": step, "name": final.name})
    return final


def latest_checkpoint(run_dir: Path) -> Path | None:
    pointer = run_dir / "checkpoints" / LATEST
    if not pointer.exists():
        return None
    name = json.loads(pointer.read_text())["name"]
    path = run_dir / "checkpoints" / name
    if not (path / STATE_FILE).exists():
        raise FileNotFoundError(f"{pointer} names {name}, which is incomplete or missing")
    return path


def load_state(checkpoint: Path) -> dict[str, Any]:
    return torch.load(checkpoint / STATE_FILE, map_location="cpu", weights_only=False)


def resolve_model_dir(path: str | Path) -> Path:
    """The `save_pretrained` directory behind a run dir, a checkpoint dir or a model dir."""
    path = Path(path)
    if (path / "config.json").exists() and (path / "model.safetensors").exists():
        return path
    if (path / MODEL_DIR / "config.json").exists():
        return path / MODEL_DIR
    checkpoint = latest_checkpoint(path)
    if checkpoint is not None:
        return checkpoint / MODEL_DIR
    raise FileNotFoundError(f"{path} holds no CLIP model: expected a run dir, a checkpoint dir or a model dir")
