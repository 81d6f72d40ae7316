"""The streaming scheduler: a bounded window of requests in flight across shards and types.

The engine's queue is kept full: captions are fed in (type, shard, example set) order so neighbours share a
prompt prefix; each completion is settled as it arrives and a caption to be asked again is resubmitted at once
with its next seed. Durability is the shard committer's (neggen/run/committer.py): every final row goes to it,
and it commits parts by rows or time, so a kill loses at most what was in flight.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from neggen.engines.base import Completion, EngineError, RequestStream
from neggen.errors import ShardFailed
from neggen.generation.attempt import (
    CaptionAttempt,
    FinalRow,
    RunContext,
    next_request,
    parse_for_prechecks,
    settle_all,
    start_caption,
)
from neggen.run.committer import OpenShard, ShardCommitter

# Captions whose parses the edit-form precheck fetches in one tagger pass (one spaCy call per caption costs
# about 2.4x as much): ~0.3 s in one process, small beside a window of thousands of requests.
PRECHECK_BLOCK = 256


def default_window(ctx: RunContext) -> int:
    """Requests in flight: the config's, else what the engine asks for, capped at two parts' worth (a kill loses
    at most the window, so tiny parts keep a tiny window), else one part's worth."""
    if ctx.config.max_in_flight:
        return ctx.config.max_in_flight
    wanted = ctx.engine.max_in_flight or ctx.config.chunk_size
    return min(wanted, 2 * ctx.config.chunk_size)


@dataclass
class SchedulerStats:
    polls: int = 0
    completions: int = 0
    resubmitted: int = 0
    # Host time per step, measured so it can be compared to engine time (bench/vllm_scale.py prints them).
    settle_seconds: float = 0.0  # reading and validating completions
    wait_seconds: float = 0.0  # blocked in poll (with vLLM: step(), incl. its output processing)
    submit_seconds: float = 0.0  # rendering, prechecks and handing requests to the engine
    max_in_flight_seen: int = 0


class Scheduler:
    """Keeps `window` requests in the engine's stream until every caption of the open shards has its row."""

    def __init__(
        self, ctx: RunContext, committer: ShardCommitter, window: int | None = None, stream: RequestStream | None = None
    ):
        self.ctx = ctx
        self.committer = committer
        self.window = window or default_window(ctx)
        self.stream = stream or ctx.engine.stream()
        self.stats = SchedulerStats()
        self._next_key = 0
        self._pending: dict[int, tuple[OpenShard, CaptionAttempt]] = {}
        self._in_flight: dict[int, tuple[OpenShard, int]] = {}  # id(shard) -> (shard, requests in flight)

    def run(self, shards: list[OpenShard]) -> None:
        feed = self._feed(shards)
        exhausted = False
        try:
            while True:
                fed = time.perf_counter()
                while not exhausted and len(self._pending) < self.window:
                    item = next(feed, None)
                    if item is None:
                        exhausted = True
                    else:
                        self._submit(*item)
                self.stats.submit_seconds += time.perf_counter() - fed
                if not self._pending:
                    break
                self.stats.max_in_flight_seen = max(self.stats.max_in_flight_seen, len(self._pending))
                waited = time.perf_counter()
                finished = self.stream.poll(timeout=self.ctx.config.part_seconds)
                settled = time.perf_counter()
                self.stats.wait_seconds += settled - waited
                self.stats.polls += 1
                for shard, _ in self._in_flight.values():  # engine time, shared by the shards it worked for
                    shard.engine_seconds += settled - waited
                self._settle([self._land(key, completion) for key, completion in finished])
                self.stats.settle_seconds += time.perf_counter() - settled  # incl. resubmits and row-count commits
                self.committer.commit_due(shards)
        except (EngineError, ShardFailed) as exc:
            self.committer.commit_all(shards)  # rows already final are kept; what was in flight is redone
            if isinstance(exc, ShardFailed):
                raise
            raise ShardFailed(f"engine {self.ctx.engine.name}: {exc}") from exc
        except BaseException:
            self.committer.commit_all(shards)
            raise

    def _feed(self, shards: list[OpenShard]):
        """(shard, attempt) in (type, shard, example set) order; captions refused up front are final at once.

        Each caption is started (rendered, prechecked) only when the window has room for it: the edit form's
        precheck tags the caption (milliseconds each), and starting a whole shard before its first request left
        the engine idle at every shard boundary (a shard of 30,000 captions: over a minute)."""
        for shard in shards:
            builder = shard.builder
            order = sorted(shard.todo, key=lambda c: (builder.set_for(c["caption_id"]), c["caption_id"]))
            for i, caption in enumerate(order):
                if builder.form == "edit" and i % PRECHECK_BLOCK == 0:
                    parse_for_prechecks(self.ctx, order[i : i + PRECHECK_BLOCK])
                started = start_caption(self.ctx, builder, shard.neg_type, caption)
                if isinstance(started, FinalRow):
                    self.committer.add(shard, started)
                else:
                    yield shard, started

    def _submit(self, shard: OpenShard, attempt: CaptionAttempt) -> None:
        key, self._next_key = self._next_key, self._next_key + 1
        self._pending[key] = (shard, attempt)
        _, n = self._in_flight.get(id(shard), (shard, 0))
        self._in_flight[id(shard)] = (shard, n + 1)
        self.stream.submit(key, next_request(self.ctx, attempt))

    def _land(self, key: int, completion: Completion) -> tuple[OpenShard, CaptionAttempt, Completion]:
        shard, attempt = self._pending.pop(key)
        _, n = self._in_flight[id(shard)]
        if n == 1:
            del self._in_flight[id(shard)]
        else:
            self._in_flight[id(shard)] = (shard, n - 1)
        return shard, attempt, completion

    def _settle(self, landed: list[tuple[OpenShard, CaptionAttempt, Completion]]) -> None:
        finals = settle_all(self.ctx, [(attempt, completion) for _, attempt, completion in landed])
        for (shard, attempt, _), final in zip(landed, finals, strict=True):
            self.stats.completions += 1
            if final is None:
                self.stats.resubmitted += 1
                self._submit(shard, attempt)
            else:
                self.committer.add(shard, final)
