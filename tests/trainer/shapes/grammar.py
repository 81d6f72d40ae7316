"""An independent parser of the shapes grammar, for tests only: written files hold text, and the tests check
that the text read back means what the generator claims (true captions true, negatives false)."""

from __future__ import annotations

import re

from trainer.shapes.captions import COLUMNS, NP, NUMBERS, ROWS, Absent, At, Caption, Count, Exists, Rel, plural
from trainer.shapes.config import COLOURS, RELATIONS, SHAPES, SIZES

_PREFIXES = ("there is ", "a picture of ", "an image of ")
_NP = re.compile(rf"^(?:(a|the) )?(?:({'|'.join(SIZES)}) )?(?:({'|'.join(COLOURS)}) )?({'|'.join(SHAPES)})$")
_REL = re.compile(rf"^(.+?) (is )?({'|'.join(RELATIONS)}) (.+)$")
_AT = re.compile(rf"^(.+?) in the ((?:{'|'.join(ROWS)}) (?:{'|'.join(COLUMNS)}))$")
_WORDS_TO_N = {word: n for n, word in NUMBERS.items()}


def parse_np(text: str) -> NP:
    match = _NP.match(text)
    assert match, f"not a noun phrase: {text!r}"
    det, size, colour, shape = match.groups()
    return NP(shape, colour, size, det or "")  # no article: the fine-tuning slice's terse style


def parse_clause(text: str) -> Exists | Rel | Absent | Count | At:
    if text.startswith("there is no "):
        return Absent(parse_np("a " + text.removeprefix("there is no ")))
    count = re.match(r"^there (?:is|are) (\w+) (\w+)$", text)
    if count and count.group(1) in _WORDS_TO_N:
        n, noun = _WORDS_TO_N[count.group(1)], count.group(2)
        shape = next(s for s in SHAPES if noun in (s, plural(s)))
        return Count(shape, n)
    at = _AT.match(text)
    if at:
        return At(parse_np(at.group(1)), at.group(2))
    rel = _REL.match(text)
    if rel:
        a, copula, relation, b = rel.groups()
        return Rel(parse_np(a), relation, parse_np(b), copula=bool(copula))
    return Exists(parse_np(text))


def parse(text: str) -> Caption:
    prefix = ""
    for candidate in _PREFIXES:
        if text.startswith(candidate) and not re.match(r"^there is (no|one) ", text):
            prefix, text = candidate.strip(), text.removeprefix(candidate)
            break
    head, _, last = text.rpartition(" and ")
    parts = [*(head.split(", ") if head else []), last]
    return Caption(tuple(parse_clause(p) for p in parts), prefix)
