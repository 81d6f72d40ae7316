"""Backends that only answer whole batches (the `hf` engine, the shapes world's oracle) made into engines.

`BatchStream` is the request stream over such a backend: `poll` sends everything queued as one call, retried
with backoff when the call fails as a whole (class 1 failure, docs/generating.md), then EngineError. Retries
of captions join new captions in the next call, so every call is as full as the window allows.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from tenacity import RetryError, Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from neggen.engines.base import Completion, EngineError, EngineTextScorer, Request

GenerateBatch = Callable[[Sequence[Request]], list[Completion]]


class BatchBackend(Protocol):
    """A backend answering a whole batch in one blocking call: one completion per request, in order."""

    name: str
    model: str
    max_in_flight: int | None

    def generate(self, requests: Sequence[Request]) -> list[Completion]: ...

    def text_scorer(self) -> EngineTextScorer | None: ...

    def version(self) -> str: ...

    def stats(self) -> dict[str, Any]: ...

    def close(self) -> None: ...


class BatchStream:
    """A RequestStream over a batch call: `poll` sends what is queued as one call, tried `tries` times."""

    def __init__(self, generate: GenerateBatch, tries: int = 3, wait_max_s: float = 10.0):
        self.generate, self.tries, self.wait_max_s = generate, tries, wait_max_s
        self.queue: deque[tuple[int, Request]] = deque()

    def submit(self, key: int, request: Request) -> None:
        self.queue.append((key, request))

    def in_flight(self) -> int:
        return len(self.queue)

    def poll(self, timeout: float | None = None) -> list[tuple[int, Completion]]:
        taken = list(self.queue)
        self.queue.clear()
        if not taken:
            return []
        completions = self._call([request for _, request in taken])
        return [(key, completion) for (key, _), completion in zip(taken, completions, strict=True)]

    def _call(self, requests: list[Request]) -> list[Completion]:
        def call() -> list[Completion]:
            out = self.generate(requests)
            if not isinstance(out, list) or len(out) != len(requests):
                got = len(out) if isinstance(out, list) else type(out).__name__
                raise EngineError(f"engine returned {got} completions for {len(requests)} requests")
            return out

        retrying = Retrying(
            stop=stop_after_attempt(self.tries),
            wait=wait_exponential(multiplier=0.5, max=self.wait_max_s),
            retry=retry_if_exception_type(Exception),  # class 1: any failure of the whole call is retried
        )
        try:
            return retrying(call)
        except RetryError as exc:
            cause = exc.last_attempt.exception()
            raise EngineError(f"{self.tries} tries failed, the last: {type(cause).__name__}: {cause}") from cause


class BatchedEngine:
    """An Engine over a batch-only backend; everything but `stream` is the backend's own."""

    def __init__(self, backend: BatchBackend, tries: int = 3, wait_max_s: float = 10.0):
        self.backend, self.tries, self.wait_max_s = backend, tries, wait_max_s
        self.name, self.model, self.max_in_flight = backend.name, backend.model, backend.max_in_flight

    def stream(self) -> BatchStream:
        return BatchStream(self.backend.generate, self.tries, self.wait_max_s)

    def text_scorer(self) -> EngineTextScorer | None:
        return self.backend.text_scorer()

    def version(self) -> str:
        return self.backend.version()

    def stats(self) -> dict[str, Any]:
        return self.backend.stats()

    def close(self) -> None:
        self.backend.close()
