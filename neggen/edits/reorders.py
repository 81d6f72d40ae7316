"""Reorders that change who does what to whom: exchanges of two whole noun phrases of a caption.

A reshuffle the model writes freely is almost always the caption itself or a reorder that keeps its meaning
("A dog and a cat" -> "A cat and a dog"). In the edit form the model instead chooses one exchange of two noun
phrases (each a noun with the words before it that depend on it: "a brown dog", "the small red ball") among
those the parse says change a binding: the phrases are not conjuncts of each other and not the two sides of a
symmetric relation ("next to", "with"), the test `validate.bindings.exchange_keeps_scene` applies to their
head nouns. "A brown dog chasing a small cat" -> "A small cat chasing a brown dog".
"""

from __future__ import annotations

from neggen.text.pos import Analysis, Pos
from neggen.validate.bindings import exchange_keeps_scene
from neggen.validate.rules import COUNTING_NOUNS
from neggen.validate.spans import plural

# Left dependents that belong to a noun's phrase: articles, numbers, adjectives, noun modifiers, possessives.
_PHRASE_DEPS = frozenset({"det", "amod", "compound", "nummod", "poss", "nmod", "advmod", "case", "quantmod"})
MAX_PHRASE_WORDS = 5


def noun_phrases(words: Analysis) -> list[range]:
    """Whole noun phrases: a head noun (a noun no other noun or adjective modifies it into) with the words before
    it that depend on it; in caption order. Not a phrase the parse cuts short (a word before it still depends on
    its noun: "a very big lit up *clock*"), a noun inside another's modifiers ("a chocolate and *vanilla*
    birthday cake"), a counting noun or what it counts ("a *couple* of *chairs*" -> "a couple of a table"), nor
    two with no word between them (a compound the parser split, "an *outdoor* *oven*", or a list without commas,
    "a desk with *a banana* *a keyboard*"), unless the second is someone's ("shows a man her phone"): exchanged,
    these leave broken English or the same list."""
    phrases = []
    for i, word in enumerate(words):
        if word.pos != Pos.NOUN or word.dep in _MODIFIER_DEPS and word.head > i or _counting(words, i):
            continue
        start = i
        while start > 0 and _depends_on(words, start - 1, i) and words[start - 1].dep in _PHRASE_DEPS:
            start -= 1
        cut_short = any(w.head in range(start, i + 1) and w.dep in _PHRASE_DEPS for w in words[:start])
        if i + 1 - start <= MAX_PHRASE_WORDS and not cut_short and not _modifies(words, i):
            phrases.append(range(start, i + 1))
    split = {
        k
        for a, b in zip(phrases, phrases[1:], strict=False)
        if b.start == a.stop and words[b.start].dep != "poss"
        for k in (a, b)
    }
    return [p for p in phrases if p not in split]


_MODIFIER_DEPS = frozenset({"compound", "nmod", "amod", "npadvmod"})


def _modifies(words: Analysis, i: int) -> bool:
    """Is noun i (or the first conjunct it is joined to) a modifier of a noun after it?"""
    j = i
    while words[j].dep == "conj" and words[j].head < j:
        j = words[j].head
    return words[j].dep in _MODIFIER_DEPS and words[j].head > j


def _counting(words: Analysis, i: int) -> bool:
    """A counting noun ("a couple", "a bunch", "a piece"), or the noun it counts through "of"."""
    if words[i].text in COUNTING_NOUNS:
        return True
    prep = words[i].head
    return words[i].dep == "pobj" and words[prep].text == "of" and words[words[prep].head].text in COUNTING_NOUNS


def _depends_on(words: Analysis, j: int, i: int) -> bool:
    """Word j's chain of heads reaches word i without leaving the words between them."""
    seen = set()
    while j != i and j not in seen and j < i:
        seen.add(j)
        j = words[j].head
    return j == i


def phrase_pairs(words: Analysis) -> list[tuple[range, range]]:
    """Pairs of different noun phrases, in caption order, whose exchange changes a binding."""
    phrases = noun_phrases(words)
    texts = [" ".join(w.text for w in words[p.start : p.stop]) for p in phrases]
    return [
        (phrases[a], phrases[b])
        for a in range(len(phrases))
        for b in range(a + 1, len(phrases))
        if texts[a] != texts[b] and not exchange_keeps_scene(words, phrases[a].stop - 1, phrases[b].stop - 1)
    ]


# Dependencies of a noun whose verb agrees with it in number ("two people *are*", "there *is* a dog").
_AGREEING = frozenset({"nsubj", "nsubjpass", "attr", "expl"})


def breaks_agreement(words: Analysis, i: int, j: int) -> str | None:
    """Would exchanging the phrases headed by nouns i and j leave a verb disagreeing with its subject? Whole
    phrases move as they are, so a plural moved into a singular subject's place reads "Two people is lying
    down"; so does one moved before a relative clause ("a light that is" -> "lights that is")."""
    if plural(words[i].text) == plural(words[j].text):
        return None
    for k in (i, j):
        relative = any(w.head == k and w.dep == "relcl" for w in words)
        if words[k].dep in _AGREEING or relative:
            return f"{words[k].text!r} agrees with its verb; {words[j if k == i else i].text!r} differs in number"
    return None
