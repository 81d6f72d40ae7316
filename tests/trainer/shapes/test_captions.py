"""Captions are true to their scene graphs: hand-written scenes and captions, and the sampled grammar."""

from __future__ import annotations

import random

import pytest

from tests.trainer.shapes.grammar import parse
from trainer.shapes.captions import (
    COLUMNS,
    NP,
    ROWS,
    Absent,
    At,
    Caption,
    Count,
    Exists,
    Rel,
    exchange_nps,
    is_true,
    mentions_heldout,
    place_of,
    sample_caption,
    sample_captions,
)
from trainer.shapes.config import WorldConfig
from trainer.shapes.world import Heldout, Obj, Scene, make_heldout, sample_scene

# Hand-made scene on a 3x3 grid of 64 px: a small red circle top-left, a large blue square top-right,
# a small green star bottom-left.
RED_CIRCLE = Obj("circle", "red", "small", 0, 0, 10.7, 10.7, 5.12)
BLUE_SQUARE = Obj("square", "blue", "large", 0, 2, 53.3, 10.7, 8.1)
GREEN_STAR = Obj("star", "green", "small", 2, 0, 10.7, 53.3, 5.12)
SCENE = Scene((RED_CIRCLE, BLUE_SQUARE, GREEN_STAR), 64)

red_circle = NP("circle", "red", "small")
blue_square = NP("square", "blue", "large")
green_star = NP("star", "green", "small")

HAND_WRITTEN = [
    (Caption((Rel(red_circle, "left of", blue_square),)), "a small red circle left of a large blue square", True),
    (Caption((Rel(blue_square, "right of", red_circle),)), "a large blue square right of a small red circle", True),
    (
        Caption((Rel(red_circle, "above", green_star, copula=True),)),
        "a small red circle is above a small green star",
        True,
    ),
    (
        Caption((Exists(red_circle), Exists(blue_square), Exists(green_star)), "there is"),
        "there is a small red circle, a large blue square and a small green star",
        True,
    ),
    (Caption((Exists(NP("circle", "red")),), "a picture of"), "a picture of a red circle", True),
    (Caption((Absent(NP("star", "red")),)), "there is no red star", True),
    (Caption((Count("circle", 1),)), "there is one circle", True),
    (Caption((Count("star", 2),)), "there are two stars", False),
    # false ones: wrong direction, wrong attribute, wrong object, a relation that holds for neither pair
    (Caption((Rel(blue_square, "left of", red_circle),)), "a large blue square left of a small red circle", False),
    (Caption((Exists(NP("circle", "red", "large")),)), "a large red circle", False),
    (Caption((Exists(NP("circle", "blue")),), "there is"), "there is a blue circle", False),
    (Caption((Rel(blue_square, "below", green_star),)), "a large blue square below a small green star", False),
    (Caption((Rel(red_circle, "above", blue_square),)), "a small red circle above a large blue square", False),
    (Caption((Absent(NP("star", "green")),)), "there is no green star", False),
    (Caption((At(red_circle, "top left"),)), "a small red circle in the top left", True),
    (
        Caption((At(blue_square, "top right"), At(green_star, "bottom left")), "there is"),
        "there is a large blue square in the top right and a small green star in the bottom left",
        True,
    ),
    (Caption((At(red_circle, "top right"),)), "a small red circle in the top right", False),
    (Caption((At(NP("star", "green"), "middle left"),)), "a green star in the middle left", False),
    (
        Caption((Rel(red_circle, "left of", blue_square), Rel(green_star, "below", NP("circle", "red", det="the")))),
        "a small red circle left of a large blue square and a small green star below the red circle",
        True,
    ),
]


@pytest.mark.parametrize(("caption", "text", "truth"), HAND_WRITTEN, ids=[t for _, t, _ in HAND_WRITTEN])
def test_hand_written_captions(caption: Caption, text: str, truth: bool) -> None:
    assert caption.text() == text
    assert is_true(caption, SCENE) is truth
    assert parse(text) == caption
    assert Caption.from_dict(caption.to_dict()) == caption


def test_diagonal_pair_holds_both_relations_level_pair_neither() -> None:
    assert is_true(Caption((Rel(blue_square, "above", green_star),)), SCENE)
    assert is_true(Caption((Rel(blue_square, "right of", green_star),)), SCENE)
    for rel in ("above", "below"):  # same row: level, so neither
        assert not is_true(Caption((Rel(red_circle, rel, blue_square),)), SCENE)


def _scenes(n: int = 400) -> list[Scene]:
    config = WorldConfig(n_train=n)
    heldout = make_heldout(config)
    return [sample_scene(config, heldout, "train", i) for i in range(n)]


def test_sampled_captions_are_true_complete_and_read_back() -> None:
    for i, scene in enumerate(_scenes()):
        for caption in sample_captions(scene, random.Random(i), 3):
            assert is_true(caption, scene), caption.text()
            assert parse(caption.text()) == caption
            nps = caption.nps()
            assert all(np.colour and np.size for np in nps)
            described = {o for o in scene.objects for np in nps if np.describes(o)}
            assert described == set(scene.objects), caption.text()


def test_incomplete_switch_drops_exactly_one_object() -> None:
    for i, scene in enumerate(_scenes(200)):
        caption = sample_caption(scene, random.Random(i), p_incomplete=1.0)
        assert is_true(caption, scene)
        described = {o for o in scene.objects for np in caption.nps() if np.describes(o)}
        assert len(described) == max(1, len(scene.objects) - 1)


def test_surface_forms_vary_order_and_paraphrase() -> None:
    texts = [c.text() for i, s in enumerate(_scenes()) for c in sample_captions(s, random.Random(i), 2)]
    for marker in (" left of ", " right of ", " above ", " below ", " is ", "there is ", "a picture of ", ", "):
        assert any(marker in t for t in texts), marker
    assert any(t.count(" and ") == 0 and " of " in t for t in texts)
    # mention order: the first-mentioned object is not always the same one of a two-object scene
    firsts = set()
    scene = next(s for s in _scenes() if len(s.objects) == 2)
    for seed in range(30):
        firsts.add(sample_caption(scene, random.Random(seed)).nps()[0].shape)
    assert len(firsts) == 2


def test_mentions_heldout() -> None:
    heldout = Heldout(frozenset({("red", "circle")}), frozenset({("square", "left of", "star")}))
    assert mentions_heldout(Caption((Exists(red_circle),)), heldout)
    assert not mentions_heldout(Caption((Exists(blue_square),)), heldout)
    assert mentions_heldout(Caption((Rel(green_star, "right of", blue_square),)), heldout)  # the same fact
    assert not mentions_heldout(Caption((Rel(green_star, "left of", blue_square),)), heldout)


# sample_captions(train scene 7 of WorldConfig(n_train=400), Random(7), 3) as the code before p_where drew it.
PRE_WHERE_CAPTIONS = [
    "a large white diamond is right of a small blue heart",
    "a large white diamond and a small blue heart",
    "there is a small blue heart and a large white diamond",
]


def test_place_of_cuts_the_image_in_thirds_at_their_boundaries() -> None:
    def at(x: float, y: float) -> str:
        return place_of(Obj("circle", "red", "small", 0, 0, x, y, 1.0), 60)

    assert at(19.99, 0) == "top left" and at(20.0, 0) == "top centre"  # a third of 60 is 20
    assert at(39.99, 39.99) == "middle centre" and at(40.0, 40.0) == "bottom right"
    assert at(60.0, 60.0) == "bottom right" and at(-1.0, 59.0) == "bottom left"  # clamped at the edges
    # On the default 3 x 3 grid an object's third is its cell, whatever its jitter.
    for scene in _scenes(200):
        for o in scene.objects:
            row, col = place_of(o, scene.size).split()
            assert (ROWS.index(row), COLUMNS.index(col)) == (o.row, o.col)


def test_where_switch_says_where_every_object_is() -> None:
    scenes = _scenes(200)
    for i, scene in enumerate(scenes):
        caption = sample_caption(scene, random.Random(i), p_where=1.0)
        assert all(isinstance(c, At) for c in caption.clauses) and is_true(caption, scene), caption.text()
        assert {o for o in scene.objects for np in caption.nps() if np.describes(o)} == set(scene.objects)
        assert parse(caption.text()) == caption
        if len(scene.objects) > 1:  # two objects' places exchanged: false of the scene, as a twin's should be
            a, b = scene.objects[:2]
            assert not is_true(exchange_nps(caption, a, b), scene)
    mixed = [sample_caption(s, random.Random(i), p_where=0.5) for i, s in enumerate(scenes)]
    assert 60 <= sum(isinstance(c.clauses[0], At) for c in mixed) <= 140
    # Off, the sampler draws exactly as before the switch existed, so worlds built then are rebuilt the same.
    assert [c.text() for c in sample_captions(scenes[7], random.Random(7), 3)] == PRE_WHERE_CAPTIONS
