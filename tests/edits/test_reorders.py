"""Reshuffle's edit form: exchanges of whole noun phrases that change a binding, found on the caption's parse."""

from __future__ import annotations

from neggen.edits.reorders import breaks_agreement, noun_phrases, phrase_pairs
from neggen.text.pos import DEFAULT_TAGGER


def texts(caption: str) -> tuple[list[str], list[tuple[str, str]]]:
    words = DEFAULT_TAGGER.analyze([caption])[0]

    def say(span: range) -> str:
        return " ".join(w.text for w in words[span.start : span.stop])

    return [say(p) for p in noun_phrases(words)], [(say(a), say(b)) for a, b in phrase_pairs(words)]


def test_a_phrase_is_a_noun_with_the_words_before_it_that_modify_it():
    phrases, pairs = texts("A brown dog chasing a small cat.")
    assert phrases == ["a brown dog", "a small cat"] and pairs == [("a brown dog", "a small cat")]
    phrases, _ = texts("A cat sitting on a laptop next to a computer mouse.")
    assert phrases == ["a cat", "a laptop", "a computer mouse"]  # the compound stays whole


def test_only_whole_phrases_are_offered():
    # Cut short: "very big lit up" still depends on the clock (6 words, too long to move whole).
    phrases, _ = texts("A very big lit up clock near a set of stairs.")
    assert "clock" not in phrases
    # A noun inside another's modifiers: "a chocolate and vanilla birthday cake" -> "vanilla".
    phrases, _ = texts("A chocolate and vanilla birthday cake sitting on a white table.")
    assert phrases == ["a white table"]
    # Two phrases with no word between them: a compound the parser split, or a list without commas.
    phrases, _ = texts("A man holding a pizza paddle taking a pizza out of an outdoor oven")
    assert "oven" not in phrases and "an outdoor" not in phrases and "a pizza paddle" in phrases
    phrases, _ = texts("a desk with a banana a keyboard and a mouse")
    assert "a banana" not in phrases and "a keyboard" not in phrases
    # ... unless the second is someone's: "shows a man her cellphone".
    phrases, _ = texts("A woman shows a man her cellphone while sitting.")
    assert "a man" in phrases and "her cellphone" in phrases


def test_counting_nouns_and_what_they_count_are_not_offered():
    # "a couple of a table are around chairs", "A huge bunch of the banana tree attached to bananas"
    phrases, _ = texts("a couple of chairs are around a table outside")
    assert phrases == ["a table"]
    phrases, _ = texts("A huge bunch of bananas attached to the banana tree.")
    assert phrases == ["the banana tree"]


def test_conjuncts_and_symmetric_relations_are_not_offered():
    _, pairs = texts("A dog and a cat on a couch.")
    assert ("a dog", "a cat") not in pairs and ("a dog", "a couch") in pairs
    _, pairs = texts("A woman standing next to a horse.")
    assert ("a woman", "a horse") not in pairs


def test_identical_phrases_are_not_a_pair():
    _, pairs = texts("A dog looking at a dog in a mirror.")
    assert ("a dog", "a dog") not in pairs


def agreement(caption: str, a: str, b: str) -> str | None:
    words = DEFAULT_TAGGER.analyze([caption])[0]
    texts = [w.text for w in words]
    return breaks_agreement(words, texts.index(a), texts.index(b))


def test_an_exchange_that_leaves_a_verb_disagreeing_with_its_subject_breaks_agreement():
    # "Two people is lying down at the feet of the dog."
    assert agreement("The dog is lying down at the feet of two people.", "dog", "people")
    # "A umbrellas that is sitting underneath a light": a relative clause agrees with the noun it follows.
    assert agreement("A light that is sitting underneath two umbrellas.", "light", "umbrellas")
    assert agreement("There are two dogs on a bed with a cat.", "dogs", "cat")
    # One number, or no verb to agree with: the phrases move as they are.
    assert agreement("The dog is lying down at the feet of a man.", "dog", "man") is None
    assert agreement("A dog on a couch with two cats.", "dog", "cats") is None
