"""Same seed -> byte-identical world (the oracle run up to its run id and timestamps); another seed differs."""

from __future__ import annotations

import hashlib
from pathlib import Path

import polars as pl

from trainer.shapes.config import WorldConfig
from trainer.shapes.writers import FINETUNE_RUN, make_world

RUNS = ("oracle", FINETUNE_RUN)  # the pretraining captions' oracle run and the fine-tuning slice's

TINY = {"n_train": 60, "n_eval": 40, "zeroshot_per_class": 1, "winoground_items": 6, "oracle_shards": 2}


def _volatile(relative: Path) -> bool:
    """The oracle runs' manifests, _SUCCESS.json and part files hold a run id, timestamps and timings."""
    return relative.parts[0] in RUNS and (relative.suffix == ".parquet" or relative.suffix == ".json")


def _hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not _volatile(p.relative_to(root))
    }


def _oracle_rows(root: Path, run: str = "oracle") -> pl.DataFrame:
    frame = pl.read_parquet(str(root / run / "negatives" / "**" / "*.parquet"))
    return frame.drop("run_id", "created_at").sort("neg_type", "caption_id")


def test_same_seed_same_bytes_other_seed_differs(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    make_world(WorldConfig(**TINY), a)
    make_world(WorldConfig(**TINY), b)
    make_world(WorldConfig(seed=1, **TINY), c)
    ha, hb, hc = _hashes(a), _hashes(b), _hashes(c)
    assert len(ha) > 300 and "world.json" in ha and "captions_train.jsonl" in ha
    assert ha == hb
    assert "captions_finetune.jsonl" in ha and "images/finetune/000000.png" in ha
    for run in RUNS:
        assert _oracle_rows(a, run).equals(_oracle_rows(b, run))
        assert pl.read_parquet(a / run / "captions.parquet").equals(pl.read_parquet(b / run / "captions.parquet"))
        assert not _oracle_rows(a, run).equals(_oracle_rows(c, run))
    names = ("captions_train.jsonl", "captions_finetune.jsonl", "images/train/000000.png", "images/finetune/000000.png")
    for name in (*names, "eval/heldout/sugarcrepe/swap_att.json"):
        assert ha[name] != hc[name], name
