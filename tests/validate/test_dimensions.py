"""Dimensions of attributes: a swap of two attributes contradicts the caption only within one dimension."""

from __future__ import annotations

import pytest

from neggen.validate import dimensions
from neggen.validate.dimensions import COLOUR, MATERIAL, NUMBER, same_dimension


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("Red", {COLOUR}),
        ("three", {NUMBER}),
        ("wooden", {MATERIAL}),
        ("small", {"size.n.01"}),
        ("tiny", {"size.n.01"}),  # a satellite: its head's attribute
        ("elderly", {"age.n.01"}),
        ("weird", set()),
    ],
)
def test_an_attribute_names_its_dimension(word, expected):
    assert dimensions.dimensions(word) == expected


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("red", "black", True),
        ("two", "three", True),
        ("small", "large", True),
        ("tiny", "large", True),
        ("old", "young", True),
        ("wet", "dry", True),
        ("small", "yellow", False),  # the hydrant may be small and yellow
        ("wooden", "empty", False),
        ("nice", "shiny", False),
        ("weird", "strange", False),
    ],
)
def test_two_attributes_share_a_dimension(a, b, same):
    assert same_dimension(a, b) == same


def test_without_wordnet_only_named_dimensions_are_known(monkeypatch):
    dimensions.dimensions.cache_clear()
    monkeypatch.setattr(dimensions, "has_wordnet", lambda: False)
    try:
        assert same_dimension("red", "blue") and not same_dimension("small", "large")
    finally:
        dimensions.dimensions.cache_clear()
