"""`neggen generate --runner ray` through the command line, on a local Ray instance with the real hf engine."""

from __future__ import annotations

import json

import polars as pl
import pytest

from tests.engines.fault_server import FaultServer
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
    def ok(call, body):
        return 200, None, 0.0

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
