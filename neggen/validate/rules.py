"""The per-type rules: reshuffle, the two swaps, the two replaces.

Two stages, so a batch needs one tagger pass: `check_shape` decides from the words alone (same multiset,
one exchange, one replaced span) and returns the edit it found; `check_edit` then decides from the two
analyses: parts of speech, and, with the meaning checks on, whether the edit changes what the caption says.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from neggen.pos import Analysis, Pos
from neggen.types import NegType
from neggen.validate.bindings import changed_bindings, exchanged_clauses, repeated_modifier, symmetric_exchange
from neggen.validate.lexical import known, same_noun, span_relation, unknown_words
from neggen.validate.reasons import ACCEPT, Reason, Verdict, reject
from neggen.validate.spans import AGREEMENT, Region, Swap, changed_region, content_blocks, find_move, find_swap

MAX_SWAP_SPAN = 4
MAX_REPLACE_SPAN = 4
MAX_RESHUFFLE_SPAN = 8
_SWAP_POS = {NegType.swap_nouns: Pos.NOUN, NegType.swap_adjectives: Pos.ADJ}
_REPLACE_POS = {NegType.replace_nouns: Pos.NOUN, NegType.replace_adjectives: Pos.ADJ}


@dataclass(frozen=True)
class Edit:
    """What check_shape found: a swap, a replaced region, or (reshuffle) neither."""

    neg_type: NegType
    swap: Swap | None = None
    region: Region | None = None


_QUANTIFIERS = frozenset("some many several few both all no each every".split())
# Nouns that count what follows them: "a *group* of zebras" -> "a *solitary* zebra" changes a number, not a noun.
_COLLECTIVES = frozenset(
    "group groups herd herds bunch bunches crowd crowds couple pair pairs flock flocks lot lots pack set variety "
    "number trio dozen dozens handful row rows pile stack assortment collection fleet swarm cluster array few "
    "bundle".split()
)
# A colour standing alone as a noun is what someone wears: "a girl in *pink*", "a boy wearing *yellow*".
_COLOURS = frozenset(
    "red orange yellow green blue purple pink brown black white gray grey silver gold beige tan maroon navy "
    "violet turquoise teal".split()
)
# The time of the scene is one of its attributes, not an object in it: "a street *at night*" -> "*in the daytime*".
_TIMES = frozenset(
    "night nighttime daytime day morning evening afternoon dusk dawn sunset sunrise noon midnight".split()
)
_NOUN_MODIFIER = frozenset({"compound", "amod", "nmod", "npadvmod"})


def _attribute(words: Analysis, i: int) -> bool:
    """An adjective, a number or quantifier, a counting noun before "of", a bare colour, the time of day after
    a preposition, or a noun modifying a later noun ("a *metal* chair") or a later attribute of one ("*hand*
    written notes", "*tree* lined road")."""
    w = words[i]
    if w.pos in (Pos.ADJ, Pos.NUM) or w.text in _QUANTIFIERS:
        return True
    if w.pos != Pos.NOUN:
        return False
    if w.text in _COLLECTIVES and i + 1 < len(words) and words[i + 1].text == "of":
        return True
    if w.text in _COLOURS and not any(x.head == i and x.dep in ("det", "amod") for x in words):
        return True
    if w.text in _TIMES and w.dep == "pobj" and words[w.head].text in ("at", "in", "during"):
        return True
    if w.dep not in _NOUN_MODIFIER or w.head <= i or _measure_unit(words, i):
        return False
    head = words[w.head]
    return head.pos == Pos.NOUN or (head.pos == Pos.ADJ and head.dep == "amod" and head.head > w.head)


def _measure_unit(words: Analysis, i: int) -> bool:
    """The unit of a measure phrase, "a 10 *year* old boy": a noun that counts for the adjective after it.
    The phrase is the attribute; its unit is neither an attribute nor a thing ("a 10 blue old boy")."""
    return words[i].dep == "npadvmod" and any(x.head == i and x.dep == "nummod" for x in words)


def _head_noun(words: Analysis, i: int) -> bool:
    return words[i].pos == Pos.NOUN and not _attribute(words, i) and not _measure_unit(words, i)


def _adjectival(words: Analysis, span: range) -> bool:
    """A span of modifiers: some attribute, and no head noun."""
    return any(_attribute(words, i) for i in span) and not any(_head_noun(words, i) for i in span)


def _same_words(caption: list[str], negative: list[str]) -> Verdict:
    if Counter(caption) != Counter(negative):
        missing = sorted((Counter(caption) - Counter(negative)).elements())
        extra = sorted((Counter(negative) - Counter(caption)).elements())
        return reject(Reason.not_permutation, f"missing {missing[:4]} extra {extra[:4]}")
    return ACCEPT


def check_shape(neg_type: NegType, caption: list[str], negative: list[str]) -> Verdict | Edit:
    if neg_type in _REPLACE_POS:
        blocks = content_blocks(caption, negative)
        if len(blocks) > 1:
            region = changed_region(caption, negative)
            old, new = region.caption_span(caption), region.negative_span(negative)
            return reject(Reason.multiple_spans_replaced, f"{' '.join(old)!r} -> {' '.join(new)!r}")
        region = blocks[0] if blocks else changed_region(caption, negative)
        old, new = region.caption_span(caption), region.negative_span(negative)
        if not old or not new:
            return reject(Reason.nothing_replaced, "words only added or removed")
        if len(old) > MAX_REPLACE_SPAN or len(new) > MAX_REPLACE_SPAN:
            return reject(Reason.span_too_long, f"{' '.join(old)!r} -> {' '.join(new)!r}")
        return Edit(neg_type, region=region)
    verdict = _same_words(caption, negative)
    if not verdict.accepted:
        return verdict
    if neg_type == NegType.reshuffle:
        return Edit(neg_type)
    swap = find_swap(caption, negative, MAX_SWAP_SPAN)
    if swap is None and neg_type == NegType.swap_adjectives:
        swap = find_move(caption, negative, MAX_SWAP_SPAN, MAX_RESHUFFLE_SPAN)
    if swap is None:
        return reject(Reason.no_swap_found, "not one exchange of two short spans")
    return Edit(neg_type, swap=swap)


_SOMEONE = frozenset("someone somebody everyone everybody anyone anybody".split())


def _moved_attribute(words: Analysis, swap: Swap) -> bool:
    """An attribute moved to another noun: the spans are adjacent, one is attributes only and the other, the
    words it moves past, holds the noun it lands on."""
    (a, b), (c, d) = swap.x, swap.y
    if b != c:
        return False
    for moved, passed in ((range(a, b), range(c, d)), (range(c, d), range(a, b))):
        if all(_attribute(words, i) or words[i].text in ("and", ",") for i in moved) and _attribute(words, moved[0]):
            if any(_head_noun(words, i) for i in passed):
                return True
    return False


def _check_swap(edit: Edit, caption: Analysis, negative: Analysis, meaning: bool) -> Verdict:
    assert edit.swap is not None
    wanted = _SWAP_POS[edit.neg_type]
    spans = [edit.swap.x, edit.swap.y]
    span_text = " <-> ".join(" ".join(w.text for w in caption[a:b]) for a, b in spans)
    if wanted == Pos.NOUN:
        # A noun phrase ends in its noun ("a man", "the fire hydrant"), or in the verb that agrees with it
        # ("this lady is" <-> "those men are").
        ends = [b - 2 if b - a > 1 and caption[b - 1].text in AGREEMENT else b - 1 for a, b in spans]
        ok = all(_head_noun(caption, e) or caption[e].text in _SOMEONE for e in ends)
    else:
        ok = all(_adjectival(caption, range(a, b)) for a, b in spans) or _moved_attribute(caption, edit.swap)
    if not ok:
        return reject(Reason.wrong_part_of_speech, f"{span_text} are not both {wanted.value.lower()}s")
    if not meaning:
        return ACCEPT
    # Two sides that mean the same ("a small dog and a little cat"): the exchange says what the caption said.
    # A hypernym is no such pair: "a dog chasing an animal" -> "an animal chasing a dog" is another scene.
    related = span_relation(
        [caption[i] for i in range(*edit.swap.x)], [caption[i] for i in range(*edit.swap.y)], wanted
    )
    if related and "hypernym" not in related:
        return reject(Reason.same_meaning, f"{span_text}: the two sides mean the same ({related})")
    why = symmetric_exchange(caption, range(*edit.swap.x), range(*edit.swap.y))
    if why:
        return reject(Reason.same_meaning, f"{span_text}: every binding kept ({why})")
    if not changed_bindings(caption, negative):
        return reject(Reason.same_meaning, f"{span_text}: every binding kept (conjuncts or a symmetric relation)")
    return ACCEPT


def _check_reshuffle(caption: Analysis, negative: Analysis, meaning: bool) -> Verdict:
    if not meaning:
        return ACCEPT
    # A reorder that is one exchange of two phrases or clauses is judged like a swap, on the caption's parse.
    negative_words = [w.text for w in negative]
    swap = find_swap([w.text for w in caption], negative_words, MAX_RESHUFFLE_SPAN)
    why = swap and symmetric_exchange(caption, range(*swap.x), range(*swap.y))
    why = why or exchanged_clauses(caption, negative_words)
    if why:
        return reject(Reason.same_meaning, f"every binding kept ({why})")
    if not changed_bindings(caption, negative):
        return reject(Reason.same_meaning, "every binding kept (clauses, conjuncts or a symmetric relation reordered)")
    return ACCEPT


def _check_replace(edit: Edit, caption: Analysis, negative: Analysis, meaning: bool) -> Verdict:
    assert edit.region is not None
    wanted = _REPLACE_POS[edit.neg_type]
    old_at = range(edit.region.start, edit.region.cap_end)
    new_at = range(edit.region.neg_begin, edit.region.neg_end)
    old, new = [caption[i] for i in old_at], [negative[i] for i in new_at]
    change = f"{' '.join(w.text for w in old)!r} -> {' '.join(w.text for w in new)!r}"
    content = [_attribute(a, i) or _head_noun(a, i) for a, at in ((caption, old_at), (negative, new_at)) for i in at]
    if not any(content):
        return reject(Reason.no_content_word, f"{change} replaces no noun, adjective or number")
    # A noun on both sides ("a herd of cows" -> "a lone cow") is kept: the edit is to what modifies it.
    nouns_old = [caption[i] for i in old_at if _head_noun(caption, i)]
    nouns_new = [negative[i] for i in new_at if _head_noun(negative, i)]
    changed_old = [a for a in nouns_old if not any(same_noun(a, b) for b in nouns_new)]
    changed_new = [b for b in nouns_new if not any(same_noun(a, b) for a in nouns_old)]
    if wanted == Pos.NOUN:
        ok = bool(changed_old) and bool(changed_new)
    else:
        # A past participle stands for a state opposite an adjective ("the door is open" -> "is closed").
        attrs_old = [_attribute(caption, i) for i in old_at]
        attrs_new = [_attribute(negative, i) for i in new_at]
        state_old = [a or caption[i].tag == "VBN" for a, i in zip(attrs_old, old_at, strict=True)]
        state_new = [a or negative[i].tag == "VBN" for a, i in zip(attrs_new, new_at, strict=True)]
        ok = not changed_old and not changed_new and any(state_old) and any(state_new) and any(attrs_old + attrs_new)
    if not ok:
        return reject(Reason.wrong_part_of_speech, f"{change} is not a {wanted.value.lower()} replacement")
    if not meaning:
        return ACCEPT
    relation = span_relation(old, new, wanted)
    if relation:
        return reject(Reason.same_meaning, f"{change}: {relation}")
    unplaced = unknown_words(new)
    if unplaced:
        return reject(
            Reason.unknown_word, f"{change}: {', '.join(map(repr, unplaced))} in neither WordNet nor the lemmatizer"
        )
    repeated = repeated_modifier(negative, new_at)
    if repeated:
        return reject(Reason.duplicate_modifier, f"{change}: {repeated}")
    unknown = [w.text for w in old if w.pos in (Pos.NOUN, Pos.ADJ) and not known(w.lemma)]
    if unknown:
        # Accepted on lemma and tag alone; the detail records that WordNet could not judge it.
        return Verdict(None, f"not in WordNet: {', '.join(unknown)}; judged by lemma and tagger")
    return ACCEPT


def check_edit(edit: Edit, caption: Analysis, negative: Analysis, meaning: bool = True) -> Verdict:
    if edit.neg_type == NegType.reshuffle:
        return _check_reshuffle(caption, negative, meaning)
    if edit.swap is not None:
        return _check_swap(edit, caption, negative, meaning)
    return _check_replace(edit, caption, negative, meaning)


def editable_words(neg_type: NegType, words: Analysis) -> list[int]:
    """The single words an edit of this type may name, by this module's own tests: head nouns for the noun
    types, attributes for the adjective types (so the edit form offers only spans these checks accept)."""
    if neg_type not in _SWAP_POS and neg_type not in _REPLACE_POS:
        return []
    noun = (_SWAP_POS.get(neg_type) or _REPLACE_POS[neg_type]) == Pos.NOUN
    return [i for i in range(len(words)) if (_head_noun if noun else _attribute)(words, i)]
