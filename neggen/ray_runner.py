"""`neggen generate --runner ray`: the (type, shard) tasks of one run spread over a Ray cluster.

Each worker is a Ray actor that loads one engine and owns whole shards; it runs the same `run_shard` with
the same atomic writer as the local runner, so the output layout and the exactly-once resume semantics are
identical (the output directory must be on a filesystem every node sees). The driver plans the run (manifest,
captions, task list) once; shards that fail are reported together after the others have finished.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow as pa

from neggen.config import GenerateConfig
from neggen.generation import ShardFailed
from neggen.pipeline import RunPlan, RunSummary, plan_run, run_task
from neggen.progress import GenerationProgress
from neggen.types import NegType


def _import_ray():
    try:
        import ray
    except ImportError as exc:
        raise ValueError("--runner ray needs Ray: pip install 'neggen[ray]'") from exc
    return ray


class ShardWorker:
    """One engine per actor; `run` processes one (type, shard) and returns its counts."""

    def __init__(self, config: GenerateConfig):
        from neggen.engines import make_engine

        self.engine = make_engine(config)

    def run(self, plan: RunPlan, neg_type: NegType, shard: int) -> tuple[str, int, Counter, Counter, int, str | None]:
        summary = RunSummary(out=plan.layout.root, run_id=plan.run_id)
        with open(os.devnull, "w") as sink:
            try:
                run_task(plan, self.engine, neg_type, shard, GenerationProgress(0, sink, True), summary)
            except ShardFailed as exc:
                error = str(exc)
            else:
                error = None
        return neg_type.value, shard, summary.accepted, summary.rejected, summary.skipped_done, error


def generate_on_ray(
    captions: pa.Table,
    out: Path,
    types: list[NegType],
    shards: int,
    config: GenerateConfig,
    shard_indices: list[int] | None = None,
    limit: int | None = None,
    invocation: dict[str, Any] | None = None,
    workers: int = 2,
    address: str | None = None,
    cpus_per_worker: float = 1.0,
    gpus_per_worker: float = 0.0,
    progress: GenerationProgress | None = None,
) -> RunSummary:
    ray = _import_ray()
    from ray.util import ActorPool

    plan = plan_run(captions, out, types, shards, config, shard_indices, limit, invocation)
    started_here = not ray.is_initialized()
    if started_here:
        # address None starts a local instance; "auto" or "ray://host:10001" joins a running cluster.
        ray.init(address=address, include_dashboard=False, log_to_driver=False, configure_logging=False)
    summary = RunSummary(out=out, run_id=plan.run_id)
    progress = progress or GenerationProgress(plan.total_rows)
    failures: list[str] = []
    try:
        worker_cls = ray.remote(num_cpus=cpus_per_worker, num_gpus=gpus_per_worker)(ShardWorker)
        actors = [worker_cls.remote(config) for _ in range(max(1, min(workers, len(plan.tasks))))]
        plan_ref = ray.put(plan)
        pool = ActorPool(actors)
        results = pool.map_unordered(lambda actor, task: actor.run.remote(plan_ref, *task), plan.tasks)
        for neg_type, shard, accepted, rejected, skipped, error in results:
            summary.accepted.update(accepted)
            summary.rejected.update(rejected)
            summary.skipped_done += skipped
            done = sum(accepted.values()) + sum(rejected.values())
            progress.advance(f"{neg_type}/shard={shard:05d}", done, sum(accepted.values()))
            if error:
                failures.append(f"{neg_type}/shard={shard:05d}: {error}")
    finally:
        progress.close()
        if started_here:
            ray.shutdown()
    if failures:
        raise ShardFailed(f"{len(failures)} shard(s) failed: " + "; ".join(failures))
    return summary
