"""A small hand-made run whose every figure is counted by hand in test_stats.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.qa.runs import row, write_run

# (type, shard, caption, negative or None, reject reason or None)
HAND_ROWS = [
    ("reshuffle", 0, "A dog on a red sofa.", "On a red sofa a dog.", None),
    ("reshuffle", 0, "Two cats sleep.", "Sleep two cats.", None),
    ("reshuffle", 0, "A boy eats.", "A boy eats.", "copy"),
    ("swap_nouns", 0, "A man rides a horse.", "A horse rides a man.", None),
    ("swap_nouns", 0, "A girl holds a kite.", "A kite a girl holds.", "no_swap_found"),
    ("swap_nouns", 1, "A bird on a wire.", "A bird on a wire near a bird.", "no_swap_found"),
    ("replace_nouns", 1, "A cat on a mat.", "A cat on a big soft rug.", None),
    ("replace_nouns", 1, "A red car.", "A red truck.", None),
    ("replace_nouns", 1, "A green car.", "A red truck.", None),
]


def hand_run(root: Path) -> Path:
    rows, shards = [], {}
    for n, (neg_type, shard, caption, negative, reason) in enumerate(HAND_ROWS):
        r = row(caption, negative, neg_type, n, reason)
        shards[r["caption_id"]] = shard
        rows.append(r)
    return write_run(root, rows, shard_of=lambda r: shards[r["caption_id"]])


@pytest.fixture
def hand_dir(tmp_path) -> Path:
    return hand_run(tmp_path / "run")


@pytest.fixture(scope="session")
def generated_dir(tmp_path_factory, karpathy_file) -> Path:
    """A finished run written by the pipeline (manifest, prompts, plausibility record); do not modify it."""
    from tests.qa.runs import generated_run

    return generated_run(tmp_path_factory.mktemp("generated") / "run", karpathy_file)


@pytest.fixture(scope="session")
def unfinished_dir(tmp_path_factory, karpathy_file) -> Path:
    """The same run with only shard 0 of 2 generated, as when generation is still going or was stopped."""
    from tests.qa.runs import generated_run

    return generated_run(tmp_path_factory.mktemp("unfinished") / "run", karpathy_file, shard_index=[0])
