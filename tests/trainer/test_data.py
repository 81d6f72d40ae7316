"""Samples from a neggen run: slot mapping, missing-slot and missing-image policies, and refusals."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import torch

from trainer.config import DataSpec
from trainer.data import DataError, PairsDataset, StepBatches, collate, load_samples
from trainer.tokenizer import train_tokenizer


def spec(shapes_run, **kw) -> DataSpec:
    run_dir, images = shapes_run
    return DataSpec(run_dir=run_dir, image_root=images, image_template=None, **kw)


def accepted(run_dir: Path) -> pl.DataFrame:
    return pl.read_parquet(run_dir / "negatives" / "**" / "*.parquet", hive_partitioning=False)


def test_slots_follow_the_default_mapping_and_drop_counts_match_a_hand_count(shapes_run):
    run_dir, _ = shapes_run
    rows = accepted(run_dir)
    by_caption: dict[str, dict[str, str]] = {}
    for r in rows.iter_rows(named=True):
        by_caption.setdefault(r["caption"], {})[r["neg_type"]] = r["negative"]
    needed = [{"reshuffle"}, {"swap_nouns", "swap_adjectives"}, {"replace_adjectives"}, {"replace_nouns"}]
    complete = [c for c, negs in by_caption.items() if all(set(negs) & slot for slot in needed)]
    table = load_samples(spec(shapes_run), seed=0)
    assert table.report["missing_slot"] == 48 - len(complete) and len(table) == len(complete)
    for caption, negatives in zip(table.captions, table.negatives, strict=True):
        negs = by_caption[caption]
        assert len(negatives) == 4
        assert negatives[0] == negs["reshuffle"]
        assert negatives[1] in {negs.get("swap_nouns"), negs.get("swap_adjectives")}
        assert negatives[2:] == [negs["replace_adjectives"], negs["replace_nouns"]]


def test_swap_choice_is_seeded_and_uses_both_types(shapes_run):
    a = load_samples(spec(shapes_run, missing_slot="fill"), seed=0)
    b = load_samples(spec(shapes_run, missing_slot="fill"), seed=0)
    c = load_samples(spec(shapes_run, missing_slot="fill"), seed=1)
    assert a.negatives == b.negatives and a.negatives != c.negatives
    run_dir, _ = shapes_run
    rows = accepted(run_dir).filter(pl.col("neg_type").is_in(["swap_nouns", "swap_adjectives"]))
    kinds = dict(zip(rows["negative"], rows["neg_type"], strict=True))
    assert {kinds[n[1]] for n in a.negatives} == {"swap_nouns", "swap_adjectives"}


def test_fill_keeps_every_caption_with_its_own_negatives(shapes_run):
    table = load_samples(spec(shapes_run, missing_slot="fill"), seed=0)
    run_dir, _ = shapes_run
    own = {}
    for r in accepted(run_dir).iter_rows(named=True):
        own.setdefault(r["caption"], set()).add(r["negative"])
    assert len(table) == 48 and table.report["filled_slot"] > 0
    assert all(set(negs) <= own[c] for c, negs in zip(table.captions, table.negatives, strict=True))


def test_collate_is_sample_major(shapes_run):
    table = load_samples(spec(shapes_run, missing_slot="fill"), seed=0)
    tokenizer = train_tokenizer(table.captions + [n for negs in table.negatives for n in negs], 400)
    dataset = PairsDataset(table, tokenizer, 32, train=True, seed=0)
    batch = collate([dataset[0], dataset[1]])
    assert batch["pixels"].shape == (2, 3, 32, 32) and batch["positive_ids"].shape == (2, 77)
    assert batch["negative_ids"].shape == (8, 77)
    second_image_first_negative = tokenizer(table.negatives[1][0])["input_ids"]
    assert batch["negative_ids"][4, : len(second_image_first_negative)].tolist() == second_image_first_negative
    # Augmentation depends on (seed, epoch, index) only.
    assert torch.equal(dataset[3][0], dataset[3][0])
    dataset.epoch = 1
    assert not torch.equal(dataset[3][0], PairsDataset(table, tokenizer, 32, train=True, seed=0)[3][0])


def test_step_batches_cover_each_step_once_and_split_ranks():
    one = list(StepBatches(20, batch=8, accum=2, rank=0, world=1, seed=3, epoch=0, start=0))
    ranks = [list(StepBatches(20, batch=8, accum=2, rank=r, world=2, seed=3, epoch=0, start=0)) for r in range(2)]
    assert len(one) == 4 and all(len(b) == 4 for b in one)  # 2 steps x 2 micro-batches of 4
    for m in range(4):  # micro-step m of the 2-rank run gathers to the single-process micro-batch
        assert ranks[0][m] + ranks[1][m] == one[m]
    resumed = list(StepBatches(20, batch=8, accum=2, rank=0, world=1, seed=3, epoch=0, start=1))
    assert resumed == one[2:]
    with pytest.raises(ValueError, match="divisible"):
        StepBatches(20, batch=6, accum=4, rank=0, world=1, seed=0, epoch=0, start=0)


def test_keep_together_blocks_share_a_micro_batch_and_every_sample_appears_once():
    n, g = 23, 2  # 11 whole blocks and a partial last one
    batches = list(StepBatches(n, batch=8, accum=2, rank=0, world=1, seed=5, epoch=1, start=0, keep_together=g))
    seen = [i for b in batches for i in b]
    assert len(seen) == len(set(seen)) == 2 * 8  # n // batch steps, no sample twice
    for micro in batches:
        assert all(micro[k] // g == micro[k + 1] // g and micro[k] % g == 0 for k in range(0, len(micro), g))
    # The partial block stays last, so it never splits a later block across a batch boundary.
    tail = list(StepBatches(5, batch=4, accum=1, rank=0, world=1, seed=0, epoch=0, start=0, keep_together=g))
    assert 4 not in tail[0]
    with pytest.raises(ValueError, match="keep_together 3 does not divide the per-rank micro-batch of 4"):
        StepBatches(20, batch=8, accum=2, rank=0, world=1, seed=0, epoch=0, start=0, keep_together=3)


def test_keep_together_refuses_a_validation_hold_out():
    from trainer.config import DataSpec

    DataSpec(keep_together=2)
    with pytest.raises(ValueError, match="keep_together > 1 needs data.val_fraction = 0"):
        DataSpec(keep_together=2, val_fraction=0.1)


def copy_run(shapes_run, tmp_path) -> Path:
    run_dir, _ = shapes_run
    return Path(shutil.copytree(run_dir, tmp_path / "run"))


def test_missing_images_are_an_error_naming_them_or_dropped(shapes_run, tmp_path):
    _, images = shapes_run
    some = Path(shutil.copytree(images, tmp_path / "images"))
    (some / "img003.png").unlink()
    run_dir, _ = shapes_run
    with pytest.raises(DataError, match=r"1 images are missing .*img003\.png"):
        load_samples(DataSpec(run_dir=run_dir, image_root=some, image_template=None, missing_slot="fill"), 0)
    table = load_samples(
        DataSpec(run_dir=run_dir, image_root=some, image_template=None, missing_slot="fill", missing_image="drop"), 0
    )
    assert table.report["missing_image"] == 2 and len(table) == 46  # two captions per image


def test_wrong_schema_empty_run_and_non_runs_are_refused(shapes_run, tmp_path):
    with pytest.raises(DataError, match="not a directory"):
        load_samples(DataSpec(run_dir=tmp_path / "nope"), 0)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="no manifest.json"):
        load_samples(DataSpec(run_dir=tmp_path / "empty"), 0)
    run = copy_run(shapes_run, tmp_path)
    part = sorted((run / "negatives").rglob("*.parquet"))[0]
    table = pq.read_table(part)
    bad = table.set_column(table.schema.get_field_index("negative"), "negative", pa.array([1] * table.num_rows))
    pq.write_table(bad, part)
    with pytest.raises(DataError, match="column 'negative' is int64, expected string"):
        load_samples(spec((run, shapes_run[1])), 0)
    shutil.rmtree(run / "negatives")
    with pytest.raises(DataError, match="no accepted negatives"):
        load_samples(spec((run, shapes_run[1])), 0)
    assert len(load_samples(spec((run, shapes_run[1])), 0, with_negatives=False)) == 48  # plain fine-tuning
    (run / "manifest.json").write_text(json.dumps({"hello": 1}))
    with pytest.raises(DataError, match="not a neggen manifest"):
        load_samples(spec((run, shapes_run[1])), 0)


def test_a_slot_with_no_generated_type_is_named(shapes_run, tmp_path):
    run = copy_run(shapes_run, tmp_path)
    shutil.rmtree(run / "negatives" / "type=reshuffle")
    with pytest.raises(DataError, match=r"slot 0 \(reshuffle\) has no negatives"):
        load_samples(spec((run, shapes_run[1])), 0)
