"""Zero-shot classification, CLIP_benchmark's protocol, on the 11 datasets (readers in imagefolders.py).

Per class: embed every template filled with the class name, normalise, average, renormalise. Logits are
100 * image . class; report acc1, acc5 and mean-per-class recall (percent). `n_ties` counts images whose top
score is shared by several classes (argmax then takes the first, as torch.topk does).
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from neggen.resources import shipped_dir
from trainer.eval.benchmarks import Benchmark, SuiteRun
from trainer.eval.embed import EmbeddingCache, missing_images
from trainer.eval.imagefolders import READERS, image_folder, image_folder_datasets
from trainer.eval.missing import MissingData
from trainer.eval.results import Record

TASK = "zeroshot_classification"
# CLIP_benchmark's class names and templates: data/annotations/clip_benchmark/ (a wheel ships them as package data).
CLIP_BENCHMARK = shipped_dir("data/annotations/clip_benchmark", "trainer.eval.clip_benchmark")


def load_prompts(directory: Path | None = None) -> tuple[dict, dict]:
    directory = directory or CLIP_BENCHMARK
    classnames = json.loads((directory / "en_classnames.json").read_text(encoding="utf-8"))
    templates = json.loads((directory / "en_zeroshot_classification_templates.json").read_text(encoding="utf-8"))
    return classnames, templates


def classifier(cache: EmbeddingCache, classnames: list[str], templates: list[str]) -> torch.Tensor:
    texts = [t.replace("{c}", name) for name in classnames for t in templates]
    emb = cache.texts(texts).view(len(classnames), len(templates), -1)
    return torch.nn.functional.normalize(emb.mean(dim=1), dim=-1)


def metrics(logits: torch.Tensor, labels: torch.Tensor) -> tuple[dict[str, float], int]:
    k = min(5, logits.shape[1])
    top = logits.topk(k, dim=1).indices
    acc1 = (top[:, 0] == labels).float().mean() * 100
    acc5 = (top == labels[:, None]).any(1).float().mean() * 100
    recalls = [((top[:, 0] == c) & (labels == c)).sum() / (labels == c).sum() for c in labels.unique()]
    ties = int(((logits == logits.max(1, keepdim=True).values).sum(1) > 1).sum())
    out = {"acc1": float(acc1), "acc5": float(acc5), "mean_per_class_recall": float(torch.stack(recalls).mean() * 100)}
    return out, ties


def evaluate_dataset(cache: EmbeddingCache, name: str, root: Path, classnames: dict, templates: dict) -> Record:
    data = READERS[name](root, classnames) if name in READERS else image_folder(root, name, classnames)
    if not data.refs:
        raise MissingData(f"{name}: no images found under {root}")
    if "#" not in data.refs[0].path:  # CIFAR items live inside one pickle
        missing = missing_images(data.refs)
        if missing:
            raise MissingData(f"{name}: {len(missing)} image files missing, e.g. {missing[0]}")
    # CLIP_benchmark falls back to the ImageNet templates; a class names file of its own needs none.
    weights = classifier(cache, data.classnames, templates[name] if name in templates else templates["imagenet1k"])
    images = cache.images(data.refs, data.load)
    scores, ties = metrics(100 * images @ weights.T, torch.tensor(data.labels))
    return Record(
        benchmark="zeroshot",
        subset=name,
        task=TASK,
        metrics=scores,
        n_items=len(data.refs),
        n_ties=ties,
        info={"n_classes": len(data.classnames)},
    )


def average(records: list[Record]) -> Record:
    """The `summary` record: the plain mean of the datasets' acc1 (the papers' "Avg." over the 11 datasets)."""
    return Record(
        benchmark="zeroshot",
        subset="summary",
        task=TASK,
        metrics={"avg": sum(r.metrics["acc1"] for r in records) / len(records)},
        n_items=sum(r.n_items for r in records),
        n_ties=sum(r.n_ties for r in records),
        info={"datasets": [r.subset for r in records]},
    )


def evaluate(cache: EmbeddingCache, root: Path, prompts_dir: Path | None = None) -> list[Record]:
    """The 11 standard datasets present under `root`, then any other ImageFolder dataset the class names list."""
    if prompts_dir is None and (Path(root) / "clip_benchmark").exists():
        prompts_dir = Path(root) / "clip_benchmark"
    classnames, templates = load_prompts(prompts_dir)
    records, missing = [], []
    for name in READERS:
        try:
            records.append(evaluate_dataset(cache, name, Path(root), classnames, templates))
        except MissingData as error:
            missing.append(str(error))
    standard = len(records)
    if standard == len(READERS):
        records.append(average(records))
    extra = [
        evaluate_dataset(cache, n, Path(root), classnames, templates) for n in image_folder_datasets(root, classnames)
    ]
    if not records and not extra:
        raise MissingData("; ".join(missing))
    if missing and standard:
        print("  zeroshot, not evaluated: " + "; ".join(missing))
    if missing:
        print(f"  zeroshot: no average written, it needs all {len(READERS)} datasets ({standard} evaluated)")
    return records + extra


def suite_records(run: SuiteRun, benchmark: Benchmark) -> list[Record]:
    assert run.cache is not None
    return evaluate(run.cache, run.data_root / "zeroshot")
