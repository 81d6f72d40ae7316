"""Engines for failure paths only; the real engines are tested against the bundled model."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from neggen.engines.base import Completion, EngineError, Request
from neggen.engines.batched import BatchStream


class ScriptedEngine:
    """Answers each request with reply(request) -> list of texts (or raises what reply raises); a batch-only
    engine (each poll of its stream is one `generate` call, tried `tries` times)."""

    name = "scripted"
    model = "scripted-model"
    max_in_flight = None

    def __init__(self, reply: Callable[[Request], list], tries: int = 1):
        self.reply = reply
        self.tries = tries
        self.calls = 0
        self.requests: list[Request] = []

    def stream(self):
        return BatchStream(self.generate, self.tries, wait_max_s=0.5)

    def text_scorer(self) -> None:
        return None

    def version(self) -> str:
        return "scripted 0"

    def close(self) -> None:
        pass

    def stats(self) -> dict:
        return {"calls": self.calls}

    def generate(self, requests: Sequence[Request]) -> list[Completion]:
        self.calls += 1
        out = []
        for r in requests:
            self.requests.append(r)
            texts = self.reply(r)
            if isinstance(texts, Completion):
                out.append(texts)
                continue
            out.append(Completion(r.request_id, list(texts), ["stop"] * len(texts), 100, 10 * len(texts)))
        return out


def last_user_text(request: Request) -> str:
    return request.messages[-1]["content"]


def reverse_words(request: Request) -> list[str]:
    """A reshuffle every caption passes (same words, new order); not a valid swap or replace."""
    text = last_user_text(request).rstrip(".")
    return [" ".join(reversed(text.split())) + "."]


class FailingEngine(ScriptedEngine):
    """Raises EngineError on calls listed in fail_on (1-based), otherwise behaves like reverse_words."""

    def __init__(self, fail_on: set[int] | Callable[[int], bool], tries: int = 1):
        super().__init__(reverse_words, tries)
        self.fail_on = fail_on

    def generate(self, requests: Sequence[Request]) -> list[Completion]:
        call = self.calls + 1
        failing = self.fail_on(call) if callable(self.fail_on) else call in self.fail_on
        if failing:
            self.calls += 1
            raise EngineError(f"worker died on call {call}")
        return super().generate(requests)


class StreamingEngine(ScriptedEngine):
    """An engine with the incremental interface: each poll finishes `per_poll` of the requests in flight, newest
    first (so completions come back out of order), and raises EngineError once `die_after` have finished."""

    def __init__(self, reply: Callable[[Request], list], per_poll: int = 3, die_after: int | None = None):
        super().__init__(reply)
        self.per_poll, self.die_after = per_poll, die_after
        self.in_engine: list[tuple[int, Request]] = []
        self.max_in_engine = 0
        self.finished = 0
        self.log: list[tuple[str, str, int]] = []  # ("submit" | "done", caption id, attempt seed)

    def stream(self):
        return self

    def submit(self, key: int, request: Request) -> None:
        self.requests.append(request)
        self.in_engine.append((key, request))
        self.max_in_engine = max(self.max_in_engine, len(self.in_engine))
        self.log.append(("submit", request.request_id, request.seed))

    def in_flight(self) -> int:
        return len(self.in_engine)

    def poll(self, timeout: float | None = None) -> list[tuple[int, Completion]]:
        self.calls += 1
        if self.die_after is not None and self.finished >= self.die_after:
            raise EngineError("engine core died mid-stream")
        out = []
        for _ in range(min(self.per_poll, len(self.in_engine))):
            key, request = self.in_engine.pop()
            self.finished += 1
            self.log.append(("done", request.request_id, request.seed))
            texts = self.reply(request)
            out.append((key, Completion(request.request_id, list(texts), ["stop"] * len(texts), 100, 10)))
        return out
