"""One chunk of captions for one type: prompt -> engine -> parse -> validate -> retry -> one row each.

Failure classes (docs/generating.md): an engine that raises is retried with backoff and then fails the shard
(ShardFailed); a per-request error becomes a reject row at once; a content failure (unparseable, truncated,
invalid) is retried with a new seed up to `max_attempts`, then becomes a reject row with its last reason.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ValidationError
from tenacity import RetryError, Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from neggen.config import GenerateConfig, OutputForm
from neggen.edits.apply import EditRejected, negative_from_answer
from neggen.edits.form import candidate_spans, constraint_for, no_span_detail
from neggen.engines.base import Completion, Engine, EngineError, Request
from neggen.plausibility import Plausibility, Scores, unreadable_caption
from neggen.prompts import PromptBuilder, RenderedPrompt
from neggen.run.sharding import stable_hash
from neggen.text.pos import DEFAULT_TAGGER, PosTagger
from neggen.text.words import words
from neggen.types import NegType
from neggen.validate import Reason, Verdict, reject, validate_batch

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
    plausibility: Plausibility | None = None  # None: candidates the validators accept are kept unscored


@dataclass
class _Pending:
    caption: dict[str, Any]
    prompt: RenderedPrompt
    form: OutputForm = "sentence"
    constraint: str | None = None  # edit form: the regex of this caption's possible edits
    last_edit: str | None = None  # edit form: the model's answer behind last_text
    attempt: int = 0
    seed: int | None = 0
    failed_reasons: list[str] = field(default_factory=list)
    last: Verdict = field(default_factory=lambda: reject(Reason.empty, "no attempt"))
    last_text: str | None = None
    last_scores: Scores = field(default_factory=lambda: Scores(None, None))
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
    return unreadable_caption(caption)


def call_engine(ctx: RunContext, requests: list[Request]) -> list[Completion]:
    """One blocking batch call, retried with backoff on any engine failure (class 1), else ShardFailed."""

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
        "output": p.form,
        "edit": p.last_edit,
        "prompt_sha": p.prompt.prompt_sha,
        "example_set": p.prompt.example_set,
        "example_ids": p.prompt.example_ids,
        "seed": p.seed,
        "temperature": sampling.temperature,
        "top_p": sampling.top_p,
        "max_tokens": sampling.max_tokens,
        "finish_reason": p.finish_reason,
        "caption_logprob": p.last_scores.caption,
        "negative_logprob": p.last_scores.negative,
        "prompt_tokens": p.prompt_tokens,
        "completion_tokens": p.completion_tokens,
        "created_at": datetime.now(UTC),
    }


def _reject_row(ctx: RunContext, neg_type: NegType, p: _Pending, verdict: Verdict) -> dict[str, Any]:
    return {**_row(ctx, neg_type, p, p.last_text), "reason": verdict.reason.value, "detail": verdict.detail}


@dataclass
class _Candidate:
    """One of a completion's n texts, read (sentence or edit form) and, once judged, with its verdict."""

    text: Any
    finish: str | None
    negative: str | None
    edit: str | None
    verdict: Verdict | None  # None: readable, waiting for the batch validation
    scores: Scores = field(default_factory=lambda: Scores(None, None))


def _read(neg_type: NegType, p: _Pending, text: Any, finish: str | None, ctx: RunContext) -> _Candidate:
    edit, verdict = None, None
    if p.form == "edit":
        edit = text if isinstance(text, str) else None
        negative, verdict = _from_edit(neg_type, p, text)
    else:
        negative = parse_completion(text, ctx.config.structured_output)
    if finish == "length":
        verdict = reject(Reason.truncated, f"hit max_tokens={ctx.config.sampling.max_tokens}")
    elif verdict is None and negative is None:
        verdict = reject(Reason.unparseable, repr(text)[:60])
    return _Candidate(text, finish, negative, edit, verdict)


def judge_all(items: list[tuple[NegType, _Pending, Completion]], ctx: RunContext) -> list[list[_Candidate]]:
    """Every candidate of every completion read and validated as one batch (one tagger pass for all of them)."""
    judged = [
        [_read(neg_type, p, text, finish, ctx) for text, finish in zip(c.texts, c.finish_reasons, strict=False)]
        for neg_type, p, c in items
    ]
    todo = [
        (cand, (neg_type, p.caption["caption"], cand.negative))
        for (neg_type, p, _), candidates in zip(items, judged, strict=True)
        for cand in candidates
        if cand.verdict is None
    ]
    verdicts = validate_batch([item for _, item in todo], ctx.tagger, ctx.config.meaning_checks)
    for (cand, _), verdict in zip(todo, verdicts, strict=True):
        cand.verdict = verdict
    if ctx.plausibility is not None:
        judge_plausibility(ctx.plausibility, [(neg_type, cand, caption) for cand, (neg_type, caption, _) in todo])
    return judged


def judge_plausibility(plausibility: Plausibility, items: list[tuple[NegType, _Candidate, str]]) -> None:
    """Score the candidates the validators accepted (one scorer call for the batch) and reject the
    implausible ones; a scorer failure gives its rows a reason, never a crash."""
    kept = [(neg_type, cand, caption) for neg_type, cand, caption in items if cand.verdict and cand.verdict.accepted]
    if not kept:
        return
    scores, failure = plausibility.score_pairs([(caption, cand.negative or "") for _, cand, caption in kept])
    for (neg_type, cand, _), score in zip(kept, scores, strict=True):
        cand.scores = score
        cand.verdict = plausibility.judge(neg_type, score, failure)


def _best(candidates: list[_Candidate]) -> _Candidate | None:
    """The accepted candidate with the largest plausibility gap (the first one when none was scored)."""
    accepted = [c for c in candidates if c.verdict is not None and c.verdict.accepted]
    if not accepted:
        return None
    return max(accepted, key=lambda c: -math.inf if c.scores.gap is None else c.scores.gap)


def _keep(p: _Pending, cand: _Candidate) -> None:
    p.finish_reason = cand.finish
    p.last_edit = cand.edit
    p.last_text = cand.negative if cand.negative is not None else (cand.text if isinstance(cand.text, str) else None)
    p.last_scores = cand.scores


def _judge(p: _Pending, candidates: list[_Candidate]) -> str | None:
    """Return the best valid negative among the candidates, recording why each one before it was refused;
    with none valid, record every candidate's reason."""
    best = _best(candidates)
    for cand in candidates:
        if cand is best:
            _keep(p, best)
            return best.negative
        assert cand.verdict is not None  # judge_all judged every candidate
        if cand.verdict.reason is None:
            continue  # valid, but a better-scoring candidate follows
        _keep(p, cand)
        p.failed_reasons.append(cand.verdict.reason.value)
        p.last = cand.verdict
    if not candidates:
        p.last = reject(Reason.empty, "no candidates returned")
        p.failed_reasons.append(Reason.empty.value)
    return None


def _from_edit(neg_type: NegType, p: _Pending, text: Any) -> tuple[str | None, Verdict | None]:
    """Edit form: the negative the answer's edit makes, or why the answer makes none."""
    try:
        return negative_from_answer(neg_type, p.caption["caption"], str(text or "")), None
    except EditRejected as exc:
        return None, reject(exc.reason, exc.detail)


def _edit_precheck(p: _Pending, neg_type: NegType, ctx: RunContext) -> Verdict | None:
    """Edit form: this caption's constraint, or no_candidate_span when it has nothing to edit (no engine call)."""
    spans = candidate_spans(neg_type, p.caption["caption"], ctx.tagger, ctx.config.replace_choices)
    p.constraint = constraint_for(neg_type, spans)
    return reject(Reason.no_candidate_span, no_span_detail(neg_type, spans)) if p.constraint is None else None


def parse_for_prechecks(ctx: RunContext, captions: list[dict[str, Any]]) -> None:
    """Parse, in one tagger pass, the captions the edit-form precheck will read (into the tagger's cache);
    captions the plain precheck refuses (too long, empty) are left out, as they are never parsed."""
    ctx.tagger.analyze([c["caption"] for c in captions if _precheck(c["caption"], ctx.config) is None])


def start_caption(
    ctx: RunContext, builder: PromptBuilder, neg_type: NegType, caption: dict[str, Any]
) -> tuple[_Pending, dict[str, Any] | None]:
    """A caption's pending state, and its reject row when it is refused before any engine call."""
    p = _Pending(caption, builder.render(caption["caption_id"], caption["caption"]), builder.form)
    verdict = _precheck(caption["caption"], ctx.config)
    if verdict is None and p.form == "edit":
        verdict = _edit_precheck(p, neg_type, ctx)
    return p, (_reject_row(ctx, neg_type, p, verdict) if verdict is not None else None)


def next_request(ctx: RunContext, neg_type: NegType, p: _Pending) -> Request:
    """The caption's next attempt, with that attempt's seed (recorded even when the engine is not given it)."""
    p.attempt += 1
    seed = request_seed(ctx.config.seed, p.caption["caption_id"], neg_type, p.attempt)
    p.seed = seed if ctx.config.per_request_seeds else None
    # JSON output applies to sentence-form answers; edit-form answers follow their own regex.
    schema = NEGATIVE_SCHEMA if ctx.config.structured_output and p.form == "sentence" else None
    return Request(p.caption["caption_id"], p.prompt.messages, p.seed, ctx.config.sampling, schema, p.constraint)


Settled = tuple[bool, dict[str, Any]] | None  # (accepted, row) when the caption is final, None to retry


def settle_all(ctx: RunContext, items: list[tuple[NegType, _Pending, Completion]]) -> list[Settled]:
    """The one step from completions to rows, for a batch (validated in one tagger pass)."""
    judged = iter(judge_all([item for item in items if item[2].error is None], ctx))
    out: list[Settled] = []
    for neg_type, p, completion in items:
        p.prompt_tokens += completion.prompt_tokens or 0
        p.completion_tokens += completion.completion_tokens or 0
        if completion.error is not None:
            out.append((False, _reject_row(ctx, neg_type, p, reject(Reason.request_error, completion.error))))
            continue
        negative = _judge(p, next(judged))
        if negative is not None:
            out.append((True, _row(ctx, neg_type, p, negative)))
        elif p.attempt >= ctx.config.max_attempts or p.last.reason == Reason.caption_unreadable:
            # An unreadable caption stays unreadable: no retry.
            out.append((False, _reject_row(ctx, neg_type, p, p.last)))
        else:
            out.append(None)
    return out


def generate_chunk(
    ctx: RunContext, builder: PromptBuilder, neg_type: NegType, captions: list[dict[str, Any]]
) -> ChunkResult:
    """The old blocking loop (one engine call per attempt of a chunk); kept as the baseline of bench/scheduler.py."""
    result = ChunkResult()
    pending: list[_Pending] = []
    for caption in captions:
        p, refused = start_caption(ctx, builder, neg_type, caption)
        if refused is not None:
            result.rejected.append(refused)
        else:
            pending.append(p)
    while pending:
        requests = [next_request(ctx, neg_type, p) for p in pending]
        started = time.perf_counter()
        completions = call_engine(ctx, requests)
        result.engine_seconds += time.perf_counter() - started
        still_pending = []
        settled = settle_all(ctx, [(neg_type, p, c) for p, c in zip(pending, completions, strict=True)])
        for p, final in zip(pending, settled, strict=True):
            if final is None:
                still_pending.append(p)
            else:
                (result.accepted if final[0] else result.rejected).append(final[1])
        pending = still_pending
    return result
