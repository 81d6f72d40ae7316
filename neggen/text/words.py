"""Text normalisation and word tokenisation shared by ingest and the validators."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Region:
    """caption[start:cap_end] was rewritten as negative[start:neg_end]; everything around it is equal."""

    start: int
    cap_end: int
    neg_end: int
    neg_start: int | None = None  # where the block starts in the negative, when not at `start`

    @property
    def neg_begin(self) -> int:
        return self.start if self.neg_start is None else self.neg_start

    def caption_span(self, words: list[str]) -> list[str]:
        return words[self.start : self.cap_end]

    def negative_span(self, words: list[str]) -> list[str]:
        return words[self.neg_begin : self.neg_end]


def changed_region(caption: list[str], negative: list[str]) -> Region:
    """Strip the longest common prefix and suffix."""
    prefix = 0
    limit = min(len(caption), len(negative))
    while prefix < limit and caption[prefix] == negative[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and caption[-1 - suffix] == negative[-1 - suffix]:
        suffix += 1
    return Region(prefix, len(caption) - suffix, len(negative) - suffix)
