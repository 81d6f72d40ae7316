"""A small shapes world built once per session (a few seconds), and helpers to read it back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trainer.shapes.config import WorldConfig
from trainer.shapes.world import Scene
from trainer.shapes.writers import make_world

SMALL = {
    "n_train": 300,
    "n_eval": 150,
    "zeroshot_per_class": 2,
    "winoground_items": 30,
    "oracle_shards": 2,
    "finetune": {"n_images": 120},
}


@pytest.fixture(scope="session")
def small_config() -> WorldConfig:
    return WorldConfig(**SMALL)


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory, small_config: WorldConfig) -> Path:
    out = tmp_path_factory.mktemp("shapes") / "world"
    make_world(small_config, out)
    return out


def load_scenes(world: Path, split: str) -> dict[str, Scene]:
    """image file name -> scene graph, from scenes/<split>.jsonl."""
    scenes = {}
    for line in (world / "scenes" / f"{split}.jsonl").read_text().splitlines():
        row = json.loads(line)
        scenes[Path(row["image_path"]).name] = Scene.from_dict(row["scene"])
    return scenes
