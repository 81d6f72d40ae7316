"""Training configuration: one pydantic model, read from TOML/YAML/JSON, overridden by `--set a.b=value`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from neggen.config import apply_overrides, read_config_file
from neggen.types import NegType
from trainer.losses import LossWeights

COCO_TRAIN_TEMPLATE = "train2014/COCO_train2014_{image_id:012d}.jpg"
DEFAULT_SLOTS: list[list[NegType]] = [
    [NegType.reshuffle],
    [NegType.swap_nouns, NegType.swap_adjectives],
    [NegType.replace_adjectives],
    [NegType.replace_nouns],
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TinyModel(_Strict):
    """A small CLIP built from a config (tests, CPUs, the shapes world), with a BPE trained on the run's text."""

    hidden: int = 32
    layers: int = 2
    heads: int = 2
    image_size: int = 32
    patch_size: int = 8
    projection_dim: int = 32
    vocab_size: int = 1024


class ModelSpec(_Strict):
    name: str = "openai/clip-vit-base-patch32"  # hub name or save_pretrained dir (a trainer run dir works too)
    tiny: TinyModel | None = None  # when set, `name` is ignored and a fresh tiny CLIP is initialised


class DataSpec(_Strict):
    run_dir: Path | None = None  # a neggen run (manifest.json, captions.parquet, negatives/...)
    image_root: Path = Path("data/coco")
    # None: the image_path column of the run's captions; else a format string of image_id (COCO train2014).
    image_template: str | None = COCO_TRAIN_TEMPLATE
    slots: list[list[NegType]] = Field(default_factory=lambda: [list(s) for s in DEFAULT_SLOTS])
    # drop: skip captions missing a slot; fill: reuse another of the caption's negatives for the empty slot.
    missing_slot: Literal["drop", "fill"] = "drop"
    missing_image: Literal["error", "drop"] = "error"
    val_fraction: float = Field(0.0, ge=0, lt=1)  # captions held out (by image) for the validation-loss hook
    # Blocks of this many consecutive captions are shuffled as one and share a batch (the shapes world's
    # counterfactual twins, which only a model that sees where things are can tell apart).
    keep_together: int = Field(1, ge=1)
    num_workers: int = Field(2, ge=0)

    @field_validator("image_template", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value  # TOML has no null: "" means "use the image_path column"

    @model_validator(mode="after")
    def _blocks_survive_the_split(self) -> DataSpec:
        if self.keep_together > 1 and self.val_fraction > 0:
            # The hold-out takes whole images, which would break blocks and shift every later one.
            raise ValueError("data.keep_together > 1 needs data.val_fraction = 0 (the hold-out would split blocks)")
        return self


class OptimSpec(_Strict):
    lr: float = 1e-6
    betas: tuple[float, float] = (0.9, 0.98)
    eps: float = 1e-6
    weight_decay: float = 0.1  # none on gains, biases and logit_scale
    warmup_steps: int = Field(50, ge=0)
    max_grad_norm: float | None = None


class TrainConfig(_Strict):
    out: Path = Path("runs/train")
    model: ModelSpec = ModelSpec()
    data: DataSpec = DataSpec()
    loss: LossWeights = LossWeights()
    negatives: bool = True  # False: plain CLIP fine-tuning on positives only
    optim: OptimSpec = OptimSpec()
    batch_size: int = Field(256, ge=1, description="global pairs per optimizer step (all ranks, all micro-steps)")
    grad_accum: int = Field(1, ge=1)
    epochs: int = Field(5, ge=1)
    max_steps: int | None = Field(None, ge=1, description="cap on optimizer steps (the schedule's length)")
    stop_after: int | None = Field(None, ge=1, description="end this invocation after N steps (resume later)")
    precision: Literal["bf16", "fp32"] = "bf16"
    ema_decay: float = Field(0.9996, ge=0, le=1)
    logit_scale_max: float = 100.0
    seed: int = 42
    device: str | None = None  # default: cuda:<local rank> when available, else cpu
    log_every: int = Field(10, ge=1)
    save_every: int | None = Field(None, ge=1, description="steps between checkpoints (the last step always)")
    eval_every: int | None = Field(None, ge=1)

    @model_validator(mode="after")
    def _consistent(self) -> TrainConfig:
        if not self.negatives and (self.loss.igc or self.loss.tgc):
            raise ValueError("IGC and TGC need negatives: set loss.igc = loss.tgc = 0 or negatives = true")
        return self


def load_train_config(
    path: Path | None, overrides: Sequence[str] = (), shorthands: Mapping[str, Any] | None = None
) -> TrainConfig:
    """The config file (if any), then `--set a.b=value` overrides, then the named flags (neggen's syntax)."""
    try:
        tree: dict[str, Any] = read_config_file(path) if path is not None else {}
        return TrainConfig.model_validate(apply_overrides(tree, overrides, shorthands))
    except (OSError, ValueError, ValidationError) as exc:
        where = f"{path}: " if path is not None else ""
        raise ValueError(f"{where}invalid training config: {exc}") from exc
