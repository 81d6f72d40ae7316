"""The benchmarks `python -m trainer eval` knows, one record each: its name, whether a blind (text-only) judge
can take it, what it needs under the data root and where to get it. Kept free of torch and the evaluators so
that the CLI parses and documents its options at once; trainer/eval/suite.py runs them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Benchmark:
    name: str
    needs: str  # under the data root
    where: str  # where to download it
    # Compares image embeddings with each other or ranks images: a blind (text-only) judge cannot take it.
    image_only: bool = False


BENCHMARKS: dict[str, Benchmark] = {
    b.name: b
    for b in (
        Benchmark(
            "sugarcrepe",
            "sugarcrepe/*.json and coco/val2017/",
            "https://github.com/RAIVNLab/sugar-crepe (data/*.json); http://images.cocodataset.org/zips/val2017.zip",
        ),
        Benchmark(
            "aro",
            "aro/visual_genome_relation.json, aro/visual_genome_attribution.json and aro/images/",
            "https://github.com/mertyg/vision-language-models-are-bows (dataset_zoo/aro_datasets.py names the Google "
            "Drive files: the two JSONs and vgr_vga_images.zip)",
        ),
        Benchmark(
            "coco_order",
            "coco/coco_karpathy_test.json and coco/val2014/",
            "https://storage.googleapis.com/sfr-vision-language-research/datasets/coco_karpathy_test.json; "
            "http://images.cocodataset.org/zips/val2014.zip",
        ),
        Benchmark(
            "flickr30k_order",
            "flickr30k/flickr30k_test.json and flickr30k/flickr30k-images/",
            "https://storage.googleapis.com/sfr-vision-language-research/datasets/flickr30k_test.json; images by "
            "request at https://shannon.cs.illinois.edu/DenotationGraph/",
        ),
        Benchmark(
            "valse",
            "valse/data/*.json and valse/images/{visual7w,val2017,swig,train2014,val2014,VisualDialog_val2018}/",
            "https://github.com/Heidelberg-NLP/VALSE (data/ and the image sources its README lists)",
        ),
        Benchmark(
            "winoground",
            "winoground/examples.jsonl and winoground/images/",
            "https://huggingface.co/datasets/facebook/winoground (data/examples.jsonl and data/images.zip; gated)",
            image_only=True,
        ),
        Benchmark(
            "zeroshot",
            "zeroshot/<dataset> in torchvision's extracted layouts",
            "the torchvision dataset pages (CIFAR-10/100, Food-101, Oxford-IIIT Pet, Flowers-102, SUN397, Stanford "
            "Cars, DTD, Caltech-101, FGVC-Aircraft) and https://image-net.org (ILSVRC2012 val)",
            image_only=True,
        ),
        Benchmark(
            "retrieval",
            "coco/coco_karpathy_test.json + coco/val2014/ and/or flickr30k/flickr30k_test.json + flickr30k-images/",
            "as for coco_order and flickr30k_order",
            image_only=True,
        ),
    )
}
