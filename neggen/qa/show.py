"""`neggen show`: sample rows side by side, caption over negative, the edited words highlighted."""

from __future__ import annotations

import difflib
import html
from pathlib import Path
from typing import Any

import polars as pl

from neggen.qa.frames import check_run_dir, scan
from neggen.text.words import comparison_key
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


Segment = tuple[str, bool]  # (words joined by spaces, whether they differ from the other text)


def diff_segments(caption: str, negative: str) -> tuple[list[Segment], list[Segment]]:
    """Caption and negative as runs of words, each run marked changed or not (compared as neggen.text.words words)."""
    a, b = caption.split(), (negative or "").split()
    ops = difflib.SequenceMatcher(a=[comparison_key(w) for w in a], b=[comparison_key(w) for w in b], autojunk=False)
    left: list[Segment] = []
    right: list[Segment] = []
    for tag, i1, i2, j1, j2 in ops.get_opcodes():
        changed = tag != "equal"
        left.append((" ".join(a[i1:i2]), changed))
        right.append((" ".join(b[j1:j2]), changed))
    return [s for s in left if s[0]], [s for s in right if s[0]]


def _join(segments: list[Segment], mark) -> str:
    return " ".join(mark(text) if changed else text for text, changed in segments)


def highlight(caption: str, negative: str, color: bool) -> tuple[str, str]:
    """Mark the words that differ: ANSI colours, or [brackets] without."""
    left, right = diff_segments(caption, negative)
    if color:
        return _join(left, lambda t: f"{_RED}{t}{_RESET}"), _join(right, lambda t: f"{_GREEN}{t}{_RESET}")
    return _join(left, lambda t: f"[{t}]"), _join(right, lambda t: f"[{t}]")


def highlight_html(caption: str, negative: str) -> tuple[str, str]:
    """The same marking as HTML: every text escaped, the changed words in <del> (caption) and <ins> (negative)."""
    left, right = diff_segments(caption, negative)
    escape = html.escape
    return (
        " ".join(f"<del>{escape(t)}</del>" if c else escape(t) for t, c in left),
        " ".join(f"<ins>{escape(t)}</ins>" if c else escape(t) for t, c in right),
    )


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
