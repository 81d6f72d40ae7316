"""The run plan: everything any runner needs to run any (type, shard) of a run, decided once.

`plan_run` checks the request, creates or checks the manifest, stores the captions and lists this invocation's
tasks; every runner (local, Ray) takes the plan as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from neggen.config import GenerateConfig
from neggen.prompts import PromptBuilder, PromptSpec, load_prompt
from neggen.run.atomic import write_parquet_atomic
from neggen.run.layout import RunLayout
from neggen.run.locks import run_lock
from neggen.run.manifest import open_run
from neggen.run.sharding import assign_shards, select_captions
from neggen.schemas import CAPTIONS
from neggen.types import NegType

if TYPE_CHECKING:
    from neggen.engines.base import Engine
    from neggen.validate.relations import RelationTable


@dataclass(frozen=True)
class ShardTask:
    """One (type, shard) of a run: the unit a runner hands out, holds a lock on and commits parts for."""

    neg_type: NegType
    shard: int

    @property
    def label(self) -> str:
        return f"{self.neg_type.value}/shard={self.shard:05d}"


@dataclass
class RunPlan:
    """Everything a worker needs to run any (type, shard) of a run, decided once on the driver."""

    layout: RunLayout
    run_id: str
    config: GenerateConfig
    prompts: dict[str, PromptSpec]
    by_shard: dict[int, list[dict[str, Any]]]
    tasks: list[ShardTask]
    relations: RelationTable | None = None  # read once here: every worker judges by the table the manifest names

    @property
    def total_rows(self) -> int:
        return sum(len(self.rows(task)) for task in self.tasks)

    def rows(self, task: ShardTask) -> list[dict[str, Any]]:
        return self.by_shard.get(task.shard, [])

    def builder(self, neg_type: NegType) -> PromptBuilder:
        c = self.config
        return PromptBuilder(
            self.prompts[neg_type.value], c.prompt_layout, c.example_sets, c.examples_per_prompt, c.output
        )


def check_shards(shards: int, shard_indices: list[int] | None) -> None:
    if shards < 1:
        raise ValueError("--shards must be at least 1")
    bad = [i for i in shard_indices or [] if not 0 <= i < shards]
    if bad:
        raise ValueError(f"--shard-index {bad} outside 0..{shards - 1}")


def plan_run(
    captions: pa.Table,
    out: Path,
    types: list[NegType],
    shards: int,
    config: GenerateConfig,
    shard_indices: list[int] | None = None,
    limit: int | None = None,
    invocation: dict[str, Any] | None = None,
    engine: Engine | None = None,
) -> RunPlan:
    """Check or create the manifest, store the captions, and list the (type, shard) tasks of this invocation.
    `engine`: the one this process loaded, if any, for a plausibility filter that scores with it."""
    from neggen.plausibility import load_plausibility  # the language tools: seconds to import
    from neggen.validate import require_resources
    from neggen.validate.relations import table_for

    check_shards(shards, shard_indices)
    require_resources(meaning=config.meaning_checks)
    layout = RunLayout(out)
    prompts = {t.value: load_prompt(t, config.prompts_dir) for t in types}
    plausibility = load_plausibility(config.plausibility, engine)
    relations = table_for(config.relations)
    with run_lock(layout):  # concurrent --shard-index tasks must agree on one manifest and run_id
        manifest = open_run(layout, config, captions, shards, prompts, invocation or {}, plausibility, relations)
        if not layout.captions.exists():
            write_parquet_atomic(layout.captions, captions, CAPTIONS)
    selected = sorted(shard_indices) if shard_indices else list(range(shards))
    by_shard = assign_shards(select_captions(captions, limit), shards)
    tasks = [ShardTask(t, s) for t in types for s in selected]
    return RunPlan(layout, manifest["run_id"], config, prompts, by_shard, tasks, relations)
