"""Image-grounded contrast (IGC): each image against its own positive and its own K negatives."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from trainer.losses.features import Features


def igc_loss(features: Features, scale: torch.Tensor) -> torch.Tensor:
    batch, k = features.image.shape[0], features.k
    candidates = torch.cat([features.positive.unsqueeze(1), features.negative.view(batch, k, -1)], dim=1)
    logits = scale * torch.einsum("bd,bcd->bc", features.image, candidates)  # (B, 1 + K), positive at 0
    return F.cross_entropy(logits, torch.zeros(batch, dtype=torch.long, device=logits.device))
