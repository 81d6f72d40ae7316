"""Figures as a person reads them in the report and the dataset card (the JSON outputs keep them exact)."""

from __future__ import annotations

from typing import Any, Literal

Kind = Literal["count", "share", "mean"]


def display(value: Any, kind: Kind) -> str:
    """Counts as integers (12,345), shares as percentages with at most one decimal (98.3%), means with one (4.7)."""
    if value is None:
        return "-"
    if kind == "count":
        return f"{round(value):,}"
    if kind == "share":
        return f"{value * 100:.1f}".removesuffix(".0") + "%"
    return f"{value:.1f}"
