"""Validator limits at their boundary: the last value accepted and the first refused."""

from __future__ import annotations

import pytest

from neggen.text.words import words
from neggen.types import NegType
from neggen.validate import Reason, validate
from neggen.validate.common import MAX_LENGTH_RATIO, MIN_LENGTH_RATIO, check_common
from neggen.validate.rules import MAX_REPLACE_SPAN, MAX_SWAP_SPAN
from neggen.validate.spans import find_swap

CAPTION = "a man rides a brown horse on the beach"


def common(negative: str):
    return check_common(CAPTION, negative, words(CAPTION), words(negative))


def test_length_ratio_floor_and_ceiling_are_inclusive():
    n = len(words(CAPTION))
    assert n == 9 and (MIN_LENGTH_RATIO, MAX_LENGTH_RATIO) == (0.5, 2.0)
    filler = "dog cat bird fish cow pig hen goat owl bee ant elk yak emu fox"
    pool = filler.split()
    floor = " ".join(pool[:5])  # 5 >= 0.5 * 9 = 4.5
    assert common(floor).accepted
    assert common(" ".join(pool[:4])).reason == Reason.length_out_of_bounds
    ceiling = CAPTION + " " + " ".join(pool[:9])  # 18 = 2.0 * 9
    assert common(ceiling).accepted
    assert common(ceiling + " yak").reason == Reason.length_out_of_bounds


@pytest.mark.parametrize(
    ("new", "accepted"), [("big dog", True), ("big fat black dog", True), ("big fat old black dog", False)]
)
def test_replace_span_limit(new, accepted):
    assert MAX_REPLACE_SPAN == 4
    negative = CAPTION.replace("horse", new)
    verdict = validate(NegType.replace_nouns, CAPTION, negative)
    if accepted:
        assert verdict.accepted, verdict
    else:
        assert verdict.reason == Reason.span_too_long


def test_swap_span_limit():
    assert MAX_SWAP_SPAN == 4
    caption = "x a b c d y e f g h z".split()
    four = "x e f g h y a b c d z".split()  # spans of four words exchanged
    assert find_swap(caption, four, MAX_SWAP_SPAN) is not None
    caption5 = "x a b c d i y e f g h j z".split()
    five = "x e f g h j y a b c d i z".split()
    assert find_swap(caption5, five, MAX_SWAP_SPAN) is None
    assert find_swap(caption5, five, 5) is not None  # the same exchange is found when the limit allows it
