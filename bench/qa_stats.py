"""Time `neggen stats` (and the audit's length judge) on a large synthetic run written with the real schemas.

    .venv/bin/python bench/qa_stats.py [--rows 1000000] [--shards 8] [--out DIR]

Rows: the real captions of data/coco_karpathy_test_sample.json, repeated, each with a negative that
replaces one word, split over the five types x --shards shards in parts of 25,000 rows (85% accepted,
15% rejects). Prints the seconds of compute_stats and audit_run, and peak RSS.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

from neggen.qa.audit import audit_run
from neggen.qa.stats import compute_stats
from neggen.run.atomic import write_parquet_atomic
from neggen.run.layout import RunLayout
from neggen.schemas import NEGATIVES, REJECTS
from neggen.types import ALL_TYPES

PART_ROWS = 25_000
SWAPS = ["dog", "cat", "red", "blue", "small", "large", "car", "truck", "tree", "table", "two", "three"]


def synthetic_run(root: Path, rows: int, shards: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    images = json.loads(Path("data/coco_karpathy_test_sample.json").read_text())
    captions = [c.strip() for image in images for c in image["caption"]]
    layout = RunLayout(root)
    per_task = rows // (len(ALL_TYPES) * shards)
    n = 0
    for neg_type in ALL_TYPES:
        for shard in range(shards):
            for part, start in enumerate(range(0, per_task, PART_ROWS)):
                size = min(PART_ROWS, per_task - start)
                caps = [captions[(n + i) % len(captions)] for i in range(size)]
                negs = []
                for c in caps:
                    w = c.split()
                    w[rng.randrange(len(w))] = rng.choice(SWAPS)
                    negs.append(" ".join(w))
                base = {
                    "run_id": ["bench"] * size,
                    "caption_id": [f"{n + i:016x}" for i in range(size)],
                    "image_id": [str((n + i) // 5) for i in range(size)],
                    "image_path": [None] * size,
                    "caption": caps,
                    "neg_type": [neg_type.value] * size,
                    "negative": negs,
                    "attempt": [1] * size,
                    "failed_reasons": [[]] * size,
                    "engine": ["bench"] * size,
                    "model": ["bench"] * size,
                    "prompt_layout": ["chat"] * size,
                    "prompt_sha": ["0" * 16] * size,
                    "example_set": [0] * size,
                    "example_ids": [[0, 1, 2, 3, 4]] * size,
                    "seed": list(range(n, n + size)),
                    "temperature": [0.8] * size,
                    "top_p": [0.95] * size,
                    "max_tokens": [48] * size,
                    "finish_reason": ["stop"] * size,
                    "prompt_tokens": [500] * size,
                    "completion_tokens": [30] * size,
                    "created_at": [datetime(2025, 1, 1, tzinfo=UTC)] * size,
                }
                table = pa.table(base, schema=NEGATIVES)
                cut = int(size * 0.85)
                name = layout.part_name(part)
                write_parquet_atomic(layout.negatives_dir(neg_type, shard) / name, table.slice(0, cut), NEGATIVES)
                rejects = table.slice(cut).append_column("reason", pa.array(["copy"] * (size - cut)))
                rejects = rejects.append_column("detail", pa.array([""] * (size - cut)))
                write_parquet_atomic(layout.rejects_dir(neg_type, shard) / name, rejects, REJECTS)
                n += size


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--shards", type=int, default=8)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.out or Path(tmp) / "run"
        if not (root / "negatives").exists():
            started = time.perf_counter()
            synthetic_run(root, args.rows, args.shards)
            print(f"wrote {args.rows} rows in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        total = compute_stats(root)["by_type"]["overall"]["captions"]
        print(f"compute_stats: {time.perf_counter() - started:.1f} s for {total} rows")
        started = time.perf_counter()
        audit_run(root)
        print(f"audit_run (length judge): {time.perf_counter() - started:.1f} s")
        print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GiB")


if __name__ == "__main__":
    main()
