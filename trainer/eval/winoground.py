"""Winoground (facebook/winoground): items of two images and two captions with the same words in another order.

`examples.jsonl` rows `{id, image_0, image_1, caption_0, caption_1, tag, secondary_tag, ...}`; images
`<image_dir>/<image_k>.png`. With s(c, i) the image-text score, per the Winoground paper (Thrush et al. 2022):

- text score: s(c0, i0) > s(c1, i0) and s(c1, i1) > s(c0, i1)   (each image picks its caption)
- image score: s(c0, i0) > s(c0, i1) and s(c1, i1) > s(c1, i0)  (each caption picks its image)
- group score: both.

Comparisons are strict, so a tie is wrong. Chance is 25% (text, image) and 16.7% (group). A blind scorer
(captions only) can never reach the text score: it would need c0 > c1 and c1 > c0.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch

from trainer.eval.benchmarks import Benchmark, SuiteRun
from trainer.eval.embed import EmbeddingCache, ImageRef, missing_images
from trainer.eval.missing import MissingData
from trainer.eval.results import Record

TASK = "winoground"
CHANCE = {"text": 25.0, "image": 25.0, "group": 100 / 6}


@dataclass(frozen=True)
class WinogroundItem:
    images: tuple[ImageRef, ImageRef]
    captions: tuple[str, str]
    tag: str = ""


def load_items(examples: Path, image_dir: Path, suffix: str = ".png") -> list[WinogroundItem]:
    items = []
    for line in Path(examples).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        refs = tuple(ImageRef(str(Path(image_dir) / f"{row[f'image_{k}']}{suffix}")) for k in (0, 1))
        items.append(WinogroundItem(refs, (row["caption_0"], row["caption_1"]), row.get("tag", "")))  # type: ignore[arg-type]
    return items


def scores_from_similarity(sim: torch.Tensor) -> dict[str, torch.Tensor]:
    """Per-item bool outcomes from (N, 2, 2) scores indexed [item, caption, image]."""
    c0i0, c0i1, c1i0, c1i1 = sim[:, 0, 0], sim[:, 0, 1], sim[:, 1, 0], sim[:, 1, 1]
    text = (c0i0 > c1i0) & (c1i1 > c0i1)
    image = (c0i0 > c0i1) & (c1i1 > c1i0)
    return {"text": text, "image": image, "group": text & image}


def similarity(cache: EmbeddingCache, items: list[WinogroundItem]) -> torch.Tensor:
    images = cache.images([ref for item in items for ref in item.images]).view(len(items), 2, -1)
    texts = cache.texts([text for item in items for text in item.captions]).view(len(items), 2, -1)
    return torch.einsum("ncd,nid->nci", texts.float(), images.float())


def evaluate(cache: EmbeddingCache, examples: Path, image_dir: Path, subset: str = "all") -> Record:
    items = load_items(examples, image_dir)
    if not items:
        raise ValueError(f"{examples}: no items")
    outcome = scores_from_similarity(similarity(cache, items))
    metrics = {name: float(v.float().mean() * 100) for name, v in outcome.items()}
    per_tag: dict[str, dict[str, float]] = {}
    for tag in sorted({item.tag for item in items}):
        mask = torch.tensor([item.tag == tag for item in items])
        per_tag[tag] = {name: float(v[mask].float().mean() * 100) for name, v in outcome.items()}
    return Record(
        benchmark="winoground",
        subset=subset,
        task=TASK,
        metrics=metrics,
        n_items=len(items),
        info={"per_tag": per_tag, "chance": CHANCE},
    )


def suite_records(run: SuiteRun, benchmark: Benchmark) -> list[Record]:
    assert run.cache is not None
    examples, image_dir = run.data_root / "winoground" / "examples.jsonl", run.data_root / "winoground" / "images"
    if not examples.exists():
        raise MissingData(f"{examples} is missing")
    missing = missing_images([ref for item in load_items(examples, image_dir) for ref in item.images])
    if missing:
        raise MissingData(f"{len(missing)} image files missing, e.g. {missing[0]}")
    return [evaluate(run.cache, examples, image_dir)]
