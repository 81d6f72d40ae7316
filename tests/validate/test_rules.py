"""Type rules on hand-made cases, and agreement with SugarCrepe's human-validated negatives."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from neggen.text.words import words
from neggen.types import NegType
from neggen.validate import Reason, validate, validate_batch

T = NegType


@pytest.mark.parametrize(
    ("neg_type", "caption", "negative", "reason"),
    [
        (T.reshuffle, "A dog chasing a cat in a yard.", "A cat in a yard chasing a dog.", None),
        (T.reshuffle, "A dog chasing a cat in a yard.", "A cat chasing a dog in the yard.", Reason.not_permutation),
        (T.swap_nouns, "A man riding a horse on a beach.", "A horse riding a man on a beach.", None),
        (T.swap_nouns, "A cat sitting on a fire hydrant.", "A fire hydrant sitting on a cat.", None),
        (T.swap_nouns, "A man riding a horse on a beach.", "A beach riding a horse on a man.", None),
        (T.swap_nouns, "A red car next to a blue bus.", "A blue car next to a red bus.", Reason.wrong_part_of_speech),
        (T.swap_nouns, "A man riding a horse on a beach.", "On a beach a horse riding a man.", Reason.no_swap_found),
        (T.swap_nouns, "A man riding a horse on a beach.", "A cat riding a horse on a beach.", Reason.not_permutation),
        (T.swap_adjectives, "A red car next to a blue bus.", "A blue car next to a red bus.", None),
        (T.swap_adjectives, "An old man and a young woman.", "A young man and an old woman.", None),
        (
            T.swap_adjectives,
            "A man riding a horse on a beach.",
            "A horse riding a man on a beach.",
            Reason.wrong_part_of_speech,
        ),
        (T.replace_adjectives, "A small dog on a green couch.", "A small dog on a red couch.", None),
        (T.replace_adjectives, "An old man reading a book.", "A young man reading a book.", None),
        (
            T.replace_adjectives,
            "A small dog on a green couch.",
            "A small cat on a green couch.",
            Reason.wrong_part_of_speech,
        ),
        (
            T.replace_adjectives,
            "A small dog on a green couch.",
            "A large dog on a red couch.",
            Reason.multiple_spans_replaced,
        ),
        (T.replace_nouns, "A boy flying a kite in a park.", "A boy flying a drone in a park.", None),
        (T.replace_nouns, "A man eating an apple.", "A man eating a banana.", None),
        (T.replace_nouns, "A small dog on a green couch.", "A small dog on a red couch.", Reason.wrong_part_of_speech),
        (
            T.replace_nouns,
            "A boy flying a kite in a park.",
            "A boy flying a kite in a big park.",
            Reason.nothing_replaced,
        ),
        (
            T.replace_nouns,
            "A boy flying a kite in a park.",
            "A girl flying a drone in a park.",
            Reason.multiple_spans_replaced,
        ),
        (
            T.replace_nouns,
            "A boy flying a kite in a park.",
            "A boy holding three large red balloons in a park.",
            Reason.span_too_long,
        ),
        # The unit of a measure phrase is neither an attribute nor a thing; the number and the adjective are.
        (
            T.replace_adjectives,
            "A man with a 10 year old son.",
            "A man with a 10 blue old son.",
            Reason.wrong_part_of_speech,
        ),
        (T.replace_nouns, "A man with a 10 year old son.", "A man with a 10 cat old son.", Reason.wrong_part_of_speech),
        (T.replace_adjectives, "A man with a 10 year old son.", "A man with a 12 year old son.", None),
        (T.replace_nouns, "A man with a 10 year old son.", "A man with a 10 year old daughter.", None),
    ],
)
def test_type_rules(neg_type, caption, negative, reason):
    verdict = validate(neg_type, caption, negative)
    assert verdict.reason == reason, verdict.detail


# Edits SugarCrepe's annotators count as attribute or object edits that the first rules misjudged (issue 11).
@pytest.mark.parametrize(
    ("neg_type", "caption", "negative", "reason"),
    [
        # A counting noun before "of" is an attribute; the noun on both sides is kept, not replaced.
        (
            T.replace_adjectives,
            "A herd of elephants standing in a field.",
            "A solitary elephant standing in a field.",
            None,
        ),
        (
            T.replace_nouns,
            "A herd of elephants standing in a field.",
            "A solitary elephant standing in a field.",
            Reason.wrong_part_of_speech,
        ),
        (
            T.replace_adjectives,
            "A couple of children sitting on a blanket.",
            "A group of children sitting on a blanket.",
            None,
        ),
        # ... also where the lemmatizer slips ("vases" -> "vas").
        (
            T.replace_nouns,
            "there are three vases made of clay",
            "There is one vase made of clay.",
            Reason.wrong_part_of_speech,
        ),
        # A bare colour, the time of day, a noun before a participle, a participle opposite an adjective.
        (
            T.replace_adjectives,
            "A cute girl in pink is playing a video game.",
            "A cute girl in black is playing a video game.",
            None,
        ),
        (
            T.replace_nouns,
            "A cute girl in pink is playing a video game.",
            "A cute girl in black is playing a video game.",
            Reason.wrong_part_of_speech,
        ),
        (
            T.replace_adjectives,
            "Two men wearing ties cross the street at night.",
            "Two men wearing ties cross the street in the daytime.",
            None,
        ),
        (
            T.replace_adjectives,
            "Two large trucks along a tree-lined roadway.",
            "Two large trucks along a deserted roadway.",
            None,
        ),
        (
            T.replace_adjectives,
            "The bathroom door is open with the light on.",
            "The bathroom door is closed with the light on.",
            None,
        ),
        (
            T.replace_adjectives,
            "The bathroom door is shown with the light on.",
            "The bathroom door is closed with the light on.",
            Reason.no_content_word,
        ),
        # An attribute moved to another noun, near or far.
        (
            T.swap_adjectives,
            "A person is eating a gigantic pastry next to a chair.",
            "A person is eating a pastry next to a gigantic chair.",
            None,
        ),
        (
            T.swap_adjectives,
            "A cat is sitting on a bright orange chair.",
            "A bright orange cat is sitting on a chair.",
            None,
        ),
        (
            T.swap_adjectives,
            "A dog chasing a cat in a yard.",
            "A chasing dog a cat in a yard.",
            Reason.wrong_part_of_speech,
        ),
        (
            T.swap_nouns,
            "A cat is sitting on a bright orange chair.",
            "A bright orange cat is sitting on a chair.",
            Reason.no_swap_found,
        ),
        # A noun phrase ending in its agreeing verb; an indefinite pronoun.
        (
            T.swap_nouns,
            "this lady is using controllers and those men are watching",
            "Those men are using controllers and this lady is watching.",
            None,
        ),
        (
            T.swap_nouns,
            "A dog is sitting on a bed while someone looks on.",
            "Someone is sitting on a bed while a dog looks on.",
            None,
        ),
    ],
)
def test_edits_of_the_annotated_kinds(neg_type, caption, negative, reason):
    verdict = validate(neg_type, caption, negative)
    assert verdict.reason == reason, verdict.detail


S, RN, RA = T.swap_nouns, T.replace_nouns, T.replace_adjectives
WPOS = Reason.wrong_part_of_speech


# Issue 26: swaps exchange noun phrases with agreement; edits name things and attributes, not place-holders.
@pytest.mark.parametrize(
    ("neg_type", "caption", "negative", "reason"),
    [
        # Each swapped noun takes its new slot's number; a/an agrees with the word after it.
        (S, "A kitchen with two windows.", "A window with two kitchens.", None),
        (
            S,
            "The table is full of wooden spoons and utensils.",
            "The utensil is full of wooden spoons and tables.",
            None,
        ),
        (S, "A man holds umbrellas in the rain.", "An umbrella holds men in the rain.", None),
        # Word for word, the moved nouns break the agreement of their slots.
        (S, "A kitchen with two windows.", "A windows with two kitchen.", WPOS),
        (
            S,
            "The table is full of wooden spoons and utensils.",
            "The utensils is full of wooden spoons and table.",
            WPOS,
        ),
        # Number-insensitive for the swapped nouns only: other words added, dropped or inflected are no swap.
        (S, "A kitchen with two windows.", "A window with two big kitchens.", Reason.not_permutation),
        (S, "A man holds umbrellas in the rain.", "An umbrella held men in the rain.", Reason.not_permutation),
        (S, "Dogs chase a cat.", "Cat chase a dog.", Reason.no_swap_found),  # a noun not in its slot's number
        (S, "Dogs chase a cat.", "Cats chases a dog.", Reason.no_swap_found),  # the verb changed too
        (S, "A plate of cookies next to the honey.", "A plate of honey next to the cookie.", None),  # "of": either
        # A span that brings its own determiner agrees wherever it goes (SugarCrepe swaps whole phrases).
        (S, "Two cows in a meadow with a barn.", "A barn in a meadow with two cows.", None),
        (
            S,
            "The woman in a diner and the man outside are talking.",
            "The man in a diner and the woman outside are talking.",
            None,
        ),
        # A part, place, amount or the picture is no thing to swap or replace.
        (
            S,
            "Man at top of boat with a person standing by end.",
            "Man at end of boat with a person standing by top.",
            WPOS,
        ),
        (RN, "A bus parked in front of a building.", "A bus parked in back of a building.", WPOS),
        (RN, "A picture of a dog on a couch.", "A drawing of a dog on a couch.", WPOS),
        (RN, "Several pieces of pottery on a shelf.", "Several vases of pottery on a shelf.", WPOS),
        (RN, "A zebra in a grassy area.", "A zebra in a grassy kitchen.", WPOS),
        # ... unless its whole phrase is replaced, which is another scene.
        (RN, "A piece of cake on a plate.", "A cookie on a plate.", None),
        (RN, "A guy taking a picture in a remote area.", "A guy taking a picture at the beach.", None),
        (RN, "A group of people sit at a table.", "A couple sit at a table.", None),  # "a couple" is two people
        (RN, "An elderly couple sits on a bench.", "An elderly dog sits on a bench.", None),
        (S, "A couple walks a dog in a park.", "A dog walks a couple in a park.", None),
        # An attribute for an attribute: a count noun, or a plural, is no attribute.
        (RA, "A wooden spoon on a table.", "A kitchen spoon on a table.", WPOS),
        (RA, "A dirt path in the woods.", "A mountains path in the woods.", WPOS),
        (RA, "A dirt path in the woods.", "A rocks path in the woods.", WPOS),  # a material, but plural
        (RA, "A bicycle rack on a street.", "A train rack on a street.", WPOS),
        (RA, "A single train on the tracks.", "A handful train on the tracks.", WPOS),
        (RA, "A wooden spoon on a table.", "A metal spoon on a table.", None),  # a material
        (RA, "A cheese pizza on a table.", "A pepperoni pizza on a table.", None),  # a food
        (RA, "A dirt field with horses.", "A grass field with horses.", None),
        (RA, "School photo from the boys school.", "School photo from the girls school.", None),  # plural for plural
        (RA, "An old blender next to a printer.", "A brand new blender next to a printer.", None),
        # A number keeps its noun's agreement possible.
        (RA, "Two trains on the tracks.", "One trains on the tracks.", WPOS),
        (RA, "One train on the tracks.", "Two train on the tracks.", WPOS),
        (RA, "Two trains on the tracks.", "Three trains on the tracks.", None),
        (RA, "Two trains on the tracks.", "One train on the tracks.", None),
        (RA, "A two tier cake with frosting.", "A three tier cake with frosting.", None),  # "tier" is no count here
    ],
)
def test_agreement_things_and_attributes(neg_type, caption, negative, reason):
    verdict = validate(neg_type, caption, negative)
    assert verdict.reason == reason, verdict.detail


def _acceptance(path, neg_type, same_words_only=False) -> float:
    items = json.loads(path.read_text()).values()
    if same_words_only:
        items = [v for v in items if Counter(words(v["caption"])) == Counter(words(v["negative_caption"]))]
    verdicts = validate_batch([(neg_type, v["caption"], v["negative_caption"]) for v in items])
    return sum(v.accepted for v in verdicts) / len(verdicts)


# (file, validator, only identical word multisets, floor or ceiling). Measured with spaCy + the meaning checks
# (docs/negatives.md): 0.882, 0.854, 0.800, 0.837 (before issue 26's rules 0.882, 0.854, 0.811, 0.850; before
# issue 11's second pass 0.819, 0.823, 0.739, 0.857; with the old lexicon tagger 0.645, 0.829, 0.595, 0.806).
# Issue 26 lowered two floors on purpose, because SugarCrepe's human-valid negatives include edits its rubric
# rejects: replace_obj 21 hyponyms ("person" -> "child", "boat" -> "kayak": may still be true) and 2 place-holders
# ("pieces of pottery" -> "vases of pottery"); replace_att 8 count nouns put where an attribute was ("Christmas"
# -> "Halloween", "jet" -> "propeller") and 1 parse slip. Issue 11's goals were 0.85 / 0.85 / 0.80 / 0.85. The
# floors sit at the measured figure, so a regression fails. The cross-type rows measure that a validator does
# not accept the other kind of edit (goal <= 0.05; measured 0.007, 0.049, 0.005, 0.043, 0.020).
AGREEMENT = [
    ("swap_att.json", T.swap_adjectives, True, 0.88),
    ("swap_obj.json", T.swap_nouns, True, 0.85),
    ("replace_att.json", T.replace_adjectives, False, 0.79),
    ("replace_obj.json", T.replace_nouns, False, 0.83),
]
CROSS = [
    ("swap_att.json", T.swap_nouns, True, 0.05),
    ("swap_obj.json", T.swap_adjectives, True, 0.05),
    ("replace_obj.json", T.replace_adjectives, False, 0.05),
    ("replace_att.json", T.replace_nouns, False, 0.05),
    ("replace_rel.json", T.replace_nouns, False, 0.05),
]


@pytest.mark.parametrize(("name", "neg_type", "same_words", "floor"), AGREEMENT)
def test_agreement_with_sugarcrepe(sugarcrepe_dir, name, neg_type, same_words, floor):
    share = _acceptance(sugarcrepe_dir / name, neg_type, same_words)
    print(f"{name}: {neg_type.value} accepts {share:.3f}")
    assert share >= floor


@pytest.mark.parametrize(("name", "neg_type", "same_words", "ceiling"), CROSS)
def test_other_edits_are_not_accepted(sugarcrepe_dir, name, neg_type, same_words, ceiling):
    share = _acceptance(sugarcrepe_dir / name, neg_type, same_words)
    print(f"{name}: {neg_type.value} accepts {share:.3f}")
    assert share <= ceiling


@pytest.mark.parametrize("neg_type", list(NegType))
def test_copies_truncations_and_unrelated_captions_are_rejected(sugarcrepe_dir, neg_type):
    items = list(json.loads((sugarcrepe_dir / "replace_obj.json").read_text()).values())[:300]
    for i, item in enumerate(items):
        caption = item["caption"]
        cut = " ".join(caption.split()[: max(2, len(caption.split()) // 2)])
        unrelated = items[(i + 7) % len(items)]["caption"]
        assert not validate(neg_type, caption, caption).accepted
        assert not validate(neg_type, caption, cut).accepted, cut
        if words(unrelated) != words(caption):
            assert not validate(neg_type, caption, unrelated).accepted, (caption, unrelated)
