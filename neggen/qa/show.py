"""`neggen show`: sample rows side by side, caption over negative, the edited words highlighted."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import polars as pl

from neggen.qa.frames import check_run_dir, scan
from neggen.text import comparison_key
from neggen.types import resolve_types
from neggen.validate import Reason

_RED, _GREEN, _DIM, _RESET = "\x1b[1;31m", "\x1b[1;32m", "\x1b[2m", "\x1b[0m"


def sample_rows(
    root: Path,
    types: list[str] | None = None,
    reason: str | None = None,
    shard: int | None = None,
    rejects: bool = False,
    n: int = 10,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """Up to n rows (accepted, or rejected with rejects/reason), the same ones for the same seed."""
    check_run_dir(root)
    if reason is not None and reason not in Reason.__members__:
        raise ValueError(f"unknown reason {reason!r}; choose from {', '.join(Reason.__members__)}")
    rejects = rejects or reason is not None
    frame = scan(root, "rejects" if rejects else "negatives")
    if types:
        frame = frame.filter(pl.col("neg_type").is_in([t.value for t in resolve_types(types)]))
    if reason is not None:
        frame = frame.filter(pl.col("reason") == reason)
    if shard is not None:
        frame = frame.filter(pl.col("shard") == shard)
    columns = ["neg_type", "shard", "caption_id", "image_id", "caption", "negative", "attempt"]
    table = frame.select(*columns, *(["reason", "detail"] if rejects else [])).collect().sort("neg_type", "caption_id")
    if table.height > n:
        table = table.sample(n, seed=seed).sort("neg_type", "caption_id")
    return table.to_dicts()


def highlight(caption: str, negative: str, color: bool) -> tuple[str, str]:
    """Mark the words that differ (compared as neggen.text words): ANSI colours, or [brackets] without."""
    a, b = caption.split(), (negative or "").split()
    ops = difflib.SequenceMatcher(a=[comparison_key(w) for w in a], b=[comparison_key(w) for w in b], autojunk=False)

    def mark(tokens: list[str], start: int, end: int, paint: str) -> str:
        text = " ".join(tokens[start:end])
        if not text:
            return ""
        return f"{paint}{text}{_RESET}" if color else f"[{text}]"

    left, right = [], []
    for tag, i1, i2, j1, j2 in ops.get_opcodes():
        if tag == "equal":
            left.append(" ".join(a[i1:i2]))
            right.append(" ".join(b[j1:j2]))
        else:
            left.append(mark(a, i1, i2, _RED))
            right.append(mark(b, j1, j2, _GREEN))
    return " ".join(p for p in left if p), " ".join(p for p in right if p)


def format_rows(rows: list[dict[str, Any]], color: bool) -> str:
    if not rows:
        return "no rows match"
    lines = []
    for r in rows:
        cap, neg = highlight(r["caption"], r["negative"] or "", color)
        head = f"{r['neg_type']}  shard {r['shard']}  {r['caption_id']}  image {r['image_id']}  attempt {r['attempt']}"
        if "reason" in r:
            head += f"  REJECTED {r['reason']}" + (f" ({r['detail']})" if r.get("detail") else "")
        lines += [f"{_DIM}{head}{_RESET}" if color else head, f"  caption : {cap}", f"  negative: {neg}", ""]
    return "\n".join(lines).rstrip()
