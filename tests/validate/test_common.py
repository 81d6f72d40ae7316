"""Checks shared by every type, each with the reason it must produce."""

from __future__ import annotations

import pytest

from neggen.types import NegType
from neggen.validate import Reason, validate

CAPTION = "A man riding a horse on a beach."


@pytest.mark.parametrize(
    ("negative", "reason"),
    [
        ("", Reason.empty),
        ("   ...  ", Reason.empty),
        ("a man riding a horse on a beach", Reason.copy),
        ("A  MAN riding a horse, on a beach!", Reason.copy),
        ("Here is the rewritten caption: A horse riding a man on a beach.", Reason.meta_text),
        ("Sure! A horse riding a man on a beach.", Reason.meta_text),
        ("Output: A horse riding a man on a beach.", Reason.meta_text),
        ('"A horse riding a man on a beach."', Reason.meta_text),
        ("A horse riding a man on a beach (swapped nouns).", Reason.meta_text),
        ("A horse riding a man on a beach. The man is happy.", Reason.multiple_sentences),
        ("A horse riding a man on a beach.\nA beach riding a man.", Reason.multiple_sentences),
        ("A horse.", Reason.length_out_of_bounds),
        ("A horse riding a man on a beach " + "and a dog " * 10, Reason.length_out_of_bounds),
    ],
)
def test_common_rejections(negative, reason):
    for neg_type in NegType:
        assert validate(neg_type, CAPTION, negative).reason == reason, neg_type


def test_odd_unicode_is_judged_not_crashed():
    assert validate(NegType.swap_nouns, CAPTION, "A horse riding a man on a beach.\u200b").accepted
    assert validate(NegType.replace_nouns, CAPTION, "\ufffd\ufffd\ufffd").reason == Reason.empty
    assert validate(NegType.replace_nouns, CAPTION, "A man riding a 🐴 on a beach.").reason is not None
