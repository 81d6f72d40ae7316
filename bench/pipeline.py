"""Pipeline overhead, validator throughput and peak memory of `neggen generate`, measured side by side.

    .venv/bin/python bench/pipeline.py [--captions 48] [--repeats 3]

1. overhead: wall time of the pipeline (render, engine, validate, write Parquet) on N real captions divided by
   the wall time of the bare engine on the very same requests (same prompts, seeds, batch), one attempt each,
   alternating runs with one warm engine; medians and their ratio are printed (goal <= 1.10).
2. validators: rows/s over every SugarCrepe pair x every type.
3. peak RSS of a real `neggen generate` process on the same captions (bundled model, hf engine).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from neggen.config import GenerateConfig  # noqa: E402
from neggen.engines import make_engine  # noqa: E402
from neggen.engines.base import Request, complete  # noqa: E402
from neggen.generation.attempt import request_seed  # noqa: E402
from neggen.ingest import load_captions  # noqa: E402
from neggen.prompts import PromptBuilder, load_prompt  # noqa: E402
from neggen.run.progress import GenerationProgress  # noqa: E402
from neggen.run.runners import generate  # noqa: E402
from neggen.types import NegType  # noqa: E402
from neggen.validate import validate  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "coco_karpathy_test_sample.json"
SUGARCREPE = REPO / "data" / "annotations" / "sugarcrepe"
NEG_TYPE = NegType.replace_nouns


def bench_overhead(n: int, repeats: int) -> dict:
    captions, _ = load_captions(SAMPLE)
    captions = captions.slice(0, n)
    # One attempt and a chunk holding every caption: the pipeline makes exactly the bare engine's call.
    config = GenerateConfig(max_attempts=1, chunk_size=n, max_in_flight=n)
    engine = make_engine(config)
    builder = PromptBuilder(load_prompt(NEG_TYPE), config.prompt_layout, config.example_sets)
    rows = captions.to_pylist()
    requests = [
        Request(
            r["caption_id"],
            builder.render(r["caption_id"], r["caption"]).messages,
            request_seed(config.seed, r["caption_id"], NEG_TYPE, 1),
            config.sampling,
        )
        for r in rows
    ]
    complete(engine, requests[:4])  # warm-up: first-call allocations, prefix caches
    bare, pipeline = [], []
    for _ in range(repeats):
        started = time.perf_counter()
        complete(engine, requests)
        bare.append(time.perf_counter() - started)
        with tempfile.TemporaryDirectory() as out, open(os.devnull, "w") as sink:
            started = time.perf_counter()
            generate(
                captions,
                Path(out),
                [NEG_TYPE],
                1,
                engine,
                config,
                progress=GenerationProgress(n, stream=sink, force_plain=True),
            )
            pipeline.append(time.perf_counter() - started)
    engine.close()
    return {
        "captions": n,
        "bare_s": bare,
        "pipeline_s": pipeline,
        "overhead_ratio": statistics.median(pipeline) / statistics.median(bare),
    }


def bench_validators() -> dict:
    pairs = []
    for path in sorted(SUGARCREPE.glob("*.json")):
        pairs += [(v["caption"], v["negative_caption"]) for v in json.loads(path.read_text()).values()]
    started = time.perf_counter()
    for neg_type in NegType:
        for caption, negative in pairs:
            validate(neg_type, caption, negative)
    elapsed = time.perf_counter() - started
    return {"rows": len(pairs) * len(NegType), "rows_per_s": len(pairs) * len(NegType) / elapsed}


def bench_peak_rss(n: int) -> dict:
    with tempfile.TemporaryDirectory() as out:
        cmd = [
            sys.executable,
            "-m",
            "neggen",
            "generate",
            "--captions",
            str(SAMPLE),
            "--type",
            NEG_TYPE.value,
            "--limit",
            str(n),
            "--out",
            out,
        ]
        started = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        elapsed = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"captions": n, "wall_s": elapsed, "peak_rss_mib": peak_kib / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--captions", type=int, default=48)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    overhead = bench_overhead(args.captions, args.repeats)
    print(f"pipeline vs bare engine, {NEG_TYPE.value}, {args.captions} captions, {args.repeats} alternating runs:")
    print(f"  bare engine  median {statistics.median(overhead['bare_s']):.2f}s  {overhead['bare_s']}")
    print(f"  pipeline     median {statistics.median(overhead['pipeline_s']):.2f}s  {overhead['pipeline_s']}")
    print(f"  overhead ratio (median pipeline / median bare): {overhead['overhead_ratio']:.3f}  (goal <= 1.10)")
    validators = bench_validators()
    print(f"validators: {validators['rows']} rows, {validators['rows_per_s']:,.0f} rows/s")
    rss = bench_peak_rss(args.captions)
    print(
        f"generate process ({rss['captions']} captions, default config): peak RSS {rss['peak_rss_mib']:.0f} MiB, "
        f"wall {rss['wall_s']:.1f}s"
    )


if __name__ == "__main__":
    main()
