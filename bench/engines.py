"""Engines side by side on the same real captions and the bundled model: hf vs vllm vs openai (vllm serve).

    .venv/bin/python bench/engines.py [--captions 200] [--type replace_nouns]

Every engine gets the same requests (one type, the default chat prompts and sampling: n=2, max_tokens=48,
per-request seeds), one attempt, no validation: the raw engine. Each engine runs in a fresh subprocess so
its peak RSS (summed over the process tree, including vLLM's engine-core and worker processes or the server)
is its own. Printed: captions/s, output tokens/s, peak RSS, and the ratios between them.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # tests.engines.vllm_server: the loopback `vllm serve` the tests use too
SAMPLE = REPO / "data" / "coco_karpathy_test_sample.json"

RUN_LABELS = {
    "hf (batched, prefix cache)": ("hf", True),
    "hf (batched, no prefix cache)": ("hf", False),
    "vllm (prefix cache)": ("vllm", True),
    "vllm (no prefix cache)": ("vllm", False),
    "openai -> vllm serve": ("openai", True),
}


def build_requests(n: int, neg_type: str):
    from neggen.config import GenerateConfig
    from neggen.engines.base import Request
    from neggen.generation.attempt import request_seed
    from neggen.ingest import load_captions
    from neggen.prompts import PromptBuilder, load_prompt
    from neggen.types import NegType

    config = GenerateConfig()
    t = NegType(neg_type)
    builder = PromptBuilder(load_prompt(t), config.prompt_layout, config.example_sets)
    rows = load_captions(SAMPLE)[0].slice(0, n).to_pylist()
    return [
        Request(
            r["caption_id"],
            builder.render(r["caption_id"], r["caption"]).messages,
            request_seed(0, r["caption_id"], t, 1),
            config.sampling,
        )
        for r in rows
    ]


def run_one(engine_name: str, n: int, neg_type: str, prefix_caching: bool) -> dict:
    """In a child process: build the engine, warm it up, time one generate over all requests."""
    from neggen.engines.base import complete
    from neggen.engines.batched import BatchedEngine
    from neggen.engines.hf import HFEngine
    from neggen.engines.openai_server import OpenAIEngine
    from neggen.engines.vllm_adapter import VLLMEngine
    from neggen.models import convert_bundled_model
    from tests.engines.vllm_server import LocalServer

    model = str(convert_bundled_model())
    requests = build_requests(n, neg_type)
    server = None
    if engine_name == "hf":
        engine = BatchedEngine(HFEngine(model, prefix_caching=prefix_caching))
    elif engine_name == "vllm":
        engine = VLLMEngine(model, max_model_len=2048, enable_prefix_caching=prefix_caching)
    else:
        server = LocalServer(model, served_name="smollm2", max_model_len=2048).__enter__()
        engine = OpenAIEngine("smollm2", base_url=server.base_url, concurrency=64)
    try:
        complete(engine, requests[:4])  # warm-up
        started = time.perf_counter()
        out = complete(engine, requests)
        elapsed = time.perf_counter() - started
        stats = engine.stats()
    finally:
        if server is not None:
            server.__exit__()
        engine.close()
    tokens = sum(c.completion_tokens or 0 for c in out)
    return {
        "captions": n,
        "seconds": elapsed,
        "captions_per_s": n / elapsed,
        "output_tokens_per_s": tokens / elapsed,
        "engine_stats": stats,
    }


def measure(engine_name: str, n: int, neg_type: str, prefix_caching: bool) -> dict:
    cmd = [sys.executable, __file__, "--one", engine_name, "--captions", str(n), "--type", neg_type]
    if not prefix_caching:
        cmd.append("--no-prefix-caching")
    log = open(Path(os.environ.get("TMPDIR", "/tmp")) / f"neggen-bench-{engine_name}.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, text=True)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        root = psutil.Process(proc.pid)
        while not done.is_set():
            try:
                tree = [root, *root.children(recursive=True)]
                peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
            except psutil.Error:
                pass
            time.sleep(0.2)

    threading.Thread(target=sample, daemon=True).start()
    stdout, _ = proc.communicate()
    done.set()
    log.close()
    if proc.returncode != 0:
        raise SystemExit(f"{engine_name} run failed with exit code {proc.returncode}; see {log.name}")
    result = json.loads(stdout.strip().splitlines()[-1])
    result["peak_rss_mib"] = peak / 2**20
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--captions", type=int, default=200)
    parser.add_argument("--type", default="replace_nouns")
    parser.add_argument("--only", nargs="*", choices=["hf", "vllm", "openai"], help="engines to run (default all)")
    parser.add_argument("--one", choices=["hf", "vllm", "openai"], help=argparse.SUPPRESS)
    parser.add_argument("--no-prefix-caching", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.one:
        print(json.dumps(run_one(args.one, args.captions, args.type, not args.no_prefix_caching)))
        return
    runs = RUN_LABELS
    results = {}
    print(f"{args.captions} captions, type {args.type}, n=2 candidates each, bundled SmolLM2-135M, this machine")
    runs = {k: v for k, v in runs.items() if not args.only or v[0] in args.only}
    for label, (engine, caching) in runs.items():
        r = results[label] = measure(engine, args.captions, args.type, caching)
        print(
            f"  {label:<32} {r['captions_per_s']:6.2f} captions/s  {r['output_tokens_per_s']:7.1f} out tok/s  "
            f"peak RSS {r['peak_rss_mib']:6.0f} MiB  ({r['seconds']:.1f}s)",
            flush=True,
        )
    rate = {k: v["captions_per_s"] for k, v in results.items()}
    if len(rate) < len(RUN_LABELS):
        return
    print(f"vllm / hf:                       {rate['vllm (prefix cache)'] / rate['hf (batched, prefix cache)']:.2f}x")
    print(f"vllm prefix cache on / off:      {rate['vllm (prefix cache)'] / rate['vllm (no prefix cache)']:.2f}x")
    print(
        f"hf prefix cache on / off:        "
        f"{rate['hf (batched, prefix cache)'] / rate['hf (batched, no prefix cache)']:.2f}x"
    )
    print(f"openai (server) / offline vllm:  {rate['openai -> vllm serve'] / rate['vllm (prefix cache)']:.2f}x")


if __name__ == "__main__":
    main()
