"""Counterfactual twins: odd training images are the even one before with two objects exchanged, their captions
the base's with the two names exchanged (true of the twin, false of the base when they state a relation between
the two), and the trainer's samples alternate base/twin so keep_together = 2 puts twins in one batch."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trainer.config import DataSpec
from trainer.data import load_samples
from trainer.shapes.captions import Caption, exchange_nps, is_true
from trainer.shapes.config import WorldConfig
from trainer.shapes.world import Scene, exchange, exchanged_pair, make_heldout, sample_scene
from trainer.shapes.writers import make_world

from .conftest import SMALL

# Half the captions say where things are (p_where), so twin blocks hold both kinds that tell twins apart.
CONFIG = WorldConfig(**{**SMALL, "n_train": 101, "twins": True, "p_where": 0.5})
HELDOUT = make_heldout(CONFIG)


def test_odd_training_scenes_are_their_bases_with_two_objects_exchanged() -> None:
    twins = 0
    for index in range(1, CONFIG.n_train, 2):
        base = sample_scene(CONFIG, HELDOUT, "train", index - 1)
        scene = sample_scene(CONFIG, HELDOUT, "train", index)
        pair = exchanged_pair(base, scene)
        assert not HELDOUT.in_scene(scene)
        if len(base.objects) > 1 and pair is not None:
            twins += 1
            a, b = (base.objects.index(o) for o in pair)
            assert exchange(base, a, b) == scene and scene != base
    assert twins >= 30  # two thirds of the 50 bases have two or three objects
    # Without the switch the odd scenes are independent draws, and evaluation splits never hold twins.
    plain = WorldConfig(**SMALL)

    def twin_count(config: WorldConfig, split: str) -> int:
        return sum(
            exchanged_pair(sample_scene(config, HELDOUT, split, i - 1), sample_scene(config, HELDOUT, split, i))
            is not None
            for i in range(1, 101, 2)
        )

    assert twin_count(plain, "train") == 0
    assert twin_count(CONFIG, "in_distribution") == twin_count(CONFIG, "heldout") == 0


@pytest.fixture(scope="module")
def twin_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("twins") / "world"
    make_world(CONFIG, out)
    return out


def test_twin_captions_are_true_of_the_twin_and_rows_alternate_for_the_trainer(twin_world: Path) -> None:
    rows = [json.loads(line) for line in (twin_world / "captions_train.jsonl").read_text().splitlines()]
    scenes = {
        json.loads(line)["image_id"]: json.loads(line)["scene"]
        for line in (twin_world / "scenes" / "train.jsonl").read_text().splitlines()
    }
    last = f"train-{CONFIG.n_train - 1:06d}"  # n_train is odd: the last image has no twin and comes last
    paired = [r for r in rows if r["image_id"] != last]
    assert rows[len(paired) :] and all(r["image_id"] == last for r in rows[len(paired) :])
    blocks = telling = 0
    for first, second in zip(paired[0::2], paired[1::2], strict=True):
        base_id, twin_id = first["image_id"], second["image_id"]
        assert int(twin_id.split("-")[1]) == int(base_id.split("-")[1]) + 1 and int(base_id.split("-")[1]) % 2 == 0
        base, twin = Scene.from_dict(scenes[base_id]), Scene.from_dict(scenes[twin_id])
        caption = Caption.from_dict(json.loads(second["caption_struct"]))
        base_caption = Caption.from_dict(json.loads(first["caption_struct"]))
        assert is_true(caption, twin) and is_true(base_caption, base)
        pair = exchanged_pair(base, twin)
        if pair is not None:
            blocks += 1
            assert caption == exchange_nps(base_caption, *pair)
            # Each caption of a twin block is false of the other image: only where things are tells them apart.
            telling += not is_true(caption, base) and not is_true(base_caption, twin)
    assert blocks >= 60 and telling == blocks
    kinds = [{c["kind"] for c in json.loads(r["caption_struct"])["clauses"]} for r in rows]
    assert sum("at" in k for k in kinds) >= 40 and sum("rel" in k for k in kinds) >= 20
    # The trainer reads them in the same order: blocks of two samples are twins.
    table = load_samples(
        DataSpec(run_dir=twin_world / "oracle", image_root=twin_world, image_template=None, missing_slot="fill"),
        seed=0,
        with_negatives=False,
    )
    assert table.captions == [r["caption"] for r in rows]
