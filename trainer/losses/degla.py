"""The total DeGLA objective: L = L_base + λ_IGC·L_IGC + λ_TGC·L_TGC + λ_distill·L_distill."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from pydantic import BaseModel, ConfigDict, Field

from trainer.losses.distill import distill_loss
from trainer.losses.features import Features
from trainer.losses.global_contrast import Denominator, global_loss
from trainer.losses.igc import igc_loss
from trainer.losses.tgc import TGC_SCALE, TgcMask, tgc_loss


class LossWeights(BaseModel):
    """Defaults are the paper's; zero weights switch a term off (NegCLIP-style = all three zero)."""

    model_config = ConfigDict(extra="forbid")

    igc: float = Field(0.1, ge=0)
    tgc: float = Field(0.1, ge=0)
    distill: float = Field(0.005, ge=0)
    global_denominator: Denominator = "code"
    tgc_mask: TgcMask = "paper"
    tgc_scale: float = TGC_SCALE

    @property
    def needs_teacher(self) -> bool:
        return self.tgc > 0 or self.distill > 0


@dataclass
class LossTerms:
    total: torch.Tensor
    base: torch.Tensor
    igc: torch.Tensor
    tgc: torch.Tensor
    distill: torch.Tensor

    def as_floats(self) -> dict[str, float]:
        return {name: float(getattr(self, name).detach()) for name in ("total", "base", "igc", "tgc", "distill")}


def degla_loss(student: Features, teacher: Features | None, scale: torch.Tensor, weights: LossWeights) -> LossTerms:
    """All terms on the (already gathered) batch; a term with weight 0 is reported as 0 and not computed."""
    zero = student.image.new_zeros(())
    base = global_loss(student, scale, weights.global_denominator)
    has_negatives = student.negative.shape[0] > 0
    igc = igc_loss(student, scale) if weights.igc > 0 and has_negatives else zero
    if weights.needs_teacher and teacher is None:
        raise ValueError("TGC and self-distillation need the EMA teacher's features")
    tgc = (
        tgc_loss(student, teacher.positive, weights.tgc_mask, weights.tgc_scale)  # type: ignore[union-attr]
        if weights.tgc > 0 and has_negatives
        else zero
    )
    distill = distill_loss(student, teacher) if weights.distill > 0 else zero  # type: ignore[arg-type]
    total = base + weights.igc * igc + weights.tgc * tgc + weights.distill * distill
    return LossTerms(total, base, igc, tgc, distill)
