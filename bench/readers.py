"""What naming a bad part costs the readers: footer checks before a scan, and `status` vs `status --check`.

    .venv/bin/python bench/readers.py [--parts 2000] [--rows-per-part 500] [--repeats 5]

Writes a synthetic run (real schemas, one type x one shard, many parts, like a long run with small commits)
and prints medians, measured side by side in this one run: a polars scan counting rows with and without the
footer check (neggen.run.layout.check_parts), and run_status with footers only vs every part read in full.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pyarrow as pa

from neggen.qa.frames import HIVE
from neggen.run.atomic import write_json_atomic, write_parquet_atomic
from neggen.run.layout import RunLayout, check_parts, part_files
from neggen.run.status import run_status
from neggen.schemas import CAPTIONS, NEGATIVES
from neggen.types import NegType


def synthetic_run(root: Path, parts: int, rows_per_part: int) -> None:
    layout, now = RunLayout(root), datetime.now(UTC)
    ids = [f"c{i:08d}" for i in range(parts * rows_per_part)]
    caps = {"caption_id": ids, "image_id": ids, "image_path": [None] * len(ids)}
    caps |= {"caption": ["a red dog on a mat"] * len(ids), "source": ["bench"] * len(ids), "split": [None] * len(ids)}
    write_parquet_atomic(layout.captions, pa.table(caps, schema=CAPTIONS), CAPTIONS)
    manifest = {"run_id": "bench", "shards": 1, "types": ["reshuffle"], "captions": {"sha256": "-"}}
    write_json_atomic(layout.manifest, manifest | {"invocations": [{"limit": None}]})
    base = {"run_id": "bench", "image_path": None, "caption": "a red dog on a mat", "neg_type": "reshuffle"}
    base |= {"negative": "a mat on a red dog", "attempt": 1, "failed_reasons": [], "engine": "bench"}
    base |= {"model": "m", "prompt_layout": "chat", "prompt_sha": "x", "example_set": 0, "example_ids": [1]}
    base |= {"seed": 0, "temperature": 0.7, "top_p": 0.95, "max_tokens": 64, "finish_reason": "stop"}
    base |= {"prompt_tokens": 100, "completion_tokens": 8, "created_at": now}
    for p in range(parts):
        chunk = ids[p * rows_per_part : (p + 1) * rows_per_part]
        rows = [base | {"caption_id": c, "image_id": c} for c in chunk]
        path = layout.negatives_dir(NegType.reshuffle, 0) / layout.part_name(p)
        write_parquet_atomic(path, pa.Table.from_pylist(rows, schema=NEGATIVES), NEGATIVES)
    write_json_atomic(layout.success(NegType.reshuffle, 0), {"type": "reshuffle", "shard": 0})


def median_s(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--parts", type=int, default=2000)
    parser.add_argument("--rows-per-part", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        synthetic_run(root, args.parts, args.rows_per_part)

        def count(files):
            return (
                pl.scan_parquet([str(f) for f in files], hive_partitioning=True, hive_schema=HIVE)
                .select(pl.len())
                .collect()
            )

        plain = median_s(lambda: count(part_files(root, "negatives")), args.repeats)
        checked = median_s(lambda: count(check_parts(part_files(root, "negatives"))), args.repeats)
        footers = median_s(lambda: run_status(RunLayout(root)), args.repeats)
        full = median_s(lambda: run_status(RunLayout(root), check=True), args.repeats)
    result = {
        "parts": args.parts,
        "rows": args.parts * args.rows_per_part,
        "scan_count_s": round(plain, 3),
        "scan_count_with_footer_check_s": round(checked, 3),
        "footer_check_ratio": round(checked / plain, 2),
        "status_s": round(footers, 3),
        "status_check_s": round(full, 3),
        "status_check_ratio": round(full / footers, 2),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
