"""`neggen generate --engine vllm` end to end, and the failure policy when vLLM's engine process dies."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import polars as pl
import psutil

from tests.conftest import REPO
from tests.test_cli import NEGGEN, SAMPLE, caption_ids, neggen

# Sentence form: these tests size their runs by its cost (the edit form on vllm: tests/test_cli_edit.py).
QUICK = ["generate", "--engine", "vllm", "--output", "sentence", "--captions", str(SAMPLE)]


def test_generate_with_vllm(tmp_path, bundled_model_dir):
    out = tmp_path / "run"
    neggen(*QUICK, "--type", "swap", "--shards", "2", "--limit", "16", "--out", str(out))
    ids = caption_ids(out)
    assert len(ids) == 32 and ids.n_unique() == 16  # 16 captions x 2 types, once each
    accepted = pl.read_parquet(out / "negatives" / "**" / "*.parquet")
    assert set(accepted["engine"]) <= {"vllm"}
    success = [json.loads(p.read_text()) for p in out.rglob("_SUCCESS.json")]
    assert len(success) == 4 and all(s["engine_version"].startswith("vllm 0.32") for s in success)
    assert all(0 < s["engine_stats"]["prefix_cache_hit_rate"] <= 1 for s in success)
    assert all(s["completion_tokens_per_s"] > 0 for s in success)


def test_engine_process_killed_mid_shard_fails_cleanly_and_rerun_finishes(tmp_path, bundled_model_dir):
    out = tmp_path / "run"
    args = [*QUICK, "--type", "replace_nouns", "--limit", "24", "--chunk-size", "4", "--out", str(out)]
    proc = subprocess.Popen(
        [*NEGGEN, *args],
        cwd=REPO,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    parts = out / "negatives" / "type=replace_nouns" / "shard=00000"
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and proc.poll() is None:
        if parts.exists() and len(list(parts.glob("part-*.parquet"))) >= 1:
            break
        time.sleep(0.2)
    assert proc.poll() is None, "finished before the engine could be killed"
    engine_processes = psutil.Process(proc.pid).children(recursive=True)
    assert engine_processes, "vLLM runs its engine core in a child process"
    for child in engine_processes:
        child.send_signal(signal.SIGKILL)
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 2, stderr[-2000:]
    last = [line for line in stderr.splitlines() if line.startswith("neggen: error:")]
    assert len(last) == 1 and "re-run the same command to resume" in last[0]
    done_before = caption_ids(out).to_list()
    assert 0 < len(done_before) < 24
    neggen(*args)
    ids = caption_ids(out)
    assert len(ids) == 24 and ids.n_unique() == 24 and set(done_before) <= set(ids)


def test_generate_scores_plausibility_with_its_own_vllm_engine(tmp_path, bundled_model_dir):
    out, cache = tmp_path / "run", tmp_path / "cache"
    args = ["generate", "--engine", "vllm", "--model", str(bundled_model_dir), "--captions", str(SAMPLE)]
    args += ["--type", "replace_nouns", "--limit", "8"]
    settings = ["--set", "plausibility.model=engine", "--set", "plausibility.calibration_pairs=50"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "NEGGEN_CACHE": str(cache)}
    result = subprocess.run([*NEGGEN, *args, "--out", str(out), *settings], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    record = json.loads((out / "manifest.json").read_text())["plausibility"]
    assert record["scorer"] == f"vllm {bundled_model_dir}" and record["calibration"].endswith("50 pairs a kind")
    assert len(list((cache / "plausibility").glob("*.json"))) == 1  # calibrated once, kept for the next run
    accepted = pl.read_parquet(out / "negatives" / "**" / "*.parquet")
    rejected = pl.read_parquet(out / "rejects" / "**" / "*.parquet")
    assert accepted.height > 0 and accepted["caption_logprob"].null_count() == 0
    gaps = accepted["negative_logprob"] - accepted["caption_logprob"]
    assert (gaps >= record["thresholds"]["replace_nouns"]).all()
    implausible = rejected.filter(pl.col("failed_reasons").list.contains("implausible"))
    assert implausible["negative_logprob"].null_count() == 0
