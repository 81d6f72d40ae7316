"""The fine-tuning slice: two-object scenes over a subset of shapes and colours, captioned in a terse style of
their own ("red circle left of blue square"), so fine-tuning shifts the model away from its pretraining world
as COCO fine-tuning shifts CLIP away from web data.
"""

from __future__ import annotations

import random

from trainer.shapes.captions import NP, Caption, Rel
from trainer.shapes.config import WorldConfig
from trainer.shapes.world import Obj, Scene, true_relations

SPLIT = "finetune"


def slice_config(config: WorldConfig) -> WorldConfig:
    """The world's settings restricted to the slice: its scenes are sampled, and its oracle negatives edited,
    within the slice's vocabulary (a COCO negative names COCO objects)."""
    part = config.finetune
    return config.model_copy(
        update={"shapes": list(part.shapes), "colours": list(part.colours), "min_objects": 2, "max_objects": 2}
    )


def in_slice(config: WorldConfig, colour: str, shape: str) -> bool:
    return colour in config.finetune.colours or shape in config.finetune.shapes


def outside_pairs(config: WorldConfig, pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The (colour, shape) pairs whose colour and shape both never occur in the fine-tuning set."""
    return [(c, s) for c, s in pairs if not in_slice(config, c, s)]


def _terse(obj: Obj) -> NP:
    return NP(obj.shape, obj.colour, None, "")


def terse_caption(scene: Scene, rng: random.Random) -> Caption:
    """ "red circle left of blue square": one true relation, no article, size or prefix."""
    a, b = rng.sample(list(scene.objects), 2)
    return Caption((Rel(_terse(a), rng.choice(true_relations(a, b)), _terse(b)),))


def terse_captions(scene: Scene, rng: random.Random, k: int) -> list[Caption]:
    """Up to k captions with distinct texts."""
    out: dict[str, Caption] = {}
    for _ in range(20 * k):
        caption = terse_caption(scene, rng)
        out.setdefault(caption.text(), caption)
        if len(out) == k:
            break
    return list(out.values())
