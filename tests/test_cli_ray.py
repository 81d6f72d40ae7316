"""`neggen generate --runner ray` through the command line, on a local Ray instance: with the real hf engine,
or with the openai engine against the loopback fault server where the outcome, not the model, is under test."""

from __future__ import annotations

import json
import re

import polars as pl
import pyarrow.parquet as pq
import pytest

from neggen.cli import EXIT_BUSY
from neggen.run.layout import CORRUPT_SUFFIX, RunLayout
from neggen.run.locks import shard_lock
from neggen.types import NegType
from tests.engines.fault_server import FaultServer
from tests.run.test_concurrency import NO_MEANING, assert_busy_last, ok
from tests.run.test_corrupt_parts import truncate
from tests.served import neggen as served_neggen
from tests.served import served_generate_args
from tests.test_cli import SAMPLE, neggen


@pytest.fixture
def quick_config(tmp_path):
    path = tmp_path / "quick.toml"
    path.write_text("max_attempts = 1\nchunk_size = 2\n[sampling]\nn = 1\nmax_tokens = 24\n[hf]\ndtype = 'float32'\n")
    return path


def rows(out, engine: str = "hf") -> dict[tuple[str, str], str | None]:
    """(type, caption id) -> negative over accepted and rejected rows, checking each appears once."""
    frames = [pl.read_parquet(out / k / "**" / "*.parquet", hive_partitioning=False) for k in ("negatives", "rejects")]
    both = pl.concat([f.select("neg_type", "caption_id", "negative", "engine") for f in frames])
    assert both.select("neg_type", "caption_id").n_unique() == len(both)  # once each
    assert both["engine"].unique().to_list() == [engine]
    return {(t, c): n for t, c, n in zip(both["neg_type"], both["caption_id"], both["negative"], strict=True)}


@pytest.mark.slow
def test_runner_ray_from_the_cli_equals_the_local_runner(tmp_path, quick_config, bundled_model_dir):
    common = ["generate", "--captions", str(SAMPLE), "--type", "replace_nouns", "--shards", "3", "--limit", "9"]
    common += ["--config", str(quick_config)]
    result = neggen(*common, "--out", str(tmp_path / "ray"), "--runner", "ray", "--workers", "2")
    neggen(*common, "--out", str(tmp_path / "local"))
    on_ray, local = rows(tmp_path / "ray"), rows(tmp_path / "local")
    assert len(on_ray) == 9 and on_ray == local  # per-request seeds: the same negatives wherever they ran
    manifest = json.loads((tmp_path / "ray" / "manifest.json").read_text())
    invocation = manifest["invocations"][-1]
    assert invocation["runner"] == "ray" and invocation["workers"] == 2 and invocation["engine"] == "hf"
    assert len(list((tmp_path / "ray").rglob("_SUCCESS.json"))) == 3
    assert "accepted" in result.stderr


def test_runner_ray_from_the_cli_plans_on_the_driver_and_runs_on_actors(tmp_path):
    config = tmp_path / "served.toml"
    config.write_text("chunk_size = 3\nmodel = 'served'\noutput = 'sentence'\n[sampling]\nn = 1\n")
    common = ["generate", "--captions", str(SAMPLE), "--type", "reshuffle", "--type", "swap_nouns", "--shards", "3"]
    common += ["--limit", "12", "--engine", "openai", "--config", str(config)]
    with FaultServer(ok) as server:
        common += ["--base-url", server.base_url]
        neggen(*common, "--out", str(tmp_path / "ray"), "--runner", "ray", "--workers", "2")
        neggen(*common, "--out", str(tmp_path / "local"))
    assert rows(tmp_path / "ray", "openai") == rows(tmp_path / "local", "openai")
    assert len(rows(tmp_path / "ray", "openai")) == 24  # 12 captions x 2 types
    manifest = json.loads((tmp_path / "ray" / "manifest.json").read_text())
    invocation = manifest["invocations"][-1]
    assert invocation["runner"] == "ray" and invocation["workers"] == 2 and "pid" in invocation
    assert len(list((tmp_path / "ray").rglob("_SUCCESS.json"))) == 6


def test_runner_ray_reports_a_busy_shard_last_and_exits_non_zero(tmp_path):
    out = tmp_path / "ray"
    layout = RunLayout(out)
    with FaultServer(ok) as server:
        args = served_generate_args(
            server.base_url, out, "--shards", "3", "--runner", "ray", "--workers", "2", *NO_MEANING, limit=12
        )
        with shard_lock(layout, NegType.reshuffle, 1):  # this test process stands in for another neggen
            result = served_neggen(*args)
    assert result.returncode == EXIT_BUSY, result.stderr
    assert_busy_last(result.stderr, [(NegType.reshuffle, 1)])
    assert [layout.success(NegType.reshuffle, s).exists() for s in range(3)] == [True, False, True]


def test_runner_ray_moves_a_corrupt_part_aside_says_so_and_completes(tmp_path):
    out = tmp_path / "ray"
    layout = RunLayout(out)
    with FaultServer(ok) as server:
        types = ["--type", "reshuffle", "--type", "swap_nouns", "--output", "sentence"]  # the server answers sentences
        args = served_generate_args(server.base_url, out, *types, *NO_MEANING)
        first = served_neggen(*args)  # the local runner: three parts per type
        assert first.returncode == 0, first.stderr
        bad = max(layout.parts(NegType.reshuffle, 0), key=lambda p: pq.read_metadata(p).num_rows)
        lost = pq.read_metadata(bad).num_rows
        truncate(bad)
        result = served_neggen(*args, "--runner", "ray", "--workers", "2")
    assert result.returncode == 0, result.stderr
    moved = bad.with_name(bad.name + CORRUPT_SUFFIX)
    assert f"moved an unreadable part aside to {moved}; its captions were generated again" in result.stderr
    assert moved.exists()
    assert "48/48 rows (40 resumed)" in result.stderr  # the driver's progress counts the actors' resumed rows
    redone = re.search(r"reshuffle: (\d+) accepted, (\d+) rejected this run", result.stderr)
    assert redone and int(redone[1]) + int(redone[2]) == lost > 0  # that part's captions, nothing more
    assert len(rows(out, "openai")) == 24 * 2  # once each
    assert all(layout.success(t, 0).exists() for t in (NegType.reshuffle, NegType.swap_nouns))
