"""--runner ray on a local Ray instance: same layout and exactly-once semantics as the local runner."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
import ray

from neggen.config import GenerateConfig, OpenAIOptions
from neggen.engines.base import SamplingParams
from neggen.engines.openai_server import OpenAIEngine
from neggen.errors import ShardFailed
from neggen.ingest import load_captions
from neggen.run.layout import RunLayout
from neggen.run.ray_runner import RayRunner
from neggen.run.runners import generate
from neggen.types import NegType
from tests.engines.fault_server import FaultServer

TYPES = [NegType.reshuffle, NegType.swap_nouns]


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=4, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def captions(karpathy_file):
    table, _ = load_captions(karpathy_file)
    return table.slice(0, 24)


def config_for(server: FaultServer) -> GenerateConfig:
    return GenerateConfig(
        engine="openai",
        model="served",
        output="sentence",  # the fault server answers sentences
        chunk_size=4,
        engine_retries=1,
        sampling=SamplingParams(n=1),
        openai=OpenAIOptions(base_url=server.base_url, max_retries=2, concurrency=2),
    )


def layout_and_rows(out: Path) -> tuple[set[str], dict[tuple[str, int], list[str]]]:
    files = {str(p.relative_to(out)) for p in out.rglob("*.parquet") if p.name != "captions.parquet"}
    rows = {}
    for kind in ("negatives", "rejects"):
        frame = pl.read_parquet(out / kind / "**" / "*.parquet", hive_partitioning=True)
        for (neg_type, shard), group in frame.group_by("type", "shard"):
            rows.setdefault((neg_type, shard), []).extend(group["caption_id"].to_list())
    return files, {k: sorted(v) for k, v in rows.items()}


def ok(call, body):
    return 200, None, 0.0


def test_ray_output_matches_the_local_runner(local_ray, captions, tmp_path):
    with FaultServer(ok) as server:
        config = config_for(server)
        on_ray = generate(captions, tmp_path / "ray", TYPES, 3, RayRunner(workers=2), config)
        local = generate(
            captions, tmp_path / "local", TYPES, 3, OpenAIEngine("served", base_url=server.base_url), config
        )
    assert on_ray.accepted == local.accepted and on_ray.rejected == local.rejected
    ray_files, ray_rows = layout_and_rows(tmp_path / "ray")
    local_files, local_rows = layout_and_rows(tmp_path / "local")
    assert ray_files == local_files and ray_rows == local_rows
    assert all(len(ids) == len(set(ids)) for ids in ray_rows.values())
    assert sum(len(ids) for ids in ray_rows.values()) == 24 * len(TYPES)
    layout = RunLayout(tmp_path / "ray")
    assert all(layout.success(t, s).exists() for t in TYPES for s in range(3))


def test_failed_shards_are_reported_together_and_the_rerun_completes(local_ray, captions, tmp_path):
    def reshuffle_down(call, body):
        # The swap_nouns system prompt is served; reshuffle requests fail: one type's shards all fail.
        return (503, {"error": "down"}, 0.0) if "Reshuffle" in body["messages"][0]["content"] else (200, None, 0.0)

    with FaultServer(reshuffle_down) as server:
        with pytest.raises(ShardFailed, match=r"3 shard\(s\) failed: .*reshuffle/shard="):
            generate(captions, tmp_path, TYPES, 3, RayRunner(workers=2), config_for(server))
    layout = RunLayout(tmp_path)
    assert all(layout.success(NegType.swap_nouns, s).exists() for s in range(3))
    assert not any(layout.success(NegType.reshuffle, s).exists() for s in range(3))
    with FaultServer(ok) as server:
        summary = generate(captions, tmp_path, TYPES, 3, RayRunner(workers=2), config_for(server))
    assert summary.skipped_done == 24 and sum(summary.accepted.values()) + sum(summary.rejected.values()) == 24
    _, rows = layout_and_rows(tmp_path)
    assert sorted(i for ids in rows.values() for i in ids) == sorted(captions.column("caption_id").to_pylist() * 2)


def test_ray_workers_run_the_real_hf_engine(local_ray, captions, tmp_path, bundled_model_dir):
    config = GenerateConfig(max_attempts=1, chunk_size=4, sampling=SamplingParams(n=1, max_tokens=24))
    summary = generate(captions.slice(0, 8), tmp_path, [NegType.replace_nouns], 2, RayRunner(workers=2), config)
    assert sum(summary.accepted.values()) + sum(summary.rejected.values()) == 8
    rows = pl.concat(
        [
            pl.read_parquet(tmp_path / k / "**" / "*.parquet", columns=["caption_id", "engine"])
            for k in ("negatives", "rejects")
        ]
    )
    assert rows["caption_id"].n_unique() == 8 and rows["engine"].unique().to_list() == ["hf"]


def test_a_task_whose_actor_is_killed_mid_task_is_retried_exactly_once(local_ray, captions, tmp_path):
    killed: list[str] = []

    def kill_workers_once(call, body):
        # On the 3rd request every worker is inside its first task: kill them all (SIGKILL of the process).
        if call == 3 and not killed:
            for name in ray.util.list_named_actors():
                if name.startswith("neggen-worker-"):
                    ray.kill(ray.get_actor(name))
                    killed.append(name)
        return 200, None, 0.05

    with FaultServer(kill_workers_once) as server:
        summary = generate(captions, tmp_path, TYPES, 3, RayRunner(workers=2), config_for(server))
    assert killed and summary.retried_tasks >= 1
    _, rows = layout_and_rows(tmp_path)
    ids = [i for group in rows.values() for i in group]
    assert sorted(ids) == sorted(captions.column("caption_id").to_pylist() * 2)  # every row once
    layout = RunLayout(tmp_path)
    assert all(layout.success(t, s).exists() for t in TYPES for s in range(3))


@pytest.mark.parametrize(
    ("configured", "cpus", "workers"), [(None, 1.0, 0), (None, 4.0, 3), (None, 2.5, 1), (5, 1.0, 5)]
)
def test_each_actor_parses_with_the_cpus_ray_gives_it(configured, cpus, workers):
    from neggen.run.ray_runner import with_actor_tagger_workers

    config = with_actor_tagger_workers(GenerateConfig(tagger_workers=configured), cpus)
    assert config.tagger_workers == workers
