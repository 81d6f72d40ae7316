"""The openai engine against a fault-injecting loopback server: retries, per-request errors, concurrency."""

from __future__ import annotations

import json
import math

import polars as pl
import pytest

from neggen.config import GenerateConfig
from neggen.engines.base import EngineError, Request, SamplingParams, complete
from neggen.engines.openai_server import OpenAIEngine
from neggen.errors import ShardFailed
from neggen.ingest import load_captions
from neggen.run.runners import generate
from neggen.types import NegType
from tests.engines.fault_server import FaultServer
from tests.served import neggen, served_generate_args

SAMPLING = SamplingParams(n=2, max_tokens=32)


def requests(n: int = 6) -> list[Request]:
    return [
        Request(f"r{i}", [{"role": "user", "content": f"A dog number {i} on a red couch."}], i, SAMPLING)
        for i in range(n)
    ]


def engine(server: FaultServer, **kwargs) -> OpenAIEngine:
    options = {"concurrency": 3, "timeout_s": 5, "max_retries": 4, "backoff_max_s": 0.05} | kwargs
    return OpenAIEngine("served-model", base_url=server.base_url, **options)


def ok(call, body):
    return 200, None, 0.0


def test_answers_are_parsed_in_request_order():
    with FaultServer(ok) as server:
        out = complete(engine(server), requests())
    assert [c.request_id for c in out] == [f"r{i}" for i in range(6)]
    assert out[3].texts == ["couch red a on 3 number dog A."] * 2 and out[3].finish_reasons == ["stop", "stop"]
    assert out[3].prompt_tokens == 50 and out[3].completion_tokens == 14
    body = server.bodies[0]
    assert body["model"] == "served-model" and body["n"] == 2 and body["max_tokens"] == 32
    assert {b["seed"] for b in server.bodies} == set(range(6))


@pytest.mark.parametrize("status", [429, 500, 503])
def test_transient_statuses_are_retried(status):
    def flaky(call, body):
        return (status, {"error": "busy"}, 0.0) if call <= 3 else (200, None, 0.0)

    with FaultServer(flaky) as server:
        llm = engine(server)
        out = complete(llm, requests(2))
    assert all(c.error is None and len(c.texts) == 2 for c in out)
    assert server.calls == 5 and llm.stats()["http_retries"] == 3


def test_client_errors_are_per_request_and_not_retried():
    def picky(call, body):
        if "number 1 " in body["messages"][-1]["content"]:
            return 400, {"error": {"message": "prompt too long"}}, 0.0
        return 200, None, 0.0

    with FaultServer(picky) as server:
        out = complete(engine(server), requests(4))
    assert "HTTP 400" in out[1].error and "prompt too long" in out[1].error and out[1].texts == []
    assert all(out[i].error is None for i in (0, 2, 3)) and server.calls == 4


def test_timeouts_are_retried_then_succeed():
    def slow_first(call, body):
        return 200, None, (1.5 if call == 1 else 0.0)

    with FaultServer(slow_first) as server:
        out = complete(engine(server, timeout_s=0.5, concurrency=1), requests(1))
    assert out[0].texts and server.calls == 2


def test_a_dead_server_raises_engine_error():
    def down(call, body):
        return 503, {"error": "down"}, 0.0

    with FaultServer(down) as server:
        with pytest.raises(EngineError, match="failed 4 times: HTTP 503"):
            complete(engine(server), requests(1))
    with pytest.raises(EngineError, match="ConnectError"):
        complete(OpenAIEngine("m", base_url=server.base_url, max_retries=2, backoff_max_s=0.01), requests(1))


def test_concurrency_is_bounded():
    def slow(call, body):
        return 200, None, 0.1

    with FaultServer(slow) as server:
        complete(engine(server, concurrency=3), requests(12))
    assert server.max_in_flight == 3


def test_structured_output_is_requested_and_parsed(tmp_path, karpathy_file):
    seen: set[str] = set()

    def json_answer(call, body):
        caption = body["messages"][-1]["content"].rstrip(".")
        negative = " ".join(reversed(caption.split())) + "."
        schema = body["response_format"]["json_schema"]["schema"]
        assert schema["required"] == ["negative"]
        first_time = caption not in seen
        seen.add(caption)
        content = '{"negative": ' if first_time else json.dumps({"negative": negative})  # broken JSON first
        return (
            200,
            {
                "choices": [{"index": 0, "message": {"content": content}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 9, "completion_tokens": 9},
            },
            0.0,
        )

    captions, _ = load_captions(karpathy_file)
    config = GenerateConfig(output="sentence", structured_output=True, sampling=SamplingParams(n=1), chunk_size=4)
    with FaultServer(json_answer) as server:
        llm = engine(server, concurrency=1)
        summary = generate(captions.slice(0, 8), tmp_path, [NegType.reshuffle], 1, llm, config)
    assert summary.accepted["reshuffle"] == 8  # the unparseable half was retried with a new seed

    rows = pl.read_parquet(tmp_path / "negatives" / "**" / "*.parquet")
    assert rows["failed_reasons"].to_list() == [["unparseable"]] * 8 and rows["attempt"].to_list() == [2] * 8
    assert not any(n.startswith("{") for n in rows["negative"])


def test_server_down_mid_run_fails_the_shard_and_the_rerun_finishes(tmp_path, karpathy_file):
    state = {"down": False}

    def maybe_down(call, body):
        if call > 8:
            state["down"] = True
        return (503, {"error": "down"}, 0.0) if state["down"] else (200, None, 0.0)

    captions, _ = load_captions(karpathy_file)
    captions = captions.slice(0, 16)
    config = GenerateConfig(output="sentence", chunk_size=4, engine_retries=1, sampling=SamplingParams(n=1))
    with FaultServer(maybe_down) as server:
        with pytest.raises(ShardFailed):
            generate(captions, tmp_path, [NegType.reshuffle], 1, engine(server, concurrency=1, max_retries=2), config)
    with FaultServer(ok) as server:
        generate(captions, tmp_path, [NegType.reshuffle], 1, engine(server), config)

    ids = pl.read_parquet(tmp_path / "negatives" / "**" / "*.parquet")["caption_id"]
    assert len(ids) == 16 and ids.n_unique() == 16


def test_bursts_of_429_and_500_are_retried_with_backoff_and_nothing_is_lost(tmp_path, karpathy_file):
    def bursty(call, body):
        # Calls 5-14 and 25-34 are refused (rate limit, then a crashing server); the rest are answered.
        if 5 <= call <= 14:
            return 429, {"error": "slow down"}, 0.0
        if 25 <= call <= 34:
            return 500, {"error": "boom"}, 0.0
        return 200, None, 0.0

    captions, _ = load_captions(karpathy_file)
    captions = captions.slice(0, 24)
    config = GenerateConfig(output="sentence", sampling=SamplingParams(n=1), chunk_size=5)
    with FaultServer(bursty) as server:
        llm = engine(server, concurrency=4, max_retries=6)
        summary = generate(captions, tmp_path, [NegType.reshuffle], 1, llm, config)
        retries = llm.stats()["http_retries"]
        llm.close()
    assert summary.accepted["reshuffle"] == 24
    assert retries == 20 and server.calls == 24 + 20  # each refusal retried once more, no request lost
    ids = pl.read_parquet(tmp_path / "negatives" / "**" / "*.parquet")["caption_id"]
    assert len(ids) == 24 and ids.n_unique() == 24


def test_one_pool_serves_every_call():
    with FaultServer(ok) as server:
        llm = engine(server)
        complete(llm, requests(2))
        client = llm._client
        complete(llm, requests(2))
        assert llm._client is client and client is not None  # no new pool per call
        llm.close()
    assert llm._client is None


def echoed_logprobs(call, body):
    """A completions answer echoing the prompt: one token a word, the first without a log-prob, -1 for each
    following word, then the answer's own token at -9 (which must not count)."""
    n = len(body["prompt"].split())
    logprobs = [None] + [-1.0] * (n - 1) + [-9.0]
    answer = {"choices": [{"text": body["prompt"] + " x", "logprobs": {"token_logprobs": logprobs}}]}
    return 200, answer | {"usage": {"prompt_tokens": n, "completion_tokens": 1}}, 0.0


def test_the_engine_scorer_reads_the_prompt_logprobs_the_server_echoes():
    with FaultServer(echoed_logprobs) as server:
        scorer = engine(server).text_scorer()
        scores = scorer.score(["a dog on a couch", "dog"])
    assert scores[0] == -1.0 and math.isnan(scores[1])  # one token: nothing after the first to score
    body = server.bodies[0]
    assert server.paths == ["/v1/completions"] * 2
    assert body["echo"] is True and body["logprobs"] == 0 and body["max_tokens"] == 1 and body["temperature"] == 0
    assert scorer.name == "openai served-model"


def test_a_server_without_prompt_logprobs_is_one_line_naming_the_fix(tmp_path, karpathy_file):
    def chat_only(call, body):
        return 200, {"choices": [{"text": "x", "logprobs": None}], "usage": {"prompt_tokens": 3}}, 0.0

    with FaultServer(chat_only) as server:
        with pytest.raises(ValueError, match="gave no prompt logprobs .* plausibility.model=default"):
            engine(server).text_scorer().score(["a dog on a couch"])
        args = served_generate_args(server.base_url, tmp_path / "out", "--type", "replace_nouns", limit=2)
        result = neggen(*args, "--set", "plausibility.model=engine")
    assert result.returncode == 1, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("neggen: error")]
    assert len(errors) == 1 and "gave no prompt logprobs" in errors[0] and "Traceback" not in result.stderr
    assert not (tmp_path / "out" / "negatives").exists()
