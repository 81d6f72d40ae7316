"""ARO COCO-Order and Flickr30k-Order, built at run time from a Karpathy-format test split.

Each caption gives 5 options: the caption and the four official shuffles (nouns and adjectives among
themselves; everything else; words within each trigram; the trigrams), each then lower-cased, stripped of
`.!"()*#:;~`, and cut to 30 words (BLIP's `pre_caption`). Right iff argmax == 0 (the caption is first): a tie
counts as right, so a constant model scores 100% (reported with its tie count).

The official code tags with spaCy (`en_core_web_sm`, tags NN*/JJ*) and tokenises trigrams with NLTK. Neither
model ships through a package registry, so the tagger is injectable: `SpacyTagger` when spaCy + the model +
NLTK are installed, else `LexiconOrderTagger` (trainer/eval/pos_lexicon.py, offline). Results with the fallback
can differ slightly from the official numbers; each result records which tagger and seed made it.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from pathlib import Path

from neggen.text.pos import Pos
from trainer.eval.benchmarks import Benchmark, SuiteRun, karpathy_files
from trainer.eval.choice import ChoiceItem
from trainer.eval.embed import ImageRef
from trainer.eval.missing import MissingData
from trainer.eval.order_tagger import OrderTagger
from trainer.eval.pos_lexicon import LexiconTagger
from trainer.eval.results import Judge, Record, choice_record
from trainer.eval.scoring import TieRule

TIE_RULE = TieRule.RIGHT
TASK = "image_caption_selection"
MAX_WORDS = 30
NOUN, ADJ, OTHER = "NOUN", "ADJ", "OTHER"


_TOKEN = re.compile(r"[A-Za-z0-9]+(?:[-][A-Za-z0-9]+)*|'[A-Za-z]+|n't|[^\sA-Za-z0-9]")


class LexiconOrderTagger:
    """Offline fallback: a regex tokeniser and neggen's lexicon tagger (numbers count as OTHER, like spaCy's CD)."""

    name = "lexicon"

    def __init__(self) -> None:
        self._tagger = LexiconTagger()

    def word_tokenize(self, text: str) -> list[str]:
        return _TOKEN.findall(text)

    def tag(self, text: str) -> list[tuple[str, str]]:
        tokens = self.word_tokenize(text)
        word_positions = [i for i, t in enumerate(tokens) if t[0].isalnum()]
        tags = [OTHER] * len(tokens)
        pos = self._tagger.tag([tokens[i].lower() for i in word_positions])
        for i, p in zip(word_positions, pos, strict=True):
            tags[i] = NOUN if p is Pos.NOUN else ADJ if p is Pos.ADJ else OTHER
        return list(zip(tokens, tags, strict=True))


class SpacyTagger:
    """The official tagger: spaCy en_core_web_sm (NN, NNS, NNP, NNPS / JJ, JJR, JJS) and nltk.word_tokenize."""

    name = "spacy"

    def __init__(self) -> None:
        import nltk  # noqa: F401  (fail early when absent)
        import spacy

        self._nlp = spacy.load("en_core_web_sm")

    def word_tokenize(self, text: str) -> list[str]:
        import nltk

        return nltk.word_tokenize(text)

    def tag(self, text: str) -> list[tuple[str, str]]:
        out = []
        for token in self._nlp(text):
            kind = (
                NOUN
                if token.tag_ in ("NN", "NNS", "NNP", "NNPS")
                else ADJ
                if token.tag_ in ("JJ", "JJR", "JJS")
                else OTHER
            )
            out.append((token.text, kind))
        return out


def make_tagger(name: str = "auto") -> OrderTagger:
    """'spacy', 'lexicon', or 'auto' (spaCy when it and its model load, else the lexicon fallback)."""
    if name == "lexicon":
        return LexiconOrderTagger()
    if name == "spacy":
        return SpacyTagger()
    if name != "auto":
        raise ValueError(f"unknown tagger {name!r}: spacy, lexicon or auto")
    try:
        return SpacyTagger()
    except (ImportError, OSError):
        return LexiconOrderTagger()


def pre_caption(caption: str, max_words: int = MAX_WORDS) -> str:
    caption = re.sub(r"([.!\"()*#:;~])", " ", caption.lower())
    caption = re.sub(r"\s{2,}", " ", caption).rstrip("\n").strip(" ")
    words = caption.split(" ")
    return " ".join(words[:max_words]) if len(words) > max_words else caption


def _permute(tokens: list[str], index: list[int], rng: random.Random) -> None:
    values = [tokens[i] for i in index]
    rng.shuffle(values)
    for i, v in zip(index, values, strict=True):
        tokens[i] = v


def shuffle_nouns_and_adj(text: str, tagger: OrderTagger, rng: random.Random) -> str:
    tagged = tagger.tag(text)
    tokens = [t for t, _ in tagged]
    _permute(tokens, [i for i, (_, k) in enumerate(tagged) if k == NOUN], rng)
    _permute(tokens, [i for i, (_, k) in enumerate(tagged) if k == ADJ], rng)
    return " ".join(tokens)


def shuffle_allbut_nouns_and_adj(text: str, tagger: OrderTagger, rng: random.Random) -> str:
    tagged = tagger.tag(text)
    tokens = [t for t, _ in tagged]
    _permute(tokens, [i for i, (_, k) in enumerate(tagged) if k not in (NOUN, ADJ)], rng)
    return " ".join(tokens)


def trigrams(tokens: list[str]) -> list[list[str]]:
    return [tokens[i : i + 3] for i in range(0, len(tokens), 3)]


def shuffle_within_trigrams(text: str, tagger: OrderTagger, rng: random.Random) -> str:
    groups = trigrams(tagger.word_tokenize(text))
    for group in groups:
        rng.shuffle(group)
    return " ".join(" ".join(g) for g in groups)


def shuffle_trigrams(text: str, tagger: OrderTagger, rng: random.Random) -> str:
    groups = trigrams(tagger.word_tokenize(text))
    rng.shuffle(groups)
    return " ".join(" ".join(g) for g in groups)


SHUFFLES: tuple[Callable[[str, OrderTagger, random.Random], str], ...] = (
    shuffle_nouns_and_adj,
    shuffle_allbut_nouns_and_adj,
    shuffle_within_trigrams,
    shuffle_trigrams,
)


def order_options(caption: str, tagger: OrderTagger, rng: random.Random, max_words: int = MAX_WORDS) -> tuple[str, ...]:
    return (pre_caption(caption, max_words), *(pre_caption(f(caption, tagger, rng), max_words) for f in SHUFFLES))


def load_order(
    karpathy_file: Path, image_root: Path, tagger: OrderTagger, seed: int = 0, limit: int | None = None
) -> list[ChoiceItem]:
    """One item per caption of a Karpathy-format split (`[{image, caption: [...]}, ...]`)."""
    rows = json.loads(Path(karpathy_file).read_text(encoding="utf-8"))
    rng = random.Random(seed)
    items = []
    for row in rows[:limit] if limit else rows:
        captions = row["caption"] if isinstance(row["caption"], list) else [row["caption"]]
        for caption in captions:
            items.append(
                ChoiceItem(ImageRef(str(Path(image_root) / row["image"])), order_options(caption, tagger, rng))
            )
    return items


def evaluate(
    judge: Judge,
    subset: str,
    karpathy_file: Path,
    image_root: Path,
    tagger: OrderTagger,
    seed: int = 0,
    task: str = TASK,
) -> list[Record]:
    """`subset` is 'coco_order' or 'flickr30k_order'."""
    choice = judge(load_order(karpathy_file, image_root, tagger, seed), TIE_RULE)
    record = choice_record("aro", subset, choice, task)
    record.info.update({"tagger": tagger.name, "seed": seed, "metric": "precision@1"})
    return [record]


def suite_records(run: SuiteRun, benchmark: Benchmark) -> list[Record]:
    """COCO-Order or Flickr-Order, by the benchmark's name."""
    annotations, image_root = karpathy_files(run.data_root, benchmark.name)
    if not annotations.exists():
        raise MissingData(f"{annotations} is missing")
    assert run.tagger is not None
    return evaluate(run.judge, benchmark.name, annotations, image_root, run.tagger, run.seed, run.task)
