"""Every benchmark under one data root: what is present gets evaluated, what is missing gets named with its source.

Layout under `--data-root` (docs/evaluation.md lists the downloads):

    sugarcrepe/<subset>.json            coco/val2017/*.jpg
    aro/visual_genome_relation.json     aro/visual_genome_attribution.json     aro/images/*.jpg
    coco/coco_karpathy_test.json        coco/val2014/*.jpg        (COCO-Order, COCO 5k retrieval)
    flickr30k/flickr30k_test.json       flickr30k/flickr30k-images/*.jpg      (Flickr-Order, Flickr 1k retrieval)
    valse/data/<piece>.json             valse/images/{visual7w,val2017,swig,train2014,val2014,VisualDialog_val2018}/
    winoground/examples.jsonl           winoground/images/<image_k>.png
    zeroshot/<torchvision layout per dataset>  (see trainer/eval/imagefolders.py)
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

from trainer.eval.benchmarks import BENCHMARKS, SuiteRun
from trainer.eval.choice import ChoiceItem, TextScorer, run_blind, run_choice
from trainer.eval.embed import EmbeddingCache, missing_images
from trainer.eval.missing import MissingData
from trainer.eval.order_tagger import OrderTagger
from trainer.eval.results import Judge, Record
from trainer.eval.scoring import Choice, TieRule


def image_judge(cache: EmbeddingCache) -> Judge:
    def judge(items: list[ChoiceItem], rule: TieRule) -> Choice:
        missing = missing_images([item.image for item in items])
        if missing:
            raise MissingData(f"{len(missing)} image files missing, e.g. {missing[0]}")
        return run_choice(cache, items, rule)

    return judge


def blind_judge(scorer: TextScorer) -> Judge:
    return lambda items, rule: run_blind(scorer, items, rule)


def run_suite(
    judge: Judge,
    data_root: Path,
    benchmarks: tuple[str, ...] = tuple(BENCHMARKS),
    *,
    task: str = "image_caption_selection",
    tagger: OrderTagger | None = None,
    seed: int = 0,
    cache: EmbeddingCache | None = None,
    sugarcrepe_dir: Path | None = None,
    on_record: Callable[[Record], None] = lambda r: None,
) -> tuple[list[Record], dict[str, str]]:
    """Evaluate each benchmark whose data is present; returns the records and {benchmark: what is missing}."""
    records: list[Record] = []
    missing: dict[str, str] = {}
    run = SuiteRun(judge, Path(data_root), task, tagger, seed, cache, sugarcrepe_dir)
    for name in benchmarks:
        if name not in BENCHMARKS:
            raise ValueError(f"unknown benchmark {name!r}; known: {', '.join(BENCHMARKS)}")
        benchmark = BENCHMARKS[name]
        if cache is None and benchmark.image_only:
            continue  # a blind judge has no image embeddings to compare
        try:
            found = importlib.import_module(benchmark.evaluator).suite_records(run, benchmark)
        except MissingData as error:
            missing[name] = f"{error}. Needs {benchmark.needs} under the data root; get it from {benchmark.where}"
            continue
        for record in found:
            on_record(record)
        records += found
    return records, missing


def add_aro_summary(records: list[Record], task: str = "image_caption_selection") -> Record | None:
    """ARO avg = mean of VG-R, VG-A, COCO-Order, Flickr-Order when all four were evaluated."""
    parts = {r.subset: r for r in records if r.benchmark == "aro" and r.task == task}
    names = ("vg_relation", "vg_attribution", "coco_order", "flickr30k_order")
    if not all(n in parts for n in names):
        return None
    return Record(
        benchmark="aro",
        subset="summary",
        task=task,
        metrics={"avg": sum(parts[n].metrics["acc"] for n in names) / 4, **{n: parts[n].metrics["acc"] for n in names}},
        n_items=sum(parts[n].n_items for n in names),
        n_ties=sum(parts[n].n_ties for n in names),
    )
