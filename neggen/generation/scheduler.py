"""The streaming scheduler: a bounded window of requests in flight across chunks, shards and types.

The engine's queue is kept full: captions are fed in (type, shard, example set) order so neighbours share a
prompt prefix; each completion is validated as it arrives and a failed candidate is resubmitted at once with
its next seed. Durability is separate from the engine queue: a (type, shard)'s finished rows are committed as
a part file every `chunk_size` rows or `part_seconds`, whichever comes first, so a kill loses at most what was
in flight. Resume needs nothing but the output: a caption is done when a complete part file holds its row.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from neggen.engines.base import Completion, EngineError, Request, RequestStream, open_stream
from neggen.generation.attempt import (
    RunContext,
    ShardFailed,
    _Pending,
    call_engine,
    next_request,
    parse_for_prechecks,
    settle_all,
    start_caption,
)
from neggen.prompts import PromptBuilder
from neggen.types import NegType

# Captions whose parses the edit-form precheck fetches in one tagger pass (one spaCy call per caption costs
# about 2.4x as much): ~0.3 s in one process, small beside a window of thousands of requests.
PRECHECK_BLOCK = 256


class BatchStream:
    """A RequestStream over an engine that only answers whole batches: `poll` sends what is queued, up to `batch`,
    as one call (retried with backoff, then ShardFailed). Retries join new captions, so every call is full."""

    def __init__(self, ctx: RunContext, batch: int):
        self.ctx, self.batch = ctx, batch
        self.queue: deque[tuple[int, Request]] = deque()
        self.engine_seconds = 0.0

    def submit(self, key: int, request: Request) -> None:
        self.queue.append((key, request))

    def in_flight(self) -> int:
        return len(self.queue)

    def poll(self, timeout: float | None = None) -> list[tuple[int, Completion]]:
        taken = [self.queue.popleft() for _ in range(min(self.batch, len(self.queue)))]
        if not taken:
            return []
        started = time.perf_counter()
        completions = call_engine(self.ctx, [r for _, r in taken])
        self.engine_seconds += time.perf_counter() - started
        return [(key, c) for (key, _), c in zip(taken, completions, strict=True)]


def default_window(ctx: RunContext) -> int:
    """Requests in flight: the config's, else what the engine asks for, capped at two parts' worth (a kill loses
    at most the window, so tiny parts keep a tiny window), else one part's worth."""
    if ctx.config.max_in_flight:
        return ctx.config.max_in_flight
    wanted = getattr(ctx.engine, "max_in_flight", None) or ctx.config.chunk_size
    return min(wanted, 2 * ctx.config.chunk_size)


def stream_for(ctx: RunContext, window: int) -> RequestStream:
    return open_stream(ctx.engine) or BatchStream(ctx, window)


@dataclass
class Task:
    """One (type, shard) of this invocation: the captions still to do and the finished rows not yet committed."""

    neg_type: NegType
    shard: int
    builder: PromptBuilder
    todo: list[dict[str, Any]]
    accepted: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    remaining: int = 0
    last_commit: float = 0.0
    state: dict[str, Any] = field(default_factory=dict)  # the runner's bookkeeping (part index, start stats)

    @property
    def buffered(self) -> int:
        return len(self.accepted) + len(self.rejected)


# commit(task, final): write the task's buffered rows as a part; final means the task has no caption left.
Commit = Callable[[Task, bool], None]


@dataclass
class SchedulerStats:
    polls: int = 0
    completions: int = 0
    resubmitted: int = 0
    # Host time per step, measured so it can be compared to engine time (bench/vllm_scale.py prints them).
    settle_seconds: float = 0.0  # reading and validating completions
    wait_seconds: float = 0.0  # blocked in poll (with vLLM: step(), incl. its output processing)
    submit_seconds: float = 0.0  # rendering, prechecks and handing requests to the engine
    commit_seconds: float = 0.0  # writing part files and _SUCCESS.json
    max_in_flight_seen: int = 0


class Scheduler:
    def __init__(self, ctx: RunContext, commit: Commit, window: int | None = None, stream: RequestStream | None = None):
        self.ctx = ctx
        self.commit = commit
        self.window = window or default_window(ctx)
        self.stream = stream or stream_for(ctx, self.window)
        self.stats = SchedulerStats()
        self._next_key = 0
        self._active: dict[int, tuple[Task, int]] = {}  # id(task) -> (task, requests in flight)

    def _feed(self, tasks: list[Task]):
        """(task, pending) in (type, shard, example set) order; captions refused up front settle at once.

        Each caption is started (rendered, prechecked) only when the window has room for it: the edit form's
        precheck tags the caption (milliseconds each), and starting a whole shard before its first request left
        the engine idle at every task boundary (a shard of 30,000 captions: over a minute)."""
        for task in tasks:
            order = sorted(task.todo, key=lambda c: (task.builder.set_for(c["caption_id"]), c["caption_id"]))
            for i, caption in enumerate(order):
                if task.builder.form == "edit" and i % PRECHECK_BLOCK == 0:
                    parse_for_prechecks(self.ctx, order[i : i + PRECHECK_BLOCK])
                p, refused = start_caption(self.ctx, task.builder, task.neg_type, caption)
                if refused is not None:
                    self._final(task, False, refused)
                else:
                    yield task, p
            if task.remaining == 0 and not task.state.get("finished"):
                self._finish(task)

    def _submit(self, pending: dict[int, tuple[Task, _Pending]], task: Task, p: _Pending) -> None:
        key, self._next_key = self._next_key, self._next_key + 1
        pending[key] = (task, p)
        _, n = self._active.get(id(task), (task, 0))
        self._active[id(task)] = (task, n + 1)
        self.stream.submit(key, next_request(self.ctx, task.neg_type, p))

    def _landed(self, task: Task) -> None:
        _, n = self._active[id(task)]
        if n == 1:
            del self._active[id(task)]
        else:
            self._active[id(task)] = (task, n - 1)

    def _final(self, task: Task, accepted: bool, row: dict[str, Any]) -> None:
        (task.accepted if accepted else task.rejected).append(row)
        task.remaining -= 1
        if task.buffered >= self.ctx.config.chunk_size:
            self._commit(task, False)
            task.last_commit = time.monotonic()
        if task.remaining == 0:
            self._finish(task)

    def _commit(self, task: Task, final: bool) -> None:
        started = time.perf_counter()
        self.commit(task, final)
        self.stats.commit_seconds += time.perf_counter() - started

    def _finish(self, task: Task) -> None:
        self._commit(task, True)
        task.state["finished"] = True

    def run(self, tasks: list[Task]) -> None:
        now = time.monotonic()
        for task in tasks:
            task.remaining, task.last_commit = len(task.todo), now
        feed = self._feed(tasks)
        pending: dict[int, tuple[Task, _Pending]] = {}
        exhausted = False
        try:
            while True:
                fed = time.perf_counter()
                while not exhausted and len(pending) < self.window:
                    item = next(feed, None)
                    if item is None:
                        exhausted = True
                    else:
                        self._submit(pending, *item)
                self.stats.submit_seconds += time.perf_counter() - fed
                if not pending:
                    break
                self.stats.max_in_flight_seen = max(self.stats.max_in_flight_seen, len(pending))
                waited = time.perf_counter()
                finished = self.stream.poll(timeout=self.ctx.config.part_seconds)
                settled = time.perf_counter()
                self.stats.wait_seconds += settled - waited
                self.stats.polls += 1
                for task, _ in self._active.values():  # engine time, shared by the shards it worked for
                    task.state["engine_s"] = task.state.get("engine_s", 0.0) + settled - waited
                landed = [(*pending.pop(key), completion) for key, completion in finished]
                finals = settle_all(self.ctx, [(task.neg_type, p, completion) for task, p, completion in landed])
                for (task, p, _), final in zip(landed, finals, strict=True):
                    self._landed(task)
                    self.stats.completions += 1
                    if final is None:
                        self.stats.resubmitted += 1
                        self._submit(pending, task, p)
                    else:
                        self._final(task, *final)
                self.stats.settle_seconds += time.perf_counter() - settled  # incl. resubmits and commits
                self._commit_due(tasks)
        except (EngineError, ShardFailed) as exc:
            self._commit_all(tasks)  # rows already final are kept; what was in flight is redone on resume
            if isinstance(exc, ShardFailed):
                raise
            raise ShardFailed(f"engine {self.ctx.engine.name} failed: {exc}") from exc
        except BaseException:
            self._commit_all(tasks)
            raise

    def _commit_due(self, tasks: list[Task]) -> None:
        now = time.monotonic()
        for task in tasks:
            if task.buffered and now - task.last_commit >= self.ctx.config.part_seconds:
                self._commit(task, False)
                task.last_commit = now

    def _commit_all(self, tasks: list[Task]) -> None:
        for task in tasks:
            if task.buffered and not task.state.get("finished"):
                self._commit(task, False)
