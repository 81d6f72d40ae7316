"""`neggen generate` as a library call: plan the run, then a runner runs its (type, shard) tasks.

Every runner runs the same loop, `run_shards` (as datatrove's executors share one rank loop): hold each task's
lock, open its shard with the committer, and run every open shard through one scheduler window. `LocalRunner`
runs all tasks in this process with one engine; `RayRunner` (neggen/run/ray_runner.py) hands them to engine
actors. Both take the same plan and return the same summary. SLURM array tasks are plain local runs sharing one
run directory (`--shard-index`). Resuming needs nothing but the output: a caption is done for a type when a
complete part file holds its row.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pyarrow as pa

from neggen.config import GenerateConfig
from neggen.engines.base import Engine
from neggen.generation.attempt import RunContext
from neggen.generation.scheduler import Scheduler
from neggen.plausibility import load_plausibility
from neggen.run.committer import ShardCommitter
from neggen.run.locks import ShardBusy, shard_lock
from neggen.run.plan import RunPlan, ShardTask, plan_run
from neggen.run.progress import GenerationProgress
from neggen.run.summary import RunSummary
from neggen.text.tag_pool import tagger_for
from neggen.types import NegType


def run_shards(
    plan: RunPlan, engine: Engine, tasks: list[ShardTask], progress: GenerationProgress, summary: RunSummary
) -> Scheduler:
    """The tasks through one scheduler window with one engine; returns the scheduler for its stats.

    Each (type, shard) is held with its lock for the whole window; one another process holds is skipped."""
    ctx = RunContext(
        run_id=plan.run_id,
        engine=engine,
        config=plan.config,
        tagger=tagger_for(plan.config.tagger_workers),
        plausibility=load_plausibility(plan.config.plausibility, engine),
        relations=plan.relations,
    )
    committer = ShardCommitter(ctx, plan.layout, progress, summary)
    with ExitStack() as held:
        shards = []
        for task in tasks:
            try:
                held.enter_context(shard_lock(plan.layout, task.neg_type, task.shard))
            except ShardBusy as exc:
                progress.resumed(len(plan.rows(task)))  # not ours to do: off this invocation's bar and ETA
                summary.busy.append(str(exc))
                continue
            shard = committer.open(plan.builder(task.neg_type), task, plan.rows(task))
            if shard is not None:
                shards.append(shard)
        scheduler = Scheduler(ctx, committer)
        scheduler.run(shards)
    return scheduler


class Runner(ABC):
    """Runs the tasks of a plan and returns what they came to."""

    name: str
    engine: Engine | None = None  # the engine loaded in this process, if any (a plausibility scorer may use it)

    def configure(self, config: GenerateConfig) -> GenerateConfig:
        """The config the plan records, adjusted to this runner."""
        return config

    def describe(self) -> dict[str, Any]:
        """What the manifest's invocation records about this runner."""
        return {"runner": self.name}

    @abstractmethod
    def run(self, plan: RunPlan, progress: GenerationProgress) -> RunSummary: ...

    def close(self) -> None:
        """Free what the runner loaded: the engine in this process, if any."""
        if self.engine is not None:
            self.engine.close()


class LocalRunner(Runner):
    """Every task of the plan in this process, with one engine."""

    name = "local"

    def __init__(self, engine: Engine):
        self.engine = engine

    def run(self, plan: RunPlan, progress: GenerationProgress) -> RunSummary:
        summary = RunSummary(out=plan.layout.root, run_id=plan.run_id)
        run_shards(plan, self.engine, plan.tasks, progress, summary)
        return summary


def generate(
    captions: pa.Table,
    out: Path,
    types: list[NegType],
    shards: int,
    runner: Runner | Engine,
    config: GenerateConfig,
    shard_indices: list[int] | None = None,
    limit: int | None = None,
    progress: GenerationProgress | None = None,
    invocation: dict[str, Any] | None = None,
) -> RunSummary:
    """Plan the run and let the runner run it. `runner`: a Runner, or an engine to run with locally."""
    runner = runner if isinstance(runner, Runner) else LocalRunner(runner)
    config = runner.configure(config)
    invocation = {**(invocation or {}), **runner.describe()}
    plan = plan_run(captions, out, types, shards, config, shard_indices, limit, invocation, runner.engine)
    progress = progress or GenerationProgress(plan.total_rows)
    try:
        return runner.run(plan, progress)
    finally:
        progress.close()
