"""Text-grounded contrast (TGC): a caption must sit closer to its teacher embedding than to its negatives."""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F

from trainer.losses.features import Features

TgcMask = Literal["paper", "code"]
TGC_SCALE = 10.0  # fixed, τ = 0.1; not the learnable CLIP scale


def tgc_loss(
    student: Features, teacher_positive: torch.Tensor, mask: TgcMask = "paper", scale: float = TGC_SCALE
) -> torch.Tensor:
    """CE with anchor t_i, positive t_i* (teacher, no gradient) and negatives t̄_{i,1..K} (student).

    mask="paper": Eq. 9, caption i's own negatives (rows i*K..i*K+K-1). mask="code": the released code's
    `repeat` mask, which picks rows i, i+B, i+2B, ...: other captions' negatives (kept to reproduce it).
    """
    anchor, negative = student.positive, student.negative
    batch, k = anchor.shape[0], student.k
    positive_logit = scale * (anchor * teacher_positive.detach()).sum(-1, keepdim=True)
    if mask == "paper":
        rows = torch.arange(batch * k, device=anchor.device).view(batch, k)
    else:
        rows = torch.arange(batch, device=anchor.device).unsqueeze(1) + batch * torch.arange(k, device=anchor.device)
    negative_logits = scale * torch.einsum("bd,bkd->bk", anchor, negative[rows])
    logits = torch.cat([positive_logit, negative_logits], dim=1)
    return F.cross_entropy(logits, torch.zeros(batch, dtype=torch.long, device=logits.device))
