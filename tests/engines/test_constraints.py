"""Constrained decoding for real: the edit form's regex (and JSON) on the hf engine with the bundled model,
and the openai engine's request field and its refusal of a server that ignores it."""

from __future__ import annotations

import json
import re

import pytest

from neggen.edits.apply import negative_from_answer
from neggen.edits.form import candidate_spans, constraint_for
from neggen.engines.base import EngineError, Request, SamplingParams, complete
from neggen.engines.openai_server import OpenAIEngine
from neggen.generation.attempt import NEGATIVE_SCHEMA, NegativeAnswer
from neggen.prompts import PromptBuilder, load_prompt
from neggen.text.pos import DEFAULT_TAGGER
from neggen.types import NegType
from neggen.validate import validate
from tests.engines.fault_server import FaultServer

CAPTIONS = [
    "A man riding a horse on a beach.",
    "Two dogs playing with a frisbee in the grass.",
    "A red bus parked next to a tall building.",
    "A woman holding an umbrella in the rain.",
]
# swap_nouns exchanges only things of one kind (neggen/validate/kinds.py): captions that offer such a pair.
SWAP_CAPTIONS = [
    "A bus driving behind a truck.",
    "A fork to the left of a knife.",
    "A man carrying a surfboard past a bicycle.",
    "A car parked in front of a bus.",
]


def edit_requests(neg_type: NegType, sampling: SamplingParams, captions=None) -> list[Request]:
    """Edit-form requests, each with its caption's regex (CAPTIONS, or SWAP_CAPTIONS for swap_nouns)."""
    captions = captions or (SWAP_CAPTIONS if neg_type == NegType.swap_nouns else CAPTIONS)
    builder = PromptBuilder(load_prompt(neg_type), num_sets=1, output="edit")
    out = []
    for i, caption in enumerate(captions):
        regex = constraint_for(neg_type, candidate_spans(neg_type, caption, DEFAULT_TAGGER))
        assert regex is not None, f"{caption!r} offers no {neg_type.value} edit"
        out.append(Request(f"r{i}", builder.render(f"{i:016x}", caption).messages, i, sampling, regex=regex))
    return out


def assert_constrained(requests: list[Request], completions) -> int:
    """Every finished answer full-matches its request's regex; returns how many were finished."""
    finished = 0
    for request, completion in zip(requests, completions, strict=True):
        for text, finish in zip(completion.texts, completion.finish_reasons, strict=True):
            if finish == "stop":
                assert re.fullmatch(request.regex, text), (request.regex, text)
                finished += 1
    return finished


@pytest.mark.slow
@pytest.mark.parametrize("neg_type", [NegType.replace_nouns, NegType.swap_nouns])
def test_hf_answers_follow_the_regex(hf_engine, neg_type):
    requests = edit_requests(neg_type, SamplingParams(n=2, max_tokens=16))
    completions = hf_engine.generate(requests)
    assert assert_constrained(requests, completions) == 8  # short answers: none hits max_tokens
    # An edit is a few tokens, where a sentence is ~15.
    assert all(c.completion_tokens <= 2 * 12 for c in completions)
    for request, completion in zip(requests, completions, strict=True):
        caption = request.messages[-1]["content"]
        for text in completion.texts:
            negative = negative_from_answer(neg_type, caption, text)
            assert negative != caption or validate(neg_type, caption, negative).reason == "copy"


@pytest.mark.slow
def test_hf_mixes_constrained_and_free_rows_and_enforces_json(hf_engine):
    sampling = SamplingParams(n=1, max_tokens=48)
    constrained = edit_requests(NegType.replace_nouns, sampling, CAPTIONS[:2])
    builder = PromptBuilder(load_prompt(NegType.replace_nouns), num_sets=1)
    free = Request("free", builder.render("f", CAPTIONS[2]).messages, 7, sampling)
    as_json = Request("json", builder.render("j", CAPTIONS[3]).messages, 8, sampling, json_schema=NEGATIVE_SCHEMA)
    out = hf_engine.generate([*constrained, free, as_json])
    assert assert_constrained(constrained, out[:2]) == 2
    assert "->" not in out[2].texts[0]  # the free row was not masked by its batch-mates' grammar
    if out[3].finish_reasons == ["stop"]:
        NegativeAnswer.model_validate(json.loads(out[3].texts[0]))
    else:
        assert out[3].texts[0].startswith("{")


def first_match(regex: str) -> str:
    """A text the edit regex fully matches: its first alternative (a swap or exchange pair, a same-kind
    replacement's first word, or a free replacement's first span with the new word "cat")."""
    body = regex[1:].split("|")[0].rstrip(")")
    if " -> (" in body:  # same-kind replace: (old -> (new|...)|...)
        text = body.replace("(", "")
    elif " -> " in regex and "<->" not in regex:  # free replace: (old|...) -> [a-z]...
        text = body + " -> cat"
    else:  # swap or exchange: (a <-> b|...)
        text = body
    text = text.replace("\\", "")
    assert re.fullmatch(regex, text), (regex, text)
    return text


def regex_answer(call, body):
    """A server that enforces the regex: answers a text it matches."""
    text = first_match(body["structured_outputs"]["regex"])
    choices = [{"index": 0, "message": {"content": text}, "finish_reason": "stop"}]
    return 200, {"choices": choices, "usage": {"prompt_tokens": 9, "completion_tokens": 3}}, 0.0


def test_openai_sends_the_regex_as_structured_outputs():
    requests = edit_requests(NegType.replace_nouns, SamplingParams(n=1))
    with FaultServer(regex_answer) as server:
        out = complete(OpenAIEngine("m", base_url=server.base_url, max_retries=1), requests)
    sent = {b["messages"][-1]["content"]: b["structured_outputs"] for b in server.bodies}
    assert sent == {r.messages[-1]["content"]: {"regex": r.regex} for r in requests}
    assert all("response_format" not in b for b in server.bodies)
    assert [c.texts for c in out][0] == ["man -> cat"]


def test_openai_refuses_a_server_that_ignores_the_constraint():
    requests = edit_requests(NegType.replace_nouns, SamplingParams(n=1))
    with FaultServer(lambda call, body: (200, None, 0.0)) as server:  # answers a sentence, regex or not
        with pytest.raises(EngineError, match="ignored the structured_outputs regex"):
            complete(OpenAIEngine("m", base_url=server.base_url, max_retries=1), requests)


# How servers without structured outputs refuse the field: OpenAI's API (400), TGI (422), a pydantic model that
# forbids extra inputs (400).
REFUSALS = [
    (400, {"error": {"message": "Unrecognized request argument supplied: structured_outputs"}}),
    (422, "Failed to deserialize the JSON body into the target type: unknown field `structured_outputs`"),
    (400, {"detail": [{"loc": ["body", "structured_outputs"], "msg": "Extra inputs are not permitted"}]}),
]


@pytest.mark.parametrize(("status", "payload"), REFUSALS)
def test_openai_refuses_a_server_that_rejects_the_constraint_field(status, payload):
    requests = edit_requests(NegType.replace_nouns, SamplingParams(n=1))
    with FaultServer(lambda call, body: (status, payload, 0.0)) as server:
        llm = OpenAIEngine("m", base_url=server.base_url, max_retries=3)
        with pytest.raises(EngineError, match="refused the structured_outputs constraint") as raised:
            complete(llm, requests)
        assert "--output sentence" in str(raised.value) and "\n" not in str(raised.value)
        assert server.calls <= len(requests) and llm.stats()["http_retries"] == 0  # a refusal is not retried
        # The same answer to an unconstrained request stays that request's error, as any other 4xx.
        free = Request("free", requests[0].messages, 1, SamplingParams(n=1))
        out = complete(llm, [free])
    assert f"HTTP {status}" in out[0].error and "structured_outputs" in out[0].error and out[0].texts == []


def test_openai_keeps_a_constrained_request_error_that_is_no_refusal_per_request():
    """vLLM itself names the field when one regex is bad; that is this request's error, not the server's."""

    def one_bad(call, body):
        if "A man riding" in body["messages"][-1]["content"]:
            return 400, {"error": {"message": "structured_outputs.regex must not contain a NUL character"}}, 0.0
        return regex_answer(call, body)

    requests = edit_requests(NegType.replace_nouns, SamplingParams(n=1))
    with FaultServer(one_bad) as server:
        out = complete(OpenAIEngine("m", base_url=server.base_url, max_retries=1), requests)
    assert "HTTP 400" in out[0].error and "NUL character" in out[0].error
    assert all(c.error is None and c.texts for c in out[1:])


@pytest.mark.slow  # a CLI subprocess: loads the tagger (~20 s on 2 cores)
def test_generate_on_a_server_that_rejects_the_constraint_is_one_line(tmp_path):
    from tests.served import neggen, served_generate_args
    from tests.test_failures import assert_one_line

    status, payload = REFUSALS[0]
    with FaultServer(lambda call, body: (status, payload, 0.0)) as server:
        args = served_generate_args(server.base_url, tmp_path / "out", "--type", "replace_nouns", limit=8)
        result = neggen(*args, "--output", "edit")
    assert_one_line(result, 2, "refused the structured_outputs constraint", "--output sentence")
