"""Global hard-negative contrast (NegCLIP-style base loss)."""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F

from trainer.losses.features import Features

Denominator = Literal["code", "paper"]


def global_loss(features: Features, scale: torch.Tensor, denominator: Denominator = "code") -> torch.Tensor:
    """½(image→text CE over [B positives; B·K negatives] + text→image CE over the B positives).

    denominator="code": every negative in the batch competes for every image (the released code);
    "paper": Eq. 4, each image sees all positives but only its own K negatives. Negatives are never anchors.
    """
    image, positive, negative = features.image, features.positive, features.negative
    batch = image.shape[0]
    labels = torch.arange(batch, device=image.device)
    logits_i2t = scale * image @ torch.cat([positive, negative]).T
    if denominator == "paper" and negative.shape[0]:
        owner = torch.arange(negative.shape[0], device=image.device) // features.k
        foreign = owner.unsqueeze(0) != labels.unsqueeze(1)  # (B, B*K): negative belongs to another image
        logits_i2t = torch.cat([logits_i2t[:, :batch], logits_i2t[:, batch:].masked_fill(foreign, float("-inf"))], 1)
    logits_t2i = scale * positive @ image.T
    return (F.cross_entropy(logits_i2t, labels) + F.cross_entropy(logits_t2i, labels)) / 2
