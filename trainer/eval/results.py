"""Result files (one JSON per model x benchmark/subset x task, CLIP_benchmark's keys plus ours) and the table.

`<results_dir>/<model_tag>/<benchmark>__<subset>__<task>.json` holds
`{dataset, model, pretrained, task, metrics, language}` (CLIP_benchmark) plus `run_id, n_items, n_ties,
benchmark, subset, info`. `build_table` flattens every file under a results dir into one long polars table;
`headline_table` picks the paper's columns (docs/method.md section 4) and appends the paper's own rows, labelled.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
from pydantic import BaseModel, Field

from neggen.run.atomic import write_atomic, write_json_atomic
from trainer.eval.choice import ChoiceItem
from trainer.eval.scoring import Choice, TieRule

Judge = Callable[[list[ChoiceItem], TieRule], Choice]
_SAFE = re.compile(r"[^A-Za-z0-9_.+-]+")


class Record(BaseModel):
    benchmark: str
    subset: str
    task: str
    metrics: dict[str, Any]
    n_items: int
    n_ties: int = 0
    model: str = ""
    pretrained: str = ""
    language: str = "en"
    run_id: str = ""
    info: dict[str, Any] = Field(default_factory=dict)

    @property
    def dataset(self) -> str:
        return f"{self.benchmark}/{self.subset}"

    def to_json(self) -> dict[str, Any]:
        return {"dataset": self.dataset, **self.model_dump()}


def safe_tag(text: str) -> str:
    return _SAFE.sub("_", text).strip("_") or "model"


def record_path(results_dir: Path, model_tag: str, record: Record) -> Path:
    name = f"{safe_tag(record.benchmark)}__{safe_tag(record.subset)}__{safe_tag(record.task)}.json"
    return Path(results_dir) / safe_tag(model_tag) / name


def write_record(results_dir: Path, model_tag: str, record: Record) -> Path:
    path = record_path(results_dir, model_tag, record)
    write_json_atomic(path, record.to_json())
    return path


def choice_record(benchmark: str, subset: str, choice: Choice, task: str, **metrics: Any) -> Record:
    return Record(
        benchmark=benchmark,
        subset=subset,
        task=task,
        metrics={"acc": choice.accuracy, **metrics},
        n_items=choice.n_items,
        n_ties=choice.n_ties,
        info={"tie_rule": str(choice.tie_rule)},
    )


def summary_record(
    benchmark: str, choices: dict[str, Choice], task: str, metrics: dict[str, Any], **info: Any
) -> Record:
    """The benchmark-level record over its subsets: item and tie counts summed, the averages given."""
    return Record(
        benchmark=benchmark,
        subset="summary",
        task=task,
        metrics=metrics,
        n_items=sum(c.n_items for c in choices.values()),
        n_ties=sum(c.n_ties for c in choices.values()),
        info={**info, "tie_rule": str(next(iter(choices.values())).tie_rule)},
    )


def read_records(results_dir: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(Path(results_dir).glob("*/*.json"))]


def build_table(results_dir: Path) -> pl.DataFrame:
    """Long table: one row per (model dir, benchmark, subset, task, metric) with a numeric value."""
    rows = []
    for path in sorted(Path(results_dir).glob("*/*.json")):
        rec = json.loads(path.read_text(encoding="utf-8"))
        for metric, value in rec.get("metrics", {}).items():
            if isinstance(value, bool) or not isinstance(value, int | float):
                continue
            rows.append(
                {
                    "model": path.parent.name,
                    "benchmark": rec["benchmark"],
                    "subset": rec["subset"],
                    "task": rec["task"],
                    "metric": metric,
                    "value": float(value),
                    "n_items": int(rec.get("n_items", 0)),
                    "n_ties": int(rec.get("n_ties", 0)),
                }
            )
    schema = {
        "model": pl.String,
        "benchmark": pl.String,
        "subset": pl.String,
        "task": pl.String,
        "metric": pl.String,
        "value": pl.Float64,
        "n_items": pl.Int64,
        "n_ties": pl.Int64,
    }
    return pl.DataFrame(rows, schema=schema).sort(["model", "benchmark", "subset", "task", "metric"])


# The paper's numbers (DeGLA, arXiv 2504.16801, Tables 2-7, ViT-B/32), copied from docs/method.md section 4.
HEADLINE = (
    "VALSE avg",
    "SC replace",
    "SC swap",
    "SC add",
    "VG-R",
    "VG-A",
    "COCO-Ord",
    "Flickr-Ord",
    "ARO avg",
    "ZS avg",
)
PAPER_ROWS: dict[str, tuple[float, ...]] = {
    "CLIP": (65.3, 80.2, 64.0, 72.7, 59.2, 62.9, 48.4, 59.1, 57.4, 61.0),
    "NegCLIP": (71.7, 85.0, 75.4, 85.8, 80.4, 70.5, 86.9, 90.5, 82.1, 58.1),
    "CE-CLIP": (72.2, 87.0, 74.9, 92.9, 83.9, 76.4, 80.9, 83.7, 81.2, 45.7),
    "DeGLA": (74.1, 90.5, 81.9, 94.8, 81.6, 74.3, 93.8, 94.7, 86.1, 58.7),
}
# headline column -> (benchmark, subset, task, metric) in the long table
_SOURCES = {
    "VALSE avg": ("valse", "summary", "image_caption_selection", "avg"),
    "SC replace": ("sugarcrepe", "summary", "image_caption_selection", "replace"),
    "SC swap": ("sugarcrepe", "summary", "image_caption_selection", "swap"),
    "SC add": ("sugarcrepe", "summary", "image_caption_selection", "add"),
    "VG-R": ("aro", "vg_relation", "image_caption_selection", "acc"),
    "VG-A": ("aro", "vg_attribution", "image_caption_selection", "acc"),
    "COCO-Ord": ("aro", "coco_order", "image_caption_selection", "acc"),
    "Flickr-Ord": ("aro", "flickr30k_order", "image_caption_selection", "acc"),
    "ARO avg": ("aro", "summary", "image_caption_selection", "avg"),
    "ZS avg": ("zeroshot", "summary", "zeroshot_classification", "avg"),
}


_NON_CHOICE_TASKS = ("zeroshot_classification", "zeroshot_retrieval")


def headline_table(long: pl.DataFrame) -> pl.DataFrame:
    """Rows: each model x scorer (then the paper's, labelled 'paper: ...'); columns: the paper's headline numbers."""
    rows = []
    pairs = long.select("model", "task").unique(maintain_order=True)
    choice_tasks = [t for t in pairs["task"].unique(maintain_order=True).to_list() if t not in _NON_CHOICE_TASKS]
    for model in pairs["model"].unique(maintain_order=True).to_list():
        mine = long.filter(pl.col("model") == model)
        for task in [t for t in choice_tasks if t in mine["task"].to_list()] or [None]:
            label = model if task in (None, "image_caption_selection") else f"{model} ({task})"
            row: dict[str, Any] = {"model": label}
            for column, (bench, subset, source_task, metric) in _SOURCES.items():
                wanted = source_task if source_task in _NON_CHOICE_TASKS or task is None else task
                hit = mine.filter(
                    (pl.col("benchmark") == bench)
                    & (pl.col("subset") == subset)
                    & (pl.col("task") == wanted)
                    & (pl.col("metric") == metric)
                )
                row[column] = round(hit["value"][0], 1) if hit.height else None
            rows.append(row)
    for name, values in PAPER_ROWS.items():
        rows.append({"model": f"paper: {name}", **dict(zip(HEADLINE, values, strict=True))})
    schema = {"model": pl.String, **{c: pl.Float64 for c in HEADLINE}}
    return pl.DataFrame(rows, schema=schema)


def blind_table(long: pl.DataFrame) -> pl.DataFrame:
    """Blind-baseline accuracies beside each model's, per subset, so benchmark artefacts show."""
    selection = long.filter((pl.col("metric") == "acc") & (pl.col("subset") != "summary"))
    if selection.is_empty():
        return selection
    return (
        selection.with_columns((pl.col("model") + " | " + pl.col("task")).alias("scorer"))
        .with_columns(pl.col("value").round(1))
        .pivot(on="scorer", index=["benchmark", "subset"], values="value", aggregate_function="first")
        .sort(["benchmark", "subset"])
    )


def to_markdown(frame: pl.DataFrame) -> str:
    def cell(value: Any) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "-"
        return f"{value:.1f}" if isinstance(value, float) else str(value)

    header = "| " + " | ".join(frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.iter_rows()]
    return "\n".join([header, rule, *body]) + "\n"


def build(results_dir: Path) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Write results.csv (long), results.md (headline with the paper's rows, blind baselines, long) and return them."""
    long = build_table(results_dir)
    headline = headline_table(long)
    blind = blind_table(long)
    write_atomic(Path(results_dir) / "results.csv", lambda tmp: long.write_csv(tmp))
    parts = [
        "# Results\n",
        "## Headline (rows 'paper: ...' are the DeGLA paper's numbers, not ours; compare deltas, not raw values)\n",
        to_markdown(headline),
    ]
    if not blind.is_empty():
        parts += ["\n## Per subset, with blind baselines\n", to_markdown(blind)]
    parts += ["\n## All metrics\n", to_markdown(long)]
    text = "\n".join(parts)
    write_atomic(Path(results_dir) / "results.md", lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return long, headline, blind
