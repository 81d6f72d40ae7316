"""The edit form: the LLM names the edit (`red -> blue`, `dog <-> cat`, `a brown dog <-> a small cat`) instead
of rewriting the caption.

This module decides, per caption and type, which spans an edit may touch (from the caption's analysis, by the
validators' own tests: `validate.rules.editable_words`, `validate.bindings.exchange_keeps_scene`) and the
regex an engine constrains decoding to, so the model can only name an edit the checks can accept. An exchange
of nouns (swap_nouns, reshuffle) is offered only between things of one kind (`validate.kinds`: no "a plate
sits on a pizza", no "a street parked on a bus") and only where it changes a relation the parse reads
(`validate.links`: not a list reordered, not two of one noun); a reshuffle only where every verb still agrees
and an article-less phrase trades places only with another; a swap of attributes only between two of one
dimension (`validate.dimensions`: "red" and "black", not "small" and "yellow").
`neggen.edits.apply` turns the answer back into a sentence.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from neggen.config import OutputForm, ReplaceChoices
from neggen.edits.reorders import breaks_agreement, noun_phrases, phrase_pairs
from neggen.edits.replacements import attribute_alternatives, noun_alternatives
from neggen.text.pos import Analysis, Pos, PosTagger
from neggen.text.words import WORD_PATTERN
from neggen.types import NegType
from neggen.validate.bindings import exchange_keeps_scene
from neggen.validate.dimensions import COLOUR, MATERIAL, MATERIALS, NUMBER, dimensions, same_dimension
from neggen.validate.kinds import ANIMATE_KINDS, LIST_JOINS, exchange_clash, noun_kind, same_list
from neggen.validate.lexical import mass_noun, wordnet_synsets
from neggen.validate.links import exchanged
from neggen.validate.rules import editable_words, stuff_into_plural
from neggen.validate.spans import plural

if TYPE_CHECKING:
    from neggen.validate.relations import RelationTable

EDIT_TYPES: frozenset[NegType] = frozenset(
    {
        NegType.swap_nouns,
        NegType.swap_adjectives,
        NegType.replace_nouns,
        NegType.replace_adjectives,
        NegType.reshuffle,
    }
)
SWAP_TYPES: frozenset[NegType] = frozenset({NegType.swap_nouns, NegType.swap_adjectives})
# Reshuffle's edit exchanges two whole noun phrases (`a brown dog <-> a small cat`, neggen.edits.reorders).
PHRASE_TYPES: frozenset[NegType] = frozenset({NegType.reshuffle})
# The types whose edit is an exchange, answered with the `<->` arrow.
EXCHANGE_TYPES: frozenset[NegType] = SWAP_TYPES | PHRASE_TYPES
NOUN_TYPES: frozenset[NegType] = frozenset({NegType.swap_nouns, NegType.replace_nouns})

REPLACE_ARROW = " -> "
SWAP_ARROW = " <-> "
# The right side of a replace: one to three lowercase words (a word of up to 15 letters keeps a looping
# model from spending max_tokens on one "word").
NEW_WORDS_REGEX = r"[a-z]{1,15}( [a-z]{1,15}){0,2}"
# Swaps enumerate ordered pairs (the two sides must differ, which a regex cannot say otherwise); a longer
# alternation than eight spans' pairs costs grammar compilation for little gain, so the first ones are kept.
MAX_SWAP_SPANS = 8
MAX_SWAP_PAIRS = MAX_SWAP_SPANS * (MAX_SWAP_SPANS - 1)
_RAW_WORD = re.compile(WORD_PATTERN)


def form_for(neg_type: NegType, output: OutputForm) -> OutputForm:
    """The form actually used for a type: edit only where an edit is defined."""
    return "edit" if output == "edit" and neg_type in EDIT_TYPES else "sentence"


@dataclass(frozen=True)
class Spans:
    """The words of one caption an edit of one type may name, the ones left out because they repeat, and for a
    swap the ordered pairs the checks would not reject on the caption's parse alone (an exchange of two
    attributes of one noun, of conjuncts, or of the two sides of "next to" keeps the scene)."""

    candidates: list[str]
    repeated: list[str]
    pairs: list[tuple[str, str]] = field(default_factory=list)
    # A replace with same-kind choices: each candidate's possible new words (a candidate without any is left out).
    alternatives: dict[str, list[str]] = field(default_factory=dict)


def candidate_spans(
    neg_type: NegType,
    caption: str,
    tagger: PosTagger,
    choices: ReplaceChoices = "free",
    relations: RelationTable | None = None,
) -> Spans:
    """Single words the checks would take as this type's spans, in caption order, each once.

    From the caption's own analysis, the one the validators read, so a span offered here is one they accept
    (a noun modifying a noun, "*dirt* bike", is an attribute, not a noun). A word that occurs twice in the
    caption is left out: `dog -> cat` would not say which dog, and the regex cannot ask a small model for an
    occurrence index reliably. For reshuffle the spans are whole noun phrases (`phrase_spans`). With `relations`,
    an exchange is offered only where it trades no relation the table knows for one it does not
    (`validate.relations`).
    """
    analysis = tagger.analyze([caption])[0]
    if neg_type in PHRASE_TYPES:
        return phrase_spans(caption, analysis, relations)
    counts = Counter(w.text for w in analysis)
    nameable = _nameable(caption)
    candidates: list[str] = []
    repeated: list[str] = []
    where: dict[str, int] = {}
    for i in editable_words(neg_type, analysis):
        token = analysis[i].text
        if token not in nameable:
            continue
        target = repeated if counts[token] > 1 else candidates
        if token not in target:
            target.append(token)
            where[token] = i
    pairs: list[tuple[str, str]] = []
    if neg_type in SWAP_TYPES:
        # Filtered before the cap: eight colours of one kite must not hide "red <-> white" of another noun.
        pairs = [
            (a, b)
            for a in candidates
            for b in candidates
            if a != b
            and _same_kind(analysis, where[a], where[b])
            and not exchange_keeps_scene(analysis, where[a], where[b])
            and not (neg_type == NegType.swap_nouns and _noun_swap_clash(analysis, where[a], where[b]))
            and (neg_type != NegType.swap_nouns or _relation_changes(analysis, where[a], where[b], relations))
            and (
                neg_type != NegType.swap_adjectives
                or same_dimension(a, b)
                and not _listed(analysis, where[a], where[b])
            )
        ][:MAX_SWAP_PAIRS]
    if neg_type == NegType.replace_nouns:
        # A plural the lemmatizer does not know ("pans": a verb to it) would take a singular in its place.
        candidates = [c for c in candidates if analysis[where[c]].tag != "NNS" or plural(c)]
    alternatives: dict[str, list[str]] = {}
    if neg_type not in SWAP_TYPES and choices == "same_kind":
        in_caption = frozenset(counts) | frozenset(w.lemma for w in analysis)
        alternatives = same_kind_alternatives(neg_type, candidates, in_caption)
        if neg_type == NegType.replace_nouns:
            for c in [c for c in alternatives if _stuff_slot(analysis, where[c])]:
                alternatives[c] = [w for w in alternatives[c] if mass_noun(w)]
            alternatives = {c: a for c, a in alternatives.items() if a}
        candidates = [c for c in candidates if c in alternatives]
    return Spans(candidates, repeated, pairs, alternatives)


# Determiners after which a singular count noun reads ("a box", "the box"; not "some box", "a pile of box").
_COUNTING_DETERMINERS = frozenset("a an the this that each every another one either neither".split())


def _stuff_slot(analysis: Analysis, i: int) -> bool:
    """Is noun i singular with nothing that counts it ("a pile of green *luggage*", "some *water*")? Only stuff
    reads there: a thing replacing it would need a plural the replace does not give ("a pile of green box")."""
    if analysis[i].tag != "NN":
        return False
    return not any(
        w.head == i and (w.dep == "poss" or (w.dep in ("det", "nummod") and w.text in _COUNTING_DETERMINERS))
        for k, w in enumerate(analysis)
        if k != i
    )


def phrase_spans(caption: str, analysis: Analysis, relations: RelationTable | None = None) -> Spans:
    """Reshuffle's spans: the caption's noun phrases (`neggen.edits.reorders`), and as pairs, in caption order, those
    whose exchange changes a binding. A phrase whose words occur twice in the caption is left out (apply_edit
    edits the first occurrence: "a dog" of "a dog bed" before the dog), and so is one with a word an answer
    cannot name (`_nameable`: "t-shirt", non-ASCII)."""
    tokens = [w.text for w in analysis]
    nameable = _nameable(caption)

    def text(span: range) -> str:
        return " ".join(tokens[span.start : span.stop])

    def occurrences(span: range) -> int:
        n = len(span)
        return sum(tokens[i : i + n] == tokens[span.start : span.stop] for i in range(len(tokens) - n + 1))

    candidates: list[str] = []
    repeated: list[str] = []
    for phrase in noun_phrases(analysis):
        if not all(t in nameable for t in tokens[phrase.start : phrase.stop]):
            continue
        target = repeated if occurrences(phrase) > 1 else candidates
        if text(phrase) not in target:
            target.append(text(phrase))
    pairs = [
        (text(a), text(b))
        for a, b in phrase_pairs(analysis)
        if text(a) in candidates
        and text(b) in candidates
        and _scene_after_exchange(analysis, a, b)
        and _relation_changes(analysis, a.stop - 1, b.stop - 1, relations)
    ][:MAX_SWAP_PAIRS]
    return Spans(candidates, repeated, pairs)


def _relation_changes(analysis: Analysis, i: int, j: int, relations: RelationTable | None) -> bool:
    """Does exchanging head nouns i and j change a relation the parse reads (`validate.links`: not a list
    reordered, not two of one noun), and only as the relation table, if any, allows?"""
    pairs = exchanged(analysis, i, j)
    return bool(pairs) and (relations is None or relations.allows(pairs))


def _scene_after_exchange(analysis: Analysis, a: range, b: range) -> bool:
    """Two phrases whose exchange reads as a caption of some photo: their head nouns are things of one kind
    (`validate.kinds`: "a cat looking at a woman", not "a plate sits on a pizza"), no verb is left disagreeing
    with its subject ("Two people is lying down"), and a possessive moves only with another ("her thumb <-> her
    toy", not "a woman <-> her cat")."""
    i, j = a.stop - 1, b.stop - 1
    if _possessive(analysis, a) != _possessive(analysis, b):
        return False  # "Her cat with blonde hair sleeping with a woman next to her"
    if _bare(analysis, a) != _bare(analysis, b):
        return False  # "Small child stands ... while a woman" -> "A woman stands ... while small child"
    if same_list(analysis, i, j):
        return False  # "A pineapple, a steak, and a banana sit on a cutting board": the same things
    return exchange_clash(analysis, i, j) is None and breaks_agreement(analysis, i, j) is None


_POSSESSIVES = frozenset("his her its their my your our".split())


def _counted(analysis: Analysis, i: int, j: int) -> bool:
    """Do nouns i and j differ in number, or does a number count either ("two laptops")? A swap then changes a
    count even within a list."""
    numbered = any(w.dep == "nummod" and w.head in (i, j) for w in analysis)
    return numbered or plural(analysis[i].text) != plural(analysis[j].text)


def _noun_swap_clash(analysis: Analysis, i: int, j: int) -> bool:
    """A noun swap that makes no scene (`validate.kinds.exchange_clash`), one that reorders a list of things of
    one number ("A pineapple, a steak, and a banana"; "two laptops, a lamp" -> "two lamps, a laptop" changes a
    count and stays), or one that puts a person or an animal after another's possessive ("A cat ... sleeping
    with *her woman*")."""
    if exchange_clash(analysis, i, j) is not None:
        return True
    if same_list(analysis, i, j) and not _counted(analysis, i, j):
        return True
    for owned, other in ((i, j), (j, i)):
        mine = any(w.head == owned and w.dep == "poss" and w.text in _POSSESSIVES for w in analysis)
        if mine and noun_kind(analysis[other].text) in ANIMATE_KINDS:
            return True
    return False


def _bare(analysis: Analysis, phrase: range) -> bool:
    """Is the phrase one thing named without an article, number or possessive ("small child", "injured man")?
    Captions drop them at the start; moved elsewhere, beside phrases that have one, it reads as a slip."""
    head = phrase.stop - 1
    counted = any(analysis[k].dep in ("det", "poss", "nummod") for k in phrase)
    return not counted and not plural(analysis[head].text)


def _possessive(analysis: Analysis, phrase: range) -> bool:
    """Does the phrase begin with a possessive pronoun ("her cat")? Moved alone before or after the noun it
    refers to, it refers to another."""
    return any(analysis[k].dep == "poss" and analysis[k].text in _POSSESSIVES for k in phrase)


def same_kind_alternatives(
    neg_type: NegType, candidates: list[str], in_caption: frozenset[str]
) -> dict[str, list[str]]:
    """Each candidate's new words of its own kind (none of them already in the caption); candidates without
    any are left out."""
    found = {}
    for word in candidates:
        if neg_type in NOUN_TYPES:
            options = noun_alternatives(word, avoid=in_caption)
        else:
            options = [w for w in attribute_alternatives(word) if w not in in_caption]
        if options:
            found[word] = options
    return found


def _same_kind(analysis: Analysis, i: int, j: int) -> bool:
    """Swap words of one part of speech: an adjective with an adjective, a noun modifier with a noun modifier.
    The checks accept "giraffe <-> other" as two attributes, but "A other grazing ... with giraffe wildlife"
    is not a caption anyone would write. A colour or a material is one kind however the parser tags it: "an
    *orange* cat behind a *silver* vehicle" (an adjective and a noun modifier). Nor is stuff moved where a plural
    is marked ("Two waters")."""
    same_pos = analysis[i].pos == analysis[j].pos
    alike = same_pos or _colour_or_material(analysis, i) and _colour_or_material(analysis, j)
    return alike and not stuff_into_plural(analysis, i, j)


# What WordNet reads first a colour word as, when a noun modifier means that and not the colour: "*orange*
# juice" (food), "a *navy* officer" (a group), "*violet* petals" (a plant), "*turquoise* beads" (a stone).
_NOT_THE_COLOUR = frozenset({"noun.food", "noun.group", "noun.plant", "noun.substance"})


def _colour_or_material(analysis: Analysis, k: int) -> bool:
    """Is word k a colour or a material where it stands? An adjective is; so is a material, and a colour noun
    modifier unless WordNet reads the word first as what `_NOT_THE_COLOUR` names."""
    word = analysis[k].text.lower()
    found = dimensions(word) & {COLOUR, MATERIAL}
    if not found or analysis[k].pos == Pos.ADJ or word in MATERIALS:  # "silver": a colour and a material
        return bool(found)
    senses = wordnet_synsets(word, "n")
    return not senses or senses[0].lexname() not in _NOT_THE_COLOUR


def _listed(analysis: Analysis, i: int, j: int) -> bool:
    """Are attributes i and j listed side by side, with nothing but "and", "or" and other attributes (adjectives,
    colours) between ("A black, grey and white duck", "Red and Green Peppers")? They describe one thing however the
    parser ties them, and exchanged they say the same. A number between starts another counted thing ("Two white
    and one black dog"), a noun another thing ("White sand and blue water"); two numbers count two things
    ("Three adult and two child skiers")."""
    if NUMBER in dimensions(analysis[i].text) & dimensions(analysis[j].text):
        return False
    low, high = sorted((i, j))
    return all(
        w.text in LIST_JOINS or COLOUR in dimensions(w.text) or w.pos == Pos.ADJ and not dimensions(w.text) & {NUMBER}
        for w in analysis[low + 1 : high]
    )


def _nameable(caption: str) -> set[str]:
    """Words an answer can name and apply_edit can find: plain ASCII (the answer's alphabet), spelled as in
    the raw caption (not only after NFKC: "ＤＯＧ"), and not a piece of a hyphenated word ("t" of "t-shirt",
    "year" of "ten-year-old", which an edit would split)."""
    found: set[str] = set()
    hyphenated: set[str] = set()
    for m in _RAW_WORD.finditer(caption):
        token = m.group(0).lower()
        if caption[m.end() : m.end() + 1] == "-" or caption[max(m.start() - 1, 0) : m.start()] == "-":
            hyphenated.add(token)
        elif token.isascii() and token.isalnum():
            found.add(token)
    return found - hyphenated


def edit_regex(
    neg_type: NegType,
    spans: list[str],
    pairs: list[tuple[str, str]] | None = None,
    alternatives: dict[str, list[str]] | None = None,
) -> str:
    """The full-match regex of an edit answer for these candidate spans (which must not be empty); a swap
    or a reshuffle names one of `pairs` (at most MAX_SWAP_PAIRS), by default every ordered pair of two
    different spans; a replace with
    `alternatives` names one of its span's new words, else any short words."""
    if not spans:
        raise ValueError("an edit regex needs at least one candidate span")
    if neg_type in EXCHANGE_TYPES:
        kept = spans[:MAX_SWAP_SPANS]
        if pairs is None:
            pairs = [(a, b) for a in kept for b in kept if a != b]
        if not pairs:
            raise ValueError("a swap needs two different candidate spans")
        return "(" + "|".join(f"{_literal(a)}{SWAP_ARROW}{_literal(b)}" for a, b in pairs[:MAX_SWAP_PAIRS]) + ")"
    if alternatives:
        options = [
            f"{_literal(s)}{REPLACE_ARROW}({'|'.join(_literal(w) for w in alternatives[s])})"
            for s in spans
            if alternatives.get(s)
        ]
        return "(" + "|".join(options) + ")"
    left = "|".join(_literal(s) for s in spans)
    return f"({left}){REPLACE_ARROW}{NEW_WORDS_REGEX}"


def _literal(text: str) -> str:
    """Words matched literally, spaces left as spaces (re.escape writes "\\ ", which xgrammar warns about)."""
    return " ".join(re.escape(word) for word in text.split(" "))


def constraint_for(neg_type: NegType, spans: Spans) -> str | None:
    """The regex for this caption, or None when no edit of this type is possible (no_candidate_span)."""
    if neg_type in EXCHANGE_TYPES:
        return edit_regex(neg_type, spans.candidates, spans.pairs) if spans.pairs else None
    return edit_regex(neg_type, spans.candidates, alternatives=spans.alternatives) if spans.candidates else None


def no_span_detail(neg_type: NegType, spans: Spans) -> str:
    if neg_type in PHRASE_TYPES:
        found = f"{len(spans.candidates)} unique noun phrase(s)"
        if len(spans.candidates) >= 2:
            found += (
                " but no pair whose exchange changes a binding and makes a scene (conjuncts, a symmetric relation,"
                " things of different kinds, a verb left disagreeing)"
            )
        if spans.repeated:
            found += f"; repeated, so ambiguous: {', '.join(spans.repeated[:4])}"
        return f"needs two noun phrases whose exchange changes a binding, found {found}"
    kind = "noun" if neg_type in NOUN_TYPES else "adjective"
    need = "two different" if neg_type in SWAP_TYPES else "one"
    found = f"{len(spans.candidates)} unique {kind}(s)"
    if neg_type in SWAP_TYPES and len(spans.candidates) >= 2:
        found += (
            " but no pair whose exchange changes the scene (conjuncts, attributes of one noun, a symmetric relation,"
            " nouns of different kinds)"
        )
    if spans.repeated:
        found += f"; repeated, so ambiguous: {', '.join(spans.repeated[:4])}"
    return f"needs {need} {kind} span(s), found {found}"
