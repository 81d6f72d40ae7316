"""Zero-shot retrieval on a Karpathy-format test split (COCO 5k, Flickr30k 1k): R@1/5/10 both ways.

Ranks count ties against the query (a negative scoring exactly as high as the positive ranks ahead of it), so a
constant model scores 0 rather than a lucky index order; `n_ties` says how many queries met such a tie.
Image -> text: hit when any of the image's captions is in the top k. Values are percentages.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from trainer.eval.benchmarks import Benchmark, SuiteRun, karpathy_files
from trainer.eval.embed import EmbeddingCache, ImageRef, missing_images
from trainer.eval.missing import MissingData
from trainer.eval.results import Record

KS = (1, 5, 10)
TASK = "zeroshot_retrieval"


def load_split(
    karpathy_file: Path, image_root: Path, limit: int | None = None
) -> tuple[list[ImageRef], list[str], list[int]]:
    rows = json.loads(Path(karpathy_file).read_text(encoding="utf-8"))
    rows = rows[:limit] if limit else rows
    images, texts, owner = [], [], []
    for i, row in enumerate(rows):
        images.append(ImageRef(str(Path(image_root) / row["image"])))
        for caption in row["caption"] if isinstance(row["caption"], list) else [row["caption"]]:
            texts.append(caption)
            owner.append(i)
    return images, texts, owner


def recall(scores: torch.Tensor, owner: list[int]) -> tuple[dict[str, float], int]:
    """scores: (n_images, n_texts); owner[t] is the image of text t."""
    n_img, n_txt = scores.shape
    positive = torch.zeros(n_img, n_txt, dtype=torch.bool)
    positive[torch.tensor(owner), torch.arange(n_txt)] = True
    # text -> image: rank of the owner image among all images
    pos_t = scores[torch.tensor(owner), torch.arange(n_txt)]
    ahead_t = (scores >= pos_t[None, :]) & ~positive
    rank_t = ahead_t.sum(0)
    ties_t = ((scores == pos_t[None, :]) & ~positive).any(0)
    # image -> text: rank of the best positive caption among the negatives
    best_pos = scores.masked_fill(~positive, float("-inf")).max(1).values
    ahead_i = (scores >= best_pos[:, None]) & ~positive
    rank_i = ahead_i.sum(1)
    ties_i = ((scores == best_pos[:, None]) & ~positive).any(1)
    metrics = {}
    for k in KS:
        metrics[f"image_retrieval_recall@{k}"] = float((rank_t < k).float().mean() * 100)
        metrics[f"text_retrieval_recall@{k}"] = float((rank_i < k).float().mean() * 100)
    return metrics, int(ties_t.sum() + ties_i.sum())


def evaluate(cache: EmbeddingCache, subset: str, karpathy_file: Path, image_root: Path) -> list[Record]:
    images, texts, owner = load_split(karpathy_file, image_root)
    scores = cache.images(images) @ cache.texts(texts).T
    metrics, ties = recall(scores, owner)
    return [
        Record(
            benchmark="retrieval",
            subset=subset,
            task=TASK,
            metrics=metrics,
            n_items=len(images) + len(texts),
            n_ties=ties,
            info={"n_images": len(images), "n_texts": len(texts), "tie_rule": "wrong"},
        )
    ]


def suite_records(run: SuiteRun, benchmark: Benchmark) -> list[Record]:
    assert run.cache is not None
    records = []
    for subset in ("coco", "flickr30k"):
        annotations, image_root = karpathy_files(run.data_root, subset)
        if annotations.exists():
            images, _, _ = load_split(annotations, image_root)
            missing = missing_images(images)
            if missing:
                raise MissingData(f"{subset}: {len(missing)} image files missing, e.g. {missing[0]}")
            records += evaluate(run.cache, subset, annotations, image_root)
    if not records:
        raise MissingData("no coco/coco_karpathy_test.json or flickr30k/flickr30k_test.json")
    return records
