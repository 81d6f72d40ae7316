"""Do two replaced spans mean the same thing? Lemma, number, spelling and WordNet relations.

A replacement that keeps the meaning ("couch" -> "sofa", "older" -> "old", "wood" -> "wooden", "2" -> "two")
still describes the image: a hard positive, not a negative. Only a word's most frequent WordNet senses
count (rare senses make "dog" a synonym of "frank"), hypernyms only a step or two away ("guy" -> "man",
not "dog" -> "animal", which WordNet puts eight steps apart and a caption writer would not call the same), and
hyponyms of a noun at any distance ("man" -> "guy", "boat" -> "canoe": a kind of it may still be in the photo).
Also here: which words can stand where an attribute stands (`attribute_word`).
"""

from __future__ import annotations

import re
from functools import lru_cache

import lemminflect

from neggen.text.pos import Pos, Word
from neggen.text.wordnet import WordNetMissing
from neggen.text.wordnet import load as load_wordnet
from neggen.validate.spans import plural

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
def wordnet_synsets(word: str, pos: str | None = None) -> tuple:
    """NLTK's lookup (morphy included) is most of the checks' time; captions repeat their words."""
    return tuple(load_wordnet().synsets(word, pos=pos))


@lru_cache(maxsize=65536)
def _senses(word: str, pos: Pos) -> tuple:
    return tuple(s for p in _wn_pos(pos) for s in wordnet_synsets(word, p)[:TOP_SENSES])


def known(word: str) -> bool:
    return bool(wordnet_synsets(word))


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


# What a thing is made of, read as an attribute ("a *brick* wall", "a *grass* field", an "*oak* table"), where
# WordNet files the word's main senses as artifacts or plants rather than substances.
MATERIALS = frozenset(
    "metal plastic glass stone brick wood wooden steel iron leather paper concrete marble ceramic cotton wool "
    "silk rubber straw wicker rattan cardboard tin copper gold silver bronze brass denim velvet granite clay "
    "porcelain bamboo canvas fur lace aluminum aluminium tile vinyl suede linen grass oak pine maple cedar walnut "
    "mahogany teak birch".split()
)
# WordNet's files for stuff rather than things: "a *metal* chair", "a *cheese* pizza", "a *wine* bottle".
_STUFF_FILES = frozenset({"noun.substance", "noun.food"})
_NUMBER_WORDS = frozenset(_NUMBERS) - {"dozen", "pair", "couple", "both"}  # those take "of" or stand alone


@lru_cache(maxsize=1)
def has_wordnet() -> bool:
    """The part-of-speech checks run without WordNet (meaning checks off, not installed): then only the
    lemmatizer and the closed lists say what is an attribute."""
    try:
        load_wordnet()
    except WordNetMissing:
        return False
    return True


@lru_cache(maxsize=65536)
def attribute_word(word: str) -> bool:
    """Can this word, as it is spelled, modify a noun the way an attribute does: an adjective (WordNet or the
    lemmatizer), a number, or a material or food ("*metal* chair", "*cheese* pizza")? Count nouns are not
    ("a *kitchen* spoon", "a *train* rack"), nor plurals ("a *mountains* path")."""
    if word.isdigit() or word in _NUMBER_WORDS or word in MATERIALS:
        return True
    lemmas = lemminflect.getAllLemmas(word)
    if not has_wordnet():
        return "ADJ" in lemmas
    # The lemmatizer's corpus lists nouns used attributively as adjectives too ("house"): WordNet decides those.
    if "ADJ" in lemmas and "NOUN" not in lemmas:
        return True
    if plural(word):
        return False
    if wordnet_synsets(word, "a") or wordnet_synsets(word, "s"):
        return True
    return any(s.lexname() in _STUFF_FILES for s in wordnet_synsets(word, "n")[:TOP_SENSES])


def mass_noun(word: str) -> bool:
    """Stuff rather than a thing by its main WordNet sense ("coffee", "honey", "water"): no plural of it reads."""
    return has_wordnet() and any(s.lexname() in _STUFF_FILES for s in wordnet_synsets(word, "n")[:1])


def compound_name(first: str, second: str) -> bool:
    """Does WordNet name the two words together as one noun ("fire hydrant", "parking lot")?"""
    return has_wordnet() and bool(wordnet_synsets(f"{first}_{second}", "n"))


def known_noun(word: str) -> bool:
    """Does the lemmatizer's dictionary or WordNet know this word as a noun?"""
    if "NOUN" in lemminflect.getAllLemmas(word):
        return True
    return has_wordnet() and bool(wordnet_synsets(word, "n"))


def _ancestors(synsets: tuple, steps: int) -> set:
    seen, frontier = set(synsets), set(synsets)
    for _ in range(steps):
        frontier = {h for s in frontier for h in s.hypernyms() + s.instance_hypernyms()} - seen
        seen |= frontier
    return seen


@lru_cache(maxsize=65536)
def _all_ancestors(synsets: tuple) -> frozenset:
    return frozenset(_ancestors(synsets, 64))


def _lemma_links(synsets: tuple) -> set:
    """Synsets one derivational or pertainym step away (any part of speech)."""
    return {
        other.synset()
        for s in synsets
        for lemma in s.lemmas()
        for other in lemma.derivationally_related_forms() + lemma.pertainyms()
    }


def wordnet_relation(a: str, b: str, pos: Pos) -> str | None:
    """Why b may say what a says, in WordNet, or None."""
    sa, sb = _senses(a, pos), _senses(b, pos)
    if not sa or not sb:
        return None
    first_a, first_b = wordnet_synsets(a, _wn_pos(pos)[0])[:1], wordnet_synsets(b, _wn_pos(pos)[0])[:1]
    # Synonyms in the main sense of one of the two words (bike's second sense is bicycle's first).
    shared = (set(first_a) & set(wordnet_synsets(b))) | (set(first_b) & set(wordnet_synsets(a)))
    if shared:
        return f"synonyms ({min(s.name() for s in shared)})"
    # Upwards a step or two: "guy" -> "man" still holds of the image ("dog" -> "animal", eight steps up, is
    # another scene to a caption writer).
    if set(sb) & _ancestors(tuple(first_a), HYPERNYM_STEPS):
        return f"hypernym ({b} is a kind above {a})"
    # Downwards any distance, from b's main sense: "man" -> "guy", "boat" -> "canoe", "wood" -> "oak" may still
    # be true of the same photo (a monkey is no person: "imp", a child, is only monkey's second sense).
    if pos == Pos.NOUN and set(first_a) & _all_ancestors(tuple(first_b)):
        return f"hyponym ({b} is a kind of {a}): may still be true"
    if pos != Pos.NOUN:
        # From the main sense only: "colorful"'s third sense, "colored", is similar to "monochromatic".
        # WordNet's "a" includes the satellite adjectives, "s".
        similar_a = {t for s in wordnet_synsets(a, "a")[:1] for t in s.similar_tos() + s.also_sees()}
        similar_b = {t for s in wordnet_synsets(b, "a")[:1] for t in s.similar_tos() + s.also_sees()}
        if similar_a & set(wordnet_synsets(b, "a")[:1]) or similar_b & set(wordnet_synsets(a, "a")[:1]):
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
