"""`neggen generate --runner ray` through the command line, on a local Ray instance with the real hf engine."""

from __future__ import annotations

import json

import polars as pl
import pytest

from tests.test_cli import SAMPLE, neggen


@pytest.fixture
def quick_config(tmp_path):
    path = tmp_path / "quick.toml"
    path.write_text("max_attempts = 1\nchunk_size = 2\n[sampling]\nn = 1\nmax_tokens = 24\n[hf]\ndtype = 'float32'\n")
    return path


def rows(out) -> dict[str, str | None]:
    frames = [pl.read_parquet(out / k / "**" / "*.parquet", hive_partitioning=False) for k in ("negatives", "rejects")]
    both = pl.concat([f.select("caption_id", "negative", "engine") for f in frames])
    assert both["caption_id"].n_unique() == len(both)  # once each
    assert both["engine"].unique().to_list() == ["hf"]
    return dict(zip(both["caption_id"], both["negative"], strict=True))


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
