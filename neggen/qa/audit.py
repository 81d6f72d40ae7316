"""`neggen audit`: can a judge that never sees the image tell the caption from its negative?

If text alone picks the real caption far more often than chance, a model trained on these pairs can learn
that shortcut instead of looking at the image (SugarCrepe's argument against earlier benchmarks). Two
judges, both blind:
- length: the shorter text is the real caption (ties count one half). An LLM that pads its rewrites
  scores near 100%, one that only trims near 0%; both are artefacts, 50% is none.
- llm: the text the bundled LLM finds more likely (neggen.qa.likelihood, summed or mean token log-prob)
  is the real caption, measured on a seeded sample of each type.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from neggen.qa.frames import check_run_dir
from neggen.qa.stats import OVERALL, features
from neggen.types import in_type_order


def judged_right(margin: pl.Expr) -> pl.Expr:
    """1 where a judge's margin says it picks the caption (> 0), 0 where it picks the negative, 0.5 on a tie."""
    return pl.when(margin > 0).then(1.0).when(margin < 0).then(0.0).otherwise(0.5)


def length_judge(rows: pl.DataFrame) -> pl.Series:
    """1 when the caption is the shorter text (the judge is right), 0 when longer, 0.5 on a tie."""
    return rows.select(judged_right(pl.col("negative_words") - pl.col("caption_words"))).to_series()


def accuracy(values: pl.Series) -> float | None:
    """The mean of a judge's 1 / 0 / 0.5 verdicts, to 4 places; None for no pairs."""
    return round(float(values.mean()), 4) if values.len() else None


def _length_summary(rows: pl.DataFrame) -> dict[str, Any]:
    diff = rows["negative_words"] - rows["caption_words"]
    return {
        "pairs": rows.height,
        "negative_longer": int((diff > 0).sum()),
        "negative_shorter": int((diff < 0).sum()),
        "same_length": int((diff == 0).sum()),
        "length_judge_accuracy": accuracy(length_judge(rows)),
    }


def _examples(rows: pl.DataFrame, margin: str, n: int) -> list[dict[str, Any]]:
    """The pairs the judge gets right by the widest margin: the clearest giveaways."""
    picked = rows.filter(pl.col(margin) > 0).sort([margin, "caption_id"], descending=[True, False]).head(n)
    return picked.select("caption_id", "caption", "negative", margin).to_dicts()


def audit_run(
    root: Path,
    llm: bool = False,
    llm_rows: int = 200,
    normalize: bool = False,
    examples: int = 3,
    seed: int = 0,
    scorer=None,
    rows: pl.DataFrame | None = None,
) -> dict[str, Any]:
    """Text-only judge accuracies per type and overall, with the clearest offending examples (`rows`: the
    run's `features`, when the caller already has them)."""
    check_run_dir(root)
    rows = features(root) if rows is None else rows
    rows = rows.with_columns((pl.col("negative_words") - pl.col("caption_words")).alias("length_margin"))
    present = set(rows["neg_type"].unique().to_list())
    types = in_type_order(present)
    report: dict[str, Any] = {"out": str(root), "judges": ["length"], "by_type": {}}
    if llm:
        report["judges"].append("llm")
        report["llm"] = {"rows_per_type": llm_rows, "score": "mean token log-prob" if normalize else "summed log-prob"}
        if scorer is None:
            from neggen.qa.likelihood import LikelihoodScorer

            scorer = LikelihoodScorer()
    scored = []
    for name in types:
        subset = rows.filter(pl.col("neg_type") == name)
        entry = _length_summary(subset)
        entry["length_examples"] = _examples(subset, "length_margin", examples)
        if llm:
            sample = subset.sample(min(llm_rows, subset.height), seed=seed) if subset.height else subset
            cap = scorer.score(sample["caption"].to_list(), normalize)
            neg = scorer.score(sample["negative"].to_list(), normalize)
            sample = sample.with_columns(pl.Series("llm_margin", [c - n for c, n in zip(cap, neg, strict=True)]))
            right = sample.select(judged_right(pl.col("llm_margin"))).to_series()
            entry |= {"llm_pairs": sample.height, "llm_judge_accuracy": accuracy(right)}
            entry["llm_examples"] = [
                e | {"llm_margin": round(e["llm_margin"], 3)} for e in _examples(sample, "llm_margin", examples)
            ]
            scored.append(right)
        report["by_type"][name] = entry
    overall = _length_summary(rows)
    if llm:
        right = pl.concat(scored) if scored else pl.Series([], dtype=pl.Float64)
        overall |= {"llm_pairs": right.len(), "llm_judge_accuracy": accuracy(right)}
    report["by_type"][OVERALL] = overall
    return report


def format_audit(report: dict[str, Any]) -> str:
    llm = "llm" in report["judges"]
    head = f"{'type':<20}{'pairs':>8}{'neg>cap':>9}{'neg<cap':>9}{'same':>7}{'length judge':>14}"
    lines = [f"text-only judges on {report['out']} (accuracy: share of pairs where text alone picks the caption)"]
    lines.append(head + (f"{'llm judge':>11}{'(pairs)':>8}" if llm else ""))
    for name, e in report["by_type"].items():
        acc = e["length_judge_accuracy"]
        line = f"{name:<20}{e['pairs']:>8}{e['negative_longer']:>9}{e['negative_shorter']:>9}{e['same_length']:>7}"
        line += f"{'-' if acc is None else f'{acc:.1%}':>14}"
        if llm:
            acc = e.get("llm_judge_accuracy")
            line += f"{'-' if acc is None else f'{acc:.1%}':>11}{e.get('llm_pairs', 0):>8}"
        lines.append(line)
    if llm:
        lines.append(
            f"llm judge: bundled model, {report['llm']['score']}, up to {report['llm']['rows_per_type']} pairs a type"
        )
    lines.append("50% = text alone is at chance; far from it in either direction is a shortcut to fix or rebalance.")
    for name, e in report["by_type"].items():
        for judge in ("length", "llm"):
            for ex in e.get(f"{judge}_examples", []):
                lines.append(f"  [{name}, {judge} +{ex[f'{judge}_margin']}] {ex['caption']}  ->  {ex['negative']}")
    return "\n".join(lines)
