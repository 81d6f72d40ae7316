"""The EMA teacher: a frozen copy of the starting model, θ* ← d·θ* + (1−d)·θ after every optimizer step."""

from __future__ import annotations

import copy

import torch
from torch import nn


class EMATeacher:
    def __init__(self, student: nn.Module, decay: float):
        self.decay = decay
        self.module = copy.deepcopy(student).eval()
        self.module.requires_grad_(False)

    @torch.no_grad()
    def update(self, student: nn.Module) -> None:
        teacher = dict(self.module.named_parameters())
        pairs = [(teacher[name], p.detach()) for name, p in student.named_parameters()]
        # lerp(θ*, θ, 1−d) = θ* + (1−d)(θ − θ*) = d·θ* + (1−d)·θ
        torch._foreach_lerp_([t for t, _ in pairs], [s.to(t.dtype) for t, s in pairs], 1.0 - self.decay)
        for buffer, source in zip(self.module.buffers(), student.buffers(), strict=True):
            buffer.copy_(source)  # buffers (position ids) are copied, not averaged

    def state_dict(self) -> dict[str, torch.Tensor]:
        return self.module.state_dict()

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        self.module.load_state_dict(state)
