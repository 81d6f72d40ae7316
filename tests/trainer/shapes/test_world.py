"""Scene sampling: the held-out split, unambiguous geometry, rendering without overlap, determinism."""

from __future__ import annotations

from itertools import combinations

import numpy as np

from trainer.shapes.config import WorldConfig
from trainer.shapes.render import object_masks, png_bytes, render
from trainer.shapes.world import JITTER, holds, make_heldout, sample_scene, scene_triples

CONFIG = WorldConfig(n_train=500)
HELDOUT = make_heldout(CONFIG)


def test_heldout_definition_covers_every_colour_and_shape() -> None:
    assert len(HELDOUT.pairs) == CONFIG.heldout_pairs
    assert {c for c, _ in HELDOUT.pairs} == set(CONFIG.colours)
    assert {s for _, s in HELDOUT.pairs} == set(CONFIG.shapes)
    assert len(HELDOUT.triples) == CONFIG.heldout_triples
    assert all(rel in ("left of", "above") and a != b for a, rel, b in HELDOUT.triples)


def test_heldout_items_never_in_train_always_in_heldout() -> None:
    train = [sample_scene(CONFIG, HELDOUT, "train", i) for i in range(800)]
    in_dist = [sample_scene(CONFIG, HELDOUT, "in_distribution", i) for i in range(300)]
    held = [sample_scene(CONFIG, HELDOUT, "heldout", i) for i in range(300)]
    for scene in train + in_dist:
        assert not {o.pair for o in scene.objects} & HELDOUT.pairs
        assert not scene_triples(scene) & HELDOUT.triples
    for scene in held:
        assert {o.pair for o in scene.objects} & HELDOUT.pairs or scene_triples(scene) & HELDOUT.triples
    # both kinds of held-out item actually occur in the heldout split
    assert any({o.pair for o in s.objects} & HELDOUT.pairs for s in held)
    assert any(scene_triples(s) & HELDOUT.triples for s in held)
    # and the object-count distribution is not skewed by the rejection sampling
    for scenes in (train, held):
        counts = [sum(len(s.objects) == k for s in scenes) / len(scenes) for k in (1, 2, 3)]
        assert all(abs(c - 1 / 3) < 0.08 for c in counts), counts


def test_relations_are_never_borderline() -> None:
    """Per axis, two objects are either strictly apart or level (centres within the jitter)."""
    side = CONFIG.image_size / CONFIG.grid
    for i in range(500):
        scene = sample_scene(CONFIG, HELDOUT, "train", i)
        assert len({(o.row, o.col) for o in scene.objects}) == len(scene.objects)
        assert len({o.pair for o in scene.objects}) == len(scene.objects)
        for a, b in combinations(scene.objects, 2):
            apart_x = holds("left of", a, b) or holds("right of", a, b)
            apart_y = holds("above", a, b) or holds("below", a, b)
            assert apart_x or abs(a.x - b.x) <= 2 * JITTER * side + 1e-6
            assert apart_y or abs(a.y - b.y) <= 2 * JITTER * side + 1e-6
            assert apart_x or apart_y


def test_rendered_objects_never_overlap_and_are_all_visible() -> None:
    for i in range(300):
        scene = sample_scene(CONFIG, HELDOUT, "train", i)
        masks = [np.array(m, dtype=bool) for m in object_masks(scene)]
        for m, obj in zip(masks, scene.objects, strict=True):
            assert m.sum() >= 20, obj  # a visible shape, even small
            ys, xs = np.nonzero(m)
            assert ((xs + 0.5 - obj.x) ** 2 + (ys + 0.5 - obj.y) ** 2).max() ** 0.5 <= obj.r + 1.5
        for a, b in combinations(masks, 2):
            assert not (a & b).any()
        image = np.array(render(scene))
        painted = (image != 0).any(axis=2)
        assert (painted == np.logical_or.reduce(masks)).all()


def test_sampling_and_rendering_are_deterministic() -> None:
    a = [png_bytes(render(sample_scene(CONFIG, HELDOUT, "train", i))) for i in range(20)]
    b = [png_bytes(render(sample_scene(CONFIG, HELDOUT, "train", i))) for i in range(20)]
    assert a == b
    other = WorldConfig(seed=1)
    c = [png_bytes(render(sample_scene(other, make_heldout(other), "train", i))) for i in range(20)]
    assert a != c
    assert make_heldout(other) != HELDOUT
