"""The hand-written lexicon tagger, kept only as trainer/eval/aro_order.py's fallback.

The validators use spaCy (neggen.text.pos.SpacyTagger): measured on SugarCrepe, this tagger accepted 59.5% of the
human-valid replace_att negatives and tagged a sentence-initial "A" as a noun. ARO's order tasks still fall
back to it where NLTK's tokenizer data are absent. It needs no download: an English lexicon (lemminflect's
word -> possible parts of speech) plus closed-class word lists and a few context rules for caption-style
noun phrases ("a red car": red is an adjective because a noun follows; "an orange on a plate": a noun).
"""

from __future__ import annotations

from functools import lru_cache

import lemminflect

from neggen.text.pos import Pos

_DETERMINERS = frozenset(
    "a an the this that these those some each every another any no both all his her its their my our your "
    "couple pair lots lot bunch group".split()
)
_QUANTITIES = frozenset(
    "many several few numerous one two three four five six seven eight nine ten eleven twelve dozen "
    "single double triple multiple".split()
)
# Attributes that are adjectives whenever they stand before a noun (the lexicon also lists them as nouns).
_ATTRIBUTES = frozenset(
    "red orange yellow green blue purple pink brown black white gray grey silver gold golden tan beige "
    "dark light bright pale colorful small large big tiny huge little tall short long young old new "
    "wooden metal metallic plastic glass stone brick leather paper marble ceramic steel iron concrete cotton "
    "hot cold warm cool wet dry empty full open closed clean dirty striped spotted first last".split()
)
_COPULAS = frozenset("is are was were be being been am looks look seems seem appears appear".split())
_FUNCTION = (
    frozenset(
        "of in on at to from with without by for into onto over under near beside behind above below across "
        "through between among around along against next up down out off inside outside atop beneath toward "
        "towards while during and or but as than so very too also just not there here it he she they them "
        "him we you i who which what where when how while some someone something".split()
    )
    | _COPULAS
)
_PARTICIPLE_ENDINGS = ("ed", "en", "ing")


def _inflected_verb(word: str) -> bool:
    return word.endswith("s") and not word.endswith("ss")


def _participle(word: str) -> bool:
    """'sliced', 'broken', 'running': an inflected verb form (not 'kitten', whose verb lemma is itself)."""
    lemmas = lemminflect.getAllLemmas(word).get("VERB", ())
    return word.endswith(_PARTICIPLE_ENDINGS) and bool(lemmas) and lemmas[0] != word


@lru_cache(maxsize=65536)
def word_classes(word: str) -> frozenset[str]:
    """Parts of speech the lexicon allows for a word, out of context. Unknown words count as nouns."""
    if word in _DETERMINERS:
        return frozenset({Pos.DET})
    if word in _FUNCTION:
        return frozenset({Pos.OTHER})
    if word in _QUANTITIES or word.isdigit():
        return frozenset({Pos.NUM})
    base = word[:-2] if word.endswith("'s") else word
    classes = set(lemminflect.getAllLemmas(base))
    # The lexicon misses some nouns ("logs" comes back as a verb only); an -s form can always be a plural,
    # and the context rules below still make it a verb after a subject ("a man logs").
    if _inflected_verb(base) and classes:
        classes.add("NOUN")
    if not classes:
        return frozenset({Pos.NOUN})
    out = {Pos(c) for c in classes if c in ("NOUN", "ADJ", "VERB")}
    if "PROPN" in classes:
        out.add(Pos.NOUN)
    return frozenset(out or {Pos.OTHER})


class LexiconTagger:
    """Lexicon + context rules tuned to caption noun phrases (see module docstring)."""

    def tag(self, words: list[str]) -> list[Pos]:
        tags: list[Pos] = []
        for i, word in enumerate(words):
            tags.append(self._tag_one(words, tags, i, word_classes(word)))
        return tags

    @staticmethod
    def _tag_one(words: list[str], tags: list[Pos], i: int, classes: frozenset[str]) -> Pos:
        if len(classes) == 1 and next(iter(classes)) in (Pos.DET, Pos.OTHER, Pos.NUM):
            return Pos(next(iter(classes)))
        word = words[i]
        prev = tags[i - 1] if i else None
        nxt_word = words[i + 1] if i + 1 < len(words) else ""
        nxt = word_classes(nxt_word) if nxt_word else frozenset()
        modifies_next = bool(nxt & {Pos.NOUN, Pos.ADJ}) and not (nxt & {Pos.DET, Pos.OTHER, Pos.NUM})
        if nxt_word in ("and", "or") and i + 2 < len(words):
            # "a blue and white bus": coordinated modifiers.
            modifies_next = Pos.ADJ in word_classes(words[i + 2])
        elif Pos.NOUN in classes and word not in _ATTRIBUTES and Pos.VERB in nxt and _inflected_verb(nxt_word):
            modifies_next = False  # "a kitten pokes": the next word is the verb, this one the noun
        participle = Pos.VERB in classes and _participle(word)
        adjective_like = (
            Pos.ADJ in classes or word in _ATTRIBUTES or (participle and prev in (Pos.DET, Pos.ADJ, Pos.NUM))
        )
        if adjective_like and modifies_next:
            return Pos.ADJ
        predicative = i > 0 and (words[i - 1] in _COPULAS or (prev == Pos.VERB and not modifies_next))
        if Pos.ADJ in classes and predicative:
            return Pos.ADJ
        if Pos.ADJ in classes and i >= 2 and words[i - 1] in ("and", "or") and tags[i - 2] == Pos.ADJ:
            return Pos.ADJ
        if Pos.NOUN in classes and prev in (Pos.DET, Pos.ADJ, Pos.NUM, None):
            return Pos.NOUN
        if Pos.VERB in classes and prev == Pos.NOUN:
            # "a man rides", "men ride", "a dog running" are verbs; "a stop sign" is a compound noun.
            inflected = words[i].endswith(("s", "ing", "ed")) or words[i - 1].endswith("s")
            return Pos.VERB if inflected or Pos.NOUN not in classes else Pos.NOUN
        for choice in (Pos.NOUN, Pos.ADJ, Pos.VERB):
            if choice in classes:
                return choice
        return Pos.OTHER
