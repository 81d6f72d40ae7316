"""The fine-tuning slice: only the slice's shapes and colours, two objects, the terse style, true captions,
oracle negatives false and within the slice, and zero-shot sets for what lies outside it."""

from __future__ import annotations

import json
import random
from pathlib import Path

import polars as pl
import pytest

from tests.trainer.shapes.conftest import load_scenes
from tests.trainer.shapes.grammar import parse
from trainer.shapes.captions import is_true, mentions_heldout
from trainer.shapes.config import COLOURS, SHAPES, WorldConfig
from trainer.shapes.finetune import outside_pairs, terse_caption
from trainer.shapes.world import Heldout, make_heldout, sample_scene


def _heldout(world: Path) -> Heldout:
    data = json.loads((world / "world.json").read_text())["heldout"]
    return Heldout(frozenset(map(tuple, data["pairs"])), frozenset(map(tuple, data["triples"])))


def test_slice_scenes_and_captions(world: Path, small_config: WorldConfig) -> None:
    part = small_config.finetune
    scenes = load_scenes(world, "finetune")
    assert len(scenes) == part.n_images == small_config.n_finetune
    for scene in scenes.values():
        assert len(scene.objects) == 2
        assert {o.shape for o in scene.objects} <= set(part.shapes)
        assert {o.colour for o in scene.objects} <= set(part.colours)
        assert not _heldout(world).in_scene(scene)
    rows = [json.loads(line) for line in (world / "captions_finetune.jsonl").read_text().splitlines()]
    assert len(rows) == part.captions_per_image * len(scenes)
    for row in rows:
        caption = row["caption"]
        words = caption.split()
        # terse: no article, no size, no prefix; one relation between two "colour shape" phrases
        assert not {"a", "the", "small", "large", "there", "is", "picture", "image"} & set(words), caption
        assert words[0] in part.colours and words[1] in part.shapes and words[-2] in part.colours
        assert is_true(parse(caption), scenes[Path(row["image_path"]).name]), caption


def test_slice_oracle_negatives_are_false_and_stay_in_the_slice(world: Path, small_config: WorldConfig) -> None:
    part = small_config.finetune
    scenes = load_scenes(world, "finetune")
    frame = pl.read_parquet(world / "oracle_finetune" / "negatives" / "**" / "*.parquet")
    assert {"reshuffle", "swap_adjectives", "replace_adjectives", "replace_nouns"} <= set(frame["neg_type"])
    outside = (set(SHAPES) - set(part.shapes)) | (set(COLOURS) - set(part.colours))
    for row in frame.iter_rows(named=True):
        scene = scenes[Path(row["image_path"]).name]
        assert is_true(parse(row["caption"]), scene) and not is_true(parse(row["negative"]), scene), row
        assert not outside & set(row["negative"].split()), row["negative"]
        assert not mentions_heldout(parse(row["negative"]), _heldout(world))


def test_outside_zeroshot_sets_hold_only_classes_the_slice_never_shows(world: Path, small_config) -> None:
    part = small_config.finetune
    zs = world / "eval" / "in_distribution" / "zeroshot"
    names = json.loads((zs / "clip_benchmark" / "en_classnames.json").read_text())
    pairs = [tuple(n.split()) for n in names["shapes_object_outside"]]
    assert pairs and pairs == [p for p in map(tuple, (n.split() for n in names["shapes_object"])) if p in pairs]
    assert all(c not in part.colours and s not in part.shapes for c, s in pairs)
    assert len(pairs) == len(outside_pairs(small_config, [tuple(n.split()) for n in names["shapes_object"]]))
    assert set(names["shapes_shape_outside"]) == set(SHAPES) - set(part.shapes)
    assert set(names["shapes_colour_outside"]) == set(COLOURS) - set(part.colours)
    for colour in names["shapes_colour_outside"]:
        files = list((zs / "shapes_colour_outside" / "test" / colour).glob("*.png"))
        assert files and all(f.name.split("_")[1] not in part.shapes for f in files)
    held = json.loads((world / "eval" / "heldout" / "zeroshot" / "clip_benchmark" / "en_classnames.json").read_text())
    assert not any(n.endswith("_outside") for n in held)


def test_terse_captions_are_true_and_use_both_directions() -> None:
    config = WorldConfig(n_train=10)
    heldout = make_heldout(config)
    texts = set()
    for i in range(200):
        scene = sample_scene(config, heldout, "train", i, n_objects=2)
        caption = terse_caption(scene, random.Random(i))
        assert is_true(caption, scene)
        texts.add(caption.text().split()[2])
    assert texts == {"left", "right", "above", "below"}


def test_slice_size_follows_the_world_unless_set() -> None:
    assert WorldConfig(n_train=2_000).n_finetune == 500
    assert WorldConfig(n_train=2_000, finetune={"n_images": 70}).n_finetune == 70


def test_a_slice_covering_the_world_is_refused() -> None:
    with pytest.raises(ValueError, match="outside"):
        WorldConfig(finetune={"shapes": list(SHAPES), "colours": list(COLOURS[:2])})
    with pytest.raises(ValueError, match="not in the world"):
        WorldConfig(finetune={"shapes": ["circle", "cube"]})
