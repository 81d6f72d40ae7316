"""Generation validates a batch of completions as one batch (one tagger pass) and obeys the meaning switch."""

from __future__ import annotations

import polars as pl
import pyarrow as pa

from neggen.config import GenerateConfig, SamplingParams
from neggen.engines.base import complete
from neggen.generation.attempt import RunContext, next_request, settle_all, start_caption
from neggen.prompts import PromptBuilder, load_prompt
from neggen.run.runners import generate
from neggen.text.pos import DEFAULT_TAGGER
from neggen.types import NegType
from neggen.validate import Reason, validate, validate_batch
from tests.fakes import ScriptedEngine, last_user_text

CAPTIONS = ["A cat sleeping on a couch.", "A dog lying on a couch.", "A man sitting on a couch.", "A couch in a room."]


def table() -> pa.Table:
    n = len(CAPTIONS)
    return pa.table(
        {
            "caption_id": [f"c{i}" for i in range(n)],
            "image_id": [str(i) for i in range(n)],
            "image_path": [None] * n,
            "caption": CAPTIONS,
            "source": ["test"] * n,
            "split": ["test"] * n,
        }
    )


def synonym_then_real(request):
    """Two candidates: a synonym (a hard positive) first, then a real replacement."""
    caption = last_user_text(request)
    return [caption.replace("couch", "sofa"), caption.replace("couch", "bed")]


class CountingTagger:
    name, version = "counting", "0"

    def __init__(self):
        self.batches: list[int] = []

    def analyze(self, texts):
        self.batches.append(len(texts))
        return DEFAULT_TAGGER.analyze(texts)

    def tag(self, words):
        return DEFAULT_TAGGER.tag(words)


def test_a_batch_of_completions_is_validated_in_one_tagger_pass():
    tagger = CountingTagger()
    config = GenerateConfig(max_attempts=1, output="sentence")
    ctx = RunContext(run_id="r", engine=ScriptedEngine(synonym_then_real), config=config, tagger=tagger)
    builder = PromptBuilder(load_prompt(NegType.replace_nouns, config.prompts_dir), "chat", 1, 5)
    attempts = [start_caption(ctx, builder, NegType.replace_nouns, c) for c in table().to_pylist()]
    completions = complete(ctx.engine, [next_request(ctx, a) for a in attempts])
    accepted = [final.row for final in settle_all(ctx, list(zip(attempts, completions, strict=True)))]
    assert tagger.batches == [2 * 2 * len(CAPTIONS)]  # caption + negative of every candidate, once
    assert [r["negative"] for r in accepted] == [c.replace("couch", "bed") for c in CAPTIONS]
    assert all(r["failed_reasons"] == ["same_meaning"] for r in accepted)


def test_batch_verdicts_equal_single_row_verdicts(sugarcrepe_dir):
    import json

    items = list(json.loads((sugarcrepe_dir / "replace_att.json").read_text()).values())[:60]
    rows = [(t, v["caption"], v["negative_caption"]) for v in items for t in NegType]
    assert validate_batch(rows) == [validate(*r) for r in rows]


def test_the_switch_reaches_the_validators(tmp_path):
    def synonym_only(request):
        return [last_user_text(request).replace("couch", "sofa")]

    for meaning, accepted in ((True, 0), (False, len(CAPTIONS))):
        config = GenerateConfig(max_attempts=1, output="sentence", meaning_checks=meaning, sampling=SamplingParams(n=1))
        out = tmp_path / str(meaning)
        summary = generate(table(), out, [NegType.replace_nouns], 1, ScriptedEngine(synonym_only), config)
        assert summary.accepted["replace_nouns"] == accepted
    rejects = pl.read_parquet(tmp_path / "True" / "rejects" / "**" / "*.parquet")
    assert set(rejects["reason"]) == {Reason.same_meaning.value}
