"""Shard commits: the finished rows of a (type, shard) become its next part file, and its last commit writes
_SUCCESS.json with counts over all its parts.

A part is committed every `chunk_size` rows or `part_seconds`, whichever comes first, so a kill loses at most
what was in flight; rejects are written before accepted rows, each file atomically (docs/generating.md).
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from neggen.prompts import PromptBuilder
from neggen.run.atomic import write_json_atomic, write_parquet_atomic
from neggen.run.layout import RunLayout
from neggen.run.plan import ShardTask
from neggen.run.progress import GenerationProgress
from neggen.run.summary import RunSummary
from neggen.schemas import NEGATIVES, REJECTS
from neggen.types import NegType

if TYPE_CHECKING:
    from neggen.generation.attempt import FinalRow, RunContext


@dataclass
class OpenShard:
    """A (type, shard) this invocation is generating: the captions left, the rows not yet committed, and what
    its _SUCCESS.json will record."""

    task: ShardTask
    builder: PromptBuilder
    todo: list[dict[str, Any]]
    next_part: int
    engine_stats_before: dict[str, Any]
    started: float  # perf_counter at open (an invocation opens all its shards before its window starts)
    last_commit: float  # monotonic
    remaining: int = 0
    accepted: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    completion_tokens: int = 0  # this invocation's: earlier invocations' must not inflate tokens/s
    engine_seconds: float = 0.0  # engine time while this shard had requests in it (shared with its neighbours)
    finished: bool = False

    def __post_init__(self) -> None:
        self.remaining = len(self.todo)

    @property
    def neg_type(self) -> NegType:
        return self.task.neg_type

    @property
    def buffered(self) -> int:
        return len(self.accepted) + len(self.rejected)


class ShardCommitter:
    """Owns the durability of every open shard of an invocation: `add` buffers a caption's final row and
    commits by rows, `commit_due` by time, `commit_all` what is buffered when the run stops early."""

    def __init__(self, ctx: RunContext, layout: RunLayout, progress: GenerationProgress, summary: RunSummary):
        self.ctx, self.layout, self.progress, self.summary = ctx, layout, progress, summary
        self.seconds = 0.0  # writing part files and _SUCCESS.json

    def open(self, builder: PromptBuilder, task: ShardTask, rows: list[dict[str, Any]]) -> OpenShard | None:
        """The shard with the captions not yet done, or None when it is complete (its _SUCCESS.json written
        now if only that was missing)."""
        layout, neg_type, shard = self.layout, task.neg_type, task.shard
        self.summary.quarantined += layout.prepare_shard(neg_type, shard)
        done = layout.done_caption_ids(neg_type, shard)
        todo = [r for r in rows if r["caption_id"] not in done]
        self.summary.skipped_done += len(rows) - len(todo)
        self.progress.resumed(len(rows) - len(todo))
        if not todo and layout.success(neg_type, shard).exists():
            return None
        layout.success(neg_type, shard).unlink(missing_ok=True)  # the shard is incomplete until we finish it
        opened = OpenShard(
            task,
            builder,
            todo,
            next_part=layout.next_part_index(neg_type, shard),
            engine_stats_before=self.ctx.engine.stats(),
            started=time.perf_counter(),
            last_commit=time.monotonic(),
        )
        if not todo:
            self._finish(opened)
            return None
        return opened

    def add(self, shard: OpenShard, final: FinalRow) -> None:
        (shard.accepted if final.accepted else shard.rejected).append(final.row)
        shard.remaining -= 1
        if shard.buffered >= self.ctx.config.chunk_size:
            self._commit(shard)
        if shard.remaining == 0:
            self._finish(shard)

    def commit_due(self, shards: list[OpenShard]) -> None:
        now = time.monotonic()
        for shard in shards:
            if shard.buffered and now - shard.last_commit >= self.ctx.config.part_seconds:
                self._commit(shard)

    def commit_all(self, shards: list[OpenShard]) -> None:
        """What every unfinished shard has buffered; what was in flight is redone on resume."""
        for shard in shards:
            if shard.buffered and not shard.finished:
                self._commit(shard)

    def _commit(self, shard: OpenShard) -> None:
        started = time.perf_counter()
        neg_type, index = shard.neg_type, shard.next_part
        name = self.layout.part_name(index)
        # Rejects first: if killed between the two renames, the accepted captions are simply redone later.
        write_parquet_atomic(
            self.layout.rejects_dir(neg_type, shard.task.shard) / name,
            pa.Table.from_pylist(shard.rejected, schema=REJECTS),
            REJECTS,
        )
        write_parquet_atomic(
            self.layout.negatives_dir(neg_type, shard.task.shard) / name,
            pa.Table.from_pylist(shard.accepted, schema=NEGATIVES),
            NEGATIVES,
        )
        shard.next_part += 1
        shard.completion_tokens += sum(r["completion_tokens"] or 0 for r in (*shard.accepted, *shard.rejected))
        self.summary.accepted[neg_type.value] += len(shard.accepted)
        self.summary.rejected[neg_type.value] += len(shard.rejected)
        self.progress.advance(shard.task.label, shard.buffered, len(shard.accepted))
        shard.accepted, shard.rejected = [], []
        shard.last_commit = time.monotonic()
        self.seconds += time.perf_counter() - started

    def _finish(self, shard: OpenShard) -> None:
        if shard.buffered:
            self._commit(shard)
        started = time.perf_counter()
        ctx, neg_type, index = self.ctx, shard.neg_type, shard.task.shard
        elapsed = time.perf_counter() - shard.started
        write_json_atomic(
            self.layout.success(neg_type, index),
            {
                "type": neg_type.value,
                "shard": index,
                **shard_counts(self.layout, neg_type, index),
                "generated_this_invocation": len(shard.todo),
                # From the shard's open: the shards of one invocation overlap in the engine.
                "elapsed_s": round(elapsed, 3),
                # Time spent waiting on the engine while this shard had requests in it (shared with overlapping
                # shards, so the shards of one invocation can sum to more than its wall time).
                "engine_s": round(shard.engine_seconds, 3),
                "completion_tokens_this_invocation": shard.completion_tokens,
                "completion_tokens_per_s": round(shard.completion_tokens / elapsed, 2)
                if shard.todo and elapsed
                else None,
                "engine": ctx.engine.name,
                "engine_version": ctx.engine.version(),
                "engine_stats": stats_delta(shard.engine_stats_before, ctx.engine.stats()),
                "model": ctx.engine.model,
                "per_request_seeds": ctx.config.per_request_seeds,
                "finished_at": datetime.now(UTC).isoformat(),
            },
        )
        shard.finished = True
        self.seconds += time.perf_counter() - started


def shard_counts(layout: RunLayout, neg_type: NegType, shard: int) -> dict[str, Any]:
    """Counts over the shard's complete part files (all invocations)."""
    accepted = rejected = prompt_tokens = completion_tokens = 0
    reasons: Counter = Counter()
    for part in layout.parts(neg_type, shard):
        is_reject = "reason" in pq.read_schema(part).names
        table = pq.read_table(part, columns=["prompt_tokens", "completion_tokens", *(["reason"] if is_reject else [])])
        if is_reject:
            rejected += table.num_rows
            reasons.update(table.column("reason").to_pylist())
        else:
            accepted += table.num_rows
        prompt_tokens += pc.sum(table.column("prompt_tokens")).as_py() or 0
        completion_tokens += pc.sum(table.column("completion_tokens")).as_py() or 0
    return {
        "captions": accepted + rejected,
        "accepted": accepted,
        "rejected": rejected,
        "reject_reasons": dict(sorted(reasons.items())),
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
    }


def stats_delta(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """What the engine's counters grew by during one shard, plus the prefix cache hit rate if it reports one."""
    delta = {
        k: v - before.get(k, 0) if isinstance(v, int | float) and not isinstance(v, bool) else v
        for k, v in after.items()
    }
    if delta.get("prefix_cache_queries"):
        delta["prefix_cache_hit_rate"] = round(delta.get("prefix_cache_hits", 0) / delta["prefix_cache_queries"], 4)
    return delta
