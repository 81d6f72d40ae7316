"""ARO (VG-Relation, VG-Attribution), VALSE-style foils and a Karpathy-style caption file on shapes scenes.

Each returns plain JSON-ready structures in the official on-disk shapes (docs/evaluation.md); image references are
file names under the version's image root. Every false caption / foil is checked false against the scene.
"""

from __future__ import annotations

import random
from itertools import permutations
from typing import Any

from trainer.shapes.captions import NP, Absent, Caption, Count, Exists, Rel, is_true, sample_caption, sample_captions
from trainer.shapes.config import WorldConfig
from trainer.shapes.negatives import exchange_arguments, false_variants, replace_relation, replace_shape
from trainer.shapes.world import Scene, true_relations

Scenes = list[tuple[str, Scene]]


def _the(colour: str, shape: str) -> NP:
    return NP(shape, colour, None, "the")


def _checked(true: Caption, false: Caption, scene: Scene) -> bool:
    return is_true(true, scene) and not is_true(false, scene)


def _aro_item(name: str, scene: Scene, true: Caption, false: Caption, **label: Any) -> dict[str, Any]:
    """An ARO record whose box is the whole image (ARO crops to the box; here there is nothing to crop)."""
    box = {"bbox_x": 0, "bbox_y": 0, "bbox_w": scene.size, "bbox_h": scene.size}
    return {"image_path": name, **box, **label, "true_caption": true.text(), "false_caption": false.text()}


def vg_relation(scenes: Scenes, config: WorldConfig) -> list[dict[str, Any]]:
    """One item per ordered pair of objects: "the red circle is left of the blue square" vs the arguments
    exchanged; relation_name is the relation. The box is the whole image."""
    items = []
    for index, (name, scene) in enumerate(scenes):
        rng = random.Random(f"{config.seed}/{name}/{index}/vg_relation")
        for a, b in permutations(scene.objects, 2):
            rel = rng.choice(true_relations(a, b))
            true = Caption((Rel(_the(a.colour, a.shape), rel, _the(b.colour, b.shape), copula=True),))
            false = Caption((Rel(_the(b.colour, b.shape), rel, _the(a.colour, a.shape), copula=True),))
            if not _checked(true, false, scene):
                continue
            items.append(_aro_item(name, scene, true, false, relation_name=rel))
    return items


def vg_attribution(scenes: Scenes, config: WorldConfig) -> list[dict[str, Any]]:
    """One item per ordered pair with different colours and shapes: "the red circle and the blue square" vs
    "the blue circle and the red square"; attributes = [colour of the first, colour of the second]."""
    items = []
    for name, scene in scenes:
        for a, b in permutations(scene.objects, 2):
            if a.colour == b.colour or a.shape == b.shape:
                continue
            true = Caption((Exists(_the(a.colour, a.shape)), Exists(_the(b.colour, b.shape))))
            false = Caption((Exists(_the(b.colour, a.shape)), Exists(_the(a.colour, b.shape))))
            if not _checked(true, false, scene):
                continue
            items.append(_aro_item(name, scene, true, false, attributes=[a.colour, b.colour]))
    return items


def _valse_item(name: str, index: int, caption: Caption, foil: Caption, phenomenon: str) -> dict[str, Any]:
    return {
        "dataset": "shapes",
        "dataset_idx": index,
        "image_file": name,
        "caption": caption.text(),
        "foil": foil.text(),
        "linguistic_phenomena": phenomenon,
        "mturk": {"caption": 3, "foil": 0, "other": 0},
    }


def _existence(scene: Scene, rng: random.Random, config: WorldConfig, index: int) -> tuple[Caption, Caption] | None:
    """Alternating by index: "there is a red circle" vs "there is no red circle", and the converse with an
    absent object, so the word "no" gives nothing away."""
    if index % 2 == 0:
        obj = rng.choice(scene.objects)
        np = NP(obj.shape, obj.colour)
        return Caption((Exists(np),), "there is"), Caption((Absent(np),))
    present = {o.pair for o in scene.objects}
    options = [(c, s) for c in config.colours for s in config.shapes if (c, s) not in present]
    colour, shape = rng.choice(options)
    np = NP(shape, colour)
    return Caption((Absent(np),)), Caption((Exists(np),), "there is")


def _counting(scene: Scene, rng: random.Random, config: WorldConfig, index: int) -> tuple[Caption, Caption] | None:
    shape = rng.choice(scene.objects).shape
    n = sum(o.shape == shape for o in scene.objects)
    wrong = rng.choice([k for k in range(1, config.max_objects + 1) if k != n] or [n + 1])
    return Caption((Count(shape, n),)), Caption((Count(shape, wrong),))


def _edited(edit):
    def build(scene: Scene, rng: random.Random, config: WorldConfig, index: int) -> tuple[Caption, Caption] | None:
        for _ in range(10):
            caption = sample_caption(scene, rng)
            foils = false_variants(caption, scene, edit, config)
            if foils:
                return caption, rng.choice(foils)
        return None

    return build


# VALSE file name -> (phenomenon, builder). Files of the real benchmark without a counterpart here
# (plurals, action-replacement, coreference-*, counting-small-quant, counting-adversarial) are not written.
VALSE_FILES = {
    "existence": ("existence", _existence),
    "counting-hard": ("counting", _counting),
    "relations": ("relations", _edited(replace_relation)),
    "actant-swap": ("actant swap", _edited(exchange_arguments)),
    "foil-it": ("noun phrases", _edited(replace_shape)),
}


def valse_sets(scenes: Scenes, config: WorldConfig) -> dict[str, dict[str, dict[str, Any]]]:
    """file stem -> {id: item}, one item per image where the phenomenon applies."""
    out = {}
    for stem, (phenomenon, build) in VALSE_FILES.items():
        items = {}
        for index, (name, scene) in enumerate(scenes):
            rng = random.Random(f"{config.seed}/{name}/{index}/valse/{stem}")
            pair = build(scene, rng, config, index)
            if pair is None or not _checked(*pair, scene):
                continue
            items[f"{stem}_{index}"] = _valse_item(name, index, pair[0], pair[1], phenomenon)
        out[stem] = items
    return out


def karpathy(scenes: Scenes, config: WorldConfig, per_image: int = 5) -> list[dict[str, Any]]:
    """[{image, caption: [distinct true captions]}]: for ARO COCO-Order-style tests and retrieval."""
    out = []
    for index, (name, scene) in enumerate(scenes):
        rng = random.Random(f"{config.seed}/{name}/{index}/karpathy")
        out.append({"image": name, "caption": [c.text() for c in sample_captions(scene, rng, per_image)]})
    return out
