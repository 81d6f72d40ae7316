"""The benchmarks `python -m trainer eval` knows, one record each: its name, its evaluator module, whether a
blind (text-only) judge can take it, what it needs under the data root and where to get it. Kept free of torch
and the evaluators so that the CLI parses and documents its options at once; trainer/eval/suite.py imports each
evaluator module when it runs its benchmark and calls its `suite_records(run, benchmark)`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from trainer.eval.embed import EmbeddingCache
    from trainer.eval.order_tagger import OrderTagger
    from trainer.eval.results import Judge


@dataclass(frozen=True)
class Benchmark:
    name: str
    evaluator: str  # the module whose suite_records(run, benchmark) evaluates it; MissingData when data are absent
    needs: str  # under the data root
    where: str  # where to download it
    # Compares image embeddings with each other or ranks images: a blind (text-only) judge cannot take it.
    image_only: bool = False


@dataclass(frozen=True)
class SuiteRun:
    """What every evaluator's suite_records reads: the judge, where the data are, and the run's settings."""

    judge: Judge
    data_root: Path
    task: str
    tagger: OrderTagger | None
    seed: int
    cache: EmbeddingCache | None  # None: a blind judge (run_suite skips the image-only benchmarks)
    sugarcrepe_dir: Path | None


def karpathy_files(data_root: Path, subset: str) -> tuple[Path, Path]:
    """The Karpathy test split and its image root for 'coco...' or 'flickr30k...' under the data root."""
    if subset.startswith("coco"):
        return data_root / "coco" / "coco_karpathy_test.json", data_root / "coco"
    return data_root / "flickr30k" / "flickr30k_test.json", data_root / "flickr30k"


BENCHMARKS: dict[str, Benchmark] = {
    b.name: b
    for b in (
        Benchmark(
            "sugarcrepe",
            "trainer.eval.sugarcrepe",
            "sugarcrepe/*.json and coco/val2017/",
            "https://github.com/RAIVNLab/sugar-crepe (data/*.json); http://images.cocodataset.org/zips/val2017.zip",
        ),
        Benchmark(
            "aro",
            "trainer.eval.aro",
            "aro/visual_genome_relation.json, aro/visual_genome_attribution.json and aro/images/",
            "https://github.com/mertyg/vision-language-models-are-bows (dataset_zoo/aro_datasets.py names the Google "
            "Drive files: the two JSONs and vgr_vga_images.zip)",
        ),
        Benchmark(
            "coco_order",
            "trainer.eval.aro_order",
            "coco/coco_karpathy_test.json and coco/val2014/",
            "https://storage.googleapis.com/sfr-vision-language-research/datasets/coco_karpathy_test.json; "
            "http://images.cocodataset.org/zips/val2014.zip",
        ),
        Benchmark(
            "flickr30k_order",
            "trainer.eval.aro_order",
            "flickr30k/flickr30k_test.json and flickr30k/flickr30k-images/",
            "https://storage.googleapis.com/sfr-vision-language-research/datasets/flickr30k_test.json; images by "
            "request at https://shannon.cs.illinois.edu/DenotationGraph/",
        ),
        Benchmark(
            "valse",
            "trainer.eval.valse",
            "valse/data/*.json and valse/images/{visual7w,val2017,swig,train2014,val2014,VisualDialog_val2018}/",
            "https://github.com/Heidelberg-NLP/VALSE (data/ and the image sources its README lists)",
        ),
        Benchmark(
            "winoground",
            "trainer.eval.winoground",
            "winoground/examples.jsonl and winoground/images/",
            "https://huggingface.co/datasets/facebook/winoground (data/examples.jsonl and data/images.zip; gated)",
            image_only=True,
        ),
        Benchmark(
            "zeroshot",
            "trainer.eval.zeroshot",
            "zeroshot/<dataset> in torchvision's extracted layouts",
            "the torchvision dataset pages (CIFAR-10/100, Food-101, Oxford-IIIT Pet, Flowers-102, SUN397, Stanford "
            "Cars, DTD, Caltech-101, FGVC-Aircraft) and https://image-net.org (ILSVRC2012 val)",
            image_only=True,
        ),
        Benchmark(
            "retrieval",
            "trainer.eval.retrieval",
            "coco/coco_karpathy_test.json + coco/val2014/ and/or flickr30k/flickr30k_test.json + flickr30k-images/",
            "as for coco_order and flickr30k_order",
            image_only=True,
        ),
    )
}
