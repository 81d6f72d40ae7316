"""Lazy polars views of a run directory: accepted rows, rejected rows (with hive `type`/`shard`), _SUCCESS.json.

Every QA command reads through here, and this module through neggen.run.layout (the run-directory contract), so
any directory with the run layout works: a finished run, one still being written (only complete part files
are visible), or a filtered view written by `neggen audit --rebalance`.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pyarrow as pa

from neggen.run.layout import Kind, check_parts, part_files, successes
from neggen.schemas import NEGATIVES, REJECTS
from neggen.text.words import WORD_PATTERN

__all__ = ["HIVE", "Kind", "check_run_dir", "scan", "successes", "words_expr"]

_SCHEMAS: dict[str, pa.Schema] = {"negatives": NEGATIVES, "rejects": REJECTS}
# The key of the all-types figures beside each type's in every QA table.
OVERALL = "overall"
HIVE = {"type": pl.String, "shard": pl.Int64}


def check_run_dir(root: Path) -> None:
    if not (root / "negatives").is_dir() and not (root / "rejects").is_dir():
        raise FileNotFoundError(f"{root} is not a neggen run (no negatives/ or rejects/ folder)")


def scan(root: Path, kind: Kind) -> pl.LazyFrame:
    """All complete part files of one kind, with the hive columns `type` and `shard`; empty when there are none.

    Every footer is read first, so a truncated part is named (UnreadablePart) instead of failing inside polars.
    """
    files = check_parts(part_files(root, kind))
    if not files:
        empty = pl.from_arrow(_SCHEMAS[kind].empty_table())
        return empty.lazy().with_columns(pl.lit(None, pl.String).alias("type"), pl.lit(None, pl.Int64).alias("shard"))
    return pl.scan_parquet([str(f) for f in files], hive_partitioning=True, hive_schema=HIVE, missing_columns="insert")


def words_expr(column: str) -> pl.Expr:
    """neggen.text.words.words as a polars expression (NFKC, curly apostrophe, lower case, the same word pattern)."""
    return (
        pl.col(column)
        .fill_null("")
        .str.normalize("NFKC")
        .str.replace_all("\u2019", "'", literal=True)
        .str.to_lowercase()
        .str.extract_all(WORD_PATTERN)
    )
