"""Oracle hard negatives: structured edits of a true caption, kept only when false against the scene graph.

Edits are the neggen types (reshuffle, swap_nouns, swap_adjectives, replace_adjectives, replace_nouns) and the
SugarCrepe kinds (replace_obj/att/rel, swap_obj/att; the add kinds, which need length balancing, are built in
evalsets.py). Every candidate returned differs from the positive's text and is false in the scene.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import replace
from itertools import combinations

from neggen.text.words import comparison_key
from neggen.types import NegType
from trainer.shapes.captions import NP, Caption, Rel, is_true, mentions_heldout
from trainer.shapes.config import RELATIONS, WorldConfig
from trainer.shapes.world import Heldout, Scene

Edit = Callable[[Caption, WorldConfig], Iterable[Caption]]


def _with(caption: Caption, changes: dict[int, NP]) -> Caption:
    nps = caption.nps()
    return caption.with_nps([changes.get(i, np) for i, np in enumerate(nps)])


def _swap_field(name: str) -> Edit:
    def edit(caption: Caption, config: WorldConfig) -> Iterable[Caption]:
        nps = caption.nps()
        for i, j in combinations(range(len(nps)), 2):
            u, v = getattr(nps[i], name), getattr(nps[j], name)
            if u is not None and v is not None and u != v:
                yield _with(caption, {i: replace(nps[i], **{name: v}), j: replace(nps[j], **{name: u})})

    return edit


def _replace_field(name: str, vocabulary: str) -> Edit:
    def edit(caption: Caption, config: WorldConfig) -> Iterable[Caption]:
        for i, np in enumerate(caption.nps()):
            old = getattr(np, name)
            if old is None:
                continue
            for new in getattr(config, vocabulary):
                if new != old:
                    yield _with(caption, {i: replace(np, **{name: new})})

    return edit


swap_shapes = _swap_field("shape")
swap_colours = _swap_field("colour")
swap_sizes = _swap_field("size")
replace_shape = _replace_field("shape", "shapes")
replace_colour = _replace_field("colour", "colours")
replace_size = _replace_field("size", "sizes")


def replace_relation(caption: Caption, config: WorldConfig) -> Iterable[Caption]:
    for k, clause in enumerate(caption.clauses):
        if isinstance(clause, Rel):
            for rel in RELATIONS:
                if rel != clause.rel:
                    clauses = list(caption.clauses)
                    clauses[k] = replace(clause, rel=rel)
                    yield replace(caption, clauses=tuple(clauses))


def exchange_arguments(caption: Caption, config: WorldConfig) -> Iterable[Caption]:
    """ "A left of B" -> "B left of A": the same words in another order (articles stay in place)."""
    for k, clause in enumerate(caption.clauses):
        if isinstance(clause, Rel):
            clauses = list(caption.clauses)
            clauses[k] = replace(clause, a=replace(clause.b, det=clause.a.det), b=replace(clause.a, det=clause.b.det))
            yield replace(caption, clauses=tuple(clauses))


def rotate_attributes(caption: Caption, config: WorldConfig) -> Iterable[Caption]:
    """Colours (and sizes) passed round the noun phrases: a permutation of the caption's words."""
    nps = caption.nps()
    if len(nps) < 2:
        return
    for shift in range(1, len(nps)):
        for fields in (("colour",), ("colour", "size")):
            moved = [
                replace(np, **{f: getattr(nps[(i + shift) % len(nps)], f) for f in fields}) for i, np in enumerate(nps)
            ]
            if all((m.colour is None) == (n.colour is None) for m, n in zip(moved, nps, strict=True)):
                yield caption.with_nps(moved)


def _chain(*edits: Edit) -> Edit:
    def edit(caption: Caption, config: WorldConfig) -> Iterable[Caption]:
        for e in edits:
            yield from e(caption, config)

    return edit


# The neggen types, as the oracle writes them for training.
ORACLE_EDITS: dict[NegType, Edit] = {
    NegType.reshuffle: _chain(exchange_arguments, rotate_attributes),
    NegType.swap_nouns: swap_shapes,
    NegType.swap_adjectives: _chain(swap_colours, swap_sizes),
    NegType.replace_adjectives: _chain(replace_colour, replace_size),
    NegType.replace_nouns: replace_shape,
}

# SugarCrepe's replace and swap subsets, for evaluation.
SUGARCREPE_EDITS: dict[str, Edit] = {
    "replace_obj": replace_shape,
    "replace_att": _chain(replace_colour, replace_size),
    "replace_rel": replace_relation,
    "swap_obj": swap_shapes,
    "swap_att": _chain(swap_colours, swap_sizes),
}


def false_variants(
    caption: Caption,
    scene: Scene,
    edit: Edit,
    config: WorldConfig,
    avoid: Heldout | None = None,
) -> list[Caption]:
    """The distinct edits of caption that are false in scene (and, with avoid, name no held-out item)."""
    seen = {comparison_key(caption.text())}
    out = []
    for candidate in edit(caption, config):
        key = comparison_key(candidate.text())
        if key in seen:
            continue
        seen.add(key)
        if is_true(candidate, scene) or (avoid is not None and mentions_heldout(candidate, avoid)):
            continue
        out.append(candidate)
    return out


def pick(rng: random.Random, candidates: list[Caption], k: int = 1) -> list[Caption]:
    return rng.sample(candidates, min(k, len(candidates)))
