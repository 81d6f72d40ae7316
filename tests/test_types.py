from __future__ import annotations

import pytest

from neggen.types import NegType, resolve_types


def test_family_aliases_expand_in_canonical_order():
    assert resolve_types("swap") == [NegType.swap_nouns, NegType.swap_adjectives]
    assert resolve_types(["replace_nouns", "reshuffle,swap_nouns"]) == [
        NegType.reshuffle,
        NegType.swap_nouns,
        NegType.replace_nouns,
    ]
    assert resolve_types("all") == list(NegType) and len(resolve_types("all")) == 5


def test_unknown_type_names_the_choices():
    with pytest.raises(ValueError, match="unknown negative type 'swapp'.*swap_nouns"):
        resolve_types("swapp")
