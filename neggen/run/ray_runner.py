"""`neggen generate --runner ray`: the (type, shard) tasks of one run spread over a Ray cluster.

The driver plans the run (manifest, captions, task list) and loads no engine. Each worker is a Ray actor that
loads one engine (`--gpus-per-worker` GPUs: one engine per GPU is vLLM's data parallelism) for its life and
takes the next (type, shard) from the driver's queue whenever it is free. It runs the same scheduler and atomic
writer as the local runner, so the output layout and the exactly-once resume semantics are identical (the
output directory must be on a filesystem every node sees). A task whose actor dies is given to a fresh actor:
the parts its first actor committed count as done, so nothing is duplicated. Shards that fail are reported
together after the others have finished.
"""

from __future__ import annotations

import os
from collections import deque
from dataclasses import dataclass
from typing import Any

from neggen.config import GenerateConfig
from neggen.engines import EngineError
from neggen.errors import ShardFailed
from neggen.run.plan import RunPlan, ShardTask
from neggen.run.progress import GenerationProgress
from neggen.run.runners import Runner, run_shards
from neggen.run.summary import RunSummary


@dataclass
class TaskResult:
    """What one actor's (type, shard) came to: its whole summary, so busy shards and moved-aside parts reach
    the driver as they do in the local runner."""

    task: ShardTask
    summary: RunSummary
    resumed: int  # rows already done or held by another process: off the driver's rate and ETA
    error: str | None = None


def _import_ray():
    try:
        import ray
    except ImportError as exc:
        raise ValueError("--runner ray needs Ray: pip install 'neggen[ray]'") from exc
    return ray


class ShardWorker:
    """One engine per actor for its life; `run` runs one task through the runners' shared loop."""

    def __init__(self, config: GenerateConfig):
        from neggen.engines import make_engine

        self.engine, self.error = None, None
        try:
            self.engine = make_engine(config)
        except (EngineError, ValueError) as exc:  # reported per task, not as a dead actor (which is retried)
            self.error = f"engine did not start: {str(exc).splitlines()[0]}"

    def pid(self) -> int:
        return os.getpid()

    def run(self, plan: RunPlan, task: ShardTask) -> TaskResult:
        summary = RunSummary(out=plan.layout.root, run_id=plan.run_id)
        error = self.error
        with open(os.devnull, "w") as sink:
            progress = GenerationProgress(0, sink, True)
            if self.engine is not None:
                try:
                    run_shards(plan, self.engine, [task], progress, summary)
                except ShardFailed as exc:
                    error = str(exc)
        return TaskResult(task, summary, progress.skipped, error)


def report_progress(progress: GenerationProgress, result: TaskResult) -> None:
    accepted = sum(result.summary.accepted.values())
    progress.resumed(result.resumed)
    progress.advance(result.task.label, accepted + sum(result.summary.rejected.values()), accepted)


def _start_ray(ray, address: str | None, workers: int, cpus_per_worker: float) -> bool:
    if ray.is_initialized():
        return False
    options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
    if address is None:
        # A local instance: every actor must fit even on a box with fewer cores than workers.
        options["num_cpus"] = max(os.cpu_count() or 1, int(workers * cpus_per_worker + 0.999))
    ray.init(address=address, **options)  # None starts a local instance; "auto" or ray://… joins a cluster
    return True


def with_actor_tagger_workers(config: GenerateConfig, cpus_per_worker: float) -> GenerateConfig:
    """Each actor's tagger pool fits the CPUs Ray gives it, not the node's (a quarter of a 64-core node per
    actor, times the actors, would oversubscribe it): one CPU for the engine's driving, the rest parse."""
    if config.tagger_workers is not None:
        return config
    return config.model_copy(update={"tagger_workers": max(0, int(cpus_per_worker) - 1)})


class RayRunner(Runner):
    """The plan's tasks over Ray actors, each loading its own engine; the driver loads none."""

    name = "ray"

    def __init__(
        self,
        workers: int = 2,
        address: str | None = None,
        cpus_per_worker: float = 1.0,
        gpus_per_worker: float = 0.0,
        task_retries: int = 2,
    ):
        self.ray = _import_ray()
        self.workers, self.address, self.task_retries = workers, address, task_retries
        self.cpus_per_worker, self.gpus_per_worker = cpus_per_worker, gpus_per_worker

    def configure(self, config: GenerateConfig) -> GenerateConfig:
        return with_actor_tagger_workers(config, self.cpus_per_worker)

    def describe(self) -> dict[str, Any]:
        return {
            "runner": self.name,
            "workers": self.workers,
            "gpus_per_worker": self.gpus_per_worker,
            "ray_address": self.address,
        }

    def run(self, plan: RunPlan, progress: GenerationProgress) -> RunSummary:
        ray = self.ray
        from ray.exceptions import RayActorError

        started_here = _start_ray(ray, self.address, self.workers, self.cpus_per_worker)
        summary = RunSummary(out=plan.layout.root, run_id=plan.run_id)
        failures: list[str] = []
        worker_cls = ray.remote(num_cpus=self.cpus_per_worker, num_gpus=self.gpus_per_worker, max_restarts=0)(
            ShardWorker
        )
        spawned = 0

        def spawn():
            nonlocal spawned
            spawned += 1
            return worker_cls.options(name=f"neggen-worker-{plan.run_id}-{spawned}").remote(plan.config)

        actors = [spawn() for _ in range(max(1, min(self.workers, len(plan.tasks))))]
        try:
            plan_ref = ray.put(plan)
            queue = deque((task, 0) for task in plan.tasks)
            running: dict[Any, tuple[Any, ShardTask, int]] = {}
            idle = list(actors)
            while queue or running:
                while queue and idle:
                    actor = idle.pop()
                    task, tries = queue.popleft()
                    running[actor.run.remote(plan_ref, task)] = (actor, task, tries)
                [ref], _ = ray.wait(list(running), num_returns=1)
                actor, task, tries = running.pop(ref)
                try:
                    result: TaskResult = ray.get(ref)
                except RayActorError as exc:
                    # The actor (its process or node) died mid-task: a fresh actor redoes what was not committed.
                    actors.remove(actor)
                    replacement = spawn()
                    actors.append(replacement)
                    idle.append(replacement)
                    if tries < self.task_retries:
                        summary.retried_tasks += 1
                        queue.append((task, tries + 1))
                    else:
                        failures.append(f"{task.label}: its worker died {tries + 1} times ({type(exc).__name__})")
                    continue
                idle.append(actor)
                summary.merge(result.summary)
                report_progress(progress, result)
                if result.error:
                    failures.append(f"{task.label}: {result.error}")
        finally:
            for actor in actors:
                ray.kill(actor)  # frees the engines (and the actor names) now
            if started_here:
                ray.shutdown()
        if failures:
            raise ShardFailed(f"{len(failures)} shard(s) failed: " + "; ".join(failures))
        return summary
