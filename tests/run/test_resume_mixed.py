"""Resume when a shard holds both accepted and rejected rows: a rejected caption is done, never asked again."""

from __future__ import annotations

import polars as pl
import pyarrow as pa
import pytest

from neggen.config import GenerateConfig
from neggen.errors import ShardFailed
from neggen.ingest import load_captions
from neggen.run.runners import generate
from neggen.run.sharding import stable_hash
from neggen.types import NegType
from tests.fakes import ScriptedEngine, last_user_text, reverse_words
from tests.served import SAMPLE


def accepts_every_other(request) -> list[str]:
    """A valid reshuffle for about half the captions, a copy (rejected) for the rest, decided by the text."""
    text = last_user_text(request)
    return reverse_words(request) if stable_hash(text) % 2 else [text]


class DiesOnCall(ScriptedEngine):
    def __init__(self, call: int):
        super().__init__(accepts_every_other)
        self.die_on = call

    def generate(self, requests):
        if self.calls + 1 == self.die_on:
            from neggen.engines.base import EngineError

            self.calls += 1
            raise EngineError("engine died")
        return super().generate(requests)


@pytest.fixture(scope="module")
def captions() -> pa.Table:
    return load_captions(SAMPLE)[0].slice(0, 32)


def test_resume_after_a_failure_keeps_both_kinds_and_asks_only_for_captions_without_a_row(tmp_path, captions):
    config = GenerateConfig(output="sentence", chunk_size=8, max_attempts=1, engine_retries=1)
    types = [NegType.reshuffle]
    with pytest.raises(ShardFailed):
        generate(captions, tmp_path, types, 1, DiesOnCall(3), config)
    accepted = pl.read_parquet(tmp_path / "negatives" / "**" / "*.parquet", hive_partitioning=False)
    rejected = pl.read_parquet(tmp_path / "rejects" / "**" / "*.parquet", hive_partitioning=False)
    assert accepted.height and rejected.height and accepted.height + rejected.height == 16  # two chunks committed
    done = set(accepted["caption_id"]) | set(rejected["caption_id"])

    engine = ScriptedEngine(accepts_every_other)
    summary = generate(captions, tmp_path, types, 1, engine, config)
    asked = {r.request_id for r in engine.requests}  # the caption_id
    assert summary.skipped_done == 16 and len(engine.requests) == 16
    assert not any(cid in asked for cid in rejected["caption_id"])  # rejected rows count as done
    accepted = pl.read_parquet(tmp_path / "negatives" / "**" / "*.parquet", hive_partitioning=False)
    rejected = pl.read_parquet(tmp_path / "rejects" / "**" / "*.parquet", hive_partitioning=False)
    ids = accepted["caption_id"].to_list() + rejected["caption_id"].to_list()
    assert len(ids) == len(set(ids)) == 32 and done <= set(ids)
