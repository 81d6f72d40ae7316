"""The streaming scheduler: a bounded window across shards and types, retries at once, parts by rows or time,
and engine death mid-stream, with fake engines (the real ones are in tests/engines and tests/test_cli*.py)."""

from __future__ import annotations

import time

import polars as pl
import pyarrow.parquet as pq
import pytest

from neggen.config import GenerateConfig
from neggen.engines.base import Request
from neggen.errors import ShardFailed
from neggen.generation.attempt import request_seed
from neggen.ingest import load_captions
from neggen.run.layout import RunLayout
from neggen.run.runners import generate
from neggen.types import NegType
from tests.fakes import ScriptedEngine, StreamingEngine, last_user_text, reverse_words
from tests.run.test_runners import all_rows, assert_exactly_once

TYPES = [NegType.reshuffle, NegType.swap_nouns]


def sentence_config(**settings) -> GenerateConfig:
    """These fakes answer sentences (reverse_words), so reshuffle asks for the sentence form."""
    return GenerateConfig(output="sentence", **settings)


@pytest.fixture(scope="module")
def captions(karpathy_file):
    table, _ = load_captions(karpathy_file)
    return table.slice(0, 40)


def test_the_window_spans_shards_and_types_and_is_never_exceeded(captions, tmp_path):
    engine = StreamingEngine(reverse_words, per_poll=2)
    config = sentence_config(max_in_flight=24, chunk_size=8)
    generate(captions, tmp_path, TYPES, 3, engine, config)
    # 3 shards of ~13 captions: 24 at once is only reachable by reaching across shards and types.
    assert engine.max_in_engine == 24
    assert_exactly_once(tmp_path, captions, TYPES)


def test_a_failed_candidate_is_resubmitted_at_once_with_its_next_seed(captions, tmp_path):
    def copy_first(request):
        return [last_user_text(request)] if request.seed % 2 else reverse_words(request)

    engine = StreamingEngine(copy_first, per_poll=1)
    generate(captions.slice(0, 16), tmp_path, [NegType.reshuffle], 1, engine, sentence_config(max_in_flight=8))
    first_retry = next(
        i
        for i, (kind, cid, _) in enumerate(engine.log)
        if kind == "submit" and i > 0 and any(k == "submit" and c == cid for k, c, _ in engine.log[:i])
    )
    later_firsts = [
        e
        for e in engine.log[first_retry:]
        if e[0] == "submit" and e[1] not in {c for k, c, _ in engine.log[:first_retry] if k == "submit"}
    ]
    assert later_firsts, "the retry waited until every first attempt was done"
    seeds: dict[str, list[int]] = {}
    for kind, cid, seed in engine.log:
        if kind == "submit":
            seeds.setdefault(cid, []).append(seed)
    assert all(len(set(s)) == len(s) for s in seeds.values())  # each attempt its own seed
    assert_exactly_once(tmp_path, captions.slice(0, 16), [NegType.reshuffle])


def test_parts_are_committed_by_rows(captions, tmp_path):
    generate(captions, tmp_path, [NegType.reshuffle], 1, StreamingEngine(reverse_words), sentence_config(chunk_size=7))
    layout = RunLayout(tmp_path)
    sizes = [pq.read_metadata(p).num_rows for p in layout.parts(NegType.reshuffle, 0) if "negatives" in str(p)]
    assert max(sizes) == 7 and sum(sizes) == 40 and len(sizes) == 6  # 5 full parts of 7, then the last 5


class SlowEngine(StreamingEngine):
    def poll(self, timeout=None):
        time.sleep(0.03)
        return super().poll(timeout)


def test_parts_are_committed_by_time_when_rows_come_slowly(captions, tmp_path):
    engine = SlowEngine(reverse_words, per_poll=1)
    generate(captions.slice(0, 20), tmp_path, [NegType.reshuffle], 1, engine, sentence_config(part_seconds=0.1))
    parts = [p for p in RunLayout(tmp_path).parts(NegType.reshuffle, 0) if "negatives" in str(p)]
    # 20 rows at ~0.03 s each with 4096 rows per part: only the 0.1 s clock can cut several parts.
    assert len(parts) >= 3
    assert_exactly_once(tmp_path, captions.slice(0, 20), [NegType.reshuffle])


def test_engine_death_mid_stream_keeps_committed_parts_and_the_rerun_is_exactly_once(captions, tmp_path):
    engine = StreamingEngine(reverse_words, per_poll=3, die_after=18)
    config = sentence_config(chunk_size=4, max_in_flight=12)
    with pytest.raises(ShardFailed, match="engine core died mid-stream"):
        generate(captions, tmp_path, [NegType.reshuffle], 1, engine, config)
    negatives, _ = all_rows(tmp_path)
    assert len(negatives) == 18  # every row that was final when the engine died is committed
    assert not RunLayout(tmp_path).success(NegType.reshuffle, 0).exists()
    again = StreamingEngine(reverse_words)
    generate(captions, tmp_path, [NegType.reshuffle], 1, again, config)
    assert len(again.requests) == 40 - 18
    assert_exactly_once(tmp_path, captions, [NegType.reshuffle])


def test_per_request_seeds_off_sends_no_seed_and_records_none(captions, tmp_path):
    engine = StreamingEngine(reverse_words)
    generate(captions.slice(0, 8), tmp_path, [NegType.reshuffle], 1, engine, sentence_config(per_request_seeds=False))
    assert {r.seed for r in engine.requests} == {None}
    negatives = pl.read_parquet(tmp_path / "negatives" / "**" / "*.parquet")
    assert negatives["seed"].null_count() == 8
    import json

    manifest = json.loads(RunLayout(tmp_path).manifest.read_text())
    assert manifest["config"]["per_request_seeds"] is False


def test_success_records_engine_time_for_each_shard(captions, tmp_path):
    import json

    generate(captions, tmp_path, [NegType.reshuffle], 2, SlowEngine(reverse_words, per_poll=4), sentence_config())
    layout = RunLayout(tmp_path)
    for shard in (0, 1):
        success = json.loads(layout.success(NegType.reshuffle, shard).read_text())
        # ~20 captions at 4 per 0.03 s poll: at least 5 polls each; never more than the shard's own elapsed time
        assert 0.1 < success["engine_s"] <= success["elapsed_s"] + 0.01


def test_captions_are_started_as_the_window_has_room_in_example_set_order(captions, tmp_path, monkeypatch):
    import neggen.generation.scheduler as scheduler
    from neggen.prompts import PromptBuilder, load_prompt

    started: list[tuple[str, str]] = []
    real_start = scheduler.start_caption

    def counting_start(ctx, builder, neg_type, caption):
        started.append((neg_type.value, caption["caption_id"]))
        return real_start(ctx, builder, neg_type, caption)

    monkeypatch.setattr(scheduler, "start_caption", counting_start)
    seen_at_submit: list[int] = []

    class Recording(StreamingEngine):
        def submit(self, key, request):
            seen_at_submit.append(len(started))
            super().submit(key, request)

    engine = Recording(reverse_words, per_poll=2)
    config = sentence_config(max_in_flight=4, max_attempts=1)
    generate(captions, tmp_path, TYPES, 1, engine, config)
    # A caption is started only when the window has room: never all of a shard before its first request, nor
    # the next type's captions while the window is full of this type's.
    assert len(started) == 2 * 40
    refused = len(started) - len(seen_at_submit)  # max_attempts=1: one submit per caption sent
    assert refused < 10
    assert max(n - (i + 1) for i, n in enumerate(seen_at_submit)) <= refused  # each started caption waited
    for neg_type in TYPES:
        builder = PromptBuilder(load_prompt(neg_type), config.prompt_layout, config.example_sets)
        order = [cid for t, cid in started if t == neg_type.value]
        assert order == sorted(order, key=lambda cid: (builder.set_for(cid), cid))  # neighbours share a prefix
    assert_exactly_once(tmp_path, captions, TYPES)


def test_edit_form_prechecks_parse_their_captions_in_blocks(captions, tmp_path, monkeypatch):
    """The edit form's precheck reads each caption's parse: captions are parsed a block at a time (one spaCy
    pass, the tagger pool's where there is one), never one spaCy call per caption."""
    import neggen.generation.scheduler as scheduler
    import neggen.run.runners as pipeline
    from neggen.text.pos import SpacyTagger, default_tagger

    parsed: list[list[str]] = []

    class Recording(SpacyTagger):
        def _parse(self, texts):
            parsed.append(list(texts))
            return super()._parse(texts)

    tagger = Recording(nlp=default_tagger().nlp)
    monkeypatch.setattr(pipeline, "tagger_for", lambda workers: tagger)
    monkeypatch.setattr(scheduler, "PRECHECK_BLOCK", 16)
    config = GenerateConfig(output="edit", max_attempts=1, max_in_flight=4)
    generate(captions, tmp_path, [NegType.replace_nouns], 1, ScriptedEngine(lambda r: ["dog -> cat"]), config)
    texts = set(captions.column("caption").to_pylist())
    caption_parses = [batch for batch in parsed if set(batch) <= texts]
    assert [len(b) for b in caption_parses] == [16, 16, 8]  # 40 captions: one pass per block of 16
    assert_exactly_once(tmp_path, captions, [NegType.replace_nouns])


def test_a_batch_only_engine_gets_full_calls_across_shards_parts_and_retries(captions, tmp_path):
    """The hf path: while captions remain, every call is one full window, though shards hold ~13 captions,
    parts 8 rows, and a third of the answers fail and are retried (retries join the next captions' call)."""
    calls: list[list[Request]] = []

    class Batch(ScriptedEngine):
        max_in_flight = 16  # as HFEngine asks for one (four batch_sizes)

        def generate(self, requests):
            calls.append(list(requests))
            return super().generate(requests)

    def copy_every_third(request):
        return [last_user_text(request)] if request.seed % 3 == 0 else reverse_words(request)

    generate(captions, tmp_path, [NegType.reshuffle], 3, Batch(copy_every_third), sentence_config(chunk_size=8))
    firsts = [sum(1 for r in call if r.seed == request_seed(0, r.request_id, NegType.reshuffle, 1)) for call in calls]
    last_with_firsts = max(i for i, n in enumerate(firsts) if n)
    assert sum(firsts) == 40 and sum(map(len, calls)) > 40  # some answers were retried
    assert {len(call) for call in calls[:last_with_firsts]} == {16}  # full until the last captions go out
    assert any(n < 16 and len(call) == 16 for n, call in zip(firsts, calls, strict=True))  # retries joined
    assert_exactly_once(tmp_path, captions, [NegType.reshuffle])
