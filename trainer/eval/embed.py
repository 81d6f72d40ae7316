"""Batched, cached encoders: the small protocol every evaluator scores through, and its CLIPModel implementation.

`Encoder` is all an evaluator needs: `encode_images(list[PIL]) -> (N, D)` and `encode_texts(list[str]) -> (N, D)`,
both L2-normalised. `EmbeddingCache` sits in front of an encoder for one run: each distinct caption and each
distinct (image file, crop box) is encoded once, in batches, whatever the benchmark asks for it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import torch
from PIL import Image
from transformers import CLIPModel, PreTrainedTokenizerBase

from trainer.tokenizer import CONTEXT_LENGTH
from trainer.transforms import eval_transform, open_rgb


class Encoder(Protocol):
    def encode_images(self, images: list[Image.Image]) -> torch.Tensor: ...

    def encode_texts(self, texts: list[str]) -> torch.Tensor: ...


@dataclass(frozen=True)
class ImageRef:
    """An image file, optionally cropped to (x, y, w, h) as ARO does."""

    path: str
    box: tuple[float, float, float, float] | None = None

    def load(self) -> Image.Image:
        image = open_rgb(self.path)
        if self.box is None:
            return image
        x, y, w, h = self.box
        return image.crop((x, y, x + w, y + h))


def _features(output: object) -> torch.Tensor:
    # transformers 5 returns a ModelOutput whose pooler_output is the projected embedding; 4.x a tensor.
    return output if isinstance(output, torch.Tensor) else output.pooler_output  # type: ignore[attr-defined]


class ClipEncoder:
    """A `CLIPModel` + tokenizer behind the `Encoder` protocol (eval transform: resize + centre crop)."""

    def __init__(
        self,
        model: CLIPModel,
        tokenizer: PreTrainedTokenizerBase,
        *,
        batch_size: int = 64,
        device: str | None = None,
    ) -> None:
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        self.model = model.eval().to(self.device)
        self.tokenizer = tokenizer
        self.batch_size = batch_size
        self.image_size = int(model.config.vision_config.image_size)

    @torch.inference_mode()
    def encode_images(self, images: list[Image.Image]) -> torch.Tensor:
        out = []
        for start in range(0, len(images), self.batch_size):
            pixels = torch.stack(
                [eval_transform(im, self.image_size) for im in images[start : start + self.batch_size]]
            )
            feats = _features(self.model.get_image_features(pixel_values=pixels.to(self.device)))
            out.append(torch.nn.functional.normalize(feats.float(), dim=-1).cpu())
        return torch.cat(out) if out else torch.empty(0, self.model.config.projection_dim)

    @torch.inference_mode()
    def encode_texts(self, texts: list[str]) -> torch.Tensor:
        out = []
        for start in range(0, len(texts), self.batch_size):
            enc = self.tokenizer(
                list(texts[start : start + self.batch_size]),
                padding="max_length",
                truncation=True,
                max_length=CONTEXT_LENGTH,
                return_tensors="pt",
            )
            feats = _features(
                self.model.get_text_features(
                    input_ids=enc["input_ids"].to(self.device), attention_mask=enc["attention_mask"].to(self.device)
                )
            )
            out.append(torch.nn.functional.normalize(feats.float(), dim=-1).cpu())
        return torch.cat(out) if out else torch.empty(0, self.model.config.projection_dim)


class EmbeddingCache:
    """Per-run memo of text and image embeddings in front of an `Encoder`; encodes only what it has not seen."""

    def __init__(self, encoder: Encoder, *, image_batch: int = 256, text_batch: int = 1024) -> None:
        self.encoder = encoder
        self.image_batch = image_batch
        self.text_batch = text_batch
        self._texts: dict[str, torch.Tensor] = {}
        self._images: dict[ImageRef, torch.Tensor] = {}
        self.encoded_texts = 0
        self.encoded_images = 0

    def texts(self, texts: Sequence[str]) -> torch.Tensor:
        todo = list(dict.fromkeys(t for t in texts if t not in self._texts))
        for start in range(0, len(todo), self.text_batch):
            chunk = todo[start : start + self.text_batch]
            for text, emb in zip(chunk, self.encoder.encode_texts(chunk), strict=True):
                self._texts[text] = emb
            self.encoded_texts += len(chunk)
        return torch.stack([self._texts[t] for t in texts]) if texts else torch.empty(0)

    def images(self, refs: Sequence[ImageRef], load: Callable[[ImageRef], Image.Image] | None = None) -> torch.Tensor:
        load = load or ImageRef.load
        todo = list(dict.fromkeys(r for r in refs if r not in self._images))
        for start in range(0, len(todo), self.image_batch):
            chunk = todo[start : start + self.image_batch]
            for ref, emb in zip(chunk, self.encoder.encode_images([load(r) for r in chunk]), strict=True):
                self._images[ref] = emb
            self.encoded_images += len(chunk)
        return torch.stack([self._images[r] for r in refs]) if refs else torch.empty(0)


def missing_images(refs: Sequence[ImageRef]) -> list[str]:
    """Image files the items name that are not on disk (checked once per distinct file)."""
    return [p for p in dict.fromkeys(r.path for r in refs) if not Path(p).exists()]
