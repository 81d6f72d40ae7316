"""Labelled precision of a run: the share of its accepted rows that `neggen label` found good, per type, with a
95% Wilson interval and the number of labelled rows it rests on.

A label counts only while its row is among the run's accepted rows (matched by `row_key`): a label of a row that
a re-run moved aside is kept in the file and reported as stale.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import polars as pl

from neggen.qa.frames import OVERALL, scan
from neggen.qa.labels import LabelledRow, read_run_labels, row_key, run_labels_path
from neggen.types import in_type_order


def wilson_interval(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval for k successes in n trials; (0, 1) when n is 0 (nothing is known)."""
    if not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n, got k={k}, n={n}")
    if n == 0:
        return 0.0, 1.0
    p = k / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    # Clamped: at k == 0 or k == n the formula gives the bound up to rounding (-1e-17, 1 + 1e-16).
    return max(0.0, centre - half), min(1.0, centre + half)


def accepted_row_keys(root: Path, captions: set[str] | None = None) -> set[str]:
    """The row keys of the run's accepted rows (only rows of these captions, when given: hashing is in Python)."""
    frame = scan(root, "negatives").select("neg_type", "caption", "negative")
    if captions is not None:
        frame = frame.filter(pl.col("caption").is_in(sorted(captions)))
    return {row_key(t, c, n or "") for t, c, n in frame.collect().iter_rows()}


def split_stale(root: Path, labels: list[LabelledRow]) -> tuple[list[LabelledRow], list[LabelledRow]]:
    """(labels of rows among the run's accepted rows, labels of rows that are not any more)."""
    if not labels:
        return [], []
    keys = accepted_row_keys(root, {r.caption for r in labels})
    return [r for r in labels if r.row_id in keys], [r for r in labels if r.row_id not in keys]


def _figures(good: list[bool]) -> dict[str, Any]:
    k, n = sum(good), len(good)
    low, high = wilson_interval(k, n)
    return {"labelled": n, "good": k, "precision": round(k / n, 4), "interval95": [round(low, 4), round(high, 4)]}


def labelled_precision(root: Path) -> dict[str, Any] | None:
    """Per type and overall, the labelled precision of the run's accepted rows; None when nobody labelled any.

    A row labelled more than once (two labellers) counts once, with its latest label: Wilson's interval
    assumes distinct rows.
    """
    labels = read_run_labels(root)
    if not labels:
        return None
    current, stale = split_stale(root, labels)
    latest = {r.row_id: r for r in current}
    present = {r.neg_type for r in latest.values()}
    types = in_type_order(present)
    by_type = {t: _figures([r.label.good for r in latest.values() if r.neg_type == t]) for t in types}
    if latest:
        by_type[OVERALL] = _figures([r.label.good for r in latest.values()])
    return {
        "file": str(run_labels_path(root)),
        "labels": len(labels),
        "labellers": sorted({r.label.labeller for r in labels}),
        "stale": len(stale),
        "by_type": by_type,
    }


def format_precision(figures: dict[str, Any]) -> list[str]:
    lines = [
        f"labelled precision (95% Wilson interval) from {figures['file']}, "
        f"labellers: {', '.join(figures['labellers'])}:",
        f"  {'type':<18}{'labelled':>9}{'good':>6}{'precision':>11}  interval",
    ]
    for name, row in figures["by_type"].items():
        k, n = row["good"], row["labelled"]
        low, high = wilson_interval(k, n)  # from the counts: the stored 4-place figures would round twice
        lines.append(f"  {name:<18}{n:>9}{k:>6}{k / n:>11.3f}  {low:.3f}-{high:.3f}")
    if figures["stale"]:
        lines.append(
            f"  {figures['stale']} label(s) are of rows no longer among the run's accepted rows "
            "(moved aside by a re-run): kept in the file, not counted"
        )
    return lines
