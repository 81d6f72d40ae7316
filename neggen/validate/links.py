"""What a caption says of its things: relations, lemma triples read from the dependency parse.

    (subj, verb, noun)            "a dog walks"                ->  subj(walk, dog)
    (obj, verb, noun)             "wearing a coat"             ->  obj(wear, coat)
    (subj-obj, noun, noun)        "a man holds a cake"         ->  subj-obj(man, cake)
    (PREP, governor, noun)        "sitting on a couch"         ->  on(sit, couch);  "plate of food" -> of(plate, food)
    (subj PREP, noun, noun)       "a cat lying on a shelf"     ->  subj on(cat, shelf)

The lemmas are the tagger's ("riding" is `rid`). An exchange of two nouns (swap_nouns, reshuffle) is read as
the relations it changes: `exchanged` on the caption's own parse (the edit form's offer), `changed` from the
caption's and the negative's parses (the validators). The rules refuse an exchange that changes none
(`validate.rules`); the table of attested relations refuses one that makes a relation real captions never show
(`validate.relations`).
"""

from __future__ import annotations

from dataclasses import dataclass

from neggen.text.pos import Analysis, Pos
from neggen.validate.bindings import OBJECT_DEPS, SUBJECT_DEPS, preposition, subject

Relation = tuple[str, str, str]  # (relation, governor lemma, dependent lemma)


@dataclass(frozen=True)
class Link:
    """One relation of a parse, by word index: `dependent` (a noun) stands in `relation` to `governor` (a verb
    or a noun; for "subj PREP" and subj-obj, the verb's subject noun)."""

    relation: str
    governor: int
    dependent: int


def links(words: Analysis) -> list[Link]:
    """The relations of a parsed caption, each between a noun and the verb or noun it attaches to."""
    found: list[Link] = []
    for i, w in enumerate(words):
        if w.pos != Pos.NOUN or w.dep == "compound":
            continue
        head = words[w.head]
        if w.dep == "pobj" and head.dep == "prep":
            name, gov = preposition(words, w.head)
            if words[gov].pos == Pos.VERB:
                found.append(Link(name, gov, i))
                s = subject(words, gov)
                if s is not None and words[s].pos == Pos.NOUN:
                    found.append(Link(f"subj {name}", s, i))
            elif words[gov].pos == Pos.NOUN:
                found.append(Link(name, gov, i))
        elif w.dep in OBJECT_DEPS and head.pos == Pos.VERB:
            found.append(Link("obj", w.head, i))
            s = subject(words, w.head)
            if s is not None and words[s].pos == Pos.NOUN:
                found.append(Link("subj-obj", s, i))
        elif w.dep in SUBJECT_DEPS and head.pos == Pos.VERB:
            found.append(Link("subj", w.head, i))
    return found


def relations(words: Analysis) -> set[Relation]:
    """The caption's relations as lemma triples."""
    return {(k.relation, words[k.governor].lemma, words[k.dependent].lemma) for k in links(words)}


def exchanged(words: Analysis, i: int, j: int) -> list[tuple[Relation, Relation]]:
    """Each relation an exchange of head nouns i and j changes, as (the caption's, the exchanged caption's),
    read off the caption's own parse (the edit form's offer: one noun, or a noun phrase ending in its noun)."""
    lemma = {k: w.lemma for k, w in enumerate(words)}
    moved = {**lemma, i: lemma[j], j: lemma[i]}
    pairs = []
    for k in links(words):
        before = (k.relation, lemma[k.governor], lemma[k.dependent])
        after = (k.relation, moved[k.governor], moved[k.dependent])
        if after != before:
            pairs.append((before, after))
    return pairs


def changed(caption: Analysis, negative: Analysis) -> list[tuple[Relation, Relation]]:
    """The relations a negative has in place of its caption's, read from both parses: each new relation paired
    with each lost one of the same name that shares an end with it in place (`obj(wear, suitcase)` for
    `obj(wear, coat)`) or has its two ends reversed (`on(shelf, cat)` for `on(cat, shelf)`). Words that moved
    together keep their relations, whatever the spans and however they were written."""
    before, after = relations(caption), relations(negative)
    lost, made = before - after, after - before
    pairs = [
        (b, a)
        for a in made
        for b in lost
        if a[0] == b[0] and (a[1] == b[1] or a[2] == b[2] or (a[1], a[2]) == (b[2], b[1]))
    ]
    return sorted(pairs, key=lambda p: (p[1], p[0][1] != p[1][1], p[0]))  # the same governor's first


def show(relation: Relation) -> str:
    name, governor, dependent = relation
    return f"{name}({governor}, {dependent})"
