"""`neggen stats`: per type and overall, what a run produced, from lazy scans of its part files.

All figures are plain numbers (floats rounded to 4 places) in one nested dict, which `--json`, the text table
and the HTML report all print unchanged; `labels` holds the labelled precision (neggen/qa/precision.py) when
`neggen label` saved labels in the run, else None.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from neggen.qa.edits import with_edit_columns
from neggen.qa.frames import OVERALL, check_run_dir, scan, successes
from neggen.qa.precision import format_precision, labelled_precision
from neggen.types import in_type_order


def _r(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)


def _ratio(num: float, den: float) -> float | None:
    return _r(num / den) if den else None


def features(root: Path, keep_words: bool = False) -> pl.DataFrame:
    """One row per accepted negative: neg_type, shard, caption/negative word counts, edit size and position
    (and with keep_words the negative's word list `nw`)."""
    frame = scan(root, "negatives").select("neg_type", "shard", "caption_id", "caption", "negative")
    frame = with_edit_columns(frame).drop("cw")
    return (frame if keep_words else frame.drop("nw")).collect()


def _distinct(negatives: pl.Series, n: int) -> float | None:
    """Distinct n-grams / all n-grams over a set of word lists (Li et al.'s distinct-n)."""
    grams = negatives
    for k in range(1, n):
        grams = grams.list.eval(pl.element() + " " + pl.element().shift(-k))  # n-grams as joined strings
    grams = grams.list.eval(pl.element().drop_nulls()).explode().drop_nulls()
    return _ratio(grams.n_unique(), grams.len())


def _text_metrics(rows: pl.DataFrame) -> dict[str, Any]:
    n = rows.height
    if not n:
        return {}
    diff = rows["negative_words"] - rows["caption_words"]
    edits = rows["edit_words"]
    return {
        "caption_words_mean": _r(rows["caption_words"].mean()),
        "negative_words_mean": _r(rows["negative_words"].mean()),
        "negative_longer_share": _ratio((diff > 0).sum(), n),
        "negative_shorter_share": _ratio((diff < 0).sum(), n),
        "edit_words_mean": _r(edits.mean()),
        "edit_words_median": _r(edits.median()),
        "edit_position_mean": _r(rows["edit_position"].mean()),
        "distinct_1": _distinct(rows["nw"], 1),
        "distinct_2": _distinct(rows["nw"], 2),
        # a negative (same words) that another caption of the same type also got, e.g. an in-context example
        "duplicate_rate": _ratio(n - rows.select("neg_type", pl.col("nw").list.join(" ")).n_unique(), n),
    }


def _token_metrics(records: list[dict[str, Any]]) -> dict[str, Any]:
    if not records:
        return {"shards_succeeded": 0}
    total = {k: sum(r.get(k) or 0 for r in records) for k in ("prompt_tokens", "completion_tokens", "elapsed_s")}
    generated = sum(r.get("generated_this_invocation") or 0 for r in records)
    # Tokens per second only over shards written in one go: a resumed shard's tokens span earlier invocations.
    whole = [r for r in records if r.get("generated_this_invocation") == r.get("captions") and r.get("elapsed_s")]
    whole_s = sum(r["elapsed_s"] for r in whole)
    return {
        "shards_succeeded": len(records),
        "prompt_tokens": total["prompt_tokens"],
        "completion_tokens": total["completion_tokens"],
        "elapsed_s": _r(total["elapsed_s"]),
        "engine_s": _r(sum(r.get("engine_s") or 0 for r in records)),
        "captions_per_s": _ratio(generated, total["elapsed_s"]),
        "completion_tokens_per_s": _ratio(sum(r.get("completion_tokens") or 0 for r in whole), whole_s),
    }


def compute_stats(root: Path, rows: pl.DataFrame | None = None) -> dict[str, Any]:
    """`rows`: `features(root, keep_words=True)` when the caller already has it (the edit columns are the
    slow part of a large run's stats)."""
    check_run_dir(root)
    counts = pl.concat(
        [
            scan(root, "negatives").select("neg_type", pl.lit(None, pl.String).alias("reason")),
            scan(root, "rejects").select("neg_type", "reason"),
        ]
    )
    counts = counts.group_by("neg_type", "reason").len().collect()
    rows = features(root, keep_words=True) if rows is None else rows
    present = set(counts["neg_type"].to_list())
    types = in_type_order(present)
    records = successes(root)
    by_type: dict[str, Any] = {}
    for name in [*types, OVERALL]:
        pick = counts if name == OVERALL else counts.filter(pl.col("neg_type") == name)
        accepted = int(pick.filter(pl.col("reason").is_null())["len"].sum())
        reasons = pick.filter(pl.col("reason").is_not_null()).group_by("reason").agg(pl.col("len").sum()).sort("reason")
        rejected = int(reasons["len"].sum())
        subset = rows if name == OVERALL else rows.filter(pl.col("neg_type") == name)
        by_type[name] = {
            "captions": accepted + rejected,
            "accepted": accepted,
            "rejected": rejected,
            "acceptance_rate": _ratio(accepted, accepted + rejected),
            "reject_reasons": {r: int(c) for r, c in reasons.iter_rows()},
            **_text_metrics(subset),
            **_token_metrics([r for r in records if name == OVERALL or r.get("type") == name]),
        }
    return {"out": str(root), "types": types, "by_type": by_type, "labels": labelled_precision(root)}


_COLUMNS = [
    ("captions", "captions"),
    ("accepted", "accepted"),
    ("acceptance_rate", "acc.rate"),
    ("caption_words_mean", "cap.words"),
    ("negative_words_mean", "neg.words"),
    ("negative_longer_share", "neg>cap"),
    ("edit_words_mean", "edit"),
    ("distinct_2", "dist-2"),
    ("duplicate_rate", "dup"),
    ("completion_tokens", "compl.tok"),
]


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def format_stats(stats: dict[str, Any]) -> str:
    lines = [f"{stats['out']}", f"{'type':<20}" + "".join(f"{label:>11}" for _, label in _COLUMNS)]
    for name, row in stats["by_type"].items():
        lines.append(f"{name:<20}" + "".join(f"{_cell(row.get(key)):>11}" for key, _ in _COLUMNS))
    lines.append("")
    lines.append("reject reasons:")
    for name, row in stats["by_type"].items():
        reasons = ", ".join(f"{r} {n}" for r, n in sorted(row["reject_reasons"].items(), key=lambda kv: -kv[1]))
        lines.append(f"  {name:<20}{reasons or '-'}")
    overall = stats["by_type"][OVERALL]
    if overall.get("shards_succeeded"):
        lines.append("")
        lines.append(
            f"tokens: {overall['prompt_tokens']} prompt, {overall['completion_tokens']} completion over "
            f"{overall['shards_succeeded']} finished shards; {_cell(overall['captions_per_s'])} captions/s, "
            f"{_cell(overall['completion_tokens_per_s'])} completion tokens/s"
        )
    if stats.get("labels"):
        lines += ["", *format_precision(stats["labels"])]
    return "\n".join(lines)
