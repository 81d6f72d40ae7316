"""The generate pipeline with scripted engines: exactly-once output, resume, failure classes, provenance."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from neggen.config import GenerateConfig
from neggen.engines.base import Completion
from neggen.errors import ShardFailed
from neggen.ingest import load_captions
from neggen.run.layout import RunLayout
from neggen.run.manifest import RunMismatch
from neggen.run.runners import generate
from neggen.schemas import NEGATIVES, REJECTS
from neggen.types import NegType
from neggen.validate import Reason, validate
from tests.fakes import FailingEngine, ScriptedEngine, last_user_text, reverse_words

QUIET = None


@pytest.fixture(scope="module")
def captions(karpathy_file) -> pa.Table:
    table, _ = load_captions(karpathy_file)
    return table.slice(0, 40)


def fast_config(**overrides) -> GenerateConfig:
    # Sentence form: the scripted engines here answer sentences (the edit form: tests/generation/test_edit_form.py).
    return GenerateConfig(**{"chunk_size": 8, "output": "sentence", **overrides})


def run(captions, out, engine, types=(NegType.reshuffle,), shards=3, **kwargs):
    config = kwargs.pop("config", fast_config())
    return generate(captions, out, list(types), shards, engine, config, **kwargs)


def all_rows(out: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    negatives = pl.read_parquet(out / "negatives" / "**" / "*.parquet", hive_partitioning=False)
    rejects = pl.read_parquet(out / "rejects" / "**" / "*.parquet", hive_partitioning=False)
    return negatives, rejects


def assert_exactly_once(out: Path, captions: pa.Table, types, limit=None) -> None:
    negatives, rejects = all_rows(out)
    expected = limit or captions.num_rows
    for t in types:
        ids = negatives.filter(pl.col("neg_type") == t.value)["caption_id"].to_list()
        ids += rejects.filter(pl.col("neg_type") == t.value)["caption_id"].to_list()
        assert len(ids) == len(set(ids)) == expected, t


def test_every_caption_gets_one_row_with_provenance(captions, tmp_path):
    summary = run(captions, tmp_path, ScriptedEngine(reverse_words), types=[NegType.reshuffle, NegType.swap_nouns])
    assert_exactly_once(tmp_path, captions, [NegType.reshuffle, NegType.swap_nouns])
    negatives, rejects = all_rows(tmp_path)
    # Reversed word order is a reshuffle (accepted) and not a noun swap (rejected after all attempts).
    assert summary.accepted["reshuffle"] == 40 and summary.rejected["swap_nouns"] == 40
    assert set(rejects["reason"]) <= {r.value for r in Reason}
    swap_rejects = rejects.filter(pl.col("neg_type") == "swap_nouns")
    assert swap_rejects["attempt"].to_list() == [3] * 40
    assert all(len(r) == 3 for r in swap_rejects["failed_reasons"].to_list())  # one candidate x 3 attempts
    row = negatives.row(0, named=True)
    assert row["engine"] == "scripted" and row["model"] == "scripted-model" and row["run_id"] == summary.run_id
    assert len(row["example_ids"]) == 5 and 0 <= row["example_set"] < 4 and len(row["prompt_sha"]) == 16
    assert row["seed"] >= 0 and row["temperature"] == pytest.approx(0.8) and row["finish_reason"] == "stop"
    for r in negatives.iter_rows(named=True):
        assert validate(NegType(r["neg_type"]), r["caption"], r["negative"]).accepted


def test_files_carry_declared_schemas_and_hive_layout(captions, tmp_path):
    run(captions, tmp_path, ScriptedEngine(reverse_words))
    part = next((tmp_path / "negatives").rglob("part-*.parquet"))
    assert pq.read_schema(part).remove_metadata() == NEGATIVES
    reject_part = next((tmp_path / "rejects").rglob("part-*.parquet"))
    assert pq.read_schema(reject_part).remove_metadata() == REJECTS
    declared = pl.from_arrow(NEGATIVES.empty_table()).schema
    assert pl.scan_parquet(tmp_path / "negatives" / "**" / "*.parquet").collect_schema() == declared
    scanned = pl.scan_parquet(tmp_path / "negatives" / "**" / "*.parquet", hive_partitioning=True).collect()
    assert scanned["type"].unique().to_list() == ["reshuffle"] and len(scanned) == 40
    assert sorted(scanned["shard"].unique().to_list()) == [0, 1, 2]


def test_resume_generates_only_missing_rows(captions, tmp_path):
    first = ScriptedEngine(reverse_words)
    run(captions, tmp_path, first, shard_indices=[1])
    layout = RunLayout(tmp_path)
    assert layout.success(NegType.reshuffle, 1).exists() and not layout.success(NegType.reshuffle, 0).exists()
    second = ScriptedEngine(reverse_words)
    summary = run(captions, tmp_path, second)
    assert summary.skipped_done == len(first.requests)
    assert len(second.requests) == 40 - len(first.requests)
    assert_exactly_once(tmp_path, captions, [NegType.reshuffle])
    third = ScriptedEngine(reverse_words)
    run(captions, tmp_path, third)
    assert third.calls == 0  # everything done: nothing regenerated


def test_raising_engine_fails_shard_keeps_finished_chunks_and_rerun_completes(captions, tmp_path):
    engine = FailingEngine(fail_on=lambda call: call >= 3)  # two chunks succeed, then the worker is dead
    with pytest.raises(ShardFailed, match="worker died"):
        run(captions, tmp_path, engine, shards=1)
    negatives, _ = all_rows(tmp_path)
    assert len(negatives) == 16  # two finished chunks of 8 survive
    assert not RunLayout(tmp_path).success(NegType.reshuffle, 0).exists()
    run(captions, tmp_path, ScriptedEngine(reverse_words), shards=1)
    assert_exactly_once(tmp_path, captions, [NegType.reshuffle])
    assert RunLayout(tmp_path).success(NegType.reshuffle, 0).exists()


def test_transient_engine_failure_is_retried(captions, tmp_path):
    engine = FailingEngine(fail_on={1}, tries=2)
    run(captions, tmp_path, engine, shards=1)
    assert_exactly_once(tmp_path, captions, [NegType.reshuffle])


def test_garbage_output_becomes_reject_rows(captions, tmp_path):
    garbage = [None, 42, "", "\x00\x01\ufffd", "Here is the rewritten caption: a cat.", "word " * 5000, "a\nb"]

    def reply(request):
        return garbage[int(request.request_id, 16) % len(garbage) :][:2] or ["", ""]

    run(captions, tmp_path, ScriptedEngine(reply), types=[NegType.replace_nouns])
    negatives, rejects = all_rows(tmp_path)
    assert negatives.is_empty() and len(rejects) == 40
    assert set(rejects["reason"]) <= {
        "unparseable",
        "empty",
        "meta_text",
        "length_out_of_bounds",
        "multiple_sentences",
        "nothing_replaced",
        "span_too_long",
    }


def test_per_request_error_is_a_reject_not_retried(captions, tmp_path):
    def reply(request):
        if request.request_id[-1] in "012":
            return Completion(request.request_id, error="prompt too long")
        return reverse_words(request)

    engine = ScriptedEngine(reply)
    run(captions, tmp_path, engine, shards=1)
    _, rejects = all_rows(tmp_path)
    errors = rejects.filter(pl.col("reason") == "request_error")
    assert len(errors) >= 1 and errors["detail"].to_list()[0] == "prompt too long"
    asked = [r for r in engine.requests if r.request_id[-1] in "012"]
    assert len(asked) == len(errors)  # asked once each, no content retries
    assert_exactly_once(tmp_path, captions, [NegType.reshuffle])


def test_truncated_output_is_retried_then_rejected(captions, tmp_path):
    def reply(request):
        return Completion(request.request_id, ["A dog", "A cat"], ["length", "length"], 10, 64)

    run(captions.slice(0, 8), tmp_path, ScriptedEngine(reply), shards=1)
    _, rejects = all_rows(tmp_path)
    assert rejects["reason"].unique().to_list() == ["truncated"]


def test_empty_and_huge_captions_are_rejected_without_engine_calls(tmp_path):
    table = pa.table(
        {
            "caption_id": ["a", "b", "c"],
            "image_id": ["1", "2", "3"],
            "image_path": [None, None, None],
            "caption": ["Two zebras grazing in a field.", "x" * 10 + " word" * 2000, "Hi"],
            "source": ["t"] * 3,
            "split": [None] * 3,
        }
    )
    engine = ScriptedEngine(reverse_words)
    run(table, tmp_path, engine, shards=1)
    _, rejects = all_rows(tmp_path)
    assert dict(zip(rejects["caption_id"], rejects["reason"], strict=True)) == {
        "b": "caption_too_long",
        "c": "caption_too_short",
    }
    assert [last_user_text(r) for r in engine.requests] == ["Two zebras grazing in a field."]


def test_success_and_manifest_describe_the_run(captions, tmp_path):
    summary = run(captions, tmp_path, ScriptedEngine(reverse_words), invocation={"argv": ["x"]})
    layout = RunLayout(tmp_path)
    counts = [json.loads(layout.success(NegType.reshuffle, s).read_text()) for s in range(3)]
    assert sum(c["accepted"] for c in counts) == 40 and all(c["rejected"] == 0 for c in counts)
    assert sum(c["completion_tokens"] for c in counts) == 40 * 10  # one candidate of 10 tokens, accepted at once
    manifest = json.loads(layout.manifest.read_text())
    assert manifest["run_id"] == summary.run_id and manifest["shards"] == 3
    assert manifest["types"] == ["reshuffle"] and len(manifest["prompts"]["reshuffle"]["file_sha256"]) == 64
    assert manifest["captions"]["rows"] == 40 and manifest["invocations"][0]["argv"] == ["x"]
    assert pq.read_table(layout.captions).num_rows == 40


def test_rerun_with_other_shard_count_or_captions_is_refused(captions, tmp_path):
    run(captions, tmp_path, ScriptedEngine(reverse_words))
    with pytest.raises(RunMismatch, match="--shards 3"):
        run(captions, tmp_path, ScriptedEngine(reverse_words), shards=4)
    with pytest.raises(RunMismatch, match="different caption set"):
        run(captions.slice(0, 10), tmp_path, ScriptedEngine(reverse_words))


def test_raising_the_limit_adds_rows_without_duplicates(captions, tmp_path):
    run(captions, tmp_path, ScriptedEngine(reverse_words), limit=10)
    assert_exactly_once(tmp_path, captions, [NegType.reshuffle], limit=10)
    run(captions, tmp_path, ScriptedEngine(reverse_words), limit=25)
    assert_exactly_once(tmp_path, captions, [NegType.reshuffle], limit=25)


def test_retries_use_new_seeds_and_stop_at_first_valid(captions, tmp_path):
    seen: dict[str, list[int]] = {}

    def reply(request):
        seen.setdefault(request.request_id, []).append(request.seed)
        attempts = len(seen[request.request_id])
        return [last_user_text(request)] * 2 if attempts < 2 else reverse_words(request)  # copies, then valid

    run(captions.slice(0, 8), tmp_path, ScriptedEngine(reply), shards=1)
    negatives, _ = all_rows(tmp_path)
    assert negatives["attempt"].to_list() == [2] * 8
    assert all(r == ["copy", "copy"] for r in negatives["failed_reasons"].to_list())
    assert all(len(set(seeds)) == 2 for seeds in seen.values())


def test_stale_temporaries_are_cleaned_and_never_globbed(captions, tmp_path):
    shard_dir = RunLayout(tmp_path).negatives_dir(NegType.reshuffle, 0)
    shard_dir.mkdir(parents=True)
    stale = shard_dir / ".part-00000.parquet.tmp-999"
    stale.write_bytes(b"half a file")
    assert list(tmp_path.glob("negatives/**/*.parquet")) == []
    run(captions, tmp_path, ScriptedEngine(reverse_words), shards=1)
    assert not stale.exists()
    assert_exactly_once(tmp_path, captions, [NegType.reshuffle])
