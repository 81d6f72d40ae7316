"""Word-level edit analysis: where a negative differs from its caption, and whether that is a swap."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import lru_cache

import lemminflect

from neggen.text.words import Region, changed_region


def count_edit_spans(a: list[str], b: list[str]) -> int:
    """How many separate non-equal blocks turn a into b."""
    ops = difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes()
    return sum(1 for tag, *_ in ops if tag != "equal")


@dataclass(frozen=True)
class Swap:
    """caption = P + X + M + Y + S and negative = P + Y + M + X + S (positions in the caption)."""

    x: tuple[int, int]
    y: tuple[int, int]


def find_swap(caption: list[str], negative: list[str], max_span: int = 4) -> Swap | None:
    """The exchange of two spans that turns caption into negative, if it is exactly one such exchange."""
    if len(caption) != len(negative):
        return None
    region = changed_region(caption, negative)
    cap = caption[region.start : region.cap_end]
    neg = negative[region.start : region.neg_end]
    n = len(cap)
    for lx in range(1, min(max_span, n - 1) + 1):
        for ly in range(1, min(max_span, n - lx) + 1):
            x, y, middle = cap[:lx], cap[n - ly :], cap[lx : n - ly]
            if x != y and neg == y + middle + x:
                start = region.start
                return Swap((start, start + lx), (start + n - ly, start + n))
    return None


def article_free(words: list[str]) -> list[str]:
    """The words with "an" read as "a": an a/an that agrees with the word moved after it is no edit."""
    return ["a" if w == "an" else w for w in words]


# Plurals the lemmatizer takes for singulars.
_IRREGULAR_PLURALS = {"people": "person"}


@lru_cache(maxsize=65536)
def singular(word: str) -> str:
    """The singular of a noun (lower-case); a word the lemmatizer's dictionary lacks is left as it is (its
    guesses make "pepperoni" a plural of "pepperonus"), and so is one it also lists as a singular ("glasses")."""
    if word in _IRREGULAR_PLURALS:
        return _IRREGULAR_PLURALS[word]
    lemmas = lemminflect.getLemma(word, upos="NOUN", lemmatize_oov=False)
    return word if not lemmas or word in lemmas else lemmas[0]


def plural(word: str) -> bool:
    return singular(word.lower()) != word.lower()


def phrase_head(words: list[str]) -> int:
    """Index of the noun that gives a noun phrase its number: the word before its first "of" ("a *vase* of
    flowers"), else its last word."""
    return words.index("of", 1) - 1 if "of" in words[1:] else len(words) - 1


def either_number(before: str | None) -> bool:
    """A slot right after "of" takes a noun in either number: "a cup of coffee", "a plate of cookies"."""
    return before == "of"


def number_free(words: list[str]) -> list[str]:
    """article_free, and every word as the singular of a noun ("windows" -> "window"), so a noun that took the
    number of its new slot compares equal to the caption's."""
    return [singular(w) for w in article_free(words)]


def find_agreed_swap(caption: list[str], negative: list[str], max_span: int = 4) -> Swap | None:
    """An exchange of two noun phrases in which each noun took the number of its new slot ("A kitchen with two
    windows" -> "A window with two kitchens"): one exchange of number-free spans, every word outside the two
    spans the caption's own (but for a/an), and each span's head as singular or plural as the head whose slot it
    took (after "of" either number reads)."""
    swap = find_swap(number_free(caption), number_free(negative), max_span)
    if swap is None:
        return None
    (a, b), (c, d) = swap.x, swap.y
    cap, neg = article_free(caption), article_free(negative)
    middle = neg[a + d - c : d - (b - a)]
    if cap[:a] != neg[:a] or cap[b:c] != middle or cap[d:] != neg[d:]:
        return None
    # Each slot: the caption's head there, and the head of the span that took its place.
    moved_x, moved_y = negative[a : a + d - c], negative[d - (b - a) : d]
    slots = (
        (caption[a:b], moved_x, caption[a - 1] if a else None),
        (caption[c:d], moved_y, caption[c - 1]),
    )
    agree = all(
        either_number(before) or plural(old[phrase_head(old)]) == plural(new[phrase_head(new)])
        for old, new, before in slots
    )
    return swap if agree else None


def find_move(caption: list[str], negative: list[str], max_span: int = 4, max_distance: int = 8) -> Swap | None:
    """One span of up to max_span words moved past up to max_distance others ("a *gigantic* pastry next to a
    chair" -> "a pastry next to a *gigantic* chair"): an exchange of two adjacent spans, as a Swap whose middle
    is empty; x is the moved span when it moves right, y when it moves left."""
    if len(caption) != len(negative):
        return None
    region = changed_region(caption, negative)
    cap = caption[region.start : region.cap_end]
    neg = negative[region.start : region.neg_end]
    n, start = len(cap), region.start
    for k in range(1, min(max_span, n - 1) + 1):
        if n - k > max_distance:
            continue
        if neg == cap[k:] + cap[:k]:
            return Swap((start, start + k), (start + k, start + n))
        if neg == cap[n - k :] + cap[: n - k]:
            return Swap((start, start + n - k), (start + n - k, start + n))
    return None


# Words that change only to agree with a replaced noun ("a man ... his" -> "a woman ... her", "an" -> "a").
AGREEMENT = frozenset(
    "a an the his her hers him he she their theirs they them its it is are was were has have this that these "
    "those".split()
)


def content_blocks(caption: list[str], negative: list[str]) -> list[Region]:
    """The changed blocks of a word diff, leaving out those that only change agreement words."""
    ops = difflib.SequenceMatcher(a=caption, b=negative, autojunk=False).get_opcodes()
    out = []
    for tag, i1, i2, j1, j2 in ops:
        if tag == "equal":
            continue
        if set(caption[i1:i2]) <= AGREEMENT and set(negative[j1:j2]) <= AGREEMENT:
            continue
        out.append((i1, i2, j1, j2))
    return [Region(i1, i2, j2, j1) for i1, i2, j1, j2 in out]
