"""`neggen status` and resume on a synthetic finished run: N captions x 5 types, parts of `--part-rows` rows.

    .venv/bin/python bench/status_scale.py [--captions 2000000] [--shards 16] [--part-rows 4096 64]

The run directory is built the way the pipeline builds it (plan_run writes the manifest and the captions
table; parts carry the declared NEGATIVES schema, one row per caption and type), then timed: `neggen status`
as a user runs it (a subprocess), and a resume of the finished run through `generate` with an engine that
fails if it is ever called (first re-run writes the _SUCCESS files, the second only checks).
Medians of `--repeats` runs per part size, side by side.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from neggen.config import GenerateConfig
from neggen.engines.batched import BatchedEngine
from neggen.run.layout import RunLayout
from neggen.run.plan import plan_run
from neggen.run.progress import GenerationProgress
from neggen.run.runners import generate
from neggen.run.status import run_status
from neggen.schemas import NEGATIVES
from neggen.types import NegType


class NeverCalled:
    """A batch-only backend that a finished run must never call."""

    name, model, max_in_flight = "never", "never", None

    def text_scorer(self) -> None:
        return None

    def generate(self, requests):
        raise AssertionError(f"a finished run asked the engine for {len(requests)} requests")

    def version(self) -> str:
        return "never"

    def stats(self) -> dict:
        return {}

    def close(self) -> None:
        pass


def captions(n: int) -> pa.Table:
    ids = pa.array([f"{i:016x}" for i in range(n)])
    const = lambda v: pa.array([v] * n)  # noqa: E731
    return pa.table(
        {
            "caption_id": ids,
            "image_id": ids,
            "image_path": pa.nulls(n, pa.string()),
            "caption": const("A man riding a horse on a beach."),
            "source": const("synthetic"),
            "split": pa.nulls(n, pa.string()),
        }
    )


def build(out: Path, table: pa.Table, shards: int, part_rows: int) -> None:
    plan = plan_run(table, out, list(NegType), shards, GenerateConfig(chunk_size=part_rows))
    layout = RunLayout(out)
    now = datetime.now(UTC)
    for neg_type in NegType:
        for shard, rows in plan.by_shard.items():
            ids = [r["caption_id"] for r in rows]
            directory = layout.negatives_dir(neg_type, shard)
            directory.mkdir(parents=True, exist_ok=True)
            for index, start in enumerate(range(0, len(ids), part_rows)):
                chunk = ids[start : start + part_rows]
                n = len(chunk)
                columns = {}
                for f in NEGATIVES:
                    if f.name == "caption_id":
                        columns[f.name] = pa.array(chunk, f.type)
                    elif f.name == "neg_type":
                        columns[f.name] = pa.array([neg_type.value] * n, f.type)
                    elif f.name == "created_at":
                        columns[f.name] = pa.array([now] * n, f.type)
                    elif pa.types.is_list(f.type):
                        columns[f.name] = pa.array([[]] * n, f.type)
                    elif pa.types.is_string(f.type):
                        columns[f.name] = pa.array(["x"] * n, f.type)
                    else:
                        columns[f.name] = pa.array([1] * n, f.type)
                pq.write_table(pa.table(columns, schema=NEGATIVES), directory / layout.part_name(index))


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--captions", type=int, default=2_000_000)
    parser.add_argument("--shards", type=int, default=16)
    parser.add_argument("--part-rows", type=int, nargs="+", default=[4096])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    table = captions(args.captions)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    for part_rows in args.part_rows:
        with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp:
            out = Path(tmp)
            build_s = timed(lambda out=out, part_rows=part_rows: build(out, table, args.shards, part_rows))
            files = sum(1 for _ in out.rglob("part-*.parquet"))

            def resume(out=out, part_rows=part_rows):
                with open(os.devnull, "w") as sink:
                    quiet = GenerationProgress(0, sink, True)
                    config = GenerateConfig(chunk_size=part_rows)
                    generate(
                        table, out, list(NegType), args.shards, BatchedEngine(NeverCalled()), config, progress=quiet
                    )

            first_resume = timed(resume)
            cmd = [sys.executable, "-m", "neggen", "status", str(out)]
            status = [timed(lambda cmd=cmd: subprocess.run(cmd, env=env, check=True, capture_output=True))]
            status += [timed(lambda cmd=cmd: subprocess.run(cmd, env=env, check=True, capture_output=True))]
            in_process = [timed(lambda out=out: run_status(RunLayout(out))) for _ in range(args.repeats)]
            resumes = [timed(resume) for _ in range(args.repeats)]
            print(
                f"{args.captions} captions x 5 types, {args.shards} shards, parts of {part_rows} rows: {files} files "
                f"(built in {build_s:.0f} s); `neggen status` median {statistics.median(status):.2f} s "
                f"(of which run_status {statistics.median(in_process):.2f} s, the rest: start and imports); "
                f"resume of the finished run: first {first_resume:.2f} s (writes _SUCCESS), "
                f"then median {statistics.median(resumes):.2f} s",
                flush=True,
            )


if __name__ == "__main__":
    main()
