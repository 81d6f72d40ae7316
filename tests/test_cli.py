"""The `neggen` command end to end with the bundled model, crash safety under SIGKILL, and user errors."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest

from neggen.schemas import NEGATIVES, REJECTS
from neggen.types import NegType
from neggen.validate import Reason, validate
from tests.conftest import REPO

NEGGEN = [sys.executable, "-m", "neggen"]
SAMPLE = REPO / "data" / "coco_karpathy_test_sample.json"


def neggen(*args: str, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    result = subprocess.run([*NEGGEN, *args], capture_output=True, text=True, env=env, cwd=REPO, **kwargs)
    if check and result.returncode != 0:
        raise AssertionError(f"neggen {' '.join(args)} failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return result


@pytest.fixture(scope="module")
def quick_config(tmp_path_factory) -> Path:
    """One attempt, one candidate: the real model and pipeline at test speed."""
    path = tmp_path_factory.mktemp("config") / "quick.toml"
    path.write_text("max_attempts = 1\nchunk_size = 8\n[sampling]\nn = 1\nmax_tokens = 40\n[hf]\ndtype = 'float32'\n")
    return path


def full_run_args(out: Path, config: Path) -> list[str]:
    return [
        "generate",
        "--captions",
        str(SAMPLE),
        "--type",
        "all",
        "--shards",
        "2",
        "--limit",
        "32",
        "--out",
        str(out),
        "--config",
        str(config),
    ]


@pytest.fixture(scope="module")
def full_run(tmp_path_factory, quick_config, bundled_model_dir) -> Path:
    out = tmp_path_factory.mktemp("run")
    neggen(*full_run_args(out, quick_config))
    return out


def test_generate_all_types_with_bundled_model(full_run):
    declared = pl.from_arrow(NEGATIVES.empty_table()).schema
    negatives = pl.scan_parquet(full_run / "negatives" / "**" / "*.parquet")
    assert negatives.collect_schema() == declared
    rejects = pl.scan_parquet(full_run / "rejects" / "**" / "*.parquet").collect()
    assert rejects.schema == pl.from_arrow(REJECTS.empty_table()).schema
    accepted = negatives.collect()
    assert len(accepted) + len(rejects) == 32 * 5
    for t in NegType:
        n = accepted.filter(pl.col("neg_type") == t.value).height + rejects.filter(pl.col("neg_type") == t.value).height
        assert n == 32, t
    assert set(rejects["reason"]) <= {r.value for r in Reason} and rejects["reason"].null_count() == 0
    for row in accepted.iter_rows(named=True):
        assert validate(NegType(row["neg_type"]), row["caption"], row["negative"]).accepted
        assert row["engine"] == "hf" and row["model"].endswith("SmolLM2-135M-Instruct")
        assert row["completion_tokens"] > 0 and row["prompt_tokens"] > 100
    assert all(
        s["accepted"] + s["rejected"] == s["captions"]
        for s in (json.loads(p.read_text()) for p in full_run.rglob("_SUCCESS.json"))
    )
    assert len(list(full_run.rglob("_SUCCESS.json"))) == 10
    manifest = json.loads((full_run / "manifest.json").read_text())
    assert manifest["versions"]["transformers"] and manifest["invocations"][0]["limit"] == 32


def test_status_reports_every_type_and_shard(full_run):
    report = json.loads(neggen("status", str(full_run), "--json").stdout)
    assert len(report["rows"]) == 10 and all(r["state"] == "done" for r in report["rows"])
    assert sum(r["done"] for r in report["rows"]) == 160
    text = neggen("status", str(full_run)).stdout
    assert "10/10 type x shard complete" in text and "swap_adjectives" in text


def test_rerun_of_a_finished_run_changes_nothing(full_run, quick_config):
    before = {p: p.stat().st_mtime_ns for p in full_run.rglob("*.parquet")}
    neggen(*full_run_args(full_run, quick_config))
    assert {p: p.stat().st_mtime_ns for p in full_run.rglob("*.parquet")} == before


def caption_ids(out: Path) -> pl.Series:
    """caption_id of every row, accepted and rejected."""
    return pl.concat(
        [pl.read_parquet(out / kind / "**" / "*.parquet", columns=["caption_id"]) for kind in ("negatives", "rejects")]
    )["caption_id"]


def test_sigkill_mid_shard_then_rerun_is_exactly_once(tmp_path, quick_config, bundled_model_dir):
    out = tmp_path / "run"
    args = [
        "generate",
        "--captions",
        str(SAMPLE),
        "--type",
        "swap_nouns",
        "--limit",
        "40",
        "--chunk-size",
        "4",
        "--out",
        str(out),
        "--config",
        str(quick_config),
    ]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen([*NEGGEN, *args], cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    parts_dir = out / "negatives" / "type=swap_nouns" / "shard=00000"
    deadline = time.monotonic() + 300
    seen_complete = 0
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            visible = list(out.glob("*/**/*.parquet"))
            for part in visible:
                pq.read_table(part)  # every visible part is complete and readable
            seen_complete = len(list(parts_dir.glob("part-*.parquet"))) if parts_dir.exists() else 0
            if seen_complete >= 2:
                break
            time.sleep(0.05)
        assert proc.poll() is None, "run finished before it could be killed"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    rows_before = caption_ids(out).to_list()
    assert 0 < len(rows_before) < 40
    assert not (parts_dir / "_SUCCESS.json").exists()
    neggen(*args)
    rows = caption_ids(out)
    assert len(rows) == 40 and rows.n_unique() == 40
    assert set(rows_before) <= set(rows)
    assert not [p for p in out.rglob("*") if ".tmp-" in p.name]
    assert (parts_dir / "_SUCCESS.json").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["generate", "--captions", "nope.json", "--out", "{tmp}"], "nope.json: does not exist"),
        (["generate", "--captions", "{bad}", "--out", "{tmp}"], "is not valid JSON"),
        (["generate", "--captions", str(SAMPLE), "--out", "{tmp}", "--type", "swop"], "unknown negative type 'swop'"),
        (
            ["generate", "--captions", str(SAMPLE), "--out", "{tmp}", "--shards", "2", "--shard-index", "5"],
            "--shard-index [5] outside 0..1",
        ),
        (["generate", "--captions", str(SAMPLE), "--out", "{tmp}", "--engine", "bogus"], "engine"),
        (
            ["generate", "--captions", str(SAMPLE), "--out", "{tmp}", "--set", "relations=nope.parquet"],
            'nope.parquet ("bundled", "off" or a file',
        ),
        (["generate", "--captions", str(SAMPLE), "--out", "{tmp}", "--set", "relations={bad}"], "not a relation table"),
        (["relations", "{bad}", "--out", "{tmp}/t.parquet"], "is not valid JSON"),
        (["status", "{tmp}"], "is not a neggen run"),
        (["ingest", "{bad}", "--out", "{tmp}"], "is not valid JSON"),
    ],
)
def test_user_errors_are_one_line_without_traceback(tmp_path, args, message):
    bad = tmp_path / "bad.json"
    bad.write_text("[{")
    args = [a.format(tmp=tmp_path / "out", bad=bad) for a in args]
    result = neggen(*args, check=False)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr and message in result.stderr, result.stderr


def test_ingest_writes_the_captions_table(tmp_path, karpathy_file):
    result = neggen("ingest", str(karpathy_file), "--out", str(tmp_path))
    table = pq.read_table(tmp_path / "captions.parquet")
    assert table.num_rows == 25005 and "dropped 5 duplicates" in result.stderr
