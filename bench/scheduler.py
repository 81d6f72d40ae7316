"""The old chunk loop against the streaming scheduler on a GPU-shaped simulated engine, both through the real core.

    .venv/bin/python bench/scheduler.py [--captions 100000] [--max-num-seqs 1024] [--step-ms 30]

The simulated engine behaves like vLLM's continuous batching on one GPU: each decode step costs `step_ms`
while at most `max_num_seqs` sequences run, every running sequence emits one token per step, a sequence is
admitted as soon as a slot is free, and admitting it adds prefill time proportional to its uncached prompt
tokens (the shared few-shot prefix is cached after its first use). Completion lengths are drawn from lengths
measured with the bundled model (bench/data/smollm2_completion_tokens.json). A candidate is a valid reshuffle
(the caption's words reversed) with probability `--valid`, else a copy of the caption, so validation rejects
some and the pipeline retries them. Both runs go through the real pipeline (prompts, validation, retries,
part files); only time is simulated. The old loop is the same core with a window of one chunk (64 captions)
over blocking batch calls. Printed: batch occupancy (mean running sequences / max_num_seqs over
simulated time), negatives per simulated second, and their ratio, new over old.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from collections import deque
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa

from neggen.config import GenerateConfig, PlausibilityConfig
from neggen.engines.base import Completion, Request
from neggen.engines.batched import BatchedEngine
from neggen.ingest import load_captions
from neggen.run.progress import GenerationProgress
from neggen.run.runners import generate
from neggen.run.sharding import stable_hash
from neggen.types import NegType

REPO = Path(__file__).resolve().parents[1]
KARPATHY = REPO / "data" / "annotations" / "coco_karpathy_test.json"
LENGTHS = Path(__file__).resolve().parent / "data" / "smollm2_completion_tokens.json"


class _Seq:
    __slots__ = ("key", "left", "tokens")

    def __init__(self, key: int, length: int):
        self.key, self.left, self.tokens = key, length, length


class SimulatedGPU:
    """Continuous batching in simulated time; both the blocking `generate` and the incremental stream."""

    name = "simulated-gpu"
    model = "simulated"

    def __init__(self, lengths: list[int], max_num_seqs: int, step_s: float, prefill_s_per_token: float, valid: float):
        self.lengths, self.max_num_seqs, self.step_s = lengths, max_num_seqs, step_s
        self.prefill_s_per_token, self.valid = prefill_s_per_token, valid
        self.max_in_flight = 2 * max_num_seqs
        self.clock = 0.0
        self.busy_seq_seconds = 0.0  # sum over steps of running sequences x step time
        self.cached: set[str] = set()
        self.waiting: deque[tuple[int, int, int]] = deque()  # (key, candidate index, prompt tokens uncached)
        self.running: list[_Seq] = []
        self.parts: dict[int, list] = {}  # key -> [request, finished candidates, candidates]
        self.results: dict[int, Completion] = {}

    def version(self) -> str:
        return "simulated 0"

    def stats(self) -> dict:
        return {}

    def close(self) -> None:
        pass

    def text_scorer(self) -> None:
        return None

    # -- the engine's side -------------------------------------------------------------------------------
    def _add(self, key: int, request: Request) -> None:
        prefix = request.messages[0]["content"] + str(len(request.messages)) + request.messages[-2]["content"]
        prompt_tokens = sum(len(m["content"]) for m in request.messages) // 4
        caption_tokens = len(request.messages[-1]["content"]) // 4 + 8
        uncached = caption_tokens if prefix in self.cached else prompt_tokens
        self.cached.add(prefix)
        self.parts[key] = [request, [None] * request.sampling.n, prompt_tokens]
        for j in range(request.sampling.n):
            self.waiting.append((key, j, uncached if j == 0 else 0))

    def _step(self) -> list[int]:
        prefill = 0
        while self.waiting and len(self.running) < self.max_num_seqs:
            key, j, uncached = self.waiting.popleft()
            request = self.parts[key][0]
            rng = random.Random(stable_hash(request.request_id, str(request.seed), str(j)))
            length = min(rng.choice(self.lengths), request.sampling.max_tokens)
            self.running.append(_Seq(key * 16 + j, length))
            prefill += uncached
        step = self.step_s + prefill * self.prefill_s_per_token
        self.clock += step
        self.busy_seq_seconds += len(self.running) * step
        finished, still = [], []
        for seq in self.running:
            seq.left -= 1
            (finished if seq.left == 0 else still).append(seq)
        self.running = still
        done = []
        for seq in finished:
            key, j = divmod(seq.key, 16)
            part = self.parts[key]
            part[1][j] = seq.tokens
            if all(t is not None for t in part[1]):
                done.append(key)
        return done

    def _completion(self, key: int) -> Completion:
        request, tokens, prompt_tokens = self.parts.pop(key)
        caption = request.messages[-1]["content"].rstrip(".")
        texts, reasons = [], []
        for j, n in enumerate(tokens):
            rng = random.Random(stable_hash("text", request.request_id, str(request.seed), str(j)))
            ok = rng.random() < self.valid
            texts.append(" ".join(reversed(caption.split())) + "." if ok else caption + ".")
            reasons.append("length" if n >= request.sampling.max_tokens else "stop")
        return Completion(request.request_id, texts, reasons, prompt_tokens, sum(tokens))

    # -- as a batch-only backend: one blocking call runs its batch to the end ------------------------------------
    def generate(self, requests: Sequence[Request]) -> list[Completion]:
        base = len(self.results) + len(self.parts) + 10**9 * (1 + int(self.clock))
        keys = [base + i for i in range(len(requests))]
        for key, request in zip(keys, requests, strict=True):
            self._add(key, request)
        pending = set(keys)
        while pending:
            for key in self._step():
                self.results[key] = self._completion(key)
                pending.discard(key)
        return [self.results.pop(k) for k in keys]

    # -- the incremental stream -----------------------------------------------------------------------------
    def stream(self):
        return self

    def submit(self, key: int, request: Request) -> None:
        self._add(key, request)

    def in_flight(self) -> int:
        return len(self.parts)

    def poll(self, timeout: float | None = None) -> list[tuple[int, Completion]]:
        while self.parts:
            done = self._step()
            if done:
                return [(key, self._completion(key)) for key in done]
        return []

    def occupancy(self) -> float:
        return self.busy_seq_seconds / (self.clock * self.max_num_seqs) if self.clock else 0.0


def captions_table(n: int) -> pa.Table:
    """n captions: the real Karpathy test captions, cycled, each with its own id."""
    table = load_captions(KARPATHY)[0]
    source = table.to_pylist()
    rows = []
    for i in range(n):
        row = dict(source[i % len(source)])
        row["caption_id"] = f"{stable_hash('bench', str(i)):016x}"
        rows.append(row)
    return pa.Table.from_pylist(rows, schema=table.schema)


def one_chunk_at_a_time(gpu: SimulatedGPU) -> BatchedEngine:
    """The loop before the scheduler, through today's core: a window of one chunk (64 captions), each poll one
    blocking call that runs its batch to the end, so the GPU idles while the longest sequence finishes."""
    engine = BatchedEngine(gpu)
    engine.max_in_flight = 64
    return engine


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--captions", type=int, default=100_000)
    parser.add_argument("--max-num-seqs", type=int, default=1024)
    parser.add_argument("--step-ms", type=float, default=30.0)
    parser.add_argument("--prefill-us-per-token", type=float, default=25.0)
    parser.add_argument("--valid", type=float, default=0.55, help="chance that a candidate validates")
    args = parser.parse_args()
    measured = json.loads(LENGTHS.read_text())
    lengths = [n for key, values in measured.items() if isinstance(values, list) for n in values if n]
    captions = captions_table(args.captions)
    # The simulated answers are sentences (reversed captions); plausibility is not what is measured here.
    config = GenerateConfig(
        output="sentence", chunk_size=4096, part_seconds=3600, plausibility=PlausibilityConfig(model="constant")
    )
    results = {}
    for label in ("old", "new"):
        engine = SimulatedGPU(
            lengths, args.max_num_seqs, args.step_ms / 1000, args.prefill_us_per_token / 1e6, args.valid
        )
        with tempfile.TemporaryDirectory() as tmp, open("/dev/null", "w") as sink:
            started = time.perf_counter()
            summary = generate(
                captions,
                Path(tmp),
                [NegType.reshuffle],
                1,
                one_chunk_at_a_time(engine) if label == "old" else engine,
                config,
                progress=GenerationProgress(0, sink, True),
            )
            host = time.perf_counter() - started
            rows = sum(summary.accepted.values()) + sum(summary.rejected.values())
            assert rows == args.captions, (label, rows)  # every caption got its one row
        accepted = summary.accepted["reshuffle"]
        results[label] = {
            "occupancy": engine.occupancy(),
            "simulated_s": engine.clock,
            "accepted": accepted,
            "negatives_per_sim_s": accepted / engine.clock,
            "host_s": host,
        }
        r = results[label]
        print(
            f"{label}: occupancy {r['occupancy']:.1%}, {accepted} negatives in {r['simulated_s']:.1f} simulated s "
            f"= {r['negatives_per_sim_s']:.0f}/s (host wall {host:.1f} s)",
            flush=True,
        )
    ratio = results["new"]["negatives_per_sim_s"] / results["old"]["negatives_per_sim_s"]
    print(f"new / old negatives per simulated second: {ratio:.2f}x")
    print(json.dumps({"args": vars(args), **results}))


if __name__ == "__main__":
    main()
