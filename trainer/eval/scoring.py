"""The one scoring core: each item offers K candidate captions, one of them right; which does a scorer prefer?

Scores are cosine similarities of normalised embeddings (or any "higher is better" number from a text-only
scorer). An item is right when the right option scores strictly above every other option. When it ties the
best other option the tie rule decides, and the tie is counted either way:

- WRONG (a tie is wrong): SugarCrepe (pos > neg), VALSE (caption > foil), ARO VG-R / VG-A (argmax over
  [false, true] == 1), retrieval ranks.
- RIGHT (a tie is right): ARO COCO/Flickr-Order (argmax == 0, true caption first), CLIP_benchmark's caption
  selection (argmax over [pos, neg]).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import torch


class TieRule(StrEnum):
    WRONG = "wrong"
    RIGHT = "right"


@dataclass(frozen=True)
class Choice:
    """Per-item outcome: `correct` and `tie` are bool tensors of shape (N,), `scores` is (N, K)."""

    scores: torch.Tensor
    correct: torch.Tensor
    tie: torch.Tensor
    tie_rule: TieRule

    @property
    def n_items(self) -> int:
        return int(self.correct.numel())

    @property
    def n_ties(self) -> int:
        return int(self.tie.sum())

    @property
    def accuracy(self) -> float:
        """Percent right (0-100); NaN for no items."""
        return float(self.correct.float().mean() * 100) if self.n_items else float("nan")

    def subset(self, mask: torch.Tensor) -> Choice:
        return Choice(self.scores[mask], self.correct[mask], self.tie[mask], self.tie_rule)


def choose(scores: torch.Tensor, right: torch.Tensor | int, tie_rule: TieRule = TieRule.WRONG) -> Choice:
    """Judge (N, K) scores where option `right` (an index, or one per row) is the true caption."""
    scores = scores.detach().float().cpu()
    n, k = scores.shape
    if k < 2:
        raise ValueError(f"need at least 2 options per item, got {k}")
    index = torch.full((n,), right, dtype=torch.long) if isinstance(right, int) else right.long().cpu()
    rows = torch.arange(n)
    true_score = scores[rows, index]
    others = scores.clone()
    others[rows, index] = float("-inf")
    best_other = others.max(dim=1).values
    tie = true_score == best_other
    correct = (true_score > best_other) | (tie if tie_rule is TieRule.RIGHT else torch.zeros_like(tie))
    return Choice(scores, correct, tie, TieRule(tie_rule))


def similarity(image_emb: torch.Tensor, option_emb: torch.Tensor) -> torch.Tensor:
    """Cosine scores (N, K) of N normalised image embeddings (N, D) against K options each (N, K, D)."""
    return torch.einsum("nd,nkd->nk", image_emb.float(), option_emb.float())


def macro_average(choice: Choice, groups: list[str], min_count: int = 1, drop: frozenset[str] = frozenset()) -> dict:
    """Mean of per-group accuracies over groups with >= min_count items, not in `drop`."""
    per_group: dict[str, float] = {}
    counts: dict[str, int] = {}
    for name in sorted(set(groups)):
        if name in drop:
            continue
        mask = torch.tensor([g == name for g in groups])
        count = int(mask.sum())
        if count < min_count:
            continue
        per_group[name] = choice.subset(mask).accuracy
        counts[name] = count
    macro = sum(per_group.values()) / len(per_group) if per_group else float("nan")
    return {"macro": macro, "per_group": per_group, "counts": counts}
