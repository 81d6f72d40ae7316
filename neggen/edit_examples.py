"""Edit-form in-context examples, derived in code from the curated (original, negative) pairs.

The prompt files hold sentences; the edit form shows the same pairs as the edit that turns one into the
other (`sandwich -> banana`), read off their word diff. A derived edit is kept only if applying it to the
original gives back the curated negative, so an example never teaches an edit neggen would apply otherwise.
"""

from __future__ import annotations

from neggen.apply_edit import Edit, EditRejected, apply_edit
from neggen.edit_form import SWAP_TYPES
from neggen.text import words
from neggen.types import NegType
from neggen.validate.rules import MAX_SWAP_SPAN
from neggen.validate.spans import changed_region, find_swap

_ARTICLES = ("a", "an")


def _drop_articles(a: list[str], b: list[str]) -> tuple[list[str], list[str]]:
    """`a red` / `an orange`: the article follows the new word (apply_edit fixes it), so it is not named."""
    if len(a) > 1 and len(b) > 1 and a[0] in _ARTICLES and b[0] in _ARTICLES:
        return a[1:], b[1:]
    return a, b


def _candidate(neg_type: NegType, original: list[str], negative: list[str]) -> Edit | None:
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
