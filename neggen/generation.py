"""One chunk of captions for one type: prompt -> engine -> parse -> validate -> retry -> one row each.

Failure classes (docs/generating.md): an engine that raises is retried with backoff and then fails the shard
(ShardFailed); a per-request error becomes a reject row at once; a content failure (unparseable, truncated,
invalid) is retried with a new seed up to `max_attempts`, then becomes a reject row with its last reason.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ValidationError
from tenacity import RetryError, Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from neggen.config import GenerateConfig
from neggen.engines.base import Completion, Engine, EngineError, Request
from neggen.pos import DEFAULT_TAGGER, PosTagger
from neggen.prompts import PromptBuilder, RenderedPrompt
from neggen.sharding import stable_hash
from neggen.text import words
from neggen.types import NegType
from neggen.validate import Reason, Verdict, reject, validate

MIN_CAPTION_WORDS = 3


class ShardFailed(RuntimeError):
    """An engine failure that retries did not fix; finished chunks of the shard are kept."""


@dataclass
class RunContext:
    run_id: str
    engine: Engine
    config: GenerateConfig
    tagger: PosTagger = DEFAULT_TAGGER
    engine_wait_max_s: float = 10.0


@dataclass
class _Pending:
    caption: dict[str, Any]
    prompt: RenderedPrompt
    attempt: int = 0
    seed: int = 0
    failed_reasons: list[str] = field(default_factory=list)
    last: Verdict = field(default_factory=lambda: reject(Reason.empty, "no attempt"))
    last_text: str | None = None
    finish_reason: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0


@dataclass
class ChunkResult:
    accepted: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    engine_seconds: float = 0.0


def request_seed(base_seed: int, caption_id: str, neg_type: NegType, attempt: int) -> int:
    return stable_hash(str(base_seed), caption_id, neg_type.value, str(attempt)) & 0x7FFFFFFF


class NegativeAnswer(BaseModel):
    """The JSON object an engine is constrained to when `structured_output` is on."""

    negative: str


NEGATIVE_SCHEMA = NegativeAnswer.model_json_schema()


def parse_completion(text: Any, structured: bool) -> str | None:
    """The negative inside a completion, or None when it cannot be read. JSON is never patched up."""
    if not isinstance(text, str):
        return None
    if not structured:
        return text.strip()
    try:
        return NegativeAnswer.model_validate_json(text).negative.strip()
    except ValidationError:
        return None


def _precheck(caption: str, config: GenerateConfig) -> Verdict | None:
    n = len(words(caption))
    if n > config.max_caption_words:
        return reject(Reason.caption_too_long, f"{n} words > {config.max_caption_words}")
    if n < MIN_CAPTION_WORDS:
        return reject(Reason.caption_too_short, f"{n} words")
    return None


def _call_engine(ctx: RunContext, requests: list[Request]) -> list[Completion]:
    def call() -> list[Completion]:
        out = ctx.engine.generate(requests)
        if not isinstance(out, list) or len(out) != len(requests):
            raise EngineError(
                f"engine returned {len(out) if isinstance(out, list) else type(out).__name__}"
                f" completions for {len(requests)} requests"
            )
        return out

    retrying = Retrying(
        stop=stop_after_attempt(ctx.config.engine_retries),
        wait=wait_exponential(multiplier=0.5, max=ctx.engine_wait_max_s),
        retry=retry_if_exception_type(Exception),  # class 1: any engine failure is retried
    )
    try:
        return retrying(call)
    except RetryError as exc:
        cause = exc.last_attempt.exception()
        raise ShardFailed(
            f"engine {ctx.engine.name} failed {ctx.config.engine_retries} times: {type(cause).__name__}: {cause}"
        ) from cause


def _row(ctx: RunContext, neg_type: NegType, p: _Pending, negative: str | None) -> dict[str, Any]:
    sampling = ctx.config.sampling
    return {
        "run_id": ctx.run_id,
        "caption_id": p.caption["caption_id"],
        "image_id": p.caption["image_id"],
        "image_path": p.caption.get("image_path"),
        "caption": p.caption["caption"],
        "neg_type": neg_type.value,
        "negative": negative,
        "attempt": p.attempt,
        "failed_reasons": p.failed_reasons,
        "engine": ctx.engine.name,
        "model": ctx.engine.model,
        "prompt_layout": ctx.config.prompt_layout,
        "prompt_sha": p.prompt.prompt_sha,
        "example_set": p.prompt.example_set,
        "example_ids": p.prompt.example_ids,
        "seed": p.seed,
        "temperature": sampling.temperature,
        "top_p": sampling.top_p,
        "max_tokens": sampling.max_tokens,
        "finish_reason": p.finish_reason,
        "prompt_tokens": p.prompt_tokens,
        "completion_tokens": p.completion_tokens,
        "created_at": datetime.now(UTC),
    }


def _reject_row(ctx: RunContext, neg_type: NegType, p: _Pending, verdict: Verdict) -> dict[str, Any]:
    return {**_row(ctx, neg_type, p, p.last_text), "reason": verdict.reason.value, "detail": verdict.detail}


def _judge(neg_type: NegType, p: _Pending, completion: Completion, ctx: RunContext) -> str | None:
    """Try the completion's candidates in order; return the first valid negative, else record why not."""
    for text, finish in zip(completion.texts, completion.finish_reasons, strict=False):
        negative = parse_completion(text, ctx.config.structured_output)
        p.finish_reason = finish
        p.last_text = negative if negative is not None else (text if isinstance(text, str) else None)
        if finish == "length":
            verdict = reject(Reason.truncated, f"hit max_tokens={ctx.config.sampling.max_tokens}")
        elif negative is None:
            verdict = reject(Reason.unparseable, repr(text)[:60])
        else:
            verdict = validate(neg_type, p.caption["caption"], negative, ctx.tagger)
        if verdict.accepted:
            return negative
        p.failed_reasons.append(verdict.reason.value)
        p.last = verdict
    if not completion.texts:
        p.last = reject(Reason.empty, "no candidates returned")
        p.failed_reasons.append(Reason.empty.value)
    return None


def generate_chunk(
    ctx: RunContext, builder: PromptBuilder, neg_type: NegType, captions: list[dict[str, Any]]
) -> ChunkResult:
    result = ChunkResult()
    pending: list[_Pending] = []
    for caption in captions:
        p = _Pending(caption, builder.render(caption["caption_id"], caption["caption"]))
        verdict = _precheck(caption["caption"], ctx.config)
        if verdict is not None:
            result.rejected.append(_reject_row(ctx, neg_type, p, verdict))
        else:
            pending.append(p)
    for attempt in range(1, ctx.config.max_attempts + 1):
        if not pending:
            break
        requests = []
        for p in pending:
            p.attempt = attempt
            p.seed = request_seed(ctx.config.seed, p.caption["caption_id"], neg_type, attempt)
            schema = NEGATIVE_SCHEMA if ctx.config.structured_output else None
            requests.append(Request(p.caption["caption_id"], p.prompt.messages, p.seed, ctx.config.sampling, schema))
        started = time.perf_counter()
        completions = _call_engine(ctx, requests)
        result.engine_seconds += time.perf_counter() - started
        still_pending = []
        for p, completion in zip(pending, completions, strict=True):
            p.prompt_tokens += completion.prompt_tokens or 0
            p.completion_tokens += completion.completion_tokens or 0
            if completion.error is not None:
                result.rejected.append(_reject_row(ctx, neg_type, p, reject(Reason.request_error, completion.error)))
                continue
            negative = _judge(neg_type, p, completion, ctx)
            if negative is not None:
                result.accepted.append(_row(ctx, neg_type, p, negative))
            else:
                still_pending.append(p)
        pending = still_pending
    result.rejected += [_reject_row(ctx, neg_type, p, p.last) for p in pending]
    return result
