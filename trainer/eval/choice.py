"""Caption-selection items (one image, K captions, one right) and how an image-text or text-only scorer judges them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import torch

from trainer.eval.embed import EmbeddingCache, ImageRef
from trainer.eval.scoring import Choice, TieRule, choose, similarity


@dataclass(frozen=True)
class ChoiceItem:
    image: ImageRef
    options: tuple[str, ...]
    right: int = 0
    group: str = ""  # relation name, attribute pair, subset... whatever the benchmark macro-averages over


class TextScorer(Protocol):
    """A blind scorer: sees only the captions, returns (N, K) scores, higher = preferred."""

    name: str

    def score(self, options: Sequence[Sequence[str]]) -> torch.Tensor: ...


def _check_width(items: Sequence[ChoiceItem]) -> int:
    widths = {len(item.options) for item in items}
    if len(widths) != 1:
        raise ValueError(f"items must all offer the same number of options, got {sorted(widths)}")
    return widths.pop()


def image_text_scores(cache: EmbeddingCache, items: Sequence[ChoiceItem]) -> torch.Tensor:
    k = _check_width(items)
    images = cache.images([item.image for item in items])
    texts = cache.texts([text for item in items for text in item.options])
    return similarity(images, texts.view(len(items), k, -1))


def run_choice(cache: EmbeddingCache, items: Sequence[ChoiceItem], tie_rule: TieRule) -> Choice:
    if not items:
        raise ValueError("no items to score")
    scores = image_text_scores(cache, items)
    return choose(scores, torch.tensor([item.right for item in items]), tie_rule)


def run_blind(scorer: TextScorer, items: Sequence[ChoiceItem], tie_rule: TieRule) -> Choice:
    if not items:
        raise ValueError("no items to score")
    _check_width(items)
    scores = scorer.score([item.options for item in items])
    return choose(scores, torch.tensor([item.right for item in items]), tie_rule)
