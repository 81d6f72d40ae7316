"""Who does what to whom, from the dependency parse: the bindings a reorder must change to be a negative.

A binding ties two words: an attribute to its noun ("red" -> "car"), a noun to its verb as subject or object,
a noun to another through a preposition ("man" -on-> "beach"). Reorders that keep every binding describe
the same scene: exchanged conjuncts ("a dog and a cat"), clauses swapped around "while" / "and", the two sides
of a symmetric relation ("next to", "beside"), a passive for an active. Words are compared by their text, so
the multiset of bindings of a caption and a reorder of it (the same words) can be compared directly.
"""

from __future__ import annotations

from collections import Counter

from neggen.text.pos import Analysis, Pos, Word

Binding = tuple[str, ...]

# Relations whose two sides can be exchanged without changing the scene.
SYMMETRIC = frozenset(
    {"next to", "beside", "besides", "near", "nearby", "alongside", "across from", "opposite", "with each other"}
)
_MODIFIER = frozenset({"amod", "compound", "nummod", "nmod", "poss", "quantmod", "appos"})
SUBJECT_DEPS = frozenset({"nsubj", "csubj", "expl"})
OBJECT_DEPS = frozenset({"dobj", "nsubjpass", "dative", "oprd", "iobj"})
_PREDICATE = frozenset({"acomp", "attr"})
# A preposition's governing adverb joins its name ("next to", "across from", "close to").
_PREP_ADVERBS = frozenset({"next", "close", "across", "right", "far", "together"})
_RELATIVE = frozenset({"who", "which", "that", "whom"})


def _effective(words: Analysis, i: int) -> tuple[str, int]:
    """Dependency and head of word i, with a conjunct standing where its first conjunct stands."""
    w = words[i]
    seen = {i}
    while w.dep == "conj" and words[w.head].pos != Pos.VERB and w.head not in seen:
        seen.add(w.head)
        w = words[w.head]
    return w.dep, w.head


def subject(words: Analysis, verb: int) -> int | None:
    for j, w in enumerate(words):
        if w.head == verb and j != verb and w.dep in SUBJECT_DEPS:
            return resolve_relative(words, j)
    if words[verb].dep in ("acl", "relcl"):
        return words[verb].head  # "a dog chasing a cat": the noun the clause modifies does the chasing
    return None


def resolve_relative(words: Analysis, i: int) -> int:
    """A relative pronoun stands for the noun its clause modifies ("a man who holds ...")."""
    w = words[i]
    if w.text in _RELATIVE and words[w.head].dep == "relcl":
        return words[w.head].head
    return i


def _group(words: Analysis, i: int) -> str:
    """A noun with its conjuncts, in a fixed order: "a dog and a cat on a couch" puts both on the couch,
    wherever the parser attached the phrase."""
    members = _conjuncts(words, i)
    return ",".join(sorted(_noun(words, j) for j in members)) if len(members) > 1 else _noun(words, i)


def _conjuncts(words: Analysis, i: int) -> set[int]:
    """Noun i and the nouns conjoined with it ("a dog and a cat")."""
    root = conj_root(words, i)
    return {root} | {j for j, w in enumerate(words) if w.dep == "conj" and conj_root(words, j) == root}


def _conjuncts_have_own(words: Analysis, gov: int, name: str) -> bool:
    """Does another conjunct of gov carry its own `name` relation? Then each keeps its own: in "a pot of soup and
    a kettle of water" the soup is the pot's, while in "a dog and a cat on a couch" both are on the couch."""
    others = _conjuncts(words, gov) - {gov}
    # A relation of another name counts too ("donuts in a box and meat on a plate"), except "of", which belongs
    # to the noun phrase ("a type of meat").
    return any(
        w.dep == "prep" and w.head in others and (w.text != "of" or preposition(words, j)[0] == name)
        for j, w in enumerate(words)
    )


def conj_root(words: Analysis, j: int) -> int:
    """The first noun of the list noun j is joined into ("a cat and *a dog*" -> cat); j itself when in none."""
    seen = {j}
    while words[j].dep == "conj" and words[words[j].head].pos == Pos.NOUN and words[j].head not in seen:
        j = words[j].head
        seen.add(j)
    return j


def preposition(words: Analysis, prep: int) -> tuple[str, int]:
    """The preposition's name and the word it attaches to, collapsing "next to", "in front of", "on top of"."""
    name, gov = words[prep].text, words[prep].head
    if words[gov].text in _PREP_ADVERBS and gov < prep:
        name, gov = f"{words[gov].text} {name}", words[gov].head
    elif words[gov].dep == "pobj" and words[words[gov].head].dep == "prep" and name == "of":
        outer = words[gov].head  # "in front of X": X hangs off "front", which hangs off "in"
        name, gov = f"{words[outer].text} {words[gov].text} of", words[outer].head
    return name, gov


def participant(words: Analysis, gov: int) -> int:
    """Who stands in a relation attached to gov: a noun itself, or a verb's (or "is"'s) object else subject."""
    if words[gov].pos == Pos.NOUN:
        return gov
    for j, w in enumerate(words):
        if w.head == gov and j != gov and w.dep == "dobj":
            return j
    doer = subject(words, gov)
    return gov if doer is None else doer


def _noun(words: Analysis, i: int) -> str:
    """A noun with its attributes: in "a green moon right of a pink moon" the two moons differ."""
    mods = sorted(words[j].text for j in range(len(words)) if j != i and _effective(words, j) == ("amod", i))
    mods += sorted(
        words[j].text for j in range(len(words)) if words[j].head == i and words[j].dep in ("compound", "nummod")
    )
    return f"{words[i].text}[{','.join(mods)}]" if mods else words[i].text


def _node(words: Analysis, i: int) -> str:
    """A word as a binding's end; a verb goes with its subject ("holding" by the hands vs by the hand)."""
    w = words[i]
    if w.pos != Pos.VERB:
        return _noun(words, i) if w.pos == Pos.NOUN else w.text
    doer = subject(words, i)
    if doer is None:
        return w.text
    # "A and B hug": both conjuncts are the subject, in either order.
    group = {doer} | {j for j, x in enumerate(words) if x.dep == "conj" and _effective(words, j)[1] == i}
    group |= {j for j, x in enumerate(words) if x.dep == "conj" and x.head == doer}
    return f"{w.text}<{','.join(sorted(words[j].text for j in group))}>"


def _word_bindings(words: Analysis, i: int) -> list[Binding]:
    w: Word = words[i]
    if w.pos in (Pos.DET, Pos.OTHER) and w.dep != "pobj":
        return []
    dep, head = _effective(words, i)
    if head == i:
        return []
    h = words[head]
    if dep in _MODIFIER:
        # Keyed by the noun with all its attributes: "a small red and a large blue triangle" differs from
        # "a small blue and a large red triangle", though each colour still modifies a triangle.
        return [("mod", _noun(words, head) if h.pos == Pos.NOUN else h.text, w.text)]
    if dep in SUBJECT_DEPS and w.text not in _RELATIVE:
        return [("subj", h.text, _node(words, i))]
    if dep in OBJECT_DEPS:
        return [("obj", _node(words, head), _node(words, i))]
    if dep in _PREDICATE and w.text not in _PREP_ADVERBS:  # "is next to": "next" names the relation
        doer = subject(words, head)
        return [("mod", words[doer].text, w.text)] if doer is not None else []
    if dep == "pobj" and h.dep in ("prep", "agent"):
        if h.dep == "agent":
            return [("subj", words[h.head].text, _node(words, i))]  # "ridden by a man": the man rides
        name, gov = preposition(words, head)
        if name in SYMMETRIC:
            pair = sorted((_node(words, participant(words, gov)), _node(words, i)))
            return [("sym", name, *pair)]
        governor = _node(words, gov)
        if words[gov].pos == Pos.NOUN and not _conjuncts_have_own(words, gov, name):
            governor = _group(words, gov)
        return [(name, governor, _node(words, i))]
    if dep in ("acl", "relcl") and w.pos == Pos.VERB:
        role = "obj" if w.tag == "VBN" else "subj"  # "a pizza sliced": the pizza is what was sliced
        return [(role, w.text, _node(words, head))]
    return []


def _symmetric_subjects(words: Analysis, found: list[Binding]) -> list[Binding]:
    """ "A stands next to B" binds A to the verb and to B; "B stands next to A" too, so drop the verb link.

    Only for a verb with nothing else attached: in "A sits on a bed next to B" the subject is on the bed."""
    paired = {x for b in found if b[0] == "sym" for x in b[2:]}
    busy = {b[1].split("<")[0] for b in found if b[0] not in ("subj", "sym", "mod")}
    return [b for b in found if not (b[0] == "subj" and b[2] in paired and b[1] not in busy)]


def bindings(words: Analysis) -> Counter[Binding]:
    found = [b for i in range(len(words)) for b in _word_bindings(words, i)]
    return Counter(_symmetric_subjects(words, found))


def changed_bindings(caption: Analysis, negative: Analysis) -> bool:
    return bindings(caption) != bindings(negative)


def repeated_modifier(words: Analysis, span: range) -> str | None:
    """A word of span that modifies a noun another modifier of the same word already modifies: "red" -> "white"
    in "a red and white train" gives "a white and white train", which describes nothing."""
    for i in span:
        dep, head = _effective(words, i)
        if dep not in _MODIFIER or head == i or words[i].pos in (Pos.DET, Pos.OTHER):
            continue
        for j, w in enumerate(words):
            if j != i and w.lemma == words[i].lemma and _effective(words, j) in ((d, head) for d in _MODIFIER):
                return f"{words[i].text!r} already modifies {words[head].text!r}"
    return None


def _children(words: Analysis, h: int) -> list[int]:
    return [j for j, w in enumerate(words) if w.head == h and j != h]


def _phrase(words: Analysis, h: int, other: range, end: int, conjuncts: bool) -> set[int]:
    """h and everything under it, except its conjuncts ("dog" of "a dog and a cat") and articles, the branch
    that reaches the other span (the relation between the two: "next to a building"), and a branch after both
    spans that belongs to both."""
    out, todo = {h}, [h]
    while todo:
        for j in _children(words, todo.pop()):
            # A branch after both spans is shared when it says so ("... next to each other") or, after two
            # conjuncts, hangs on the first or is a participle clause ("A and B sleeping on a couch"); else it
            # is the second's own ("a man next to a woman in a skirt").
            shared = conjuncts and (h < other.start or words[j].dep == "acl")
            trailing = j >= end and (shared or _reciprocal(words, j))
            if j in out or words[j].dep in ("conj", "cc", "det") or trailing or _reaches(words, j, other):
                continue
            out.add(j)
            todo.append(j)
    return out


def _reciprocal(words: Analysis, j: int) -> bool:
    texts = [words[k].text for k in range(len(words)) if _dominates(words, j, k)]
    pairs = set(zip(texts, texts[1:], strict=False))
    return ("each", "other") in pairs or ("one", "another") in pairs or "together" in texts


def _reaches(words: Analysis, j: int, other: range) -> bool:
    """Does the subtree of j hold a word of `other`?"""
    return any(_dominates(words, j, k) for k in other)


def _dominates(words: Analysis, j: int, k: int) -> bool:
    seen = set()
    while k not in seen:
        if k == j:
            return True
        seen.add(k)
        k = words[k].head
    return False


def span_head(words: Analysis, span: range) -> int:
    """The word of the span whose head lies outside it."""
    inside = [i for i in span if words[i].head not in span or words[i].head == i]
    return inside[-1] if inside else span[-1]


_CLAUSE_JOINS = frozenset({"while", "whilst", "as", "and"})


def exchanged_clauses(words: Analysis, negative: list[str]) -> str | None:
    """ "A holds B while C watches" -> "C watches while A holds B": the two clauses around a "while" (or an
    "and" between two clauses, each with its verb) exchanged whole, decided on the caption's parse."""
    texts = [w.text for w in words]
    for k, word in enumerate(texts):
        if word in _CLAUSE_JOINS and 0 < k < len(texts) - 1 and negative == texts[k + 1 :] + [word] + texts[:k]:
            verbs = [any(words[i].pos == Pos.VERB for i in side) for side in (range(k), range(k + 1, len(texts)))]
            if word != "and" or all(verbs):
                return f"clauses around {word!r} exchanged"
    return None


def symmetric_exchange(words: Analysis, x: range, y: range) -> str | None:
    """Why exchanging caption spans x and y keeps the scene, decided on the caption's parse alone (the parse
    of a reordered sentence is less reliable): both are whole conjuncts of one phrase, attributes of the same
    noun, or the two sides of a symmetric relation."""
    hx, hy = span_head(words, x), span_head(words, y)
    end = max(x.stop, y.stop)
    conj = words[hx].pos == words[hy].pos == Pos.NOUN and conj_root(words, hx) == conj_root(words, hy)
    whole = _phrase(words, hx, y, end, conj) <= set(x) and _phrase(words, hy, x, end, conj) <= set(y)
    if whole and conj:
        return "exchanged conjuncts"
    if all(words[h].dep in ("amod", "acomp", "conj", "compound", "nummod") for h in (hx, hy)):
        targets = {_effective(words, h)[1] for h in (hx, hy)}
        if len(targets) == 1 and whole:
            return "attributes of the same noun"
    for a, b in ((hx, hy), (hy, hx)):
        prep = words[b].head
        if whole and words[b].dep == "pobj" and words[prep].dep == "prep":
            name, gov = preposition(words, prep)
            others = [j for j in _children(words, gov) if words[j].dep in ("dobj", "prep") and j != prep]
            if name in SYMMETRIC and participant(words, gov) == a and not (words[gov].pos == Pos.VERB and others):
                return f"the two sides of {name!r}"
    return None


def exchange_keeps_scene(words: Analysis, i: int, j: int) -> bool:
    """Would exchanging the single words i and j keep the scene, judged on the caption's parse alone? What
    symmetric_exchange says, or the two stand in the same place of the parse once conjuncts are collapsed
    ("clean and ready", "a dog and a cat"), which changed_bindings would find on the reordered sentence. The
    edit form offers no such pair."""
    same_place = _effective(words, i) == _effective(words, j)
    return same_place or symmetric_exchange(words, range(i, i + 1), range(j, j + 1)) is not None


# Relations whose sides a caption writer exchanges without meaning another scene, wherever else the two attach.
_SIDE_BY_SIDE = SYMMETRIC | {"close to", "near to"}


def symmetric_sides(words: Analysis, i: int, j: int) -> str | None:
    """Are nouns i and j the two sides of a symmetric relation ("a rhino is near an elephant", "a truck parked
    close to a car"), even where one has more attached ("... near an elephant near a water hole") or is a
    later conjunct ("a man next to a garage and a boy")? An exchange of the two then reads as the same
    scene."""
    for a, b in ((i, j), (j, i)):
        b = conj_root(words, b)  # "standing next to a garage and *a young boy*": next to the boy too
        prep = words[b].head
        if words[b].dep != "pobj" or words[prep].dep != "prep":
            continue
        name, gov = preposition(words, prep)
        if name in _SIDE_BY_SIDE and (gov == a or participant(words, gov) == a):
            return f"the two sides of {name!r}"
    return None
