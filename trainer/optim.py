"""AdamW with the paper's parameter groups, and open_clip's cosine schedule with linear warm-up."""

from __future__ import annotations

import math

import torch
from torch import nn

from trainer.config import OptimSpec


def no_decay(name: str, param: nn.Parameter) -> bool:
    """Gains, biases, embeddings' 1-D vectors and the logit scale take no weight decay."""
    return param.ndim < 2 or "logit_scale" in name


def make_optimizer(model: nn.Module, spec: OptimSpec) -> torch.optim.AdamW:
    params = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    groups = [
        {"params": [p for n, p in params if not no_decay(n, p)], "weight_decay": spec.weight_decay},
        {"params": [p for n, p in params if no_decay(n, p)], "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=spec.lr, betas=spec.betas, eps=spec.eps)


def cosine_with_warmup(step: int, warmup: int, total: int) -> float:
    """Multiplier of the base lr before optimizer step `step` (0-based)."""
    if step < warmup:
        return (step + 1) / warmup
    span = max(1, total - warmup)
    return 0.5 * (1 + math.cos(math.pi * min(step - warmup, span) / span))


def make_scheduler(optimizer: torch.optim.Optimizer, warmup: int, total: int) -> torch.optim.lr_scheduler.LambdaLR:
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: cosine_with_warmup(step, warmup, total))
