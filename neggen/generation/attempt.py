"""One caption's attempts at one type: prompt -> engine -> read -> validate -> score -> retry -> one row.

The core of generation, in the order a caption meets it: `start_caption` opens its `CaptionAttempt` (or refuses
the caption before any engine call), `next_request` asks for its next attempt, and `settle_all` reads a batch
of completions into final rows, or leaves a caption to be asked again.

Failure classes (docs/generating.md): a per-request error becomes a reject row at once; a content failure
(unparseable, truncated, invalid, implausible) is retried with a new seed up to `max_attempts`, then becomes a
reject row with its last reason; an engine that fails as a whole is the engine stream's and the scheduler's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from neggen.config import GenerateConfig, OutputForm
from neggen.edits.apply import EditRejected, negative_from_answer
from neggen.edits.form import candidate_spans, constraint_for, no_span_detail
from neggen.engines.base import Completion, Engine, Request
from neggen.plausibility import Plausibility, Scores, unreadable_caption
from neggen.prompts import PromptBuilder, RenderedPrompt
from neggen.run.sharding import stable_hash
from neggen.text.pos import DEFAULT_TAGGER, PosTagger
from neggen.text.words import words
from neggen.types import NegType
from neggen.validate import Reason, Verdict, reject, validate_batch

if TYPE_CHECKING:
    from neggen.validate.relations import RelationTable

MIN_CAPTION_WORDS = 3


@dataclass
class RunContext:
    """What every attempt of an invocation shares."""

    run_id: str
    engine: Engine
    config: GenerateConfig
    tagger: PosTagger = DEFAULT_TAGGER
    plausibility: Plausibility | None = None  # None: candidates the validators accept are kept unscored
    relations: RelationTable | None = None  # None: exchanges are not checked against reference captions


@dataclass
class CaptionAttempt:
    """One caption on its way to its one row of one type: its prompt and (edit form) constraint, the attempts
    made so far, and the answer behind the row it will end in."""

    neg_type: NegType
    caption: dict[str, Any]
    prompt: RenderedPrompt
    form: OutputForm = "sentence"
    constraint: str | None = None  # edit form: the regex of this caption's possible edits
    attempt: int = 0
    seed: int | None = 0
    failed_reasons: list[str] = field(default_factory=list)
    last: Verdict = field(default_factory=lambda: reject(Reason.empty, "no attempt"))
    last_text: str | None = None
    last_edit: str | None = None  # edit form: the model's answer behind last_text
    last_scores: Scores = field(default_factory=lambda: Scores(None, None))
    finish_reason: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def text(self) -> str:
        return self.caption["caption"]


@dataclass(frozen=True)
class FinalRow:
    """A caption's one row: an accepted negative or a reject with its reason."""

    accepted: bool
    row: dict[str, Any]


def start_caption(
    ctx: RunContext, builder: PromptBuilder, neg_type: NegType, caption: dict[str, Any]
) -> CaptionAttempt | FinalRow:
    """The caption's attempt, or its reject row when it is refused before any engine call."""
    a = CaptionAttempt(neg_type, caption, builder.render(caption["caption_id"], caption["caption"]), builder.form)
    verdict = _precheck(a.text, ctx.config)
    if verdict is None and a.form == "edit":
        spans = candidate_spans(neg_type, a.text, ctx.tagger, ctx.config.replace_choices, ctx.relations)
        a.constraint = constraint_for(neg_type, spans)
        if a.constraint is None:  # nothing to edit: no engine call
            verdict = reject(Reason.no_candidate_span, no_span_detail(neg_type, spans))
    return FinalRow(False, _reject_row(ctx, a, verdict)) if verdict is not None else a


def next_request(ctx: RunContext, a: CaptionAttempt) -> Request:
    """The caption's next attempt, with that attempt's seed (recorded even when the engine is not given it)."""
    a.attempt += 1
    seed = request_seed(ctx.config.seed, a.caption["caption_id"], a.neg_type, a.attempt)
    a.seed = seed if ctx.config.per_request_seeds else None
    # JSON output applies to sentence-form answers; edit-form answers follow their own regex.
    schema = NEGATIVE_SCHEMA if ctx.config.structured_output and a.form == "sentence" else None
    return Request(a.caption["caption_id"], a.prompt.messages, a.seed, ctx.config.sampling, schema, a.constraint)


def settle_all(ctx: RunContext, landed: list[tuple[CaptionAttempt, Completion]]) -> list[FinalRow | None]:
    """Completions to rows, for a batch (validated in one tagger pass): each caption's final row, or None when
    it is to be asked again."""
    judged = iter(judge_all(ctx, [(a, c) for a, c in landed if c.error is None]))
    out: list[FinalRow | None] = []
    for a, completion in landed:
        a.prompt_tokens += completion.prompt_tokens or 0
        a.completion_tokens += completion.completion_tokens or 0
        if completion.error is not None:
            out.append(FinalRow(False, _reject_row(ctx, a, reject(Reason.request_error, completion.error))))
            continue
        negative = _choose(a, next(judged))
        if negative is not None:
            out.append(FinalRow(True, _row(ctx, a, negative)))
        elif a.attempt >= ctx.config.max_attempts or a.last.reason == Reason.caption_unreadable:
            # An unreadable caption stays unreadable: no retry.
            out.append(FinalRow(False, _reject_row(ctx, a, a.last)))
        else:
            out.append(None)
    return out


def parse_for_prechecks(ctx: RunContext, captions: list[dict[str, Any]]) -> None:
    """Parse, in one tagger pass, the captions the edit-form precheck will read (into the tagger's cache);
    captions the plain precheck refuses (too long, empty) are left out, as they are never parsed."""
    ctx.tagger.analyze([c["caption"] for c in captions if _precheck(c["caption"], ctx.config) is None])


def _precheck(caption: str, config: GenerateConfig) -> Verdict | None:
    n = len(words(caption))
    if n > config.max_caption_words:
        return reject(Reason.caption_too_long, f"{n} words > {config.max_caption_words}")
    if n < MIN_CAPTION_WORDS:
        return reject(Reason.caption_too_short, f"{n} words")
    return unreadable_caption(caption)


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


@dataclass
class Candidate:
    """One of a completion's n texts, read (sentence or edit form) and, once judged, with its verdict."""

    text: Any
    finish: str | None
    negative: str | None
    edit: str | None
    verdict: Verdict | None  # None: readable, waiting for the batch validation
    scores: Scores = field(default_factory=lambda: Scores(None, None))


def judge_all(ctx: RunContext, landed: list[tuple[CaptionAttempt, Completion]]) -> list[list[Candidate]]:
    """Every candidate of every completion read and validated as one batch (one tagger pass for all of them),
    then the valid ones scored for plausibility (one scorer call)."""
    judged = [
        [_read(ctx, a, text, finish) for text, finish in zip(c.texts, c.finish_reasons, strict=False)]
        for a, c in landed
    ]
    todo = [
        (a, cand)
        for (a, _), candidates in zip(landed, judged, strict=True)
        for cand in candidates
        if cand.verdict is None
    ]
    verdicts = validate_batch(
        [(a.neg_type, a.text, cand.negative) for a, cand in todo],
        ctx.tagger,
        ctx.config.meaning_checks,
        ctx.relations,
    )
    for (_, cand), verdict in zip(todo, verdicts, strict=True):
        cand.verdict = verdict
    if ctx.plausibility is not None:
        judge_plausibility(ctx.plausibility, [(a.neg_type, cand, a.text) for a, cand in todo])
    return judged


def judge_plausibility(plausibility: Plausibility, items: list[tuple[NegType, Candidate, str]]) -> None:
    """Score the candidates the validators accepted (one scorer call for the batch) and reject the
    implausible ones; a scorer failure gives its rows a reason, never a crash."""
    kept = [(neg_type, cand, caption) for neg_type, cand, caption in items if cand.verdict and cand.verdict.accepted]
    if not kept:
        return
    scores, failure = plausibility.score_pairs([(caption, cand.negative or "") for _, cand, caption in kept])
    for (neg_type, cand, _), score in zip(kept, scores, strict=True):
        cand.scores = score
        cand.verdict = plausibility.judge(neg_type, score, failure)


def _read(ctx: RunContext, a: CaptionAttempt, text: Any, finish: str | None) -> Candidate:
    edit, verdict = None, None
    if a.form == "edit":
        edit = text if isinstance(text, str) else None
        try:
            negative = negative_from_answer(a.neg_type, a.text, str(text or ""))
        except EditRejected as exc:
            negative, verdict = None, reject(exc.reason, exc.detail)
    else:
        negative = parse_completion(text, ctx.config.structured_output)
    if finish == "length":
        verdict = reject(Reason.truncated, f"hit max_tokens={ctx.config.sampling.max_tokens}")
    elif verdict is None and negative is None:
        verdict = reject(Reason.unparseable, repr(text)[:60])
    return Candidate(text, finish, negative, edit, verdict)


def _choose(a: CaptionAttempt, candidates: list[Candidate]) -> str | None:
    """The valid candidate with the largest plausibility gap (the first valid one when none was scored),
    recording why each candidate before it was refused; with none valid, every candidate's reason."""
    accepted = [c for c in candidates if c.verdict is not None and c.verdict.accepted]
    best = max(accepted, key=lambda c: -math.inf if c.scores.gap is None else c.scores.gap) if accepted else None
    for cand in candidates:
        if cand is best:
            _keep(a, best)
            return best.negative
        assert cand.verdict is not None  # judge_all judged every candidate
        if cand.verdict.reason is None:
            continue  # valid, but a better-scoring candidate follows
        _keep(a, cand)
        a.failed_reasons.append(cand.verdict.reason.value)
        a.last = cand.verdict
    if not candidates:
        a.last = reject(Reason.empty, "no candidates returned")
        a.failed_reasons.append(Reason.empty.value)
    return None


def _keep(a: CaptionAttempt, cand: Candidate) -> None:
    a.finish_reason = cand.finish
    a.last_edit = cand.edit
    a.last_text = cand.negative if cand.negative is not None else (cand.text if isinstance(cand.text, str) else None)
    a.last_scores = cand.scores


def _row(ctx: RunContext, a: CaptionAttempt, negative: str | None) -> dict[str, Any]:
    sampling = ctx.config.sampling
    return {
        "run_id": ctx.run_id,
        "caption_id": a.caption["caption_id"],
        "image_id": a.caption["image_id"],
        "image_path": a.caption.get("image_path"),
        "caption": a.text,
        "neg_type": a.neg_type.value,
        "negative": negative,
        "attempt": a.attempt,
        "failed_reasons": a.failed_reasons,
        "engine": ctx.engine.name,
        "model": ctx.engine.model,
        "prompt_layout": ctx.config.prompt_layout,
        "output": a.form,
        "edit": a.last_edit,
        "prompt_sha": a.prompt.prompt_sha,
        "example_set": a.prompt.example_set,
        "example_ids": a.prompt.example_ids,
        "seed": a.seed,
        "temperature": sampling.temperature,
        "top_p": sampling.top_p,
        "max_tokens": sampling.max_tokens,
        "finish_reason": a.finish_reason,
        "caption_logprob": a.last_scores.caption,
        "negative_logprob": a.last_scores.negative,
        "prompt_tokens": a.prompt_tokens,
        "completion_tokens": a.completion_tokens,
        "created_at": datetime.now(UTC),
    }


def _reject_row(ctx: RunContext, a: CaptionAttempt, verdict: Verdict) -> dict[str, Any]:
    return {**_row(ctx, a, a.last_text), "reason": verdict.reason.value, "detail": verdict.detail}
