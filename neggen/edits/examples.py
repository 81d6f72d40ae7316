"""Edit-form in-context examples, derived in code from the curated (original, negative) pairs.

The prompt files hold sentences; the edit form shows the same pairs as the edit that turns one into the
other (`sandwich -> banana`), read off their word diff. A derived edit is kept only if applying it to the
original gives back the curated negative, so an example never teaches an edit neggen would apply otherwise.
A reshuffle pair that is one exchange of two phrases becomes `a girl <-> two boys`; `offered` then says whether
the edit is one the caption's constraint allows (whole noun phrases whose exchange changes a binding).
"""

from __future__ import annotations

import re

from neggen.edits.apply import Edit, EditRejected, apply_edit
from neggen.edits.form import PHRASE_TYPES, SWAP_TYPES, candidate_spans, constraint_for
from neggen.text.pos import PosTagger
from neggen.text.words import changed_region, words
from neggen.types import NegType
from neggen.validate.rules import MAX_RESHUFFLE_SPAN, MAX_SWAP_SPAN
from neggen.validate.spans import find_swap

_ARTICLES = ("a", "an")
_DETERMINERS = ("a", "an", "the")


def _drop_articles(a: list[str], b: list[str]) -> tuple[list[str], list[str]]:
    """`a red` / `an orange`: the article follows the new word (apply_edit fixes it), so it is not named."""
    if len(a) > 1 and len(b) > 1 and a[0] in _ARTICLES and b[0] in _ARTICLES:
        return a[1:], b[1:]
    return a, b


def _with_articles(original: list[str], x: range, y: range) -> tuple[range, range]:
    """Both sides of a phrase exchange with the article before each, when both have one: the word diff leaves a
    shared "a" out ("a *woman* ... a *man*"), but the phrases reshuffle offers include it."""
    if x.start > 0 and y.start > 0 and original[x.start - 1] in _DETERMINERS and original[y.start - 1] in _DETERMINERS:
        return range(x.start - 1, x.stop), range(y.start - 1, y.stop)
    return x, y


def _candidate(neg_type: NegType, original: list[str], negative: list[str]) -> Edit | None:
    if neg_type in PHRASE_TYPES:
        swap = find_swap(original, negative, MAX_RESHUFFLE_SPAN)
        if swap is None:
            return None
        x, y = _with_articles(original, range(*swap.x), range(*swap.y))
        return Edit("swap", " ".join(original[x.start : x.stop]), " ".join(original[y.start : y.stop]))
    if neg_type in SWAP_TYPES:
        swap = find_swap(original, negative, MAX_SWAP_SPAN)
        if swap is None:
            return None
        x, y = _drop_articles(original[slice(*swap.x)], original[slice(*swap.y)])
        return Edit("swap", " ".join(x), " ".join(y))
    region = changed_region(original, negative)
    old, new = _drop_articles(region.caption_span(original), region.negative_span(negative))
    if not old or not new:
        return None
    return Edit("replace", " ".join(old), " ".join(new))


def derive_edit(neg_type: NegType, original: str, negative: str) -> Edit | None:
    """The edit that turns a curated original into its negative, or None when no edit does (for instance
    "meatballs" -> "shrimp" changes the number, which applying an edit keeps)."""
    edit = _candidate(neg_type, words(original), words(negative))
    if edit is None:
        return None
    try:
        applied = apply_edit(original, edit, neg_type)
    except EditRejected:
        return None
    return edit if words(applied) == words(negative) else None


def offered(neg_type: NegType, original: str, edit: Edit, tagger: PosTagger) -> bool:
    """The edit is one the constraint for `original` allows, so an example teaches an answer the model can give."""
    constraint = constraint_for(neg_type, candidate_spans(neg_type, original, tagger))
    return constraint is not None and re.fullmatch(constraint, str(edit)) is not None
