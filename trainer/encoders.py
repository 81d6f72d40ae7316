"""CLIPModel as one module returning normalised features and the scale, so DDP sees every parameter used."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from transformers import CLIPModel

from trainer.losses import Features


class DualEncoder(nn.Module):
    def __init__(self, clip: CLIPModel):
        super().__init__()
        self.clip = clip

    def forward(
        self, pixels: torch.Tensor, positive_ids: torch.Tensor, negative_ids: torch.Tensor
    ) -> tuple[Features, torch.Tensor]:
        # One text pass over positives and negatives together; no attention mask: OpenAI CLIP pads with the
        # end token and pools at the first one, and the causal mask keeps padding out of earlier positions.
        batch = positive_ids.shape[0]
        image = self.clip.get_image_features(pixel_values=pixels).pooler_output
        ids = trim_padding(torch.cat([positive_ids, negative_ids]), self.clip.config.text_config.eos_token_id)
        text = self.clip.get_text_features(input_ids=ids).pooler_output
        image, text = F.normalize(image.float(), dim=-1), F.normalize(text.float(), dim=-1)
        return Features(image, text[:batch], text[batch:]), self.clip.logit_scale.exp().float()


def trim_padding(ids: torch.Tensor, eos_token_id: int) -> torch.Tensor:
    """Drop the columns after the batch's last end token: under the causal mask no position before a text's
    end token sees them and pooling reads the end token, so the features are unchanged while captions of ~15
    tokens stop paying for 77 (the text tower is most of a DeGLA step: 5 texts per image)."""
    # transformers' legacy OpenAI configs (eos_token_id == 2) pool at the largest id, which is the end token.
    ends = ids.argmax(dim=-1) if eos_token_id == 2 else (ids == eos_token_id).int().argmax(dim=-1)
    return ids[:, : int(ends.max()) + 1] if ids.shape[0] else ids
