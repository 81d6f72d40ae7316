"""What a replace may put where a word was: a word of the same kind that makes a different scene.

The edit form asks the model to choose the right side of a replace among these words (a regex alternation)
instead of writing any word: a colour becomes another colour, a number another number of the same grammatical
number, a material another material, a size or state its opposite; a noun becomes a sister term (another
hyponym of its WordNet hypernym or of the hypernym above: dog -> cat, horse, sheep; bench -> chair, table),
never a synonym, hypernym or hyponym that could still be true, nor a word that may be true of the same photo
(`may_still_be_true`: a part or the whole of the thing, a setting of the same kind, a class name, a person
the old word does not contradict). Every offered word is one people use in
captions (neggen/data/caption_words.txt, counted over COCO captions), so the result reads like a caption.
A word with no such alternative is not offered as a replace span at all.

The table (neggen/data/replacements.json) is built from WordNet and the caption words by `build_table`
(`python -m neggen.edits.replacements` rewrites it; a test checks the shipped file is its output), so a run reads
a small file instead of walking WordNet.
"""

from __future__ import annotations

import json
import sys
from functools import lru_cache
from pathlib import Path

import lemminflect

from neggen.text.wordnet import load as load_wordnet
from neggen.validate.kinds import THINGS_FIRST, sex, tells_apart

DATA_DIR = Path(__file__).resolve().parents[1] / "data"  # neggen/data, shipped as package data
CAPTION_WORDS_FILE = DATA_DIR / "caption_words.txt"
TABLE_FILE = DATA_DIR / "replacements.json"
# Nouns that name no thing in a photo, whatever WordNet files them under.
_NOT_THINGS = frozenset(
    "type types kind kinds lot lots stunt semi professional court bar bank line series sort crossing a at t th he "
    "there making decker boarding hanging piece".split()
)
MAX_ALTERNATIVES = 12
MIN_COUNT = 10  # a sister term must be at least this common in captions
# Categories, not kinds: two of their members are no sisters ("cake" -> "frisbee" as artifacts, "computer" ->
# "leash" as devices, "cup" -> "skateboard" as containers, "pole" -> "runway" as implements).
CATEGORIES = frozenset(
    "artifact.n.01 instrumentality.n.03 container.n.01 structure.n.01 device.n.01 object.n.01 covering.n.02 "
    "whole.n.02 implement.n.01 equipment.n.01".split()
)
# Caption nouns whose first WordNet senses are not what captions mean: a plate is no home plate.
CAPTION_SENSES = {"plate": "plate.n.04", "cake": "cake.n.03"}

# Closed kinds of attributes: a member is replaced by another member of its kind.
ATTRIBUTE_KINDS: dict[str, tuple[str, ...]] = {
    "colour": (
        "red",
        "orange",
        "yellow",
        "green",
        "blue",
        "purple",
        "pink",
        "brown",
        "black",
        "white",
        "gray",
        "silver",
    ),
    "plural number": ("two", "three", "four", "five", "six", "several", "many"),
    "material": ("wooden", "metal", "plastic", "glass", "stone", "brick", "leather", "paper", "concrete"),
    "pattern": ("striped", "checkered", "plain", "spotted", "floral"),
}
# Opposites: a member of a pair is replaced by the other (WordNet antonyms extend these).
OPPOSITES: tuple[tuple[str, str], ...] = (
    ("big", "small"),
    ("large", "small"),
    ("little", "big"),
    ("tall", "short"),
    ("long", "short"),
    ("old", "new"),
    ("young", "old"),
    ("open", "closed"),
    ("empty", "full"),
    ("wet", "dry"),
    ("clean", "dirty"),
    ("light", "dark"),
    ("hot", "cold"),
    ("sunny", "cloudy"),
    ("modern", "old"),
    ("busy", "empty"),
    ("crowded", "empty"),
    ("lit", "dark"),
    ("thick", "thin"),
    ("wide", "narrow"),
    ("high", "low"),
    ("fresh", "rotten"),
    ("sliced", "whole"),
    ("cooked", "raw"),
    ("asleep", "awake"),
    ("parked", "moving"),
    ("wild", "domestic"),
    ("indoor", "outdoor"),
    ("male", "female"),
)
_SPELLINGS = {"grey": "gray", "colourful": "colorful"}


@lru_cache(maxsize=1)
def caption_word_counts() -> dict[str, int]:
    counts = {}
    for line in CAPTION_WORDS_FILE.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            word, count = line.split("\t")
            counts[word] = int(count)
    return counts


@lru_cache(maxsize=1)
def table() -> dict[str, dict[str, list[str]]]:
    """The shipped table: {"attributes": {word: [...]}, "nouns": {noun: [...]}}."""
    return json.loads(TABLE_FILE.read_text(encoding="utf-8"))


def attribute_alternatives(word: str) -> list[str]:
    """Attributes of the same kind as `word` that say something else about the thing; [] when it has none."""
    word = _SPELLINGS.get(word.lower(), word.lower())
    return list(table()["attributes"].get(word, []))


def _attribute_alternatives(word: str) -> list[str]:
    for members in ATTRIBUTE_KINDS.values():
        if word in members:
            return [m for m in members if m != word]
    opposites = [b for a, b in OPPOSITES if a == word] + [a for a, b in OPPOSITES if b == word]
    opposites += [w for w in _wordnet_antonyms(word) if w in caption_word_counts()]
    return list(dict.fromkeys(opposites))[:MAX_ALTERNATIVES]


def _wordnet_antonyms(word: str) -> list[str]:
    wn = load_wordnet()
    found = []
    for synset in wn.synsets(word, pos="as")[:2]:
        for lemma in synset.lemmas():
            if lemma.name().lower() == word:
                found += [a.name().lower() for a in lemma.antonyms() if a.name().isalpha()]
    return found


# The kinds of things a photo shows (WordNet lexicographer files); a noun's caption sense is its first sense
# of one of these kinds, and a sister term must be of the same kind.
VISIBLE_KINDS = frozenset(
    "noun.animal noun.artifact noun.food noun.person noun.plant noun.object noun.body noun.location "
    "noun.substance".split()
)


def noun_alternatives(noun: str, avoid: frozenset[str] = frozenset()) -> list[str]:
    """Common caption nouns of a sister kind (a dog -> a cat, a horse), most frequent first, in the singular;
    none of them a synonym, hypernym or hyponym of `noun`, nor in `avoid` (the caption's other words), nor a
    person of another sex where `avoid` has a pronoun that may be this one's ("a man holding his racket")."""
    lemma = _singular(noun.lower())
    pronouns = bool(avoid & GENDERED_PRONOUNS)
    return [
        w
        for w in table()["nouns"].get(lemma, [])
        if w not in avoid and not (pronouns and sex(w) not in (None, sex(lemma)))
    ][:MAX_ALTERNATIVES]


def _singular(noun: str) -> str:
    found = lemminflect.getLemma(noun, upos="NOUN")
    return found[0] if found else noun


# Names of classes, not of things: any member of the class may be in the photo ("a train" -> "a vehicle").
CLASS_NOUNS = frozenset(
    "vehicle device container equipment structure furniture machine clothing attire outfit gear item area place "
    "stuff object thing setting habitat scene space".split()
)
# Settings of one kind are told apart by use, not by sight: a path may be called a road, a field may be a park,
# a hill a mountain.
SETTING_KINDS: tuple[frozenset[str], ...] = (
    frozenset({"way.n.06"}),
    frozenset({"tract.n.01"}),
    frozenset({"natural_elevation.n.01", "slope.n.01"}),
)
# Words captions use for one thing that WordNet files apart.
NEAR_SYNONYMS: tuple[frozenset[str], ...] = (
    frozenset({"ocean", "sea"}),
    frozenset({"picture", "photo", "photograph", "image"}),
    frozenset({"plate", "dish", "platter"}),
)
GENDERED_PRONOUNS = frozenset("he him his himself she her hers herself".split())


def may_still_be_true(noun: str, other: str) -> bool:
    """Might `other` be true of the photo `noun` describes, though WordNet does not call it a synonym,
    hypernym or hyponym? A class name, a part or whole (a slope of a hill, a room of a building), a setting of
    the same kind, a near-synonym, or a person noun that contradicts nothing the old one says."""
    if other in CLASS_NOUNS or any({noun, other} <= group for group in NEAR_SYNONYMS):
        return True
    sense, other_sense = _caption_sense(noun), _caption_sense(other)
    if sense is None or other_sense is None:
        return False
    if _setting_kind(sense) is not None and _setting_kind(sense) == _setting_kind(other_sense):
        return True
    if sense.lexname() == "noun.person" and not tells_apart(noun, other):
        return True
    return bool(_parts_and_wholes(sense) & _with_hypernyms(other_sense)) or bool(
        _parts_and_wholes(other_sense) & _with_hypernyms(sense)
    )


def _with_hypernyms(sense) -> set:
    return {sense} | set(sense.closure(lambda s: s.hypernyms()))


def _parts_and_wholes(sense) -> set:
    """The parts and wholes WordNet lists for a sense (a hill's slope; a building's rooms)."""
    return {*sense.part_meronyms(), *sense.part_holonyms(), *sense.substance_holonyms(), *sense.member_holonyms()}


def _setting_kind(sense) -> int | None:
    ancestors = {s.name() for s in _with_hypernyms(sense)}
    return next((k for k, kind in enumerate(SETTING_KINDS) if kind & ancestors), None)


def _one_kind_of_person(word: str) -> bool:
    """Is a person noun a person in every visible sense among its first three? "mug", "comforter", "pitcher"
    and "kid" are also things or animals a caption more likely means."""
    wn = load_wordnet()
    return all(s.lexname() == "noun.person" for s in wn.synsets(word, pos="n")[:3] if s.lexname() in VISIBLE_KINDS)


def build_table() -> dict[str, dict[str, list[str]]]:
    """Every common caption word's alternatives (the attributes of a kind, opposites, sister nouns)."""
    counts = caption_word_counts()
    words = [w for w, n in counts.items() if n >= MIN_COUNT and w.isalpha()]
    attributes = {w: alts for w in words if (alts := _attribute_alternatives(w))}
    senses, _ = _noun_index()
    nouns = {w: list(alts) for w in sorted(senses, key=lambda w: -counts[w]) if (alts := _sister_nouns(w))}
    return {"attributes": attributes, "nouns": nouns}


def _caption_sense(word: str):
    """The sense a caption means by a noun: its first sense among the first three that is a visible kind;
    None for words that are mostly adjectives or verbs ("white", "working") or no visible thing."""
    wn = load_wordnet()
    if word in CAPTION_SENSES:
        return wn.synset(CAPTION_SENSES[word])
    nouns = wn.synsets(word, pos="n")
    verbs = [v for v in wn.synsets(word, pos="v") if word in v.lemma_names()]  # "build" does not count for "building"
    if not nouns or wn.synsets(word, pos="as") or len(verbs) > 2 * len(nouns):
        return None
    return next((s for s in nouns[:3] if s.lexname() in VISIBLE_KINDS), None)


@lru_cache(maxsize=1)
def _noun_index() -> tuple[dict[str, object], dict[object, list[str]]]:
    """Each common caption noun's sense, and for each synset the nouns one or two levels below it."""
    senses = {
        w: s
        for w, n in caption_word_counts().items()
        if n >= MIN_COUNT
        and w.isalpha()
        and w not in _NOT_THINGS | THINGS_FIRST  # WordNet's sense of these is not the caption's: no sisters
        and _singular(w) == w
        and (s := _caption_sense(w))
    }
    below: dict[object, list[str]] = {}
    for word, sense in senses.items():
        # A set: a noun reaches an ancestor once, however many paths lead there (helium: noble gas, element).
        for ancestor in {a for parent in sense.hypernyms() for a in (parent, *parent.hypernyms())}:
            below.setdefault(ancestor, []).append(word)
    return senses, below


@lru_cache(maxsize=4096)
def _sister_nouns(noun: str) -> tuple[str, ...]:
    senses, below = _noun_index()
    sense = senses.get(noun) or _caption_sense(noun)
    if sense is None:
        return ()
    related = {sense} | set(sense.closure(lambda s: s.hypernyms())) | set(sense.closure(lambda s: s.hyponyms()))
    excluded = {lemma.lower() for s in related for lemma in s.lemma_names()} | {noun}
    counts = caption_word_counts()
    found: list[str] = []
    for level in (sense.hypernyms(), [g for p in sense.hypernyms() for g in p.hypernyms()]):
        for ancestor in level:
            if ancestor.name() in CATEGORIES:
                continue
            found += [
                w
                for w in below.get(ancestor, [])
                if w not in excluded
                and w not in found
                and senses[w].lexname() == sense.lexname()
                and not (sense.lexname() == "noun.person" and not _one_kind_of_person(w))
                and not may_still_be_true(noun, w)
            ]
        if len(found) >= 3:
            break
    return tuple(sorted(found, key=lambda w: (-counts[w], w)))


def main() -> int:
    built = build_table()
    TABLE_FILE.write_text(json.dumps(built, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {TABLE_FILE}: {len(built['attributes'])} attributes, {len(built['nouns'])} nouns", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
