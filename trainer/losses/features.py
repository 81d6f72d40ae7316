"""The encoders' output for one batch, and its gathering across ranks."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class Features:
    """Normalised embeddings: image (B, D), positive (B, D), negative (B*K, D) with row i*K + k."""

    image: torch.Tensor
    positive: torch.Tensor
    negative: torch.Tensor

    @property
    def k(self) -> int:
        return self.negative.shape[0] // max(1, self.image.shape[0])

    def gathered(self) -> Features:
        """All ranks' features in rank order (so negatives stay globally sample-major).

        Other ranks' rows carry no gradient; this rank's rows keep theirs (open_clip's gather without grad).
        """
        if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
            return self
        return Features(_gather(self.image), _gather(self.positive), _gather(self.negative))


def _gather(local: torch.Tensor) -> torch.Tensor:
    parts = [torch.empty_like(local) for _ in range(dist.get_world_size())]
    dist.all_gather(parts, local.detach().contiguous())
    parts[dist.get_rank()] = local
    return torch.cat(parts)
