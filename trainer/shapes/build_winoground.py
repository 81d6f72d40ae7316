"""Winoground-style 2x2 items: two captions with the same words in another order, two rendered images.

Image 1 is the counterfactual of image 0 (objects' positions, colours or shapes exchanged), so caption i is
true of image i and false of the other; all four facts are checked against the scene graphs.
"""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

from trainer.shapes.captions import NP, Caption, Rel, is_true, mentions_heldout
from trainer.shapes.config import WorldConfig
from trainer.shapes.world import Heldout, Scene, sample_scene, true_relations

KINDS = {"relation": "Relation", "colour": "Object", "shape": "Object"}


def _counterfactual(scene: Scene, kind: str) -> Scene:
    a, b = scene.objects
    if kind == "relation":
        moved = (
            replace(a, row=b.row, col=b.col, x=b.x, y=b.y),
            replace(b, row=a.row, col=a.col, x=a.x, y=a.y),
        )
    elif kind == "colour":
        moved = (replace(a, colour=b.colour), replace(b, colour=a.colour))
    else:
        moved = (replace(a, shape=b.shape), replace(b, shape=a.shape))
    return Scene(moved, scene.size)


def _captions(scene: Scene, kind: str, rng: random.Random) -> tuple[Caption, Caption]:
    a, b = scene.objects
    rel = rng.choice(true_relations(a, b))
    np_a, np_b = NP(a.shape, a.colour), NP(b.shape, b.colour)
    first = Caption((Rel(np_a, rel, np_b),))
    if kind == "relation":
        second = Rel(np_b, rel, np_a)
    elif kind == "colour":
        second = Rel(replace(np_a, colour=b.colour), rel, replace(np_b, colour=a.colour))
    else:
        second = Rel(replace(np_a, shape=b.shape), rel, replace(np_b, shape=a.shape))
    return first, Caption((second,))


def winoground_items(config: WorldConfig, heldout: Heldout, version: str) -> list[tuple[dict[str, Any], Scene, Scene]]:
    """(examples.jsonl row, scene of image_0, scene of image_1) per item; kinds cycle relation/colour/shape."""
    out = []
    attempt = 0
    kinds = list(KINDS)
    while len(out) < config.n_winoground:
        kind = kinds[len(out) % len(kinds)]
        attempt += 1
        split = f"{version}-winoground"
        scene = sample_scene(config, heldout, split, attempt, n_objects=2)
        rng = random.Random(f"{config.seed}/{split}/{attempt}/captions")
        other = _counterfactual(scene, kind)
        c0, c1 = _captions(scene, kind, rng)
        if not (is_true(c0, scene) and is_true(c1, other) and not is_true(c0, other) and not is_true(c1, scene)):
            continue
        if version == "in_distribution" and (
            heldout.in_scene(other) or mentions_heldout(c0, heldout) or mentions_heldout(c1, heldout)
        ):
            continue
        i = len(out)
        row = {
            "id": i,
            "image_0": f"ex_{i}_img_0",
            "image_1": f"ex_{i}_img_1",
            "caption_0": c0.text(),
            "caption_1": c1.text(),
            "tag": KINDS[kind],
            "secondary_tag": kind,
            "num_main_preds": 1,
            "collapsed_tag": KINDS[kind],
        }
        out.append((row, scene, other))
    return out
