"""Do two replaced spans mean the same thing? Lemma, number, spelling and WordNet relations.

A replacement that keeps the meaning ("couch" -> "sofa", "older" -> "old", "wood" -> "wooden", "2" -> "two")
still describes the image: a hard positive, not a negative. Only a word's most frequent WordNet senses
count (rare senses make "dog" a synonym of "frank"), and hypernyms only a step or two away ("guy" -> "man",
not "dog" -> "animal", which WordNet puts eight steps apart and a caption writer would not call the same).
"""

from __future__ import annotations

import re
from functools import lru_cache

from neggen.pos import Pos, Word
from neggen.wordnet import load as load_wordnet

TOP_SENSES = 3
HYPERNYM_STEPS = 2
_CONTENT = (Pos.NOUN, Pos.ADJ, Pos.NUM, Pos.VERB)
_NUMBERS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
        "seventeen eighteen nineteen twenty".split()
    )
} | {"dozen": 12, "single": 1, "pair": 2, "couple": 2, "both": 2}
# British -> American spellings (colour, centre, grey, realise, jewellery, doughnut) and joined compounds.
_SPELLING = [
    (re.compile(r"our(s?)$"), r"or\1"),
    (re.compile(r"([^aeiou])re(s?)$"), r"\1er\2"),
    (re.compile(r"is(e|es|ed|ing)$"), r"iz\1"),
    (re.compile(r"grey"), "gray"),
    (re.compile(r"ll(ed|ing|er|ery)$"), r"l\1"),
    (re.compile(r"ough"), "o"),
]
_SUFFIXES = ("en", "n", "ic", "lic", "al", "ish", "y", "ed", "ful", "ous", "ly", "like")


def number(word: str) -> int | None:
    if word.isdigit():
        return int(word)
    return _NUMBERS.get(word)


def spelling_key(word: str) -> str:
    for pattern, repl in _SPELLING:
        word = pattern.sub(repl, word)
    return word.replace("-", "")


def derived(a: str, b: str) -> bool:
    """b is a with a derivational suffix (wood -> wooden, gold -> golden, metal -> metallic, red -> reddish)."""
    short, long = sorted((a, b), key=len)
    if len(short) < 3 or not long.startswith(short[:-1]):
        return False
    for stem in (short, short + short[-1], short[:-1]):  # plain, doubled consonant, dropped e
        rest = long[len(stem) :] if long.startswith(stem) else None
        if rest in _SUFFIXES:
            return True
    return False


def _wn_pos(pos: Pos) -> tuple[str, ...]:
    return ("n",) if pos == Pos.NOUN else ("a", "s") if pos in (Pos.ADJ, Pos.NUM) else ("v",)


@lru_cache(maxsize=131072)
def _synsets(word: str, pos: str | None = None) -> tuple:
    """NLTK's lookup (morphy included) is most of the checks' time; captions repeat their words."""
    return tuple(load_wordnet().synsets(word, pos=pos))


@lru_cache(maxsize=65536)
def _senses(word: str, pos: Pos) -> tuple:
    return tuple(s for p in _wn_pos(pos) for s in _synsets(word, p)[:TOP_SENSES])


def known(word: str) -> bool:
    return bool(_synsets(word))


_NUMERAL = re.compile(r"\d+(st|nd|rd|th|s)?")


@lru_cache(maxsize=1)
def _closed_class() -> frozenset[str]:
    # spaCy's English stop words: the articles, pronouns, prepositions, conjunctions, auxiliaries and number
    # words a short span may hold, which WordNet (content words only) does not list.
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS)


def placed(word: Word) -> bool:
    """Is this a word of English: a number, a closed-class word, or a word WordNet knows in some part of
    speech (morphy included) by its text or by the tagger's lemma ("cat's" -> "cat")?"""
    text = word.text
    if _NUMERAL.fullmatch(text) or text in _closed_class():  # number words are stop words or in WordNet
        return True
    return known(text) or known(word.lemma)


def unknown_words(span: list[Word]) -> list[str]:
    """The words of a new span nothing places: a model choosing words freely writes "olde" or "oxcab"."""
    return [w.text for w in span if not placed(w)]


def _ancestors(synsets: tuple, steps: int) -> set:
    seen, frontier = set(synsets), set(synsets)
    for _ in range(steps):
        frontier = {h for s in frontier for h in s.hypernyms() + s.instance_hypernyms()} - seen
        seen |= frontier
    return seen


def _lemma_links(synsets: tuple) -> set:
    """Synsets one derivational or pertainym step away (any part of speech)."""
    return {
        other.synset()
        for s in synsets
        for lemma in s.lemmas()
        for other in lemma.derivationally_related_forms() + lemma.pertainyms()
    }


def wordnet_relation(a: str, b: str, pos: Pos) -> str | None:
    sa, sb = _senses(a, pos), _senses(b, pos)
    if not sa or not sb:
        return None
    first_a, first_b = _synsets(a, _wn_pos(pos)[0])[:1], _synsets(b, _wn_pos(pos)[0])[:1]
    # Synonyms in the main sense of one of the two words (bike's second sense is bicycle's first).
    shared = (set(first_a) & set(_synsets(b))) | (set(first_b) & set(_synsets(a)))
    if shared:
        return f"synonyms ({min(s.name() for s in shared)})"
    # Only upwards: "guy" -> "man" still holds of the image; "man" -> "guy", "bed" -> "hammock" may not.
    if set(sb) & _ancestors(tuple(first_a), HYPERNYM_STEPS):
        return f"hypernym ({b} is a kind above {a})"
    if pos != Pos.NOUN:
        # From the main sense only: "colorful"'s third sense, "colored", is similar to "monochromatic".
        similar_a = {t for s in _synsets(a, "a")[:1] for t in s.similar_tos() + s.also_sees()}  # "a" includes "s"
        similar_b = {t for s in _synsets(b, "a")[:1] for t in s.similar_tos() + s.also_sees()}
        if similar_a & set(_synsets(b, "a")[:1]) or similar_b & set(_synsets(a, "a")[:1]):
            return "similar adjectives"
    all_a = _senses(a, Pos.NOUN) + _senses(a, Pos.ADJ)
    all_b = _senses(b, Pos.NOUN) + _senses(b, Pos.ADJ)
    if _lemma_links(all_a) & set(all_b) or _lemma_links(all_b) & set(all_a):
        return "derivationally related"
    return None


def _inflection(a: str, b: str) -> bool:
    """A plural the lemmatizer did not know ("blorp" / "blorps"): the lemma a dictionary would give."""
    short, long = sorted((a, b), key=len)
    return len(short) >= 3 and long in (short + "s", short + "es")


_IRREGULAR_PLURALS = {"people": "person", "men": "man", "women": "woman", "children": "child", "mice": "mouse"}


def same_noun(a: Word, b: Word) -> bool:
    """The singular and plural of one noun, also where the small lemmatizer slips ("vases" -> "vas", "people"
    stays "people"). Word forms only: the part-of-speech checks run without WordNet too."""
    x, y = (_IRREGULAR_PLURALS.get(w.text, w.text) for w in (a, b))
    return a.lemma == b.lemma or x == y or _inflection(x, y)


def word_relation(old: Word, new: Word, pos: Pos) -> str | None:
    """Why `new` means what `old` means, or None when the meaning changed."""
    if old.text == new.text or old.lemma == new.lemma or _inflection(old.lemma, new.lemma):
        return f"same lemma {old.lemma!r}"
    n_old, n_new = number(old.text), number(new.text)
    if n_old is not None or n_new is not None:
        return f"same number {n_old}" if n_old == n_new else None
    if spelling_key(old.text) == spelling_key(new.text) or spelling_key(old.lemma) == spelling_key(new.lemma):
        return "spelling variant"
    if derived(old.lemma, new.lemma) or derived(old.text, new.text):
        return "derived form"
    # The words' own tags as well as the edit's type: "television screen" -> "tv screen" is an attribute
    # edit between two nouns.
    for p in dict.fromkeys(p for p in (pos, old.pos, new.pos) if p in (Pos.NOUN, Pos.ADJ)):
        relation = wordnet_relation(old.lemma, new.lemma, p)
        if relation:
            return relation
    return None


def span_relation(old: list[Word], new: list[Word], pos: Pos) -> str | None:
    """The relation when the new span says what the old one said, word by word or as one compound."""
    joined_old, joined_new = "".join(w.text for w in old), "".join(w.text for w in new)
    if joined_old == joined_new:
        return "spelling variant (compound)"  # "hot dog" -> "hotdog"
    if len(old) > 1 or len(new) > 1:
        compound = wordnet_relation("_".join(w.lemma for w in old), "_".join(w.lemma for w in new), pos)
        if compound:
            return compound
    old_c, new_c = [w for w in old if w.pos in _CONTENT], [w for w in new if w.pos in _CONTENT]
    if not old_c or len(old_c) != len(new_c):
        return None
    relations = [word_relation(a, b, pos) for a, b in zip(old_c, new_c, strict=True)]
    if all(relations):
        return "; ".join(f"{a.text!r} -> {b.text!r}: {r}" for a, b, r in zip(old_c, new_c, relations, strict=True))
    return None
