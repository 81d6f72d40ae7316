"""Self-distillation: sum of squared distances between student and EMA-teacher embeddings."""

from __future__ import annotations

import torch

from trainer.losses.features import Features


def distill_loss(student: Features, teacher: Features) -> torch.Tensor:
    """Σ‖v−v*‖² + Σ‖t−t*‖² + Σ‖t̄−t̄*‖² over the batch: a sum, not a mean; no temperature."""
    return sum(
        (s - t.detach()).pow(2).sum()
        for s, t in (
            (student.image, teacher.image),
            (student.positive, teacher.positive),
            (student.negative, teacher.negative),
        )
    )  # type: ignore[return-value]
