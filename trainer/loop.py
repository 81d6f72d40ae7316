"""The training loop: DeGLA (or a baseline chosen by config) over a neggen run, resumable step for step."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader
from transformers import CLIPModel

from neggen.errors import check_model_path
from neggen.run.atomic import write_json_atomic
from trainer import checkpoint as ckpt
from trainer.config import TrainConfig
from trainer.data import DataError, PairsDataset, SampleTable, StepBatches, collate, load_samples, run_fingerprint
from trainer.distributed import Dist, setup
from trainer.ema import EMATeacher
from trainer.encoders import DualEncoder
from trainer.losses import LossTerms, degla_loss
from trainer.metrics import MetricsLog, TrainProgress
from trainer.models import image_size_of, load_clip, tiny_clip_config
from trainer.optim import make_optimizer, make_scheduler
from trainer.tokenizer import train_tokenizer

log = logging.getLogger(__name__)
# An evaluation hook: (student CLIPModel, tokenizer, step) -> metrics; called on the main rank.
EvalHook = Callable[[CLIPModel, Any, int], dict[str, float]]


class RunExists(ValueError):
    """The output directory already holds a run and --resume was not given."""


@dataclass
class TrainResult:
    run_dir: Path
    step: int
    total_steps: int
    last_loss: dict[str, float]
    data_report: dict[str, int]


def _initial_model(config: TrainConfig, table: SampleTable, seed: int):
    if config.model.tiny is None:
        name = config.model.name
        check_model_path(name, "model.name")
        path = Path(name)
        return load_clip(ckpt.resolve_model_dir(path) if path.exists() else name)
    tiny = config.model.tiny
    texts = table.captions + [n for negs in table.negatives for n in negs]
    tokenizer = train_tokenizer(texts, tiny.vocab_size)
    torch.manual_seed(seed)
    shape = tiny.model_dump(exclude={"vocab_size"})
    return CLIPModel(tiny_clip_config(tokenizer, **shape)), tokenizer


def _autocast(config: TrainConfig, device: torch.device):
    if config.precision == "bf16":
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return nullcontext()


def _loss_for_batch(student, teacher: EMATeacher | None, batch, config: TrainConfig, device) -> LossTerms:
    pixels, positive, negative = (
        batch[k].to(device, non_blocking=True) for k in ("pixels", "positive_ids", "negative_ids")
    )
    with _autocast(config, device):
        features, scale = student(pixels, positive, negative)
        teacher_features = None
        if teacher is not None:
            with torch.no_grad():
                teacher_features, _ = teacher.module(pixels, positive, negative)
    gathered_teacher = teacher_features.gathered() if teacher_features is not None else None
    return degla_loss(features.gathered(), gathered_teacher, scale, config.loss)


def validation_loss_hook(table: SampleTable, tokenizer, config: TrainConfig, device) -> EvalHook:
    """Mean DeGLA base + local losses of the student on held-out captions (eval transform, no teacher)."""
    weights = config.loss.model_copy(update={"tgc": 0.0, "distill": 0.0})
    size = min(config.batch_size, len(table))

    def hook(model: CLIPModel, _tokenizer, _step: int) -> dict[str, float]:
        dataset = PairsDataset(table, tokenizer, image_size_of(model), train=False, seed=config.seed)
        encoder = DualEncoder(model).eval()
        totals, batches = 0.0, 0
        with torch.no_grad():
            for batch in DataLoader(dataset, batch_size=size, drop_last=True, collate_fn=collate):
                features, scale = encoder(*(batch[k].to(device) for k in ("pixels", "positive_ids", "negative_ids")))
                totals += float(degla_loss(features, None, scale, weights).total)
                batches += 1
        model.train()
        return {"val_loss": totals / max(batches, 1)}

    return hook


def train(config: TrainConfig, resume: bool = False, hooks: Sequence[EvalHook] = ()) -> TrainResult:
    dist_info = setup(config.device)
    device = dist_info.device
    run_dir = Path(config.out)
    existing = ckpt.latest_checkpoint(run_dir) if run_dir.exists() else None
    if existing is not None and not resume:
        raise RunExists(f"{run_dir} already holds a training run (at {existing.name}); pass --resume or a new --out")
    if resume and existing is None:
        # Said out loud: a mistyped --out with --resume would otherwise silently retrain from scratch.
        log.warning("nothing to resume in %s (no checkpoint there): starting from step 0", run_dir)

    table = load_samples(config.data, config.seed, with_negatives=config.negatives)
    dropped = table.report.get("missing_slot", 0) + table.report.get("missing_image", 0)
    if config.data.keep_together > 1 and dropped:
        # Blocks are consecutive rows: one dropped caption would pair every later row with the wrong partner.
        raise DataError(
            f"data.keep_together = {config.data.keep_together} needs every caption of {config.data.run_dir}, but "
            f"{dropped} were dropped ({table.report}): use data.missing_slot = 'fill' and fix the missing images"
        )
    train_table, val_table = (
        (table, None) if not config.data.val_fraction else table.split(config.data.val_fraction, config.seed)
    )
    steps_per_epoch = len(train_table) // config.batch_size
    if steps_per_epoch == 0:
        raise ValueError(f"{len(train_table)} training samples are fewer than batch_size {config.batch_size}")
    total = config.max_steps or config.epochs * steps_per_epoch
    fingerprint = run_fingerprint(Path(config.data.run_dir))  # type: ignore[arg-type]

    if existing is not None:
        model, tokenizer = load_clip(existing / ckpt.MODEL_DIR)
    else:
        model, tokenizer = _initial_model(config, train_table, config.seed)
    student = DualEncoder(model).to(device).train()
    teacher = EMATeacher(student, config.ema_decay) if config.loss.needs_teacher else None
    optimizer = make_optimizer(student, config.optim)
    scheduler = make_scheduler(optimizer, config.optim.warmup_steps, total)
    step = 0
    if existing is not None:
        state = ckpt.load_state(existing)
        if state["data_fingerprint"] != fingerprint:
            raise ValueError(f"{run_dir} was trained on other data than {config.data.run_dir} holds now")
        if teacher is not None:
            teacher.load_state_dict(state["teacher"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        step = state["step"]
        ckpt.restore_rng(state["rng"])
    config_dump = config.model_dump(mode="json")
    if dist_info.main:
        write_json_atomic(run_dir / "config.json", config_dump)
    metrics = MetricsLog(run_dir / "metrics.jsonl", step) if dist_info.main else None
    if val_table is not None and len(val_table):
        hooks = [validation_loss_hook(val_table, tokenizer, config, device), *hooks]

    wrapped = DistributedDataParallel(student) if dist_info.world > 1 else student
    dataset = PairsDataset(train_table, tokenizer, image_size_of(model), train=True, seed=config.seed)
    stop_at = min(total, step + config.stop_after) if config.stop_after else total
    progress = TrainProgress(total, step, enabled=dist_info.main)
    last: dict[str, float] = {}
    try:
        while step < stop_at:
            epoch, offset = divmod(step, steps_per_epoch)
            dataset.epoch = epoch
            batches = StepBatches(
                len(dataset),
                config.batch_size,
                config.grad_accum,
                dist_info.rank,
                dist_info.world,
                config.seed,
                epoch,
                offset,
                config.data.keep_together,
            )
            loader = DataLoader(
                dataset,
                batch_sampler=batches,
                collate_fn=collate,
                num_workers=config.data.num_workers,
                pin_memory=device.type == "cuda",
            )
            micro_batches = iter(loader)
            for _ in range(offset, steps_per_epoch):
                started = time.perf_counter()
                last = _optimizer_step(wrapped, student, teacher, optimizer, micro_batches, config, dist_info)
                scheduler.step()
                step += 1
                with torch.no_grad():
                    student.clip.logit_scale.clamp_(0, math.log(config.logit_scale_max))
                if teacher is not None:
                    teacher.update(student)
                rate = config.batch_size / (time.perf_counter() - started)
                record = {
                    "step": step,
                    "epoch": epoch,
                    "lr": scheduler.get_last_lr()[0],
                    "logit_scale": float(student.clip.logit_scale.detach().exp()),
                    "images_per_s": rate,
                    **last,
                }
                if metrics is not None and (step % config.log_every == 0 or step == stop_at):
                    metrics.write(record)
                progress.update(step, last["total"], rate, step % config.log_every == 0)
                if config.eval_every and step % config.eval_every == 0 and dist_info.main:
                    results = {k: v for hook in hooks for k, v in hook(student.clip, tokenizer, step).items()}
                    if results and metrics is not None:
                        metrics.write({"step": step, "eval": results})
                if (config.save_every and step % config.save_every == 0) or step in (stop_at, total):
                    _save(
                        run_dir,
                        step,
                        student,
                        tokenizer,
                        teacher,
                        optimizer,
                        scheduler,
                        config_dump,
                        fingerprint,
                        dist_info,
                    )
                if step >= stop_at:
                    break
    finally:
        progress.close()
    return TrainResult(run_dir, step, total, last, train_table.report)


def _optimizer_step(
    wrapped, student: DualEncoder, teacher, optimizer, micro_batches, config: TrainConfig, dist_info: Dist
) -> dict[str, float]:
    optimizer.zero_grad(set_to_none=True)
    sums: dict[str, float] = {}
    for m in range(config.grad_accum):
        last_micro = m == config.grad_accum - 1
        sync = nullcontext() if last_micro or dist_info.world == 1 else wrapped.no_sync()
        with sync:
            terms = _loss_for_batch(wrapped, teacher, next(micro_batches), config, dist_info.device)
            # Every rank computes the loss of the gathered batch but back-propagates only through its own rows;
            # DDP averages over ranks, so scale by the world size to get the single-process gradient.
            (terms.total * dist_info.world / config.grad_accum).backward()
        for name, value in terms.as_floats().items():
            sums[name] = sums.get(name, 0.0) + value / config.grad_accum
    if config.optim.max_grad_norm:
        torch.nn.utils.clip_grad_norm_(student.parameters(), config.optim.max_grad_norm)
    optimizer.step()
    return sums


def _save(run_dir, step, student, tokenizer, teacher, optimizer, scheduler, config_dump, fingerprint, dist_info):
    if not dist_info.main:
        return
    state = {
        "teacher": teacher.state_dict() if teacher is not None else None,
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "data_fingerprint": fingerprint,
    }
    path = ckpt.save_checkpoint(run_dir, step, student.clip, tokenizer, state, config_dump)
    log.info("checkpoint %s", path)
