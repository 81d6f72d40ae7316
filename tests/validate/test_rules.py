"""Type rules on hand-made cases, and agreement with SugarCrepe's human-validated negatives."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from neggen.text import words
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
    ],
)
def test_type_rules(neg_type, caption, negative, reason):
    verdict = validate(neg_type, caption, negative)
    assert verdict.reason == reason, verdict.detail


def _acceptance(path, neg_type, same_words_only=False) -> float:
    items = json.loads(path.read_text()).values()
    if same_words_only:
        items = [v for v in items if Counter(words(v["caption"])) == Counter(words(v["negative_caption"]))]
    verdicts = validate_batch([(neg_type, v["caption"], v["negative_caption"]) for v in items])
    return sum(v.accepted for v in verdicts) / len(verdicts)


# (file, validator, only identical word multisets, floor or ceiling). Measured with spaCy + the meaning checks
# (docs/negatives.md): 0.819, 0.823, 0.739, 0.857; with the old lexicon tagger 0.645, 0.829, 0.595, 0.806.
# Issue 11's goals are 0.85 / 0.85 / 0.80 / 0.85: replace_obj meets it; the other floors sit just under the
# measured figure so a regression fails. The cross-type rows measure that a validator does not accept the
# other kind of edit (goal <= 0.05; replace_att -> replace_nouns is 0.089: noun modifiers such as "metal").
AGREEMENT = [
    ("swap_att.json", T.swap_adjectives, True, 0.81),
    ("swap_obj.json", T.swap_nouns, True, 0.82),
    ("replace_att.json", T.replace_adjectives, False, 0.73),
    ("replace_obj.json", T.replace_nouns, False, 0.85),
]
CROSS = [
    ("swap_att.json", T.swap_nouns, True, 0.05),
    ("swap_obj.json", T.swap_adjectives, True, 0.05),
    ("replace_obj.json", T.replace_adjectives, False, 0.05),
    ("replace_att.json", T.replace_nouns, False, 0.10),
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
