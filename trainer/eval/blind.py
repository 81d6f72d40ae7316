"""Blind baselines: scorers that never see the image. Printed beside model results so artefacts show.

- `ShorterWins`: the caption with fewer characters wins (SugarCrepe's ADD negatives are longer: ~99%).
- `LargerNumberWins`: the caption naming the larger number wins (VALSE counting-adversarial: 100%).
- `LMScorer`: summed token log-probability under a causal LM (default: the bundled SmolLM2), i.e. the more
  plausible sentence wins; the scoring is `neggen.qa.likelihood`, the judge of `neggen audit`.
A tie is wrong for all of them under the benchmarks' default rule.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import torch

_NUMBER_WORDS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
        "seventeen eighteen nineteen twenty".split()
    )
}
_NUMBER = re.compile(r"\d+(?:\.\d+)?|[a-z]+")


class ShorterWins:
    name = "blind_shorter"

    def score(self, options: Sequence[Sequence[str]]) -> torch.Tensor:
        return -torch.tensor([[float(len(text)) for text in row] for row in options])


def largest_number(text: str) -> float:
    """The largest number written in `text` (digits or number words up to twenty); -inf when none."""
    values = [
        float(tok) if tok[0].isdigit() else float(_NUMBER_WORDS[tok])
        for tok in _NUMBER.findall(text.lower())
        if tok[0].isdigit() or tok in _NUMBER_WORDS
    ]
    return max(values, default=float("-inf"))


class LargerNumberWins:
    name = "blind_larger_number"

    def score(self, options: Sequence[Sequence[str]]) -> torch.Tensor:
        return torch.tensor([[largest_number(text) for text in row] for row in options])


class LMScorer:
    """The more likely text under a causal LM wins: `neggen.qa.likelihood` (summed token log-prob), per option."""

    name = "blind_lm"

    def __init__(self, model: str | Path | None = None, *, batch_size: int = 16, device: str | None = None) -> None:
        from neggen.qa.likelihood import LikelihoodScorer

        self.scorer = LikelihoodScorer(None if model is None else str(model), device=device, batch_size=batch_size)

    def score(self, options: Sequence[Sequence[str]]) -> torch.Tensor:
        k = len(options[0])
        flat = [text for row in options for text in row]
        return torch.tensor(self.scorer.score(flat)).view(len(options), k)


BLIND_SCORERS = {"shorter": ShorterWins, "larger_number": LargerNumberWins, "lm": LMScorer}
