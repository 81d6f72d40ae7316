"""`neggen generate` as a library call: captions -> shards -> one scheduler window -> atomic parts -> _SUCCESS.json.

Resuming needs no state besides the output itself: a caption is done for a type when a complete part file
(accepted or rejected) holds its row, so a re-run only generates what is missing, whatever was killed when.
"""

from __future__ import annotations

import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from neggen.config import GenerateConfig
from neggen.engines import Engine
from neggen.generation.attempt import ChunkResult, RunContext
from neggen.generation.scheduler import Scheduler, Task
from neggen.plausibility import load_plausibility
from neggen.prompts import PromptBuilder, PromptSpec, load_prompt
from neggen.run.atomic import write_json_atomic, write_parquet_atomic
from neggen.run.layout import RunLayout
from neggen.run.locks import ShardBusy, run_lock, shard_lock
from neggen.run.manifest import open_run
from neggen.run.progress import GenerationProgress
from neggen.run.sharding import assign_shards, select_captions
from neggen.schemas import CAPTIONS, NEGATIVES, REJECTS
from neggen.text.tag_pool import tagger_for
from neggen.types import NegType
from neggen.validate import require_resources


@dataclass
class RunSummary:
    out: Path
    run_id: str
    accepted: Counter = field(default_factory=Counter)
    rejected: Counter = field(default_factory=Counter)
    skipped_done: int = 0
    retried_tasks: int = 0  # ray: tasks given to a fresh actor after theirs died
    busy: list[str] = field(default_factory=list)  # (type, shard)s another process was generating
    quarantined: list[Path] = field(default_factory=list)  # unreadable parts moved aside and regenerated

    def merge(self, other: RunSummary) -> None:
        """Add the outcomes of another part of the same run (a Ray actor's task) to this summary."""
        self.accepted.update(other.accepted)
        self.rejected.update(other.rejected)
        self.skipped_done += other.skipped_done
        self.retried_tasks += other.retried_tasks
        self.busy += other.busy
        self.quarantined += other.quarantined


def check_shards(shards: int, shard_indices: list[int] | None) -> None:
    if shards < 1:
        raise ValueError("--shards must be at least 1")
    bad = [i for i in shard_indices or [] if not 0 <= i < shards]
    if bad:
        raise ValueError(f"--shard-index {bad} outside 0..{shards - 1}")


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


def write_chunk(layout: RunLayout, neg_type: NegType, shard: int, index: int, result: ChunkResult) -> None:
    # Rejects first: if killed between the two renames, the accepted captions are simply redone later.
    name = layout.part_name(index)
    write_parquet_atomic(
        layout.rejects_dir(neg_type, shard) / name,
        pa.Table.from_pylist(result.rejected, schema=REJECTS),
        REJECTS,
    )
    write_parquet_atomic(
        layout.negatives_dir(neg_type, shard) / name,
        pa.Table.from_pylist(result.accepted, schema=NEGATIVES),
        NEGATIVES,
    )


class ShardWriter:
    """The scheduler's commit: finished rows of a (type, shard) become the next part file; the last commit of a
    shard writes _SUCCESS.json with counts over all its parts."""

    def __init__(self, ctx: RunContext, layout: RunLayout, progress: GenerationProgress, summary: RunSummary):
        self.ctx, self.layout, self.progress, self.summary = ctx, layout, progress, summary
        self.started = time.perf_counter()

    def open(self, builder: PromptBuilder, neg_type: NegType, shard: int, rows: list[dict[str, Any]]) -> Task | None:
        """The shard's task with the captions not yet done, or None when it is complete already."""
        layout = self.layout
        self.summary.quarantined += layout.prepare_shard(neg_type, shard)
        done = layout.done_caption_ids(neg_type, shard)
        todo = [r for r in rows if r["caption_id"] not in done]
        self.summary.skipped_done += len(rows) - len(todo)
        self.progress.resumed(len(rows) - len(todo))
        if not todo and layout.success(neg_type, shard).exists():
            return None
        layout.success(neg_type, shard).unlink(missing_ok=True)  # the shard is incomplete until we finish it
        state = {"index": layout.next_part_index(neg_type, shard), "stats_before": self.ctx.engine.stats()}
        state["tokens_now"] = 0  # this invocation's completion tokens: earlier invocations' must not inflate tokens/s
        return Task(neg_type, shard, builder, todo, state=state | {"started": time.perf_counter()})

    def __call__(self, task: Task, final: bool) -> None:
        neg_type, shard = task.neg_type, task.shard
        if task.buffered:
            write_chunk(self.layout, neg_type, shard, task.state["index"], ChunkResult(task.accepted, task.rejected))
            task.state["index"] += 1
            task.state["tokens_now"] += sum(r["completion_tokens"] or 0 for r in (*task.accepted, *task.rejected))
            self.summary.accepted[neg_type.value] += len(task.accepted)
            self.summary.rejected[neg_type.value] += len(task.rejected)
            self.progress.advance(f"{neg_type.value}/shard={shard:05d}", task.buffered, len(task.accepted))
            task.accepted, task.rejected = [], []
        if final:
            self._success(task)

    def _success(self, task: Task) -> None:
        ctx, neg_type, shard = self.ctx, task.neg_type, task.shard
        counts = shard_counts(self.layout, neg_type, shard)
        elapsed = time.perf_counter() - task.state["started"]
        write_json_atomic(
            self.layout.success(neg_type, shard),
            {
                "type": neg_type.value,
                "shard": shard,
                **counts,
                "generated_this_invocation": len(task.todo),
                # Shards of one invocation overlap in the engine: elapsed runs from this shard's first request.
                "elapsed_s": round(elapsed, 3),
                # Time spent waiting on the engine while this shard had requests in it (shared with overlapping
                # shards, so the shards of one invocation can sum to more than its wall time).
                "engine_s": round(task.state.get("engine_s", 0.0), 3),
                "completion_tokens_this_invocation": task.state["tokens_now"],
                "completion_tokens_per_s": round(task.state["tokens_now"] / elapsed, 2)
                if task.todo and elapsed
                else None,
                "engine": ctx.engine.name,
                "engine_version": ctx.engine.version(),
                "engine_stats": stats_delta(task.state["stats_before"], ctx.engine.stats()),
                "model": ctx.engine.model,
                "per_request_seeds": ctx.config.per_request_seeds,
                "finished_at": datetime.now(UTC).isoformat(),
            },
        )


def run_tasks(
    ctx: RunContext,
    layout: RunLayout,
    tasks: list[tuple[PromptBuilder, NegType, int, list[dict[str, Any]]]],
    progress: GenerationProgress,
    summary: RunSummary,
) -> Scheduler:
    """All (type, shard) tasks through one scheduler window; returns it for its stats.

    Each (type, shard) is held with its lock for the whole window; one another process holds is skipped."""
    writer = ShardWriter(ctx, layout, progress, summary)
    with ExitStack() as held:
        opened = []
        for builder, neg_type, shard, rows in tasks:
            try:
                held.enter_context(shard_lock(layout, neg_type, shard))
            except ShardBusy as exc:
                progress.resumed(len(rows))  # not ours to do: off this invocation's bar and ETA
                summary.busy.append(str(exc))
                continue
            task = writer.open(builder, neg_type, shard, rows)
            if task is not None:
                opened.append(task)
        scheduler = Scheduler(ctx, writer)
        scheduler.run(opened)
    return scheduler


@dataclass
class RunPlan:
    """Everything a worker needs to run any (type, shard) of a run, decided once on the driver."""

    layout: RunLayout
    run_id: str
    config: GenerateConfig
    prompts: dict[str, PromptSpec]
    by_shard: dict[int, list[dict[str, Any]]]
    tasks: list[tuple[NegType, int]]

    @property
    def total_rows(self) -> int:
        return sum(len(self.by_shard.get(shard, [])) for _, shard in self.tasks)

    def builder(self, neg_type: NegType) -> PromptBuilder:
        c = self.config
        return PromptBuilder(
            self.prompts[neg_type.value], c.prompt_layout, c.example_sets, c.examples_per_prompt, c.output
        )


def plan_run(
    captions: pa.Table,
    out: Path,
    types: list[NegType],
    shards: int,
    config: GenerateConfig,
    shard_indices: list[int] | None = None,
    limit: int | None = None,
    invocation: dict[str, Any] | None = None,
    engine: Engine | None = None,
) -> RunPlan:
    """Check or create the manifest, store the captions, and list the (type, shard) tasks of this invocation.
    `engine`: the local runner's, for the plausibility filter that scores with it."""
    check_shards(shards, shard_indices)
    require_resources(meaning=config.meaning_checks)
    layout = RunLayout(out)
    prompts = {t.value: load_prompt(t, config.prompts_dir) for t in types}
    plausibility = load_plausibility(config.plausibility, engine)
    with run_lock(layout):  # concurrent --shard-index tasks must agree on one manifest and run_id
        manifest = open_run(layout, config, captions, shards, prompts, invocation or {}, plausibility)
        if not layout.captions.exists():
            write_parquet_atomic(layout.captions, captions, CAPTIONS)
    selected = sorted(shard_indices) if shard_indices else list(range(shards))
    by_shard = assign_shards(select_captions(captions, limit), shards)
    tasks = [(t, s) for t in types for s in selected]
    return RunPlan(layout, manifest["run_id"], config, prompts, by_shard, tasks)


def run_task(
    plan: RunPlan, engine: Engine, neg_type: NegType, shard: int, progress: GenerationProgress, summary: RunSummary
) -> None:
    run_plan_tasks(plan, engine, [(neg_type, shard)], progress, summary)


def run_plan_tasks(
    plan: RunPlan,
    engine: Engine,
    tasks: list[tuple[NegType, int]],
    progress: GenerationProgress,
    summary: RunSummary,
) -> Scheduler:
    ctx = RunContext(
        run_id=plan.run_id,
        engine=engine,
        config=plan.config,
        tagger=tagger_for(plan.config.tagger_workers),
        plausibility=load_plausibility(plan.config.plausibility, engine),
    )
    specs = [(plan.builder(t), t, s, plan.by_shard.get(s, [])) for t, s in tasks]
    return run_tasks(ctx, plan.layout, specs, progress, summary)


def generate(
    captions: pa.Table,
    out: Path,
    types: list[NegType],
    shards: int,
    engine: Engine,
    config: GenerateConfig,
    shard_indices: list[int] | None = None,
    limit: int | None = None,
    progress: GenerationProgress | None = None,
    invocation: dict[str, Any] | None = None,
) -> RunSummary:
    """The local runner: this process runs every selected (type, shard) with one engine."""
    plan = plan_run(captions, out, types, shards, config, shard_indices, limit, invocation, engine)
    summary = RunSummary(out=out, run_id=plan.run_id)
    progress = progress or GenerationProgress(plan.total_rows)
    try:
        run_plan_tasks(plan, engine, plan.tasks, progress, summary)
    finally:
        progress.close()
    return summary
