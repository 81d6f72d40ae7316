"""Turn an edit answer (`red -> blue`, `dog <-> cat`) into the negative sentence.

The edit names exact spans of the caption; the first occurrence is edited (the edit form's candidate spans
never repeat, see `neggen.edits.form`). Replacing keeps the caption's capitalisation at that position, its
grammatical number for nouns (`dogs -> cat` gives "cats"), and the a/an before the span agreeing with the new
word. A swap of nouns exchanges the two noun phrases with agreement: each noun takes the number of the slot it
moves into, so the articles, numbers and verbs around it keep agreeing ("A kitchen with two windows" +
`kitchen <-> windows` gives "A window with two kitchens"); a swap of attributes, and reshuffle's exchange of two
whole noun phrases (`a brown dog <-> a small cat`), move the words as they are.
Either way the a/an before each span agrees with the word now after it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import lemminflect

from neggen.edits.form import EXCHANGE_TYPES, NOUN_TYPES
from neggen.text.words import WORD_PATTERN, words
from neggen.types import NegType
from neggen.validate.lexical import mass_noun
from neggen.validate.reasons import Reason
from neggen.validate.spans import either_number, phrase_head, plural, singular

_EDIT = re.compile(r"^\s*(?P<old>[^<>\n]*?)\s*(?P<arrow><->|->)\s*(?P<new>[^<>\n]*?)\s*\.?\s*$")
_PLAIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9' -]*$")  # words a caption is made of; no quotes or markup
_WORD = re.compile(WORD_PATTERN)
_ARTICLES = ("a", "an")
# Spelling says vowel, sound says consonant (and the reverse): enough for caption vocabulary.
_CONSONANT_SOUND = ("uni", "use", "usu", "uti", "ute", "uro", "eu", "one", "once", "ewe", "ufo")
_VOWEL_SOUND = ("hour", "honest", "honor", "honour", "heir")


@dataclass(frozen=True)
class Edit:
    kind: Literal["replace", "swap"]
    old: str
    new: str

    @property
    def single_word_spans(self) -> bool:
        """Every caption span it names is one word (the right side of a replace is new text)."""
        spans = [self.old, self.new] if self.kind == "swap" else [self.old]
        return all(len(words(s)) == 1 for s in spans)

    def __str__(self) -> str:
        return f"{self.old} {'<->' if self.kind == 'swap' else '->'} {self.new}"


class EditRejected(ValueError):
    """An edit answer that cannot become a negative; carries the reject reason."""

    def __init__(self, reason: Reason, detail: str):
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def parse_edit(text: str, neg_type: NegType) -> Edit:
    """The edit in an answer; the arrow must be the type's (`<->` for swaps and reshuffle, `->` for replaces)."""
    match = _EDIT.match(text or "")
    kind: Literal["replace", "swap"] = "swap" if neg_type in EXCHANGE_TYPES else "replace"
    if match is None:
        raise EditRejected(Reason.unparseable_edit, f"not 'old -> new': {text[:60]!r}")
    old, arrow, new = match["old"], match["arrow"], match["new"]
    if arrow != ("<->" if kind == "swap" else "->"):
        raise EditRejected(Reason.unparseable_edit, f"{arrow!r} is not the {kind} arrow: {text[:60]!r}")
    if not (_PLAIN.match(old) and _PLAIN.match(new)):
        raise EditRejected(Reason.unparseable_edit, f"sides must be plain words: {text[:60]!r}")
    return Edit(kind, old, new)


@dataclass(frozen=True)
class _Token:
    start: int
    end: int
    text: str


def _tokens(caption: str) -> list[_Token]:
    return [_Token(m.start(), m.end(), m.group(0)) for m in _WORD.finditer(caption)]


def _find(tokens: list[_Token], span: str, taken: range | None = None) -> range | None:
    """Token positions of the first occurrence of `span` (compared as words), outside `taken`."""
    wanted = words(span)
    lowered = [t.text.lower() for t in tokens]
    for i in range(len(tokens) - len(wanted) + 1):
        here = range(i, i + len(wanted))
        if lowered[i : i + len(wanted)] == wanted and not (taken and set(here) & set(taken)):
            return here
    return None


def article_for(word: str) -> str:
    w = word.lower()
    if w.startswith(_VOWEL_SOUND) or (w[:1] in "aeiou" and not w.startswith(_CONSONANT_SOUND)):
        return "an"
    if w[:1].isdigit():
        return "an" if w.startswith("8") or w in ("11", "18") else "a"
    return "a"


def _same_case(model: str, text: str) -> str:
    """`text` capitalised the way the caption's word at this position was."""
    if len(model) > 1 and model.isupper():
        return text.upper()
    if model[:1].isupper():
        return text[:1].upper() + text[1:]
    return text


def _with_number(new: str, old: str) -> str:
    """`new` with its head noun (the last word, or the word before "of": "a *vase* of flowers") inflected to the
    number of the head of `old`, by the validators' own test of number (`validate.spans.plural`), so an agreed
    swap is one they recognise."""
    parts, old_words = new.split(" "), words(old)
    k = phrase_head([w.lower() for w in parts])
    head, old_head = parts[k], old_words[phrase_head(old_words)]
    if plural(old_head) and not plural(head):
        head = (lemminflect.getInflection(head, "NNS", inflect_oov=True) or (head,))[0]
    elif not plural(old_head) and plural(head):
        head = singular(head.lower())
    return " ".join([*parts[:k], head, *parts[k + 1 :]])


def _article_before(caption: str, tokens: list[_Token], span: range) -> int | None:
    """Index of an a/an token directly before the span (only spaces between), else None."""
    i = span.start - 1
    if i >= 0 and tokens[i].text.lower() in _ARTICLES and not caption[tokens[i].end : tokens[span.start].start].strip():
        return i
    return None


def _render(caption: str, changes: dict[tuple[int, int], str]) -> str:
    out, cursor = [], 0
    for (start, end), text in sorted(changes.items()):
        out += [caption[cursor:start], text]
        cursor = end
    return "".join([*out, caption[cursor:]])


def _chars(tokens: list[_Token], span: range) -> tuple[int, int]:
    return tokens[span.start].start, tokens[span.stop - 1].end


def _not_found(span: str, caption: str) -> EditRejected:
    return EditRejected(Reason.edit_span_not_in_caption, f"{span!r} is not in {caption[:60]!r}")


def _replace(caption: str, tokens: list[_Token], edit: Edit, neg_type: NegType) -> str:
    span = _find(tokens, edit.old)
    if span is None:
        raise _not_found(edit.old, caption)
    new = edit.new.strip().lower()
    if neg_type in NOUN_TYPES:
        new = _with_number(new, edit.old)
    changes = {_chars(tokens, span): _same_case(tokens[span.start].text, new)}
    article = _article_before(caption, tokens, span)
    if article is not None:
        token = tokens[article]
        changes[(token.start, token.end)] = _same_case(token.text, article_for(new))
    return _render(caption, changes)


def _moved(text: str, slot: str, before: str | None, neg_type: NegType) -> str:
    """A swapped span as it reads in the other span's slot: not capitalised for the first word of the sentence,
    and, for nouns, in the slot's number ("A kitchen with two windows" -> "A window with two kitchens"). Right
    after "of" either number reads, so a plural or stuff keeps its own ("a cup of cookies", "a plate of
    coffee", not "coffees") and only a single thing follows the slot ("a plate of cups", not "cup")."""
    text = text.lower() if text[:1].isupper() else text
    if neg_type not in NOUN_TYPES:
        return text
    if either_number(before):
        head = words(text)[phrase_head(words(text))]
        if plural(head) or mass_noun(head):
            return text
    return _with_number(text, slot)


def _swap(caption: str, tokens: list[_Token], edit: Edit, neg_type: NegType) -> str:
    first = _find(tokens, edit.old)
    if first is None:
        raise _not_found(edit.old, caption)
    second = _find(tokens, edit.new, taken=first)
    if second is None:
        raise _not_found(edit.new, caption)
    a, b = sorted([first, second], key=lambda r: r.start)
    text_a, text_b = caption[slice(*_chars(tokens, a))], caption[slice(*_chars(tokens, b))]
    changes: dict[tuple[int, int], str] = {}
    before = [tokens[span.start - 1].text.lower() if span.start else None for span in (a, b)]
    moved_texts = (_moved(text_b, text_a, before[0], neg_type), _moved(text_a, text_b, before[1], neg_type))
    for slot, moved in zip((a, b), moved_texts, strict=True):
        changes[_chars(tokens, slot)] = _same_case(tokens[slot.start].text, moved)
        article = _article_before(caption, tokens, slot)
        if article is not None:  # "a dog and an owl" -> "an owl and a dog"
            token = tokens[article]
            changes[(token.start, token.end)] = _same_case(token.text, article_for(moved))
    return _render(caption, changes)


def apply_edit(caption: str, edit: Edit, neg_type: NegType) -> str:
    """The negative the edit describes; raises EditRejected when its span is not in the caption."""
    tokens = _tokens(caption)
    if edit.kind == "swap":
        return _swap(caption, tokens, edit, neg_type)
    return _replace(caption, tokens, edit, neg_type)


def negative_from_answer(neg_type: NegType, caption: str, answer: str) -> str:
    """The one call the generation loop makes in edit form: answer text -> negative, or EditRejected."""
    return apply_edit(caption, parse_edit(answer, neg_type), neg_type)
