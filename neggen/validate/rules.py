"""The per-type rules: reshuffle, the two swaps, the two replaces.

Two stages, so a batch needs one tagger pass: `check_shape` decides from the words alone (same multiset,
one exchange, one replaced span) and returns the edit it found; `check_edit` then decides from the two
analyses: parts of speech, and, with the meaning checks on, whether the edit changes what the caption says.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from neggen.text.pos import Analysis, Pos, Word
from neggen.text.words import Region, changed_region
from neggen.types import NegType
from neggen.validate.bindings import (
    changed_bindings,
    exchanged_clauses,
    repeated_modifier,
    span_head,
    symmetric_exchange,
)
from neggen.validate.lexical import (
    attribute_word,
    compound_name,
    known,
    known_noun,
    mass_noun,
    number,
    same_noun,
    span_relation,
    unknown_words,
)
from neggen.validate.reasons import ACCEPT, Reason, Verdict, reject
from neggen.validate.spans import (
    AGREEMENT,
    Swap,
    article_free,
    content_blocks,
    find_agreed_swap,
    find_move,
    find_swap,
    number_free,
    plural,
)

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
COLOURS = frozenset(
    "red orange yellow green blue purple pink brown black white gray grey silver gold beige tan maroon navy "
    "violet turquoise teal".split()
)
# The time of the scene is one of its attributes, not an object in it: "a street *at night*" -> "*in the daytime*".
_TIMES = frozenset(
    "night nighttime daytime day morning evening afternoon dusk dawn sunset sunrise noon midnight".split()
)
_NOUN_MODIFIER = frozenset({"compound", "amod", "nmod", "npadvmod"})
# Collectives that say only "several": a herd for a flock keeps the scene.
_GROUPS = frozenset(
    "group groups herd herds bunch bunches crowd crowds flock flocks lot lots pack packs set sets variety number "
    "assortment collection fleet swarm cluster array bundle".split()
)
# A part of something or a place in the picture: with "of" after it, or as "the" X after a preposition, it says
# where, not what ("the *front* of a bus", "on the *side*"); "a black *top*" is still a thing.
_PARTS = frozenset("front side sides top back bottom middle center centre edge edges corner corners end ends".split())
# The picture, a region of it, a kind or a piece: never a thing of the scene ("a *view* of", "a *piece* of cake").
_PLACE_HOLDERS = frozenset(
    "background foreground closeup area areas view views kind kinds type types sort piece pieces".split()
)
# Words that stand in for a noun named elsewhere ("a blue *one*", "each *other*"), which the tagger may call nouns:
# no edit should name them, though a sentence may swap them ("two men play while *others* watch").
_STAND_INS = frozenset("one ones other others".split())
# Words that stand for what follows their "of": "a *body* of water", "a *picture* of a dog".
_OF_HOLDERS = frozenset("body picture pictures photo photos photograph image images shot".split())
# Quantifiers that count several ("several trains"); counting nouns that need "of" agree with no noun directly.
_PLURAL_QUANTIFIERS = frozenset("several many few multiple numerous both".split())
_OF_COUNTS = frozenset("pair couple dozen".split())
# Nouns that count or portion what follows their "of" ("a couple of chairs", "a piece of cake").
COUNTING_NOUNS = _COLLECTIVES | _OF_COUNTS | frozenset("piece pieces slice slices".split())


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
    if w.text in COLOURS and not any(x.head == i and x.dep in ("det", "amod") for x in words):
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


def _next_is(words: Analysis, i: int, text: str) -> bool:
    return i + 1 < len(words) and words[i + 1].text == text


def _not_a_thing(words: Analysis, i: int) -> bool:
    """A noun that names no thing of the scene: a collective or measure ("a *herd* of", "a *couple* of"), a part
    or a place ("the *front* of", "in the *middle*"), the picture or a kind ("a *picture* of", "in the
    *background*", "a *close* up of", "a *piece* of"). Swapping or replacing it makes no other scene."""
    w = words[i]
    texts = {w.text, w.lemma}
    if texts & _PLACE_HOLDERS:
        return True
    if texts & (_OF_HOLDERS | _COLLECTIVES) and _next_is(words, i, "of"):  # "a couple" alone is two people
        return True
    if w.text == "close" and _next_is(words, i, "up"):
        return True
    after_the = i > 0 and words[i - 1].text == "the" and w.dep == "pobj"
    return bool(texts & _PARTS) and (_next_is(words, i, "of") or after_the)


def _kept_place_holder(words: Analysis, i: int, span: range) -> bool:
    """A word that names no thing, replaced while what it stands for stays: its "of" ("*pieces* of pottery" ->
    "vases of pottery"), else its modifiers ("a grassy *area*" -> "a grassy kitchen"). Replacing its whole phrase
    ("a piece of cake" -> "a cookie", "in a remote area" -> "at the beach") is another scene."""
    if not _not_a_thing(words, i):
        return False
    dependents = [j for j, w in enumerate(words) if w.head == i and j != i]
    of = [j for j in dependents if words[j].text == "of"]
    kept = of or [j for j in dependents if words[j].dep in _NOUN_MODIFIER]
    return any(j not in span for j in kept)


def _attribute_word(text: str) -> bool:
    return text in COLOURS or attribute_word(text)


def _compound_noun(words: Analysis, i: int) -> bool:
    """A noun modifying a noun that is no attribute word ("*fire* hydrant", "*parking* lot", "*trolley* car"):
    with its head, the name of one thing. Also where the parser slips, when WordNet names the two together."""
    w = words[i]
    if w.pos != Pos.NOUN or _attribute_word(w.text):
        return False
    if w.dep == "compound" and words[w.head].pos == Pos.NOUN:
        return True
    return i + 1 < len(words) and words[i + 1].pos == Pos.NOUN and compound_name(w.text, words[i + 1].lemma)


def _compound_head(words: Analysis, i: int) -> bool:
    """The noun a compound noun's first part modifies ("fire *hydrant*")."""
    if any(_compound_noun(words, j) for j, w in enumerate(words) if w.head == i and j != i):
        return True
    return i > 0 and _compound_noun(words, i - 1)


def _free_attribute(words: Analysis, i: int) -> bool:
    """An attribute an edit can name alone: not a counting noun ("a *group* of": "a single of zebras"), and
    a noun only when it is an attribute word ("*metal* chair", "*cheese* pizza"), a colour or a time, not the
    first part of a compound noun ("*parking* lot")."""
    w = words[i]
    if w.text in _COLLECTIVES:
        return False
    return w.pos != Pos.NOUN or w.text in _TIMES or _attribute_word(w.text)


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
    if neg_type == NegType.reshuffle:
        verdict = _same_words(caption, negative)
        return Edit(neg_type) if verdict.accepted else verdict
    # A swap may change an a/an to agree with the word moved after it, and a swapped noun takes the number of
    # its new slot ("A kitchen with two windows" -> "A window with two kitchens"): nouns compare by lemma.
    keys = number_free if neg_type == NegType.swap_nouns else article_free
    verdict = _same_words(keys(caption), keys(negative))
    if not verdict.accepted:
        return verdict
    swap = find_swap(caption, negative, MAX_SWAP_SPAN) or find_swap(
        article_free(caption), article_free(negative), MAX_SWAP_SPAN
    )
    if swap is None and neg_type == NegType.swap_nouns:
        swap = find_agreed_swap(caption, negative, MAX_SWAP_SPAN)
    if swap is None and neg_type == NegType.swap_adjectives:
        swap = find_move(caption, negative, MAX_SWAP_SPAN, MAX_RESHUFFLE_SPAN)
    if swap is None:
        return reject(Reason.no_swap_found, "not one exchange of two short spans")
    return Edit(neg_type, swap=swap)


_SOMEONE = frozenset("someone somebody everyone everybody anyone anybody".split())
_NOT_A_THING = "{!r} names a part, a place, an amount or the picture, not a thing"


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
    holders = [caption[e].text for e in ends if _not_a_thing(caption, e)] if wanted == Pos.NOUN else []
    if holders:
        return reject(Reason.wrong_part_of_speech, f"{span_text}: {_NOT_A_THING.format(holders[0])}")
    disagreement = _slot_disagrees(caption, negative, edit.swap) if wanted == Pos.NOUN else None
    if disagreement:
        return reject(Reason.wrong_part_of_speech, f"{span_text}: {disagreement}")
    if not meaning:
        return ACCEPT
    # Two sides that mean the same ("a small dog and a little cat"): the exchange says what the caption said.
    # A kind and its kinds are no such pair: "a dog chasing an animal" -> "an animal chasing a dog" is another scene.
    related = span_relation(
        [caption[i] for i in range(*edit.swap.x)], [caption[i] for i in range(*edit.swap.y)], wanted
    )
    if related and "hypernym" not in related and "hyponym" not in related:
        return reject(Reason.same_meaning, f"{span_text}: the two sides mean the same ({related})")
    why = symmetric_exchange(caption, range(*edit.swap.x), range(*edit.swap.y))
    if why:
        return reject(Reason.same_meaning, f"{span_text}: every binding kept ({why})")
    if not changed_bindings(caption, negative):
        return reject(Reason.same_meaning, f"{span_text}: every binding kept (conjuncts or a symmetric relation)")
    return ACCEPT


# Words before a noun that say how many: "a kitchen", "two windows".
_SINGULAR_MARKERS = frozenset("a an one this that another each every".split())
_PLURAL_MARKERS = frozenset("these those several many both multiple numerous".split())


def _marked_number(words: Analysis, noun: int, span: range) -> bool | None:
    """Is the noun's slot marked plural (True) or singular (False) by a determiner or number outside its span,
    or, for a subject, by its verb ("the table *is*")?"""
    for j, w in enumerate(words):
        if w.head != noun or j in span or j > noun or w.dep not in ("det", "nummod"):
            continue
        if w.text in _SINGULAR_MARKERS or number(w.text) == 1:
            return False
        if w.text in _PLURAL_MARKERS or (number(w.text) or 0) > 1:
            return True
    verb = words[noun].head
    conjoined = any(w.head == noun and w.dep == "conj" for w in words)  # "the woman and the man are"
    if words[noun].dep in ("nsubj", "nsubjpass") and verb not in span and not conjoined:
        tags = {w.tag for j, w in enumerate(words) if j == verb or (w.head == verb and w.dep in ("aux", "auxpass"))}
        if "VBZ" in tags or "VBP" in tags:
            return "VBP" in tags and "VBZ" not in tags
    return None


def _slot_disagrees(caption: Analysis, negative: Analysis, swap: Swap) -> str | None:
    """A noun moved, as it is, into a slot marked for the other number: "A kitchen with two windows" -> "A
    windows with two kitchen". A span that brings its own determiner ("two cows" <-> "a structure") agrees."""
    x, y = range(*swap.x), range(*swap.y)
    hx, hy = span_head(caption, x), span_head(caption, y)
    # Where each head stands in the negative (P + Y + M + X + S): the other span's head fills each slot.
    moved = {hx: negative[x.start + hy - y.start], hy: negative[y.stop - len(x) + hx - x.start]}
    for head, span in ((hx, x), (hy, y)):
        marked = _marked_number(caption, head, span)
        if marked is not None and marked != plural(moved[head].text):
            slot = "plural" if marked else "singular"
            return f"{moved[head].text!r} does not agree with the {slot} slot of {caption[head].text!r}"
    return None


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
    nouns_old = [i for i in old_at if _head_noun(caption, i)]
    nouns_new = [j for j in new_at if _head_noun(negative, j)]
    changed_old = [i for i in nouns_old if not any(same_noun(caption[i], negative[j]) for j in nouns_new)]
    changed_new = [j for j in nouns_new if not any(same_noun(caption[i], negative[j]) for i in nouns_old)]
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
    holders = [caption[i].text for i in changed_old if _kept_place_holder(caption, i, old_at)]
    holders += [negative[j].text for j in changed_new if _kept_place_holder(negative, j, new_at)]
    if holders:
        return reject(Reason.wrong_part_of_speech, f"{change}: {_NOT_A_THING.format(holders[0])}")
    if wanted == Pos.ADJ:
        why = _noun_for_attribute(caption, negative, old_at, new_at) or _number_disagrees(
            caption, negative, old_at, new_at
        )
        if why:
            return reject(Reason.wrong_part_of_speech, f"{change}: {why}")
    if not meaning:
        return ACCEPT
    relation = span_relation(old, new, wanted) or _groups_exchanged(old, new)
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
    present = [negative[j].text for j in changed_new if _in_caption(caption, old_at, negative, j, new_at)]
    if present:
        # "a toilet with a plunger" -> "a toilet with a toilet": a thing the caption has already describes nothing new.
        return reject(Reason.duplicate_modifier, f"{change}: {present[0]!r} is already in the caption")
    unknown = [w.text for w in old if w.pos in (Pos.NOUN, Pos.ADJ) and not known(w.lemma)]
    if unknown:
        # Accepted on lemma and tag alone; the detail records that WordNet could not judge it.
        return Verdict(None, f"not in WordNet: {', '.join(unknown)}; judged by lemma and tagger")
    return ACCEPT


def _noun_for_attribute(caption: Analysis, negative: Analysis, old_at: range, new_at: range) -> str | None:
    """A count noun put where an attribute was: "wooden" -> "kitchen" ("a kitchen spoon"), "dirt" -> "mountains"
    ("a mountains path"). A new noun is an attribute only as an attribute word in its base form (an adjective,
    a number, a material or food: "a *metal* chair", "a *cheese* pizza"), a colour, a time, or a counting noun
    ("a *group* of zebras")."""
    for j in new_at:
        w = negative[j]
        counting = w.text in _COLLECTIVES and _next_is(negative, j, "of")
        if w.pos != Pos.NOUN or counting or w.text in _TIMES or _attribute_word(w.text):
            continue
        if not known_noun(w.text):  # a word nothing knows is the meaning checks' unknown_word
            continue
        # Part of a compound attribute: "*brand* new", "*rainbow* colored", "a six *wheel* truck".
        if (j + 1 in new_at and negative[j + 1].pos == Pos.ADJ) or any(
            x.head == j and x.dep == "nummod" for x in negative
        ):
            continue
        # A plural for a plural ("*boys* school" -> "*girls* school"); "dirt" -> "mountains" is no attribute.
        if any(same_noun(caption[i], w) or (plural(caption[i].text) and plural(w.text)) for i in old_at):
            continue
        return f"{w.text!r} is a noun, not an attribute"
    return None


def _count(text: str) -> int | None:
    """1 for a number or quantifier that counts one thing, 2 for one that counts several, else None."""
    if text in _PLURAL_QUANTIFIERS:
        return 2
    value = number(text) if text not in _OF_COUNTS else None
    return None if value is None or value == 0 else min(value, 2)


def _counted_noun(words: Analysis, k: int, span: range) -> Word | None:
    """The noun outside `span` that the number k counts. Not the unit of a measure ("a 10 *year* old boy"), nor
    a noun that with the number modifies another ("a two *door* fridge"), nor one past a noun the number counts
    instead ("a two tier *cake*": the tiers)."""
    head = words[k].head
    if head in span or words[head].pos != Pos.NOUN or _measure_unit(words, head) or _attribute(words, head):
        return None
    return None if any(words[i].pos == Pos.NOUN for i in range(k + 1, head)) else words[head]


def _number_disagrees(caption: Analysis, negative: Analysis, old_at: range, new_at: range) -> str | None:
    """A new number whose noun keeps the other number: "Two trains" -> "One trains", "One train" -> "Two train".
    The noun is found on the caption's parse when one word replaced one (the parse of a disagreeing sentence is
    the less reliable), else on the negative's."""
    for j in new_at:
        count = _count(negative[j].text)
        if not count:
            continue
        if len(old_at) == 1 == len(new_at):
            noun = _counted_noun(caption, old_at[0], old_at)
        else:
            noun = _counted_noun(negative, j, new_at)
        if noun is None or noun.tag not in ("NN", "NNS"):
            continue
        if (count == 1) == (noun.tag == "NNS"):
            return f"{negative[j].text!r} does not agree with {noun.text!r}"
    return None


def _groups_exchanged(old: list[Word], new: list[Word]) -> str | None:
    """One collective for another ("a herd of sheep" -> "a flock of sheep"): both say only "several"."""
    old_texts, new_texts = {w.text for w in old}, {w.text for w in new}
    gone, came = old_texts - new_texts, new_texts - old_texts
    if gone and came and gone <= _GROUPS and came <= _GROUPS:
        return "collective for collective: both say only 'several'"
    return None


def _in_caption(caption: Analysis, old_at: range, negative: Analysis, j: int, new_at: range) -> bool:
    """Is the new noun j a thing the caption already names, modified alike? "a toilet with a plunger" ->
    "a toilet with a toilet" is; "a red circle and a blue square" -> "a *red square* and a blue square" and
    "beverage cans" -> "*wine* bottles" next to "a beer bottle" are other things."""
    mine = _modifiers(negative, j)
    return any(
        _head_noun(caption, i) and same_noun(caption[i], negative[j]) and _modifiers(caption, i) == mine
        for i in range(len(caption))
        if i not in old_at
    )


_MODIFIER_DEPS = frozenset({"amod", "compound", "nummod", "nmod"})


def _modifiers(words: Analysis, i: int) -> frozenset[str]:
    return frozenset(w.text for k, w in enumerate(words) if w.head == i and k != i and w.dep in _MODIFIER_DEPS)


def check_edit(edit: Edit, caption: Analysis, negative: Analysis, meaning: bool = True) -> Verdict:
    if edit.neg_type == NegType.reshuffle:
        return _check_reshuffle(caption, negative, meaning)
    if edit.swap is not None:
        return _check_swap(edit, caption, negative, meaning)
    return _check_replace(edit, caption, negative, meaning)


def stuff_into_plural(words: Analysis, i: int, j: int) -> bool:
    """Would swapping nouns i and j put stuff where a plural is marked ("Two ducks on the water" -> "Two
    waters on the duck")? Stuff has no plural that reads."""
    return any(
        mass_noun(words[a].text) and _marked_number(words, b, range(b, b + 1)) is True for a, b in ((i, j), (j, i))
    )


def editable_words(neg_type: NegType, words: Analysis) -> list[int]:
    """The single words an edit of this type may name, by this module's own tests: head nouns that name a thing
    for the noun types, attributes an edit can name alone for the adjective types (so the edit form offers only
    spans these checks accept, and of those only ones whose edit reads as a caption)."""
    if neg_type not in _SWAP_POS and neg_type not in _REPLACE_POS:
        return []
    noun = (_SWAP_POS.get(neg_type) or _REPLACE_POS[neg_type]) == Pos.NOUN
    if noun:
        # Not a part, place, amount or the picture ("front", "herd", "background"), nor the head of a compound
        # noun ("parking *lot*": "a trolley lot").
        return [
            i
            for i in range(len(words))
            if _head_noun(words, i)
            and words[i].text not in COLOURS | _STAND_INS  # tagger slips: "a neon *blue* glow", "each *other*"
            and not _not_a_thing(words, i)
            and not _compound_noun(words, i)
            and not _compound_head(words, i)
        ]
    return [i for i in range(len(words)) if _attribute(words, i) and _free_attribute(words, i)]
