"""Zero-shot classification sets in the torchvision ImageFolder layout, with CLIP_benchmark-style class names.

Three datasets over the same single-object images: `shapes_object` ("red circle"), `shapes_shape` ("circle")
and `shapes_colour` ("red"). In the in_distribution version the object classes are the training pairs; in the
heldout version they are the held-out pairs (which cover every colour and shape, so no class folder is empty).
Class folders use "_" for spaces; the class-name lists follow the sorted folder order, as ImageFolder does.

The same three datasets again with the suffix `_outside` hold only the objects whose colour and shape are both
outside the fine-tuning slice (trainer/shapes/finetune.py), classified among those classes: zero-shot retention
is measured there, on what fine-tuning never shows. Only the in_distribution version has them (the held-out
pairs outside the slice are one or two classes).
"""

from __future__ import annotations

import random

from trainer.shapes.config import WorldConfig
from trainer.shapes.finetune import outside_pairs
from trainer.shapes.world import Heldout, Scene, place

SPLIT = "test"
DATASETS = ("shapes_object", "shapes_shape", "shapes_colour")
OUTSIDE = "_outside"
TEMPLATES = {
    "shapes_object": ["a {c}.", "a picture of a {c}.", "there is a {c}.", "an image of a {c}."],
    "shapes_shape": ["a {c}.", "a picture of a {c}.", "there is a {c}.", "an image of a {c}."],
    "shapes_colour": ["a {c} shape.", "something {c}.", "a picture of something {c}."],
}


def object_classes(config: WorldConfig, heldout: Heldout, version: str) -> list[tuple[str, str]]:
    pairs = [(c, s) for c in config.colours for s in config.shapes]
    if version == "heldout":
        return [p for p in pairs if p in heldout.pairs]
    return [p for p in pairs if p not in heldout.pairs]


def zeroshot_images(config: WorldConfig, heldout: Heldout, version: str) -> list[tuple[Scene, list[str]]]:
    """(single-object scene, relative paths it is written to) for every image of the three datasets."""
    out = []
    for colour, shape in object_classes(config, heldout, version):
        for j in range(config.zeroshot_per_class):
            rng = random.Random(f"{config.seed}/{version}/zeroshot/{colour}/{shape}/{j}")
            cell = rng.randrange(config.grid * config.grid)
            obj = place(rng, config, shape, colour, rng.choice(config.sizes), cell // config.grid, cell % config.grid)
            file = f"{colour}_{shape}_{j:04d}.png"
            outside = version != "heldout" and outside_pairs(config, [(colour, shape)])
            suffixes = ["", *([OUTSIDE] if outside else [])]
            paths = [
                f"{dataset}{suffix}/{SPLIT}/{folder}/{file}"
                for suffix in suffixes
                for dataset, folder in zip(DATASETS, (f"{colour}_{shape}", shape, colour), strict=True)
            ]
            out.append((Scene((obj,), config.image_size), paths))
    return out


def _names(pairs: list[tuple[str, str]]) -> list[list[str]]:
    return [
        [name.replace("_", " ") for name in sorted(f"{c}_{s}" for c, s in pairs)],
        sorted({s for _, s in pairs}),
        sorted({c for c, _ in pairs}),
    ]


def classnames(config: WorldConfig, heldout: Heldout, version: str) -> dict[str, list[str]]:
    pairs = object_classes(config, heldout, version)
    out = dict(zip(DATASETS, _names(pairs), strict=True))
    outside = outside_pairs(config, pairs) if version != "heldout" else []
    if outside:
        out |= dict(zip((d + OUTSIDE for d in DATASETS), _names(outside), strict=True))
    return out


def templates_for(names: dict[str, list[str]]) -> dict[str, list[str]]:
    """The templates of every dataset named (an `_outside` set uses its parent's)."""
    return {name: TEMPLATES[name.removesuffix(OUTSIDE)] for name in names}
