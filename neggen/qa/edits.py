"""Where and how much a negative changes its caption, in words (the validators' unit), for whole columns."""

from __future__ import annotations

import polars as pl

from neggen.qa.frames import words_expr
from neggen.text.words import changed_region

EDIT_FIELDS = pl.Struct({"edit_start": pl.Int32, "edit_words": pl.Int32})


def _regions(pairs: pl.Series) -> pl.Series:
    starts: list[int | None] = []
    sizes: list[int | None] = []
    for cap, neg in zip(pairs.struct.field("cw").to_list(), pairs.struct.field("nw").to_list(), strict=True):
        if cap is None or neg is None:
            starts.append(None)
            sizes.append(None)
            continue
        region = changed_region(cap, neg)
        size = max(region.cap_end, region.neg_end) - region.start
        starts.append(region.start if size else None)
        sizes.append(size)
    columns = {"edit_start": pl.Series(starts, dtype=pl.Int32), "edit_words": pl.Series(sizes, dtype=pl.Int32)}
    return pl.DataFrame(columns).to_struct("_edit")


def with_edit_columns(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Add caption_words, negative_words (counts), edit_words (words in the changed region: caption and
    negative minus their common prefix and suffix, the longer side) and edit_position (the region's first
    word / caption length, 0 = first word; null when nothing changed)."""
    return (
        frame.with_columns(words_expr("caption").alias("cw"), words_expr("negative").alias("nw"))
        .with_columns(
            pl.col("cw").list.len().cast(pl.Int32).alias("caption_words"),
            pl.col("nw").list.len().cast(pl.Int32).alias("negative_words"),
            pl.struct("cw", "nw").map_batches(_regions, return_dtype=EDIT_FIELDS).alias("_edit"),
        )
        .unnest("_edit")
        .with_columns(
            (pl.col("edit_start") / pl.col("caption_words").clip(lower_bound=1)).alias("edit_position"),
        )
    )
