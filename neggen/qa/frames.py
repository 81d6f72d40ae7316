"""Lazy polars views of a run directory: accepted rows, rejected rows (with hive `type`/`shard`), _SUCCESS.json.

Every QA command reads through here, so any directory with the run layout works: a finished run, one still
being written (only complete part files are visible), or a filtered view written by `neggen audit --rebalance`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import polars as pl
import pyarrow as pa

from neggen.schemas import NEGATIVES, REJECTS
from neggen.text import WORD_PATTERN

Kind = Literal["negatives", "rejects"]
_SCHEMAS: dict[str, pa.Schema] = {"negatives": NEGATIVES, "rejects": REJECTS}
HIVE = {"type": pl.String, "shard": pl.Int64}


def check_run_dir(root: Path) -> None:
    if not (root / "negatives").is_dir() and not (root / "rejects").is_dir():
        raise FileNotFoundError(f"{root} is not a neggen run (no negatives/ or rejects/ folder)")


def part_files(root: Path, kind: Kind) -> list[Path]:
    return sorted((root / kind).glob("type=*/shard=*/part-*.parquet"))


def scan(root: Path, kind: Kind) -> pl.LazyFrame:
    """All complete part files of one kind, with the hive columns `type` and `shard`; empty when there are none."""
    files = part_files(root, kind)
    if not files:
        empty = pl.from_arrow(_SCHEMAS[kind].empty_table())
        return empty.lazy().with_columns(pl.lit(None, pl.String).alias("type"), pl.lit(None, pl.Int64).alias("shard"))
    return pl.scan_parquet([str(f) for f in files], hive_partitioning=True, hive_schema=HIVE, missing_columns="insert")


def successes(root: Path) -> list[dict[str, Any]]:
    """Every shard's _SUCCESS.json (counts, tokens, timings)."""
    found = []
    for path in sorted((root / "negatives").glob("type=*/shard=*/_SUCCESS.json")):
        found.append(json.loads(path.read_text(encoding="utf-8")))
    return found


def words_expr(column: str) -> pl.Expr:
    """neggen.text.words as a polars expression (NFKC, curly apostrophe, lower case, the same word pattern)."""
    return (
        pl.col(column)
        .fill_null("")
        .str.normalize("NFKC")
        .str.replace_all("\u2019", "'", literal=True)
        .str.to_lowercase()
        .str.extract_all(WORD_PATTERN)
    )
