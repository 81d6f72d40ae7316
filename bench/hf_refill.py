"""The hf engine with and without refill (rows joining a running batch as others finish), side by side.

    .venv/bin/python bench/hf_refill.py [--captions 128] [--repeats 2] [--batch-size 32] [--dtype float32]

One engine load; the same requests each time: the sentence-form replace_nouns prompts of the first
`--captions` Karpathy sample captions (four example sets, as `generate` renders them), seeded, n = 2, one call
(128 captions is what the scheduler's window gives a call at batch_size 32), so each prefix group holds more
rows than one batch. Refill on and off alternate; printed: the median wall
time and generated tokens per second of each, their ratio, the rows that joined a running batch, and whether
both gave the same texts (in float32, the default here, they must: every row computes what it would alone;
in bf16 the padding changes rounding).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from neggen.engines.base import Request, SamplingParams  # noqa: E402
from neggen.engines.hf import HFEngine  # noqa: E402
from neggen.ingest import load_captions  # noqa: E402
from neggen.models import convert_bundled_model  # noqa: E402
from neggen.prompts import PromptBuilder, load_prompt  # noqa: E402
from neggen.types import NegType  # noqa: E402

SAMPLE = REPO / "data" / "coco_karpathy_test_sample.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--captions", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-tokens", type=int, default=48)
    parser.add_argument("--dtype", default="float32", help="float32: texts must match exactly; bf16 rounds by layout")
    args = parser.parse_args()
    table = load_captions(SAMPLE)[0].slice(0, args.captions)
    builder = PromptBuilder(load_prompt(NegType.replace_nouns), "chat", 4)
    sampling = SamplingParams(n=2, max_tokens=args.max_tokens)
    requests = [
        Request(cid, builder.render(cid, caption).messages, i, sampling)
        for i, (cid, caption) in enumerate(
            zip(table["caption_id"].to_pylist(), table["caption"].to_pylist(), strict=True)
        )
    ]
    engine = HFEngine(str(convert_bundled_model()), dtype=args.dtype, batch_size=args.batch_size)
    engine.generate(requests[:4])  # warm-up: prefix caches of the example sets, allocator
    timings: dict[bool, list[tuple[float, int]]] = {True: [], False: []}
    texts: dict[bool, list] = {}
    for _ in range(args.repeats):
        for refill in (True, False):
            engine.refill = refill
            engine.refill_stats.clear()
            started = time.perf_counter()
            out = engine.generate(requests)
            wall = time.perf_counter() - started
            timings[refill].append((wall, sum(c.completion_tokens or 0 for c in out)))
            texts[refill] = [c.texts for c in out]
            joined = engine.refill_stats["joined_running"]
            print(f"  refill {'on ' if refill else 'off'}  {wall:7.1f} s  rows joined a running batch: {joined}")
    rate = {r: statistics.median(tokens / wall for wall, tokens in timings[r]) for r in timings}  # tokens per second
    wall = {r: statistics.median(w for w, _ in timings[r]) for r in timings}
    print(
        f"{len(requests)} requests x n=2, batch_size {args.batch_size}, median of {args.repeats}: "
        f"refill on {wall[True]:.1f} s ({rate[True]:.0f} tokens/s), "
        f"off {wall[False]:.1f} s ({rate[False]:.0f} tokens/s), "
        f"on/off throughput x{rate[True] / rate[False]:.2f}; same texts: {texts[True] == texts[False]}"
    )


if __name__ == "__main__":
    main()
