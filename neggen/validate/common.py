"""Checks every negative must pass, whatever its type."""

from __future__ import annotations

import re

from neggen.validate.reasons import ACCEPT, Reason, Verdict, reject

# Chatter and labels a model wraps around its answer instead of giving only the caption.
_META_START = re.compile(
    r"^\s*(here(?:'s| is| are)|sure\b|certainly|okay\b|ok\b|of course|i\b|i'm|as an|note\b|"
    r"(?:the\s+)?(?:rewritten|new|negative|modified|output|answer|result|input|original)\b)",
    re.IGNORECASE,
)
_LABEL = re.compile(r"^\s*[\w ()-]{1,30}:\s")
_QUOTES = re.compile(r"[\"\u201c\u201d\u00ab\u00bb`]")
_META_WORDS = re.compile(r"\b(rewrit\w*|caption|sentence|swapp?ed|replaced)\b|->|=>", re.IGNORECASE)
_SENTENCE_BREAK = re.compile(r"[.!?]+\s+\S")

MIN_LENGTH_RATIO = 0.5
MAX_LENGTH_RATIO = 2.0


def check_common(caption: str, negative: str, caption_words: list[str], negative_words: list[str]) -> Verdict:
    if not negative.strip() or not negative_words:
        return reject(Reason.empty)
    if "\n" in negative.strip():
        return reject(Reason.multiple_sentences, "several lines")
    if _META_START.match(negative) or _LABEL.match(negative):
        return reject(Reason.meta_text, negative[:40])
    if _QUOTES.search(negative) and not _QUOTES.search(caption):
        return reject(Reason.meta_text, "quotes")
    meta = _META_WORDS.search(negative)
    if meta and not _META_WORDS.search(caption):
        return reject(Reason.meta_text, f"mentions {meta.group(0)!r}")
    if len(_SENTENCE_BREAK.findall(negative.strip())) > len(_SENTENCE_BREAK.findall(caption.strip())):
        return reject(Reason.multiple_sentences)
    if negative_words == caption_words:
        return reject(Reason.copy)
    n_cap, n_neg = len(caption_words), len(negative_words)
    if not MIN_LENGTH_RATIO * n_cap <= n_neg <= MAX_LENGTH_RATIO * n_cap:
        return reject(Reason.length_out_of_bounds, f"{n_neg} words for a caption of {n_cap}")
    return ACCEPT
