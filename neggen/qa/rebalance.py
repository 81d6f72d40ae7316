"""`neggen audit --rebalance`: a filtered copy of the accepted negatives on which the length judge is at chance.

Per type, pairs whose negative is longer and pairs whose negative is shorter are cut to the same number
(a seeded sample of the larger side; same-length pairs are all kept), so "the shorter text is the caption"
is right exactly half the time. The view is written as a run-like directory (negatives/type=*/shard=*/,
declared schema, atomic parts) with rebalance.json; the input run is only read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from neggen.atomic import write_json_atomic, write_parquet_atomic
from neggen.layout import RunLayout
from neggen.qa.audit import length_judge
from neggen.qa.frames import check_run_dir, scan
from neggen.qa.stats import OVERALL, features
from neggen.schemas import NEGATIVES
from neggen.types import NegType


def _accuracy(rows: pl.DataFrame) -> float | None:
    return round(float(length_judge(rows).mean()), 4) if rows.height else None


def balanced_ids(rows: pl.DataFrame, seed: int) -> pl.DataFrame:
    """The kept rows of one type: all ties, and as many 'negative longer' as 'negative shorter' pairs."""
    diff = pl.col("negative_words") - pl.col("caption_words")
    longer, shorter, ties = rows.filter(diff > 0), rows.filter(diff < 0), rows.filter(diff == 0)
    k = min(longer.height, shorter.height)
    longer = longer.sort("caption_id").sample(k, seed=seed)
    shorter = shorter.sort("caption_id").sample(k, seed=seed)
    return pl.concat([longer, shorter, ties])


def rebalance(root: Path, out: Path, seed: int = 0) -> dict[str, Any]:
    check_run_dir(root)
    root_r, out_r = root.resolve(), out.resolve()
    if out_r == root_r or root_r in out_r.parents or out_r in root_r.parents:
        raise ValueError(f"--out {out} must be outside the audited run {root} (its shards are never modified)")
    if out.exists() and any(out.iterdir()):
        raise ValueError(f"--out {out} already exists and is not empty; choose a new directory")
    rows = features(root)
    kept_parts, summary = [], {}
    present = set(rows["neg_type"].unique().to_list())
    for name in [t.value for t in NegType if t.value in present]:
        subset = rows.filter(pl.col("neg_type") == name)
        kept = balanced_ids(subset, seed)
        kept_parts.append(kept.select("neg_type", "shard", "caption_id"))
        summary[name] = {
            "pairs_before": subset.height,
            "pairs_after": kept.height,
            "length_judge_before": _accuracy(subset),
            "length_judge_after": _accuracy(kept),
        }
    kept_all = pl.concat(kept_parts) if kept_parts else rows.select("neg_type", "shard", "caption_id")
    summary[OVERALL] = {"pairs_before": rows.height, "pairs_after": kept_all.height}
    keep = scan(root, "negatives").join(kept_all.lazy(), on=["neg_type", "shard", "caption_id"], how="semi")
    table = keep.collect()
    layout = RunLayout(out)
    for (name, shard), group in table.sort("caption_id").group_by(["neg_type", "shard"], maintain_order=True):
        target = layout.negatives_dir(NegType(name), int(shard)) / layout.part_name(0)
        arrow = group.drop("type", "shard").to_arrow().select(NEGATIVES.names)
        write_parquet_atomic(target, arrow, NEGATIVES)
    (out / "negatives").mkdir(parents=True, exist_ok=True)
    report = {"source": str(root), "seed": seed, "judge": "length", "by_type": summary}
    write_json_atomic(out / "rebalance.json", report)
    return report
