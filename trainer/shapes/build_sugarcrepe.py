"""SugarCrepe-style items on shapes scenes: the 7 subsets, each negative false against the scene graph.

The add subsets are length-balanced: in real SugarCrepe the added word or object makes the negative longer, so
"the shorter caption wins" scores ~99%. Here half the items have the longer caption on the positive side
(the positive names every object with all attributes; the negative names fewer, or fewer attributes, plus the
false addition), so that blind rule scores ~50%.
"""

from __future__ import annotations

import random
from dataclasses import replace

from trainer.shapes.captions import NP, PREFIXES, Caption, Exists, Rel, is_true, mentions_heldout, sample_caption
from trainer.shapes.config import WorldConfig
from trainer.shapes.negatives import SUGARCREPE_EDITS, false_variants
from trainer.shapes.world import Heldout, Obj, Scene, true_relations

SUBSETS = ("add_att", "add_obj", "replace_att", "replace_obj", "replace_rel", "swap_att", "swap_obj")
Item = tuple[Caption, Caption]  # (positive, negative)


def _np(obj: Obj, colour: bool = True, size: bool = True) -> NP:
    return NP(obj.shape, obj.colour if colour else None, obj.size if size else None)


def _edit_item(
    subset: str, scene: Scene, rng: random.Random, config: WorldConfig, avoid: Heldout | None
) -> Item | None:
    for _ in range(10):
        positive = sample_caption(scene, rng)
        if subset == "replace_rel" and not any(isinstance(c, Rel) for c in positive.clauses):
            continue
        negatives = false_variants(positive, scene, SUGARCREPE_EDITS[subset], config, avoid)
        if negatives:
            return positive, rng.choice(negatives)
    return None


def _absent_object(scene: Scene, rng: random.Random, config: WorldConfig, avoid: Heldout | None) -> Obj | None:
    """An object description (colour, shape, size) that fits nothing in the scene, even without its size."""
    for _ in range(100):
        colour, shape = rng.choice(config.colours), rng.choice(config.shapes)
        if any(o.pair == (colour, shape) for o in scene.objects):
            continue
        if avoid is not None and (colour, shape) in avoid.pairs:
            continue
        return Obj(shape, colour, rng.choice(config.sizes), 0, 0, 0.0, 0.0, 0.0)
    return None


def _add_obj(scene: Scene, rng: random.Random, config: WorldConfig, avoid: Heldout | None) -> Item | None:
    objs = list(scene.objects)
    rng.shuffle(objs)
    extra = _absent_object(scene, rng, config, avoid)
    if extra is None:
        return None
    prefix = rng.choice(PREFIXES)
    if len(objs) >= 2 and rng.random() < 0.5:  # positive longer: all objects in full vs fewer, shorter ones
        positive = [Exists(_np(o)) for o in objs]
        negative = [Exists(_np(o, size=False)) for o in objs[:-1]]
        added = Exists(_np(extra, size=False))
    else:  # negative longer: a subset, and the same subset plus one absent object
        positive = [Exists(_np(o)) for o in objs[: rng.randint(1, len(objs))]]
        negative = list(positive)
        added = Exists(_np(extra))
    negative.insert(rng.randint(0, len(negative)), added)
    return Caption(tuple(positive), prefix), Caption(tuple(negative), prefix)


def _described(objs: list[Obj], nps: list[NP], rng: random.Random, use_relation: bool) -> Caption:
    if use_relation:
        first = Rel(nps[0], rng.choice(true_relations(objs[0], objs[1])), nps[1])
        return Caption((first, *(Exists(np) for np in nps[2:])))
    return Caption(tuple(Exists(np) for np in nps), rng.choice(PREFIXES))


def _add_att(scene: Scene, rng: random.Random, config: WorldConfig, avoid: Heldout | None) -> Item | None:
    objs = list(scene.objects)
    rng.shuffle(objs)
    field = rng.choice(["size", "colour"])  # the attribute the negative adds, wrongly
    target = rng.randrange(len(objs))
    options = [v for v in (config.sizes if field == "size" else config.colours) if v != getattr(objs[target], field)]
    wrong = rng.choice(options)
    use_relation = len(objs) >= 2 and rng.random() < 0.5
    seed = rng.random()  # the same relation and prefix on both sides
    bare = [_np(o, colour=field != "colour", size=field != "size") for o in objs]
    negative_nps = list(bare)
    negative_nps[target] = replace(bare[target], **{field: wrong})
    if len(objs) >= 2 and rng.random() < 0.5:  # positive longer: every object with its true attribute
        positive_nps = [_np(o) for o in objs]
    else:
        positive_nps = bare
    positive = _described(objs, positive_nps, random.Random(seed), use_relation)
    negative = _described(objs, negative_nps, random.Random(seed), use_relation)
    return positive, negative


def _length(caption: Caption) -> int:
    return len(caption.text().split())


def _balanced_add(items: list[tuple[str, Item]]) -> list[tuple[str, Item]]:
    """As many items with the longer positive as with the longer negative (ties dropped), in input order."""
    pos_longer = [i for i, (_, (p, n)) in enumerate(items) if _length(p) > _length(n)]
    neg_longer = [i for i, (_, (p, n)) in enumerate(items) if _length(p) < _length(n)]
    m = min(len(pos_longer), len(neg_longer))
    keep = set(pos_longer[:m]) | set(neg_longer[:m])
    return [item for i, item in enumerate(items) if i in keep]


def sugarcrepe_sets(
    scenes: list[tuple[str, Scene]], config: WorldConfig, heldout: Heldout, version: str
) -> dict[str, dict[str, dict[str, str]]]:
    """subset -> {"<index>": {filename, caption, negative_caption}}, at most one item per image and subset.
    In the in_distribution version no caption mentions a held-out pair or triple."""
    avoid = heldout if version == "in_distribution" else None
    out = {}
    for subset in SUBSETS:
        items: list[tuple[str, Item]] = []
        for index, (name, scene) in enumerate(scenes):
            rng = random.Random(f"{config.seed}/{version}/{index}/sugarcrepe/{subset}")
            if subset == "add_obj":
                item = _add_obj(scene, rng, config, avoid)
            elif subset == "add_att":
                item = _add_att(scene, rng, config, avoid)
            else:
                item = _edit_item(subset, scene, rng, config, avoid)
            if item is None:
                continue
            positive, negative = item
            if not is_true(positive, scene) or is_true(negative, scene):
                continue  # e.g. the "wrong" colour happens to fit another object of that shape
            if avoid is not None and (mentions_heldout(positive, avoid) or mentions_heldout(negative, avoid)):
                continue
            items.append((name, item))
        if subset.startswith("add"):
            items = _balanced_add(items)
        out[subset] = {
            str(i): {"filename": name, "caption": p.text(), "negative_caption": n.text()}
            for i, (name, (p, n)) in enumerate(items)
        }
    return out
