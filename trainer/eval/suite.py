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

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from trainer.eval import aro, aro_order, retrieval, sugarcrepe, valse, winoground, zeroshot
from trainer.eval.benchmarks import BENCHMARKS
from trainer.eval.choice import ChoiceItem, TextScorer, run_blind, run_choice
from trainer.eval.embed import EmbeddingCache, missing_images
from trainer.eval.missing import MissingData
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


def _karpathy(data_root: Path, subset: str) -> tuple[Path, Path]:
    if subset.startswith("coco"):
        return data_root / "coco" / "coco_karpathy_test.json", data_root / "coco"
    return data_root / "flickr30k" / "flickr30k_test.json", data_root / "flickr30k"


@dataclass(frozen=True)
class SuiteRun:
    """What every benchmark's runner reads: the judge, where the data are, and the run's settings."""

    judge: Judge
    data_root: Path
    task: str
    tagger: aro_order.OrderTagger | None
    seed: int
    cache: EmbeddingCache | None  # None: a blind judge (run_suite skips the image-only benchmarks)
    sugarcrepe_dir: Path | None


def _sugarcrepe(run: SuiteRun) -> list[Record]:
    annotations = run.sugarcrepe_dir or run.data_root / "sugarcrepe"
    if not sugarcrepe.available_subsets(annotations):
        raise MissingData(f"no SugarCrepe subset files in {annotations}")
    return sugarcrepe.evaluate(run.judge, annotations, run.data_root / "coco" / "val2017", run.task)


def _aro(run: SuiteRun) -> list[Record]:
    folder = run.data_root / "aro"
    if not any((folder / f).exists() for f in (aro.RELATION_FILE, aro.ATTRIBUTION_FILE)):
        raise MissingData(f"no {aro.RELATION_FILE} / {aro.ATTRIBUTION_FILE} in {folder}")
    return aro.evaluate(run.judge, folder, run.task)


def _order(name: str) -> Callable[[SuiteRun], list[Record]]:
    def evaluate(run: SuiteRun) -> list[Record]:
        annotations, image_root = _karpathy(run.data_root, name)
        if not annotations.exists():
            raise MissingData(f"{annotations} is missing")
        assert run.tagger is not None
        return aro_order.evaluate(run.judge, name, annotations, image_root, run.tagger, run.seed, run.task)

    return evaluate


def _valse(run: SuiteRun) -> list[Record]:
    if not valse.available_files(run.data_root / "valse"):
        raise MissingData(f"no VALSE files in {run.data_root / 'valse' / 'data'}")
    return valse.evaluate(run.judge, run.data_root / "valse", run.task)


def _winoground(run: SuiteRun) -> list[Record]:
    assert run.cache is not None
    examples, image_dir = run.data_root / "winoground" / "examples.jsonl", run.data_root / "winoground" / "images"
    if not examples.exists():
        raise MissingData(f"{examples} is missing")
    missing = missing_images([ref for item in winoground.load_items(examples, image_dir) for ref in item.images])
    if missing:
        raise MissingData(f"{len(missing)} image files missing, e.g. {missing[0]}")
    return [winoground.evaluate(run.cache, examples, image_dir)]


def _retrieval(run: SuiteRun) -> list[Record]:
    assert run.cache is not None
    records = []
    for subset in ("coco", "flickr30k"):
        annotations, image_root = _karpathy(run.data_root, subset)
        if annotations.exists():
            images, _, _ = retrieval.load_split(annotations, image_root)
            missing = missing_images(images)
            if missing:
                raise MissingData(f"{subset}: {len(missing)} image files missing, e.g. {missing[0]}")
            records += retrieval.evaluate(run.cache, subset, annotations, image_root)
    if not records:
        raise MissingData("no coco/coco_karpathy_test.json or flickr30k/flickr30k_test.json")
    return records


def _zeroshot(run: SuiteRun) -> list[Record]:
    assert run.cache is not None
    return zeroshot.evaluate(run.cache, run.data_root / "zeroshot")


# Each benchmark of trainer/eval/benchmarks.py and the one function that runs it (MissingData: its data are absent).
RUNNERS: dict[str, Callable[[SuiteRun], list[Record]]] = {
    "sugarcrepe": _sugarcrepe,
    "aro": _aro,
    "coco_order": _order("coco_order"),
    "flickr30k_order": _order("flickr30k_order"),
    "valse": _valse,
    "winoground": _winoground,
    "zeroshot": _zeroshot,
    "retrieval": _retrieval,
}


def run_suite(
    judge: Judge,
    data_root: Path,
    benchmarks: tuple[str, ...] = tuple(BENCHMARKS),
    *,
    task: str = "image_caption_selection",
    tagger: aro_order.OrderTagger | None = None,
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
        if name not in RUNNERS:
            raise ValueError(f"unknown benchmark {name!r}; known: {', '.join(BENCHMARKS)}")
        if cache is None and BENCHMARKS[name].image_only:
            continue  # a blind judge has no image embeddings to compare
        try:
            found = RUNNERS[name](run)
        except MissingData as error:
            source = BENCHMARKS[name]
            missing[name] = f"{error}. Needs {source.needs} under the data root; get it from {source.where}"
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
