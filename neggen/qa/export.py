"""`neggen export`: accepted negatives as the reference trainer's DeGLA json, or as jsonl (every column).

degla-json: one record per caption, `{"image_id", "original", "enhanced", "neg_types", "caption_id"}`.
`enhanced` holds the caption's accepted negatives in the type order reshuffle, swap_nouns, swap_adjectives,
replace_adjectives, replace_nouns; `neg_types` names each entry (the reference trainer reads the first three
keys and ignores the others). A caption whose negative of some type was rejected gets only the ones it has;
`require_all` keeps only captions with every selected type (fixed slots, e.g. for K=5 training). image_id
is written as a number when it is one (COCO), as in the reference records.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import polars as pl
import pyarrow as pa

from neggen.qa.frames import Kind, check_run_dir, scan
from neggen.run.atomic import write_atomic, write_json_atomic
from neggen.schemas import NEGATIVES, REJECTS
from neggen.types import ALL_TYPES, resolve_types

Format = Literal["degla-json", "jsonl"]
FORMATS = ("degla-json", "jsonl")
_TIME = "%Y-%m-%dT%H:%M:%S%.3fZ"


def _rows(root: Path, kind: Kind, types: list[str] | None) -> pl.LazyFrame:
    check_run_dir(root)
    frame = scan(root, kind).drop("type", "shard")
    if types:
        frame = frame.filter(pl.col("neg_type").is_in([t.value for t in resolve_types(types)]))
    return frame


def _image_id(value: str) -> int | str:
    return int(value) if value.isdigit() else value


def degla_records(root: Path, types: list[str] | None = None, require_all: bool = False) -> list[dict[str, Any]]:
    wanted = [t.value for t in (resolve_types(types) if types else ALL_TYPES)]
    order = {name: i for i, name in enumerate(t.value for t in ALL_TYPES)}
    frame = _rows(root, "negatives", wanted).select("caption_id", "image_id", "caption", "neg_type", "negative")
    grouped = (
        frame.with_columns(pl.col("neg_type").replace_strict(order, return_dtype=pl.Int8).alias("slot"))
        .sort("caption_id", "slot")
        .group_by("caption_id", maintain_order=True)
        .agg(pl.col("image_id").first(), pl.col("caption").first(), pl.col("negative"), pl.col("neg_type"))
        .collect()
    )
    if require_all:
        grouped = grouped.filter(pl.col("neg_type").list.len() == len(wanted))
    return [
        {
            "image_id": _image_id(r["image_id"]),
            "original": r["caption"],
            "enhanced": r["negative"],
            "neg_types": r["neg_type"],
            "caption_id": r["caption_id"],
        }
        for r in grouped.iter_rows(named=True)
    ]


def export_run(
    root: Path,
    target: Path,
    fmt: str,
    types: list[str] | None = None,
    require_all: bool = False,
    rejects: bool = False,
) -> int:
    """Write the export atomically; returns the number of records."""
    if fmt not in FORMATS:
        raise ValueError(f"--format must be one of {', '.join(FORMATS)}, hf")
    if fmt == "degla-json":
        if rejects:
            raise ValueError("--rejects only applies to --format jsonl")
        records = degla_records(root, types, require_all)
        write_json_atomic(target, records)
        return len(records)
    table = _rows(root, "rejects" if rejects else "negatives", types).sort("neg_type", "caption_id").collect()
    table = table.with_columns(pl.col("created_at").dt.strftime(_TIME))
    write_atomic(target, lambda tmp: table.write_ndjson(tmp))
    return table.height


def read_jsonl(path: Path, rejects: bool = False) -> pa.Table:
    """The inverse of the jsonl export: the rows back under their declared schema."""
    schema = REJECTS if rejects else NEGATIVES
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    frame = pl.DataFrame(rows, schema_overrides={"created_at": pl.String}, infer_schema_length=None)
    if frame.height:
        frame = frame.with_columns(pl.col("created_at").str.to_datetime(_TIME, time_zone="UTC", time_unit="ms"))
    return pa.Table.from_pylist(frame.to_dicts(), schema=schema) if frame.height else schema.empty_table()
