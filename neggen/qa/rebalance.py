"""`neggen audit --rebalance`: a filtered copy of the accepted negatives on which a blind judge is at chance.

Judge `length`: per type, pairs whose negative is longer and pairs whose negative is shorter are cut to the
same number (a seeded sample of the larger side; same-length pairs are all kept), so "the shorter text is the
caption" is right exactly half the time.
Judge `llm` (SugarCrepe's adversarial refinement): the margin is the plausibility scorer's gap stored on each
row (`negative_logprob - caption_logprob`); within each of `LLM_BINS` bins of |gap| (quantile bins per type),
pairs the scorer prefers the caption on and pairs it prefers the negative on are cut to the same number, so
"the likelier text is the caption" is at chance at every size of gap.
The view is written as a run-like directory (negatives/type=*/shard=*/, declared schema, atomic parts) with
rebalance.json; the input run is only read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import polars as pl

from neggen.qa.audit import accuracy, judged_right
from neggen.qa.frames import check_run_dir, scan
from neggen.qa.stats import OVERALL, features
from neggen.run.atomic import write_json_atomic, write_parquet_atomic
from neggen.run.layout import RunLayout
from neggen.schemas import NEGATIVES
from neggen.types import NegType

Judge = Literal["length", "llm"]
LLM_BINS = 5
MARGINS = {
    "length": pl.col("negative_words") - pl.col("caption_words"),
    "llm": pl.col("caption_logprob") - pl.col("negative_logprob"),
}


def _accuracy(rows: pl.DataFrame) -> float | None:
    return accuracy(rows.select(judged_right(pl.col("margin"))).to_series())


def _even(rows: pl.DataFrame, seed: int) -> pl.DataFrame:
    """All ties, and as many margin > 0 as margin < 0 pairs (a seeded sample of the larger side)."""
    above, below, ties = (
        rows.filter(pl.col("margin") > 0),
        rows.filter(pl.col("margin") < 0),
        rows.filter(pl.col("margin") == 0),
    )
    k = min(above.height, below.height)
    return pl.concat(
        [above.sort("caption_id").sample(k, seed=seed), below.sort("caption_id").sample(k, seed=seed), ties]
    )


def balanced_ids(rows: pl.DataFrame, seed: int, judge: Judge = "length") -> pl.DataFrame:
    """The kept rows of one type (with a `margin` column: > 0 where the judge picks the caption)."""
    if judge == "length":
        return _even(rows, seed)
    size = rows["margin"].abs()
    edges = [size.quantile(i / LLM_BINS, "linear") for i in range(1, LLM_BINS)]
    above_edges = [(pl.col("margin").abs() > edge).cast(pl.Int8) for edge in edges]
    bins = rows.with_columns(pl.sum_horizontal(above_edges).alias("bin"))
    kept = [_even(group.drop("bin"), seed) for _, group in bins.group_by("bin", maintain_order=True)]
    return pl.concat(kept) if kept else rows


def rebalance(root: Path, out: Path, seed: int = 0, judge: Judge = "length") -> dict[str, Any]:
    check_run_dir(root)
    root_r, out_r = root.resolve(), out.resolve()
    if out_r == root_r or root_r in out_r.parents or out_r in root_r.parents:
        raise ValueError(f"--out {out} must be outside the audited run {root} (its shards are never modified)")
    if out.exists() and any(out.iterdir()):
        raise ValueError(f"--out {out} already exists and is not empty; choose a new directory")
    rows = features(root)
    if judge == "llm":
        scores = scan(root, "negatives").select(
            "neg_type", "shard", "caption_id", "caption_logprob", "negative_logprob"
        )
        rows = rows.join(scores.collect(), on=["neg_type", "shard", "caption_id"], how="left")
        if rows["caption_logprob"].null_count() or rows["negative_logprob"].null_count():
            raise ValueError(
                f"{root} has rows without plausibility scores (made without the filter): the llm rebalance reads "
                "caption_logprob and negative_logprob; use --rebalance-judge length"
            )
    rows = rows.with_columns(MARGINS[judge].alias("margin"))
    kept_parts, summary = [], {}
    present = set(rows["neg_type"].unique().to_list())
    for name in [t.value for t in NegType if t.value in present]:
        subset = rows.filter(pl.col("neg_type") == name)
        kept = balanced_ids(subset, seed, judge)
        kept_parts.append(kept.select("neg_type", "shard", "caption_id"))
        summary[name] = {
            "pairs_before": subset.height,
            "pairs_after": kept.height,
            f"{judge}_judge_before": _accuracy(subset),
            f"{judge}_judge_after": _accuracy(kept),
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
    report = {"source": str(root), "seed": seed, "judge": judge, "by_type": summary}
    write_json_atomic(out / "rebalance.json", report)
    return report
