"""Batch-only backends as engines: each poll is one call with everything queued, tried `tries` times."""

from __future__ import annotations

import pytest

from neggen.engines.base import Completion, EngineError, Request, SamplingParams, complete
from neggen.engines.batched import BatchedEngine, BatchStream


def requests(n: int) -> list[Request]:
    return [Request(f"r{i}", [{"role": "user", "content": f"caption {i}"}], i, SamplingParams(n=1)) for i in range(n)]


class Flaky:
    """Fails its first `failures` calls as a whole, then answers each request with its own id."""

    name, model, max_in_flight = "flaky", "flaky-model", 7

    def __init__(self, failures: int = 0, short: bool = False):
        self.failures, self.short, self.calls = failures, short, []

    def generate(self, batch):
        self.calls.append([r.request_id for r in batch])
        if len(self.calls) <= self.failures:
            raise RuntimeError(f"call {len(self.calls)} died")
        answered = [Completion(r.request_id, [r.request_id], ["stop"]) for r in batch]
        return answered[:-1] if self.short else answered

    def text_scorer(self):
        return None

    def version(self) -> str:
        return "flaky 0"

    def stats(self) -> dict:
        return {"calls": len(self.calls)}

    def close(self) -> None:
        pass


def test_a_poll_sends_everything_queued_as_one_call_in_request_order():
    backend = Flaky()
    stream = BatchStream(backend.generate)
    for key, request in zip((5, 3, 9), requests(3), strict=True):
        stream.submit(key, request)
    assert stream.in_flight() == 3
    assert [(k, c.texts[0]) for k, c in stream.poll()] == [(5, "r0"), (3, "r1"), (9, "r2")]
    assert backend.calls == [["r0", "r1", "r2"]] and stream.in_flight() == 0 and stream.poll() == []


def test_a_failed_call_is_tried_again_up_to_tries_then_named_with_its_cause():
    backend = Flaky(failures=2)
    assert [c.texts for c in complete(BatchedEngine(backend, tries=3, wait_max_s=0), requests(2))] == [["r0"], ["r1"]]
    assert len(backend.calls) == 3  # two failures, then the answer
    with pytest.raises(EngineError, match=r"2 tries failed, the last: RuntimeError: call 2 died"):
        complete(BatchedEngine(Flaky(failures=2), tries=2, wait_max_s=0), requests(2))


def test_a_backend_that_drops_a_completion_fails_the_call():
    with pytest.raises(EngineError, match="returned 1 completions for 2 requests"):
        complete(BatchedEngine(Flaky(short=True), tries=1), requests(2))


def test_the_wrapper_is_the_backend_but_for_its_stream():
    engine = BatchedEngine(Flaky())
    assert (engine.name, engine.model, engine.max_in_flight, engine.version()) == ("flaky", "flaky-model", 7, "flaky 0")
    assert engine.text_scorer() is None and isinstance(engine.stream(), BatchStream)
