"""What an attribute says of its thing: its colour, count, material, size, age, ... (a dimension).

Two attributes swapped between two things make a caption false only where each contradicts the other on one
dimension: "a red pen on black scissors" -> "a black pen on red scissors". Attributes of different dimensions
leave a scene that may still be true ("a small fire hydrant with a yellow guard bar" -> "a yellow fire hydrant
with a small guard bar": the hydrant may be small and yellow) or none at all ("an empty park bench next to a
wooden road"). Labelled swap_adjectives rows: across dimensions 5 good of 36 (holdout I, round 7) and 2 of 27
(rounds 1-4); within one, 8 of 14 and 3 of 4 (docs/negatives.md, round 7).

Dimensions: colours, numbers and materials by name; any other adjective by WordNet's attribute of its first
sense ("small" -> size, "old" -> age, "wet" -> wetness), or, for a satellite ("tiny", "elderly"), of the head
adjective it is similar to. A word with none has no dimension and shares none.
"""

from __future__ import annotations

from functools import lru_cache

from neggen.validate.lexical import has_wordnet, number, wordnet_synsets
from neggen.validate.rules import COLOURS

COLOUR, NUMBER, MATERIAL = "colour", "number", "material"
# What things are made of, as captions say it; WordNet files most as relational adjectives without an attribute.
MATERIALS = frozenset(
    "wooden wood metal metallic glass plastic stone brick leather ceramic concrete steel iron paper cardboard marble "
    "wicker straw cloth wool woolen cotton rubber tin copper brass silver gold golden dirt gravel sand".split()
)


@lru_cache(maxsize=65536)
def dimensions(word: str) -> frozenset[str]:
    """The dimensions an attribute word gives its thing (usually one; none for a word WordNet gives no attribute)."""
    word = word.lower()
    if word in COLOURS:
        return frozenset({COLOUR})
    if number(word) is not None:
        return frozenset({NUMBER})
    if word in MATERIALS:
        return frozenset({MATERIAL})
    if not has_wordnet():
        return frozenset()
    found: set[str] = set()
    for sense in wordnet_synsets(word, "a")[:1]:  # "a" includes the satellites, "s"
        found |= {a.name() for a in sense.attributes()}
        if not found:
            found |= {a.name() for head in sense.similar_tos() for a in head.attributes()}
    return frozenset(found)


def same_dimension(a: str, b: str) -> bool:
    """Do attributes a and b contradict each other on some dimension ("red" and "black", "two" and "three")?"""
    return bool(dimensions(a) & dimensions(b))
