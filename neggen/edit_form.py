"""The edit form: the LLM names the edit (`red -> blue`, `dog <-> cat`) instead of rewriting the caption.

This module decides, per caption and type, which spans an edit may touch (from the tagger, through
`PosTagger.tag` only) and the regex an engine constrains decoding to, so the model can only name a span that
is in this caption. `neggen.apply_edit` turns the answer back into a sentence.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Literal

from neggen.pos import Pos, PosTagger
from neggen.text import words
from neggen.types import NegType

OutputForm = Literal["sentence", "edit"]

# Reshuffle has no span to name: it stays in sentence form.
EDIT_TYPES: frozenset[NegType] = frozenset(
    {NegType.swap_nouns, NegType.swap_adjectives, NegType.replace_nouns, NegType.replace_adjectives}
)
SWAP_TYPES: frozenset[NegType] = frozenset({NegType.swap_nouns, NegType.swap_adjectives})
NOUN_TYPES: frozenset[NegType] = frozenset({NegType.swap_nouns, NegType.replace_nouns})

REPLACE_ARROW = " -> "
SWAP_ARROW = " <-> "
# The right side of a replace: one to three lowercase words (a word of up to 15 letters keeps a looping
# model from spending max_tokens on one "word").
NEW_WORDS_REGEX = r"[a-z]{1,15}( [a-z]{1,15}){0,2}"
# Swaps enumerate ordered pairs (the two sides must differ, which a regex cannot say otherwise); more spans
# than this would make the alternation large for little gain, so the first ones in the caption are kept.
MAX_SWAP_SPANS = 8


def form_for(neg_type: NegType, output: OutputForm) -> OutputForm:
    """The form actually used for a type: edit only where an edit is defined."""
    return "edit" if output == "edit" and neg_type in EDIT_TYPES else "sentence"


def _wanted(neg_type: NegType) -> frozenset[Pos]:
    return frozenset({Pos.NOUN}) if neg_type in NOUN_TYPES else frozenset({Pos.ADJ, Pos.NUM})


@dataclass(frozen=True)
class Spans:
    """The words of one caption an edit of one type may name, and the ones left out because they repeat."""

    candidates: list[str]
    repeated: list[str]


def candidate_spans(neg_type: NegType, caption: str, tagger: PosTagger) -> Spans:
    """Single words the tagger gives the type's part of speech, in caption order, each once.

    A word that occurs twice in the caption is left out: `dog -> cat` would not say which dog, and the
    regex cannot ask for an occurrence index from a small model reliably.
    """
    tokens = words(caption)
    counts = Counter(tokens)
    wanted = _wanted(neg_type)
    candidates: list[str] = []
    repeated: list[str] = []
    for token, tag in zip(tokens, tagger.tag(tokens), strict=True):
        if tag not in wanted or not token.isalnum():
            continue
        target = repeated if counts[token] > 1 else candidates
        if token not in target:
            target.append(token)
    return Spans(candidates, repeated)


def edit_regex(neg_type: NegType, spans: list[str]) -> str:
    """The full-match regex of an edit answer for these candidate spans (which must not be empty)."""
    if not spans:
        raise ValueError("an edit regex needs at least one candidate span")
    if neg_type in SWAP_TYPES:
        kept = spans[:MAX_SWAP_SPANS]
        pairs = [f"{re.escape(a)}{SWAP_ARROW}{re.escape(b)}" for a in kept for b in kept if a != b]
        if not pairs:
            raise ValueError("a swap needs two different candidate spans")
        return "(" + "|".join(pairs) + ")"
    left = "|".join(re.escape(s) for s in spans)
    return f"({left}){REPLACE_ARROW}{NEW_WORDS_REGEX}"


def constraint_for(neg_type: NegType, spans: Spans) -> str | None:
    """The regex for this caption, or None when no edit of this type is possible (no_candidate_span)."""
    enough = 2 if neg_type in SWAP_TYPES else 1
    if len(spans.candidates) < enough:
        return None
    return edit_regex(neg_type, spans.candidates)


def no_span_detail(neg_type: NegType, spans: Spans) -> str:
    kind = "noun" if neg_type in NOUN_TYPES else "adjective"
    need = "two different" if neg_type in SWAP_TYPES else "one"
    found = f"{len(spans.candidates)} unique {kind}(s)"
    if spans.repeated:
        found += f"; repeated, so ambiguous: {', '.join(spans.repeated[:4])}"
    return f"needs {need} {kind} span(s), found {found}"
