"""Validators: is this text a usable negative of this type for this caption?"""

from __future__ import annotations

from neggen.pos import DEFAULT_TAGGER, PosTagger
from neggen.text import words
from neggen.types import NegType
from neggen.validate.common import check_common
from neggen.validate.reasons import ACCEPT, Reason, Verdict, reject
from neggen.validate.rules import check_type

__all__ = ["ACCEPT", "Reason", "Verdict", "reject", "validate"]


def validate(neg_type: NegType, caption: str, negative: str, tagger: PosTagger = DEFAULT_TAGGER) -> Verdict:
    caption_words, negative_words = words(caption), words(negative)
    verdict = check_common(caption, negative, caption_words, negative_words)
    if not verdict.accepted:
        return verdict
    return check_type(neg_type, caption_words, negative_words, tagger)
