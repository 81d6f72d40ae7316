"""The shapes-world replication: pretrain a tiny CLIP on the whole world with plain contrastive loss, fine-tune
the ablation's variants from it on the world's fine-tuning slice (trainer/shapes/finetune.py) with the real
trainer, evaluate every model with the real evaluators on both eval versions.

    OUT/experiment.json                     the ExperimentConfig
    OUT/stage1/                             trainer run: plain contrastive from scratch (stands in for OpenAI CLIP)
    OUT/finetune/<variant>/seed-<s>/        trainer runs started from OUT/stage1
    OUT/eval/<model>/<version>/*.json       one evaluator Record per benchmark/subset (trainer.eval.results)
    OUT/eval/<model>.json                   the model's flat metrics {"<version>/<metric>": value}
    OUT/results.json, results.md, plots/    trainer.shapes.report

Every step is skipped when its output exists, so an interrupted experiment resumes where it stopped.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from neggen.run.atomic import write_json_atomic
from trainer.config import TinyModel, TrainConfig, load_train_config
from trainer.shapes.build_zeroshot import DATASETS, OUTSIDE
from trainer.shapes.config import VERSIONS
from trainer.shapes.writers import FINETUNE_RUN, FORMAT

ZEROSHOT_SETS = DATASETS
OUTSIDE_SETS = tuple(d + OUTSIDE for d in DATASETS)  # classes outside the fine-tuning slice: retention
PAPER_DISTILL = 0.005
# Self-distillation weights swept beside the paper's 0.005 (full DeGLA otherwise). The distillation loss is a
# sum over the batch, so at batch 32 instead of the paper's 256 the paper's weight is 8 times weaker.
DISTILL_SWEEP = (0.05, 0.5)


def _losses(negatives: bool, igc: float, tgc: float, distill: float) -> list[str]:
    return [f"negatives={str(negatives).lower()}", f"loss.igc={igc}", f"loss.tgc={tgc}", f"loss.distill={distill}"]


# Variant -> training overrides on top of the shared fine-tuning settings (docs/method.md section 4's ablation rows).
VARIANTS: dict[str, list[str]] = {
    "plain": _losses(False, 0, 0, 0),
    "negclip": _losses(True, 0, 0, 0),
    "igc": _losses(True, 0.1, 0, 0),
    "tgc": _losses(True, 0, 0.1, 0),
    "igc_tgc": _losses(True, 0.1, 0.1, 0),
    "degla": _losses(True, 0.1, 0.1, PAPER_DISTILL),
    **{f"degla_distill{w:g}": _losses(True, 0.1, 0.1, w) for w in DISTILL_SWEEP},
}
QUICK_VARIANTS = ("plain", "negclip", "degla")
LLM_VARIANT = "degla_llm"  # full DeGLA on a neggen (LLM) run's negatives instead of the oracle's
BLIND = ("shorter", "larger_number")


class ExperimentConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    out: Path = Path("runs/replicate")
    world: Path | None = Field(None, description="world dir; reused when it holds world.json, else built there")
    world_seed: int = 0
    # Stage 1 on counterfactual twins sharing each batch (WorldConfig.twins, data.keep_together = 2): the only
    # pretraining signal in this world that rewards knowing where things are.
    twins: bool = False
    # Share of the built world's training captions that say where each object is (WorldConfig.p_where).
    p_where: float = Field(0.0, ge=0.0, le=1.0)
    quick: bool = False
    model: TinyModel = TinyModel(
        hidden=64, layers=2, heads=2, image_size=64, patch_size=8, projection_dim=64, vocab_size=512
    )
    stage1_steps: int = Field(1500, ge=1)
    stage1_lr: float = 1e-3
    stage1_batch: int = Field(64, ge=2)
    finetune_steps: int = Field(300, ge=1)
    # Fine-tuning at three times stage 1's rate on the narrow slice is what makes plain fine-tuning measurably
    # forget the 10,000-step stage 1 (docs/shapes-world.md: 2e-3 loses 3.3 ± 13.2 points outside the slice, 3e-3
    # 14.3 ± 5.7, 4e-3 14.8 ± 3.5 but relations back to chance).
    finetune_lr: float = 3e-3
    finetune_batch: int = Field(32, ge=2)
    # None: 1 - 1/(0.3 * finetune_steps), i.e. an EMA horizon of ~30% of the run, as the paper's 0.9996 over
    # ~8,100 steps (5 epochs of 414k captions at batch 256) has; 0.9996 itself would barely move in 200 steps.
    ema_decay: float | None = Field(None, ge=0, lt=1)
    seeds: list[int] = Field(default_factory=lambda: [0, 1, 2], min_length=1)
    variants: list[str] = Field(default_factory=lambda: list(VARIANTS))
    llm_run: Path | None = Field(None, description="a neggen run over the world's captions: adds degla_llm")
    blind: list[str] = Field(default_factory=lambda: list(BLIND))
    threads: int = Field(1, ge=1, description="torch threads: 1 is much faster than 2 on 2 busy cores")
    eval_batch: int = Field(256, ge=1)

    @classmethod
    def for_mode(cls, quick: bool, **overrides: Any) -> ExperimentConfig:
        """Full (data/shapes-twins, a 20k-image twins world with a quarter where-captions, built if missing;
        10,000 stage-1 steps, the least that learned relations in docs/shapes-world.md; every variant, 3 seeds)
        or quick (data/shapes-quick, shared with `make train`; 3 variants, 2 seeds, short runs: the pipeline
        check)."""
        base: dict[str, Any] = {
            "world": Path("data/shapes-twins"),
            "twins": True,
            "p_where": 0.25,
            "stage1_steps": 10_000,
        }
        if quick:
            base = {
                "world": Path("data/shapes-quick"),
                "twins": False,
                "p_where": 0.0,
                "quick": True,
                "stage1_steps": 300,
                "stage1_batch": 64,
                "finetune_steps": 30,
                "seeds": [0, 1],
                "variants": list(QUICK_VARIANTS),
            }
        return cls(**{**base, **{k: v for k, v in overrides.items() if v is not None}})

    @property
    def decay(self) -> float:
        return self.ema_decay if self.ema_decay is not None else 1 - 1 / max(0.3 * self.finetune_steps, 2)

    @property
    def world_dir(self) -> Path:
        return self.world or self.out / "world"

    def all_variants(self) -> list[str]:
        return [*self.variants, *([LLM_VARIANT] if self.llm_run is not None else [])]


Log = Callable[[str], None]
# Settings an existing experiment directory may be resumed with different values of (they add runs or only
# change how they are computed); any other difference would mix runs made under different settings.
RESUMABLE_FIELDS = frozenset({"seeds", "variants", "llm_run", "blind", "threads", "eval_batch"})


def check_resume(config: ExperimentConfig) -> None:
    """Refuse to resume an experiment directory written with other training/world settings."""
    path = config.out / "experiment.json"
    if not path.exists():
        return
    # Read through the model, so a setting added since the directory was written compares as its default.
    old = json.loads(path.read_text(encoding="utf-8"))
    try:
        old = ExperimentConfig.model_validate(old).model_dump(mode="json")
    except ValidationError:
        pass  # a removed setting: compare the raw values, which then differ and name it
    new = config.model_dump(mode="json")
    changed = sorted(k for k in new if k not in RESUMABLE_FIELDS and old.get(k) != new[k])
    if changed:
        raise ValueError(
            f"{config.out} holds an experiment with other settings ({', '.join(changed)}); use a new --out"
        )


def ensure_world(config: ExperimentConfig, log: Log = print) -> Path:
    from trainer.shapes.config import WorldConfig
    from trainer.shapes.writers import make_world

    world = config.world_dir
    if (world / "world.json").exists():
        described = json.loads((world / "world.json").read_text(encoding="utf-8"))
        found = described.get("format")
        if found != FORMAT:
            raise ValueError(f"{world} is a {found} world, this code needs {FORMAT}: delete it to rebuild it")
        built = described.get("config", {})
        for name in ("twins", "p_where"):  # a world written before a setting existed holds its default
            had, wanted = built.get(name, WorldConfig.model_fields[name].default), getattr(config, name)
            if had != wanted:
                raise ValueError(
                    f"{world} was built with {name}={had}, this experiment wants {wanted}: use another world directory"
                )
        log(f"world: reusing {world}")
        return world
    kind = WorldConfig.quick if config.quick else WorldConfig
    settings = kind(seed=config.world_seed, twins=config.twins, p_where=config.p_where)
    started = time.perf_counter()
    make_world(settings, world)
    log(f"world: built {world} in {time.perf_counter() - started:.0f} s")
    return world


def _data_overrides(run: Path, world: Path) -> list[str]:
    return [
        f"data.run_dir={run}",
        f"data.image_root={world}",
        "data.image_template=",
        "data.missing_slot=fill",
        "data.num_workers=0",
        "precision=fp32",
        "log_every=10",
    ]


def stage1_config(config: ExperimentConfig, world: Path) -> TrainConfig:
    steps = config.stage1_steps
    return load_train_config(
        None,
        [
            *_data_overrides(world / "oracle", world),
            f"out={config.out / 'stage1'}",
            f"model.tiny={config.model.model_dump_json()}",
            *VARIANTS["plain"],
            f"batch_size={config.stage1_batch}",
            f"data.keep_together={2 if config.twins else 1}",
            f"max_steps={steps}",
            f"optim.lr={config.stage1_lr}",
            f"optim.warmup_steps={max(1, steps // 20)}",
            "seed=0",
        ],
    )


def finetune_config(config: ExperimentConfig, world: Path, variant: str, seed: int) -> TrainConfig:
    steps = config.finetune_steps
    if variant == LLM_VARIANT:
        if config.llm_run is None:
            raise ValueError(f"{LLM_VARIANT} needs --llm-run")
        run, losses = config.llm_run, VARIANTS["degla"]
    else:
        run, losses = world / FINETUNE_RUN, VARIANTS[variant]
    return load_train_config(
        None,
        [
            *_data_overrides(run, world),
            f"out={run_dir(config, variant, seed)}",
            f"model.name={config.out / 'stage1'}",
            *losses,
            f"batch_size={config.finetune_batch}",
            f"max_steps={steps}",
            f"optim.lr={config.finetune_lr}",
            f"optim.warmup_steps={max(1, steps // 10)}",
            f"ema_decay={config.decay}",
            f"seed={seed}",
        ],
    )


def run_dir(config: ExperimentConfig, variant: str, seed: int) -> Path:
    return config.out / "finetune" / variant / f"seed-{seed}"


def _train(train_config: TrainConfig, log: Log) -> float:
    from trainer.checkpoint import latest_checkpoint
    from trainer.loop import train

    out = Path(train_config.out)
    done = latest_checkpoint(out) if (out / "checkpoints").exists() else None
    if done is not None and json.loads((out / "checkpoints" / "latest.json").read_text())["step"] >= (
        train_config.max_steps or 0
    ):
        log(f"train: {out} is complete, skipped")
        return 0.0
    started = time.perf_counter()
    result = train(train_config, resume=done is not None)
    seconds = time.perf_counter() - started
    log(f"train: {out} {result.step} steps in {seconds:.0f} s, last loss {result.last_loss.get('total', math.nan):.3f}")
    return seconds


# ---------------------------------------------------------------------------------------------------- evaluation


# The replication's benchmarks, read by `python -m trainer eval run`'s suite from each eval/<version>/ data root.
MODEL_BENCHMARKS = ("sugarcrepe", "aro", "valse", "winoground", "zeroshot")
BLIND_BENCHMARKS = ("sugarcrepe", "aro", "valse")


def version_root(world: Path, version: str) -> Path:
    return world / "eval" / version


def suite_records(judge, world: Path, version: str, benchmarks: tuple[str, ...], cache=None) -> list:
    """The standard suite on one eval version; a world lacking one of its sets is an error, not a skip."""
    from trainer.eval.suite import run_suite

    records, missing = run_suite(judge, version_root(world, version), benchmarks, cache=cache)
    if missing:
        raise FileNotFoundError(f"{world} is not a complete shapes world: " + "; ".join(missing.values()))
    return records


def flatten(records: list) -> dict[str, float]:
    """The headline numbers of one model on one version."""
    out: dict[str, float] = {}
    for r in records:
        m = r.metrics
        if r.benchmark == "sugarcrepe" and r.subset == "summary":
            out |= {f"sc_{k}": m[k] for k in ("replace", "swap", "add") if k in m}
        elif r.benchmark == "aro":
            key = {"vg_relation": "vg_r", "vg_attribution": "vg_a"}[r.subset]
            # The official VG-A macro-average needs >= 25 items per attribute pair; small worlds have fewer.
            out[key] = m["acc"] if m["acc"] == m["acc"] else m["micro_acc"]
        elif r.benchmark == "valse" and r.subset == "summary":
            out["valse"] = m["avg"]
        elif r.benchmark == "winoground":
            out |= {f"wino_{k}": m[k] for k in ("text", "image", "group")}
        elif r.benchmark == "zeroshot":
            out[_zs_key(r.subset)] = m["acc1"]
    for sets, key in ((ZEROSHOT_SETS, "zs_avg"), (OUTSIDE_SETS, "zs_outside_avg")):
        zs = [out[_zs_key(n)] for n in sets if _zs_key(n) in out]
        if zs:
            out[key] = sum(zs) / len(zs)
    return out


def _zs_key(dataset: str) -> str:
    return f"zs_{dataset.removeprefix('shapes_')}"


def evaluate_model(config: ExperimentConfig, world: Path, tag: str, model_dir: Path, log: Log) -> dict[str, float]:
    from trainer.checkpoint import resolve_model_dir
    from trainer.eval.embed import ClipEncoder, EmbeddingCache
    from trainer.eval.results import write_record
    from trainer.eval.suite import image_judge
    from trainer.models import load_clip

    target = config.out / "eval" / f"{tag}.json"
    if target.exists():
        return json.loads(target.read_text())
    started = time.perf_counter()
    model, tokenizer = load_clip(resolve_model_dir(model_dir))
    cache = EmbeddingCache(ClipEncoder(model, tokenizer, batch_size=config.eval_batch, device="cpu"))
    flat: dict[str, float] = {}
    for version in VERSIONS:
        records = suite_records(image_judge(cache), world, version, MODEL_BENCHMARKS, cache)
        for record in records:
            write_record(config.out / "eval" / tag, version, record.model_copy(update={"model": tag}))
        flat |= {f"{version}/{k}": v for k, v in flatten(records).items()}
    write_json_atomic(target, flat)
    log(f"eval: {tag} in {time.perf_counter() - started:.0f} s")
    return flat


def evaluate_blind(config: ExperimentConfig, world: Path, name: str) -> dict[str, float]:
    from trainer.eval.blind import BLIND_SCORERS
    from trainer.eval.suite import blind_judge

    tag = f"blind_{name}"
    target = config.out / "eval" / f"{tag}.json"
    if target.exists():
        return json.loads(target.read_text())
    judge = blind_judge(BLIND_SCORERS[name]())
    flat: dict[str, float] = {}
    for version in VERSIONS:
        records = suite_records(judge, world, version, BLIND_BENCHMARKS)
        flat |= {f"{version}/{k}": v for k, v in flatten(records).items()}
    write_json_atomic(target, flat)
    return flat


def chance_levels(world: Path) -> dict[str, float]:
    """Accuracy of guessing, per "<version>/<metric>": two options for the caption-selection tasks."""
    from trainer.eval.winoground import CHANCE

    out: dict[str, float] = {}
    for version in VERSIONS:
        out |= {f"{version}/{m}": 50.0 for m in ("sc_replace", "sc_swap", "sc_add", "vg_r", "vg_a", "valse")}
        out |= {f"{version}/wino_{k}": v for k, v in CHANCE.items()}
        names = version_root(world, version) / "zeroshot" / "clip_benchmark" / "en_classnames.json"
        classnames = json.loads(names.read_text())
        for sets, key in ((ZEROSHOT_SETS, "zs_avg"), (OUTSIDE_SETS, "zs_outside_avg")):
            zs = {_zs_key(n): 100 / len(classnames[n]) for n in sets if n in classnames}
            out |= {f"{version}/{k}": v for k, v in zs.items()}
            if zs:
                out[f"{version}/{key}"] = sum(zs.values()) / len(zs)
    return out


# ---------------------------------------------------------------------------------------------------- the whole


def run_experiment(config: ExperimentConfig, log: Log = print) -> dict[str, Any]:
    """World, stage 1, fine-tunes, evaluations, report. Returns the results JSON."""
    import torch

    from trainer.shapes.report import write_report

    torch.set_num_threads(config.threads)
    started = time.perf_counter()
    check_resume(config)
    config.out.mkdir(parents=True, exist_ok=True)
    write_json_atomic(config.out / "experiment.json", config.model_dump(mode="json"))
    world = ensure_world(config, log)
    timings: dict[str, float] = {"stage1_train": _train(stage1_config(config, world), log)}
    runs: dict[str, dict[str, Any]] = {
        "stage1": {"variant": "stage1", "seed": None, "metrics": evaluate_model(config, world, "stage1",
                                                                                 config.out / "stage1", log)},
    }  # fmt: skip
    train_seconds = 0.0
    for variant in config.all_variants():
        for seed in config.seeds:
            train_seconds += _train(finetune_config(config, world, variant, seed), log)
            tag = f"{variant}-seed{seed}"
            metrics = evaluate_model(config, world, tag, run_dir(config, variant, seed), log)
            runs[tag] = {"variant": variant, "seed": seed, "metrics": metrics}
    timings["finetune_train"] = train_seconds
    for name in config.blind:
        metrics = evaluate_blind(config, world, name)
        runs[f"blind_{name}"] = {"variant": f"blind_{name}", "seed": None, "metrics": metrics}
    timings["total"] = time.perf_counter() - started
    results = write_report(config, runs, timings, chance_levels(world))
    log(f"report: {config.out / 'results.md'} ({timings['total']:.0f} s)")
    return results
