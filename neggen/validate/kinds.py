"""What kind of thing a noun names, so that an exchange of two nouns makes a scene a photo could show.

A swap of two nouns (or reshuffle's exchange of two noun phrases) keeps every word and moves two things into
each other's places. When the two are of different kinds the result is almost never a scene: a person and an
object ("an umbrella holding a bag"), food and its dish ("a plate sits on a pizza"), a thing and the place it is
in ("a street parked on a bus", "a station pulling into a train"), a drink and food ("a plate of coffee"), a
whole and its part ("a wheel with a car"). Nor is it where one of the two holds, carries or contains the other
("a counter sitting on top of a device", "a bottle holding a table", "a tray of food sitting on a plate"), where
one person or animal acts on the other ("a sheep sheering a child"), where one is likened to the other ("a cake
shaped like a cup"), or where the exchange keeps the scene (the two sides of "near", two people "with" each
other, "man" and "guy", a list, one thing with the place the other is at, two things one person wears, two
people no sex or age tells apart). Labelled rows of the quality set (tests/data/quality) and of rounds 5-9's
holdouts (docs/negatives.md) show these as the swaps a careful annotator throws away; exchanges of two things
of one kind placed beside each other ("a cat looking at a woman", "a sausage with an omelet", "an umbrella under
a light") are the ones kept.

Kinds come from WordNet (the first of a noun's first four senses under a visible lexicographer file, a person
or an animal only as its first sense, never a named entity; then that sense's hypernyms): person, animal,
large animal, food, drink, large thing (vehicles, furniture), small thing (other artifacts), place
(structures, ways, rooms, surfaces, land, water, sky) and stuff. Nouns of no such kind (an act, an event, a
part, a portion, a body part, a colour, the picture) get None and are exchanged with nothing; places and stuff
are exchanged with nothing either.

Without WordNet (meaning checks off, not installed) nothing is refused here.
"""

from __future__ import annotations

from functools import lru_cache

from neggen.text.pos import Analysis, Pos
from neggen.validate.bindings import conj_root, participant, preposition, resolve_relative, symmetric_sides
from neggen.validate.lexical import has_wordnet, wordnet_relation, wordnet_synsets
from neggen.validate.rules import COLOURS
from neggen.validate.spans import singular

# Hypernyms that make a noun a place something else is in or on, not a thing to move about.
_PLACE_SYNSETS = (
    "structure.n.01",
    "way.n.06",
    "area.n.05",
    "surface.n.01",
    "geological_formation.n.01",
    "land.n.04",
    "land.n.01",
    "body_of_water.n.01",
    "facility.n.01",
    "region.n.03",
    "location.n.01",
    "tract.n.01",
    "sky.n.01",
    "atmosphere.n.05",
    "field.n.01",
)
_LARGE_SYNSETS = ("conveyance.n.03", "craft.n.02", "furniture.n.01", "home_appliance.n.01")
_PERSON_SYNSETS = ("person.n.01",)
# What is drunk or spooned: it fills a cup or a bowl, never a plate ("a plate of coffee", "a cup of pancakes").
_DRINK_SYNSETS = ("beverage.n.01", "soup.n.01", "juice.n.01")
_ANIMAL_SYNSETS = ("animal.n.01",)
# Animals bigger than a person: one carried by, sitting on or held by a person makes no photo.
_LARGE_ANIMAL_SYNSETS = ("ungulate.n.01", "proboscidean.n.01", "bear.n.01", "giraffe.n.01", "cetacean.n.01")
# Words a caption uses for people that WordNet files elsewhere: groups ("with *people*", "a *crowd* watching")
# and "male", "female" (animals first to WordNet).
_GROUPS = frozenset("people crowd crowds family spectators".split())
_PEOPLE = _GROUPS | {"male", "males", "female", "females"}
# A person noun's sex and age. A replacement must contradict what the old word says ("man" -> "woman", "child" ->
# "man"); "child" -> "boy" or "player" -> "woman" may still be true. An exchange of two people nothing tells
# apart ("boys" <-> "kids", "surfers" <-> "man") may describe the same scene.
PERSON_FEATURES: dict[str, tuple[str | None, str | None]] = {
    **dict.fromkeys(("man", "guy", "gentleman"), ("male", "adult")),
    **dict.fromkeys(("woman", "lady"), ("female", "adult")),
    "adult": (None, "adult"),
    "male": ("male", None),
    "female": ("female", None),
    "boy": ("male", "young"),
    "girl": ("female", "young"),
    **dict.fromkeys(("child", "kid", "teenager", "youngster"), (None, "young")),
    **dict.fromkeys(("baby", "toddler", "infant"), (None, "baby")),  # "a girl holds a baby" is not "a boy"
}
# Ages from the youngest; a person of no known age is taken for an adult. The younger does not carry the older
# ("a child holding a man", "a baby holding a girl") by one of `_CARRYING`.
_AGES = {"baby": 0, "young": 1, "adult": 2}
# Verbs by which one holds another up.
_CARRYING = frozenset({"hold", "carry", "lift", "cradle"})
# Words for a part, a portion, an amount or the picture, whatever WordNet files them under: "a *slice* of pizza"
# <-> "a pizza of slice" exchanges no things.
_NO_THINGS = frozenset(
    "slice slices piece pieces half halves bunch bunches group groups couple pair pairs herd herds flock flocks "
    "lot lots pile piles stack stacks row rows set sets variety assortment bundle view views picture pictures "
    "photo photos image images shot closeup background foreground front side sides top bottom middle center "
    "edge corner end back area areas kind type sort one ones other others thing things item items object objects "
    "part parts leg legs hand hands foot feet head heads arm arms face faces eye eyes ear ears mouth nose neck "
    "hair".split()
)
# WordNet files under which a visible noun's sense may be found.
_VISIBLE = frozenset(
    "noun.person noun.animal noun.artifact noun.food noun.plant noun.object noun.location noun.substance".split()
)
_SENSES = 4
# Nouns WordNet reads first as an animal that photos show as things: COCO's "baseball bat" and (computer) "mouse".
THINGS_FIRST = frozenset({"bat", "mouse"})
# Nouns WordNet reads first as a person, with a use in its sense-tagged corpus, that captions mean as a thing or an
# animal: a game "controller", a "tiger", "speakers", a car's "hood". A person-first noun whose person senses have
# no use there ("hotdog", "comforter", "monitor", "toaster") is read as its first other sense without this list.
SELDOM_PEOPLE = frozenset({"controller", "tiger", "speaker", "hood"})

PERSON, SMALL_ANIMAL, LARGE_ANIMAL = "person", "animal", "large animal"
ANIMATE_KINDS = frozenset({PERSON, SMALL_ANIMAL, LARGE_ANIMAL})
FOOD, DRINK, LARGE, SMALL, PLACE, STUFF = "food", "drink", "large thing", "small thing", "place", "stuff"
# Kinds two of which may exchange places; two places ("a farm across a mountain") or two kinds of stuff mostly
# make no scene, or the same one.
EXCHANGEABLE = frozenset({PERSON, SMALL_ANIMAL, LARGE_ANIMAL, FOOD, DRINK, LARGE, SMALL})
# Kinds of different names that may still exchange: a person and a dog or cat ("a cat looking at a woman"), two
# animals ("a zebra watching a lion"). A large thing and a small one only where neither holds the other
# (`_SUPPORTS`): "a chair behind a lamp", not "a counter on a device".
_COMPATIBLE = frozenset({frozenset({PERSON, SMALL_ANIMAL}), frozenset({SMALL_ANIMAL, LARGE_ANIMAL})})
_SIZES = frozenset({LARGE, SMALL})
# Prepositions by which one thing stands on or in another: two things of one kind exchange there only if of one
# size, which WordNet does not say ("a tray of food sitting on a plate").
_ON = frozenset({"on", "onto", "in", "into", "inside", "atop", "on top of"})
# Prepositions by which one thing is on, over or under another: a large and a small animal do not exchange there
# ("a horse stands over a dog").
_POSITIONS = _ON | {"over", "above", "under", "underneath", "beneath", "below"}
# Prepositions by which a thing holds or contains another: "a desk *with* a keyboard", "scissors *in* a cup".
_HOLDING = _ON | {"with", "of"}
# Prepositions by which one thing holds, carries or contains another: exchanging a large and a small thing there
# puts the large one on, in or under the small one.
_SUPPORTS = frozenset(
    "on onto in into inside at with of atop under underneath beneath over above below against by".split()
)


def _sense(lemma: str):
    """The sense a caption means: the first of the first four noun senses filed under a visible kind, a person
    or an animal only as the word's first sense (a "mug" is no chump, "grass" no informer, "games" no hunted
    animals) and never for the things of `THINGS_FIRST` (a "bat" is a baseball bat), never a named one ("fries"
    are no Christopher Fry). A noun seldom a person (`_seldom_a_person`) is read without its person senses, so
    its first other sense counts as its first ("tiger": the animal)."""
    senses = wordnet_synsets(lemma, "n")[:_SENSES]
    if senses and senses[0].name() == "person.n.01":
        return senses[0]
    if _seldom_a_person(lemma, senses):
        senses = [s for s in senses if s.lexname() != "noun.person"]
    animate_first = lemma not in THINGS_FIRST
    return next(
        (
            s
            for k, s in enumerate(senses)
            if s.lexname() in _VISIBLE
            and (k == 0 and animate_first or s.lexname() not in ("noun.person", "noun.animal"))
            and not s.instance_hypernyms()
        ),
        None,
    )


def _seldom_a_person(lemma: str, senses: list) -> bool:
    """Is a noun whose first sense is a person one captions mean as something else: another sense among its
    first four is visible, and its person senses have no use in WordNet's sense-tagged corpus ("a *hotdog* in a
    bun") or it is one of `SELDOM_PEOPLE`? "batter" (2 uses) and "pitcher" (15) stay people."""
    if not senses or senses[0].lexname() != "noun.person":
        return False
    if not any(s.lexname() in _VISIBLE and s.lexname() != "noun.person" for s in senses):
        return False
    from neggen.text.wordnet import load

    base = load().morphy(lemma, "n") or lemma  # "mans": the uses of "man"
    uses = sum(x.count() for s in senses if s.lexname() == "noun.person" for x in s.lemmas() if x.name() == base)
    return uses == 0 or lemma in SELDOM_PEOPLE


def sex(person: str) -> str | None:
    return PERSON_FEATURES.get(person, (None, None))[0]


def tells_apart(person: str, other: str) -> bool:
    """Does `other` say something `person` rules out (a sex or an age)? Two roles ("skier", "snowboarder") are
    told apart by what they do."""
    features, other_features = PERSON_FEATURES.get(person, (None, None)), PERSON_FEATURES.get(other, (None, None))
    if not any(features + other_features):
        return True
    return any(a and b and a != b for a, b in zip(features, other_features, strict=True))


@lru_cache(maxsize=1)
def _named() -> dict[str, frozenset]:
    from neggen.text.wordnet import load

    wn = load()
    groups = {
        "place": _PLACE_SYNSETS,
        "large": _LARGE_SYNSETS,
        "person": _PERSON_SYNSETS,
        "drink": _DRINK_SYNSETS,
        "animal": _ANIMAL_SYNSETS,
        "large animal": _LARGE_ANIMAL_SYNSETS,
    }
    return {name: frozenset(wn.synset(s) for s in synsets) for name, synsets in groups.items()}


def _ancestors(sense) -> frozenset:
    return frozenset({sense, *sense.closure(lambda s: s.hypernyms() + s.instance_hypernyms())})


@lru_cache(maxsize=65536)
def noun_kind(word: str) -> str | None:
    """The kind of thing a noun (any number) names, or None when it names no movable thing of a scene."""
    lemma = singular(word.lower().replace(" ", "_"))
    if lemma in _PEOPLE or word.lower() in _PEOPLE:
        return PERSON
    if lemma in _NO_THINGS or word.lower() in _NO_THINGS or lemma in COLOURS:  # "wearing *white*": no white person
        return None
    sense = _sense(lemma)
    if sense is None:
        return None
    above, named = _ancestors(sense), _named()
    if sense.lexname() == "noun.person" or above & named["person"]:
        return PERSON
    if sense.lexname() == "noun.animal" or above & named["animal"]:
        return LARGE_ANIMAL if above & named["large animal"] else SMALL_ANIMAL
    if above & named["drink"]:
        return DRINK
    if sense.lexname() in ("noun.food", "noun.plant"):
        return FOOD
    if sense.lexname() in ("noun.location", "noun.object") or above & named["place"]:
        return PLACE
    if sense.lexname() == "noun.substance":
        return STUFF
    return LARGE if above & named["large"] else SMALL


@lru_cache(maxsize=65536)
def _part_of(a: str, b: str) -> bool:
    """Is b a part of a, or, for an artifact, of what a is a kind of ("wheel" of "car": its "car wheel" is a
    wheel; "bristle" of "brush")?"""
    sa, sb = _sense(singular(a)), _sense(singular(b))
    if sa is None or sb is None:
        return False
    wholes, frontier = {sa}, {sa}
    # Up the hypernyms of artifacts only: a food's ("dish", "nutriment") list any food as their part.
    for _ in range(1 if sa.lexname() == "noun.artifact" else 0):
        frontier = {h for s in frontier for h in s.hypernyms()}
        wholes |= frontier
    parts = {p for w in wholes for p in w.closure(lambda s: s.part_meronyms())}
    parts |= set(sa.closure(lambda s: s.substance_meronyms()))  # what it is made of, itself only
    # A part that is a kind of b a step down ("car wheel" of "wheel"), not anything under "device".
    return bool(_ancestors(sb) & parts) or any(sb in p.hypernyms() for p in parts)


def kind_clash(a: str, b: str) -> str | None:
    """Why exchanging nouns a and b would make no scene a photo shows (two kinds, a place, a part and its
    whole, a name for the same thing), or None. A large and a small thing pass here (see `exchange_clash`)."""
    if not has_wordnet():
        return None
    ka, kb = noun_kind(a), noun_kind(b)
    if ka is None or kb is None:
        return f"{(a if ka is None else b)!r} names no thing to move"
    if ka not in EXCHANGEABLE or kb not in EXCHANGEABLE:
        bad = ka if ka not in EXCHANGEABLE else kb
        return f"{(a if ka not in EXCHANGEABLE else b)!r} is a {bad}, not a thing to move"
    if ka != kb and frozenset({ka, kb}) not in _COMPATIBLE | {_SIZES}:
        return f"{a!r} ({ka}) and {b!r} ({kb}) are of different kinds"
    if _part_of(a, b) or _part_of(b, a):
        return f"{a!r} and {b!r} are a whole and its part"
    la, lb = singular(a.lower()), singular(b.lower())
    if la != lb:
        relation = wordnet_relation(la, lb, Pos.NOUN) or wordnet_relation(lb, la, Pos.NOUN)
        if relation:
            return f"{a!r} and {b!r}: {relation}"
    return None


def _name(words: Analysis, i: int) -> str:
    """Noun i with the noun before it where WordNet names the two as one thing ("teddy bear", "stop sign")."""
    if i > 0 and words[i - 1].pos == Pos.NOUN and words[i - 1].dep == "compound" and words[i - 1].head == i:
        joined = f"{words[i - 1].text}_{singular(words[i].text)}"
        if has_wordnet() and wordnet_synsets(joined, "n"):
            return joined.replace("_", " ")
    return words[i].text


def _held(words: Analysis, i: int, names: frozenset[str] = _SUPPORTS) -> bool:
    """Is noun i the object of a preposition by which something holds, carries or contains it? "in front of"
    is one preposition, which holds nothing for all its "of"."""
    w = words[i]
    if w.dep != "pobj" or words[w.head].dep != "prep":
        return False
    name = preposition(words, w.head)[0]
    if name == "in front of":  # "on the front of a bus" still holds: it is the supporting "on"
        return False
    return words[w.head].text in names or name in names


def _subjects(words: Analysis, verb: int) -> set[int]:
    """The nouns doing what a verb says: its subject, or the subject of the verb it is joined to ("a man sitting
    down *holding* a cat"), or the noun a participle clause modifies ("a dog *chasing* a cat")."""
    seen: set[int] = set()
    while verb not in seen:
        seen.add(verb)
        found = {
            resolve_relative(words, k)  # "a truck *that* has boxes": the truck
            for k, w in enumerate(words)
            if w.head == verb and k != verb and w.dep in ("nsubj", "nsubjpass")
        }
        if found:
            return found
        w = words[verb]
        if w.dep in ("acl", "relcl"):
            return {w.head}
        if w.dep not in ("advcl", "conj", "xcomp") or words[w.head].pos != Pos.VERB:
            return set()
        verb = w.head
    return set()


def _on(words: Analysis, i: int, j: int, names: frozenset[str] = _ON) -> bool:
    """Does noun j stand on or in noun i ("a plate of food sitting on a black tray": the plate on the tray), or
    by another of `names`?"""
    w = words[i]
    if w.dep != "pobj" or words[w.head].dep != "prep":
        return False
    name, gov = preposition(words, w.head)
    return (words[w.head].text in names or name in names) and j in (gov, participant(words, gov))


def _with(words: Analysis, i: int, j: int) -> bool:
    """Is noun j with noun i, or with what i does ("a man playing games *with* a woman")? Two people or animals
    are then together either way round."""
    w = words[conj_root(words, j)]
    if w.dep != "pobj" or words[w.head].text != "with":
        return False
    gov = words[w.head].head
    roots = {i, conj_root(words, i)}  # "a man and two girls sitting on a couch with a dog": the girls are with it
    return gov in roots or (words[gov].pos == Pos.VERB and bool(roots & _subjects(words, gov)))


# Words that may stand between two members of one list ("a fridge, a trash can and an oven"; the tokens carry no
# commas). Nouns side by side are a compound or a list: neither exchanges.
_LIST_POS = frozenset({Pos.DET, Pos.NUM, Pos.ADJ, Pos.NOUN})
LIST_JOINS = frozenset({"and", "or"})


def same_list(words: Analysis, i: int, j: int) -> bool:
    """Are nouns i and j members of one list ("a steak, a pineapple, and a banana"), which the parser may tie
    with an apposition rather than as conjuncts, or not tie at all ("a dishwasher, oven and microwave": nothing
    but determiners, numbers, adjectives, nouns and "and" between them)? Exchanging them lists the same
    things."""
    ri, rj = conj_root(words, i), conj_root(words, j)
    if ri == rj:
        return True
    if any(words[x].dep == "appos" and conj_root(words, words[x].head) == y for x, y in ((ri, rj), (rj, ri))):
        return True
    # This also takes two clauses ("feeding a giraffe and a zebra is watching"): the parser's subjects are no
    # guide, since it reads "a brown hat and a uniform shirt is holding" as one.
    lo, hi = sorted((i, j))
    return all(w.pos in _LIST_POS or w.text in LIST_JOINS for w in words[lo + 1 : hi])


def _holds(words: Analysis, holder: int, held: int) -> bool:
    """Does noun `holder` hold, carry or contain noun `held`: `held` is the object of a preposition by which
    something holds it ("a desk *with* a keyboard", "scissors *in* a cup") attached to `holder` or to what it
    does, or the direct object of a verb it does ("a table *holding* a glass", "a pizza *containing*
    mushrooms")? A conjunct stands where its first conjunct stands ("a desk with a keyboard, laptop and
    monitor")."""
    root, own = conj_root(words, held), conj_root(words, holder)
    w = words[root]
    if w.dep == "pobj" and words[w.head].dep == "prep":
        name, gov = preposition(words, w.head)
        if name not in _HOLDING:  # "on top of" holds; "in front of" does not, for all its "of"
            return False
        return own in (conj_root(words, gov), participant(words, gov)) or (
            words[gov].pos == Pos.VERB and own in _subjects(words, gov)
        )
    return w.dep == "dobj" and words[w.head].pos == Pos.VERB and own in _subjects(words, w.head)


def _with_at(words: Analysis, i: int, j: int) -> bool:
    """Is one of nouns i and j with the place the other is at ("a television sitting on a stand *with* video
    devices", "a banana is on a plate with cookies")? Exchanged, both are still there together, unless a phrase
    of one's own stays behind ("a bed *with stacked pillows* is in a bedroom with a chair")."""
    for a, b in ((i, j), (j, i)):
        w = words[conj_root(words, b)]
        if w.dep != "pobj" or words[w.head].text != "with":
            continue
        place = words[w.head].head
        if words[place].pos != Pos.NOUN or words[place].dep != "pobj" or words[words[place].head].dep != "prep":
            continue
        at = words[place].head  # the preposition that puts a at the place ("at a desk", "in front of a desk")
        chain, k = set(), at
        while k not in (i, j) and k not in chain:
            chain.add(k)
            k = words[k].head
        if any(x.dep == "prep" and x.head in (i, j) and n not in chain for n, x in enumerate(words)):
            continue
        _, gov = preposition(words, at)
        if conj_root(words, a) == gov or conj_root(words, a) in _subjects(words, gov):
            return True
    return False


# Words that liken one thing to another: exchanged across one, each becomes the other's look ("a cake shaped
# like a cup" -> "a cup shaped like a cake", "a waffle shaped cone with a banana").
_LIKENESS = frozenset({"shape", "shaped", "shapes", "resemble", "resembles", "resembling"})
_LOOK = frozenset({"look", "looks", "looking", "made"})
# What may stand between a likeness word and the thing it names: "shaped *like a* cup", "in the shape *of an*".
_LIKENESS_LINKS = frozenset({"like", "as", "of", "a", "an", "the"})


def _across_likeness(words: Analysis, i: int, j: int) -> bool:
    """Does a word that likens one thing to another ("shaped", "in the shape of", "looks like") stand between
    nouns i and j, right after the first ("a *waffle* shaped cone") or naming the second ("shaped like a *cup*")?
    "A dog that looks like it is smiling is chasing a cat" likens neither."""
    lo, hi = sorted((i, j))
    for k in range(lo + 1, hi):
        if not (words[k].text in _LIKENESS or (words[k].text in _LOOK and words[k + 1].text == "like")):
            continue
        if k == lo + 1 or all(
            w.text in _LIKENESS_LINKS or w.pos == Pos.ADJ or w.dep == "compound" for w in words[k + 1 : hi]
        ):
            return True
    return False


def _wearer(words: Analysis, i: int) -> int | None:
    """The person who wears noun i: the subject of "wear" it is the object of, or the person it is "in" or
    "with" ("a man *in* sunglasses", "a man in a suit *with* a blue tie") where it is a small thing."""
    w = words[conj_root(words, i)]
    if w.dep == "dobj" and words[w.head].lemma == "wear":
        return next(iter(_subjects(words, w.head)), None)
    if w.dep != "pobj" or words[w.head].text not in ("in", "with"):
        return None
    gov = words[w.head].head
    if noun_kind(words[i].text) != SMALL:  # "a man with two dogs and a cat" wears neither
        return None
    return gov if words[gov].pos == Pos.NOUN and noun_kind(words[gov].text) == PERSON else None


def _acts_on(words: Analysis, i: int, j: int, verbs: frozenset[str] | None = None) -> bool:
    """Does one of nouns i and j do something to the other as a verb's subject and direct object ("a child
    feeding a dog", "a boy sitting down holding a cat"), by one of `verbs` (lemmas) if given?"""
    for agent, patient in ((i, j), (j, i)):
        verb = words[patient].head
        if words[patient].dep != "dobj" or words[verb].pos != Pos.VERB or agent not in _subjects(words, verb):
            continue
        if verbs is None or words[verb].lemma in verbs:
            return True
    return False


def exchange_clash(words: Analysis, i: int, j: int) -> str | None:
    """Why exchanging the caption's nouns i and j (the head nouns of the two exchanged phrases) makes no
    scene: `kind_clash`; a large and a small thing where one holds the other ("a counter on a device"), or a
    large and a small animal where one is on, over or under the other ("a dog stands over a horse"); a person
    and an animal where one does something to the other ("a dog feeding a child"); one with the place the other
    is at (`_with_at`); one likened to the other ("a cake shaped like a cup"); two people nothing tells apart
    (`tells_apart`), or of two ages where one holds the other; two things one person wears. None where the
    exchange may make a scene."""
    a, b = _name(words, i), _name(words, j)
    clash = kind_clash(a, b)
    if clash is not None:
        return clash
    kinds = {noun_kind(a), noun_kind(b)}
    symmetric = symmetric_sides(words, i, j)
    if symmetric is not None:
        return f"{a!r} and {b!r}: {symmetric}, the same scene either way"
    if kinds <= ANIMATE_KINDS and (_with(words, i, j) or _with(words, j, i)):
        return f"{a!r} and {b!r}: one with the other, the same scene either way"
    if _with_at(words, i, j):
        return f"{a!r} and {b!r}: one with the place the other is at, the same scene either way"
    if _across_likeness(words, i, j):
        return f"{a!r} and {b!r}: one likened to the other, which the exchange turns round"
    if kinds == {PERSON}:
        la, lb = singular(a.lower()), singular(b.lower())
        groups = {a.lower(), b.lower(), la, lb} & _GROUPS  # "a crowd" is told apart from "a man" by its number
        if not groups and not tells_apart(la, lb):
            return f"{a!r} and {b!r}: nothing tells the two apart, so the exchange may be the same scene"
        ages = {_AGES.get(PERSON_FEATURES.get(w, (None, None))[1], _AGES["adult"]) for w in (la, lb)}
        if len(ages) == 2 and _acts_on(words, i, j, _CARRYING):
            return f"{a!r} and {b!r}: two ages, one holding the other"
    wearer = _wearer(words, i)
    if wearer is not None and wearer == _wearer(words, j):
        return f"{a!r} and {b!r}: two things one person wears, worn either way"
    if kinds == _SIZES and (_held(words, i) or _held(words, j)):
        return f"{a!r} and {b!r}: a large and a small thing, one holding the other"
    if kinds == {SMALL_ANIMAL, LARGE_ANIMAL} and (_on(words, i, j, _POSITIONS) or _on(words, j, i, _POSITIONS)):
        return f"{a!r} and {b!r}: a large and a small animal, one on, over or under the other"
    if kinds <= _SIZES and len(kinds) == 1 and (_on(words, i, j) or _on(words, j, i)):
        return f"{a!r} and {b!r}: one thing on or in another, whose sizes may not allow the reverse"
    if not kinds & ANIMATE_KINDS and (_holds(words, i, j) or _holds(words, j, i)):
        return f"{a!r} and {b!r}: one holding or containing the other, which the other rarely can"
    if kinds == {PERSON, SMALL_ANIMAL} and _acts_on(words, i, j):
        return f"{a!r} and {b!r}: a person and an animal, one acting on the other"
    return None
