"""Relations read off a caption's parse: who does what, what is where."""

from __future__ import annotations

from neggen.text.pos import DEFAULT_TAGGER
from neggen.validate.links import changed, exchanged, relations, show

SKIS = "A group of people riding skis while holding ski poles."
POLES = "A group of people riding ski poles while holding skis."


def parse(text: str):
    return DEFAULT_TAGGER.analyze([text])[0]


def test_a_caption_reads_as_who_does_what_and_what_is_where():
    assert {show(r) for r in relations(parse("A dog sits on a couch."))} == {
        "subj(sit, dog)",
        "on(sit, couch)",
        "subj on(dog, couch)",
    }
    assert "subj-obj(man, cake)" in {show(r) for r in relations(parse("A man holds a cake."))}


def test_an_exchange_read_off_the_captions_parse_is_the_exchanged_captions_relations():
    words = parse(SKIS)
    skis, poles = [i for i, w in enumerate(words) if w.text in ("skis", "poles")]
    pairs = exchanged(words, skis, poles)
    assert {before for before, _ in pairs} == relations(words) - relations(parse(POLES))
    assert {after for _, after in pairs} == relations(parse(POLES)) - relations(words)
    assert (("obj", "rid", "ski"), ("obj", "rid", "pole")) in pairs


def test_a_list_reordered_or_two_of_one_noun_exchanged_changes_no_relation():
    mirror = parse("a mirror a tub and a sink and some towels")
    tub, towels = [i for i, w in enumerate(mirror) if w.text in ("tub", "towels")]
    assert exchanged(mirror, tub, towels) == []
    buses = parse("A red bus driving in front of a white bus.")
    red, white = [i for i, w in enumerate(buses) if w.text == "bus"]
    assert exchanged(buses, red, white) == []
    assert changed(buses, parse("A white bus driving in front of a red bus.")) == []
    assert changed(parse(SKIS), parse(POLES))
