"""Tiny models and generated images for the evaluator tests."""

from __future__ import annotations

import pytest
import torch
from PIL import Image

from trainer.models import tiny_clip_config
from trainer.tokenizer import train_tokenizer

CORPUS = [
    "a red car parked on the street",
    "a black dog is running on the grass",
    "two cats sleep on a blue couch",
    "a man rides a horse on the beach",
    "a plate of food on a wooden table",
    "there are exactly four cars and two dogs",
    "a woman holds an umbrella in the rain",
]


@pytest.fixture(scope="session")
def tiny_tokenizer():
    return train_tokenizer(CORPUS * 4, vocab_size=400)


@pytest.fixture(scope="session")
def tiny_model(tiny_tokenizer):
    from transformers import CLIPModel

    torch.manual_seed(0)
    return CLIPModel(tiny_clip_config(tiny_tokenizer)).eval()


def colour_image(index: int, size: int = 48) -> Image.Image:
    """A distinct generated picture per index (colour blocks), so a real encoder sees different inputs."""
    g = torch.Generator().manual_seed(index)
    pixels = (torch.rand(size // 8, size // 8, 3, generator=g) * 255).to(torch.uint8)
    small = Image.fromarray(pixels.numpy(), "RGB")
    return small.resize((size, size), Image.Resampling.NEAREST)
