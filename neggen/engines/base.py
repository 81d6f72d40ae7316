"""The one protocol between the pipeline and any LLM backend."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, Field


class SamplingParams(BaseModel):
    temperature: float = Field(0.8, ge=0.0)
    top_p: float = Field(0.95, gt=0.0, le=1.0)
    max_tokens: int = Field(48, ge=1)  # a caption is ~15 tokens and a valid negative at most twice that
    n: int = Field(2, ge=1, description="completions per request; the best-scoring one that validates is kept")


@dataclass(frozen=True)
class Request:
    request_id: str
    messages: list[dict[str, str]]
    seed: int | None  # None: the engine's own sampler state (vLLM's faster batched path); see per_request_seeds
    sampling: SamplingParams
    json_schema: dict[str, Any] | None = None
    # A full-match regex the answer must follow (the edit form). At most one of json_schema and regex; an
    # engine that cannot enforce a constraint raises EngineError instead of ignoring it.
    regex: str | None = None

    def __post_init__(self) -> None:
        if self.json_schema is not None and self.regex is not None:
            raise ValueError("a request takes one constraint: json_schema or regex, not both")


@dataclass
class Completion:
    """One request's answer: n candidate texts, or an error that concerns this request only."""

    request_id: str
    texts: list[str] = field(default_factory=list)
    finish_reasons: list[str | None] = field(default_factory=list)
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    error: str | None = None


@dataclass
class EngineTextScorer:
    """Mean token log-probability of texts under an engine's own model (NaN for a text it cannot score): what
    an engine's `text_scorer()` returns for `plausibility.model = "engine"`. `fingerprint` names the weights
    and precision, so a calibration is cached per model."""

    name: str
    fingerprint: str
    score_texts: Callable[[Sequence[str]], list[float]]

    def score(self, texts: Sequence[str]) -> list[float]:
        return self.score_texts(texts)


def mean_logprob(logprobs: Sequence[float]) -> float:
    """The mean of a text's token log-probs; NaN for no tokens (callers read NaN as "not scored")."""
    return sum(logprobs) / len(logprobs) if logprobs else float("nan")


class EngineError(RuntimeError):
    """The engine or its transport failed as a whole (class 1 failure): retried, then the shard fails."""


@runtime_checkable
class RequestStream(Protocol):
    """Incremental driving: requests go in as the scheduler has them, completions come out as they finish.

    Keys are the caller's (unique among requests in flight); `poll` returns finished (key, completion) pairs in
    any order, waiting up to `timeout` seconds for at least one, and raises EngineError when the engine dies.
    """

    def submit(self, key: int, request: Request) -> None: ...

    def poll(self, timeout: float | None = None) -> list[tuple[int, Completion]]: ...

    def in_flight(self) -> int: ...


@runtime_checkable
class Engine(Protocol):
    """The one protocol between the generation core and any LLM backend. Backends that only answer whole
    batches are made engines by `neggen.engines.batched.BatchedEngine` (the factory wraps them)."""

    name: str
    model: str
    # Requests worth keeping in flight to keep the engine busy; None: no preference (one part's worth).
    max_in_flight: int | None

    def stream(self) -> RequestStream: ...

    def text_scorer(self) -> EngineTextScorer | None:
        """A scorer with the engine's own model (`plausibility.model = "engine"`), or None when it has none."""
        ...

    def version(self) -> str: ...

    def stats(self) -> dict[str, Any]:
        """Counters worth recording per shard (prefix cache hits, retries, ...)."""
        ...

    def close(self) -> None: ...


def complete(engine: Engine, requests: Sequence[Request]) -> list[Completion]:
    """Every request through one stream, waited for: one completion per request, in request order (one-off
    calls, tests and benchmarks; generation keeps a window in flight instead)."""
    stream = engine.stream()
    for key, request in enumerate(requests):
        stream.submit(key, request)
    done: dict[int, Completion] = {}
    while len(done) < len(requests):
        done.update(stream.poll())
    return [done[key] for key in range(len(requests))]
