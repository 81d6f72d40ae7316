"""The hf engine on the bundled SmolLM2 (float32, so results are exact across batch layouts)."""

from __future__ import annotations

import math

import pytest
import torch

from neggen.engines.base import Request, SamplingParams
from neggen.prompts import PromptBuilder, load_prompt
from neggen.types import NegType

CAPTIONS = [
    "A man riding a horse on a beach.",
    "Two dogs playing with a frisbee in the grass.",
    "A red bus parked next to a tall building.",
    "A woman holding an umbrella in the rain.",
    "A plate of food with broccoli and rice.",
]


def requests(sampling: SamplingParams, captions=CAPTIONS, seed0: int = 0) -> list[Request]:
    builder = PromptBuilder(load_prompt(NegType.replace_nouns), num_sets=2)
    return [
        Request(f"r{i}", builder.render(f"{i:016x}", c).messages, seed0 + i, sampling) for i, c in enumerate(captions)
    ]


def test_greedy_batched_with_prefix_cache_equals_plain_generate(hf_engine):
    greedy = SamplingParams(temperature=0, n=1, max_tokens=24)
    batch = requests(greedy)
    ours = hf_engine.generate(batch)
    assert hf_engine.prefix_stats["computed"] >= 1
    for request, completion in zip(batch, ours, strict=True):
        ids = torch.tensor([hf_engine.prompt_ids(request.messages)])
        out = hf_engine.lm.generate(ids, attention_mask=torch.ones_like(ids), do_sample=False, max_new_tokens=24)
        expected = hf_engine.tokenizer.decode(out[0, ids.shape[1] :], skip_special_tokens=True).strip()
        assert completion.texts == [expected]
        assert completion.prompt_tokens == ids.shape[1] and completion.completion_tokens >= 1


def test_seeded_sampling_is_per_request_and_independent_of_batch_mates(hf_engine):
    sampling = SamplingParams(temperature=1.0, top_p=0.95, n=2, max_tokens=24)
    together = hf_engine.generate(requests(sampling))
    alone = hf_engine.generate(requests(sampling, CAPTIONS[2:3], seed0=2))
    assert alone[0].texts == together[2].texts
    assert all(len(c.texts) == 2 for c in together)
    reseeded = hf_engine.generate(requests(sampling, seed0=100))
    assert [c.texts for c in reseeded] != [c.texts for c in together]


def test_finish_reason_and_prompt_too_long(hf_engine):
    short = hf_engine.generate(requests(SamplingParams(temperature=0, n=1, max_tokens=2), CAPTIONS[:1]))[0]
    assert short.finish_reasons == ["length"] and short.completion_tokens == 2
    huge = "word " * hf_engine.max_positions
    too_long = hf_engine.generate(requests(SamplingParams(n=1), [huge, CAPTIONS[0]]))
    assert "exceeds" in too_long[0].error and too_long[0].texts == []
    assert too_long[1].error is None and len(too_long[1].texts) == 1


def test_prefix_caching_off_gives_the_same_greedy_text(bundled_model_dir, hf_engine):
    from neggen.engines.hf import HFEngine

    plain = HFEngine(str(bundled_model_dir), dtype="float32", batch_size=8, prefix_caching=False)
    greedy = SamplingParams(temperature=0, n=1, max_tokens=16)
    assert [c.texts for c in plain.generate(requests(greedy))] == [
        c.texts for c in hf_engine.generate(requests(greedy))
    ]
    assert plain.prefix_stats["computed"] == 0


def test_rows_join_the_running_batch_as_others_finish_and_compute_what_they_would_alone(bundled_model_dir, hf_engine):
    """batch_size 2 over 10 rows: rows are prefilled and join as others finish, free rows beside constrained
    ones (the grammar masks and per-row generators follow the rows), and each request's answers are the ones
    it gets alone."""
    from dataclasses import replace

    from neggen.engines.hf import HFEngine

    small = HFEngine(str(bundled_model_dir), dtype="float32", batch_size=2)
    sampling = SamplingParams(temperature=1.0, top_p=0.95, n=2, max_tokens=20)
    edit = r"(man|dogs|bus|woman|plate) -> [a-z]{1,15}( [a-z]{1,15}){0,2}"
    batch = [replace(r, regex=edit) if i % 2 else r for i, r in enumerate(requests(sampling))]
    together = small.generate(batch)
    # Two example sets, so two prefix groups (6 and 4 rows), each started with 2: of the other 6 rows, those
    # not started after both running rows finished at one step joined a batch still decoding.
    assert 1 <= small.refill_stats["joined_running"] <= 6
    alone = [hf_engine.generate([request])[0] for request in batch]
    assert [c.texts for c in together] == [c.texts for c in alone]
    assert all(" -> " in text for c in together[1::2] for text in c.texts)
    assert [c.completion_tokens for c in together] == [c.completion_tokens for c in alone]


def test_the_engine_scorer_is_a_forward_pass_of_the_engine_model(hf_engine, bundled_model_dir):
    from neggen.qa.likelihood import LikelihoodScorer

    texts = [*CAPTIONS, "A windows with two kitchen.", ""]
    scorer = hf_engine.text_scorer()
    ours = scorer.score(texts)
    reference = LikelihoodScorer(str(bundled_model_dir)).score(texts, normalize=True)
    assert ours[:-1] == pytest.approx(reference[:-1], abs=1e-4)
    assert math.isnan(ours[-1])  # no tokens: not scored
    assert scorer.name == f"hf {bundled_model_dir}" and "float32" in scorer.fingerprint
