"""The offline tagger on caption-style phrases, including the ambiguous words it exists for."""

from __future__ import annotations

import pytest

from neggen.pos import LexiconTagger, Pos
from neggen.text import words


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("a red car", {"red": Pos.ADJ, "car": Pos.NOUN}),
        ("an orange on a plate", {"orange": Pos.NOUN, "plate": Pos.NOUN}),
        ("a man rides a horse", {"man": Pos.NOUN, "rides": Pos.VERB, "horse": Pos.NOUN}),
        ("a stop sign near a fire hydrant", {"stop": Pos.NOUN, "sign": Pos.NOUN, "hydrant": Pos.NOUN}),
        ("a blue and white bus", {"blue": Pos.ADJ, "white": Pos.ADJ, "bus": Pos.NOUN}),
        ("the dog is brown", {"brown": Pos.ADJ}),
        ("a sliced pizza on a metal tray", {"sliced": Pos.ADJ, "metal": Pos.ADJ, "tray": Pos.NOUN}),
        ("a kitten chewing on a shoe", {"kitten": Pos.NOUN, "chewing": Pos.VERB}),
        ("two dogs with frisbees", {"two": Pos.NUM, "frisbees": Pos.NOUN}),
        ("a truck loaded with logs", {"logs": Pos.NOUN}),
    ],
)
def test_tags_in_context(sentence, expected):
    tokens = words(sentence)
    tags = dict(zip(tokens, LexiconTagger().tag(tokens), strict=True))
    assert {w: tags[w] for w in expected} == expected
