"""The report's figures as PNG bytes (matplotlib, Agg backend, imported only when a report is drawn)."""

from __future__ import annotations

import io
from typing import Any

import polars as pl

from neggen.qa.stats import OVERALL


def _pyplot():
    try:
        import matplotlib
    except ImportError as exc:
        raise ImportError("the HTML report needs matplotlib: pip install 'neggen[report]'") from exc
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png", dpi=90)
    _pyplot().close(fig)
    return buffer.getvalue()


def acceptance_by_type(stats: dict[str, Any]) -> bytes:
    plt = _pyplot()
    names = stats["types"]
    rates = [stats["by_type"][t]["acceptance_rate"] or 0.0 for t in names]
    fig, ax = plt.subplots(figsize=(6, 3))
    bars = ax.bar(names, rates, color="#4c72b0")
    ax.bar_label(bars, labels=[f"{r:.0%}" for r in rates], fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("accepted / captions")
    ax.set_title("Acceptance by type")
    ax.tick_params(axis="x", labelrotation=20, labelsize=8)
    return _png(fig)


def reject_reasons(stats: dict[str, Any]) -> bytes:
    plt = _pyplot()
    totals = stats["by_type"][OVERALL]["reject_reasons"]
    reasons = sorted(totals, key=lambda r: totals[r])
    fig, ax = plt.subplots(figsize=(6, 0.8 + 0.3 * max(len(reasons), 1)))
    left = [0] * len(reasons)
    for name in stats["types"]:
        counts = [stats["by_type"][name]["reject_reasons"].get(r, 0) for r in reasons]
        ax.barh(reasons, counts, left=left, label=name)
        left = [a + b for a, b in zip(left, counts, strict=True)]
    ax.set_xlabel("rejected rows")
    ax.set_title("Reject reasons")
    if reasons:
        ax.legend(fontsize=7)
    return _png(fig)


def length_distributions(rows: pl.DataFrame) -> bytes:
    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3))
    top = max(int(rows["caption_words"].max() or 1), int(rows["negative_words"].max() or 1)) + 2
    bins = list(range(0, top))
    left.hist(rows["caption_words"].to_list(), bins=bins, alpha=0.6, label="caption")
    left.hist(rows["negative_words"].to_list(), bins=bins, alpha=0.6, label="negative")
    left.set_xlabel("words")
    left.set_title("Length of caption vs negative")
    left.legend(fontsize=8)
    diff = (rows["negative_words"] - rows["caption_words"]).to_list()
    span = max([abs(d) for d in diff] + [1]) + 1
    right.hist(diff, bins=[b - 0.5 for b in range(-span, span + 2)], color="#dd8452")
    right.axvline(0, color="black", linewidth=0.8)
    right.set_xlabel("negative words - caption words")
    right.set_title("Length difference (> 0: negative longer)")
    return _png(fig)


def edit_positions(rows: pl.DataFrame, types: list[str]) -> bytes:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 3))
    data = [rows.filter(pl.col("neg_type") == t)["edit_position"].drop_nulls().to_list() for t in types]
    if any(data):
        ax.hist(data, bins=[i / 10 for i in range(11)], stacked=True, label=types)
        ax.legend(fontsize=7)
    ax.set_xlabel("first edited word / caption length (0 = start)")
    ax.set_ylabel("negatives")
    ax.set_title("Where the edit starts")
    return _png(fig)
