"""Text normalisation and word tokenisation shared by ingest and the validators."""

from __future__ import annotations

import re
import unicodedata

_CONTROL = re.compile(r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u200b-\u200d\ufeff]")
_SPACE = re.compile(r"\s+")
# A word: letters/digits, with an apostrophe suffix kept ("man's"); hyphens split ("t-shirt" -> t, shirt).
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")
WORD_PATTERN = _WORD.pattern  # for vectorised tokenisers (polars) that must agree with words()


def normalize_caption(text: str) -> str:
    """NFC, control and zero-width characters removed, whitespace collapsed and trimmed."""
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\u2019", "'")
    text = _CONTROL.sub("", text)
    return _SPACE.sub(" ", text).strip()


def words(text: str) -> list[str]:
    """Lower-cased words without punctuation: the unit every validator compares."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).replace("\u2019", "'").lower())


def comparison_key(text: str) -> str:
    """Two captions with the same key say the same thing up to case, spacing and punctuation."""
    return " ".join(words(text))
