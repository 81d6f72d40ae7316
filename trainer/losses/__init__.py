"""DeGLA's loss terms, one module each (docs/method.md §2). Features are L2-normalised; negatives sample-major."""

from trainer.losses.degla import LossTerms, LossWeights, degla_loss
from trainer.losses.distill import distill_loss
from trainer.losses.features import Features
from trainer.losses.global_contrast import global_loss
from trainer.losses.igc import igc_loss
from trainer.losses.tgc import tgc_loss

__all__ = [
    "Features",
    "LossTerms",
    "LossWeights",
    "degla_loss",
    "distill_loss",
    "global_loss",
    "igc_loss",
    "tgc_loss",
]
