"""The paper's image transforms without torchvision: Pillow for decode/crop/resize, torch for the rest.

Train: RandomResizedCrop(size, scale 0.9-1.0, ratio 3/4-4/3, bicubic); eval: Resize(shorter side, bicubic) +
CenterCrop; both then scale to [0, 1] and normalise with OpenAI CLIP's mean and std.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
from PIL import Image

OPENAI_MEAN = (0.48145466, 0.4578275, 0.40821073)
OPENAI_STD = (0.26862954, 0.26130258, 0.27577711)


def open_rgb(path: str | Path) -> Image.Image:
    with Image.open(path) as image:
        return image.convert("RGB")


def to_tensor(image: Image.Image) -> torch.Tensor:
    data = torch.frombuffer(bytearray(image.tobytes()), dtype=torch.uint8)
    pixels = data.view(image.height, image.width, 3).permute(2, 0, 1).float().div_(255.0)
    mean = torch.tensor(OPENAI_MEAN).view(3, 1, 1)
    std = torch.tensor(OPENAI_STD).view(3, 1, 1)
    return (pixels - mean) / std


def random_resized_box(
    width: int,
    height: int,
    generator: torch.Generator,
    scale: tuple[float, float] = (0.9, 1.0),
    ratio: tuple[float, float] = (3 / 4, 4 / 3),
) -> tuple[int, int, int, int]:
    """(left, top, w, h) as torchvision's RandomResizedCrop draws it; centre crop after 10 misses."""
    area = width * height
    log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
    for _ in range(10):
        u = torch.rand(2, generator=generator).tolist()
        target = area * (scale[0] + u[0] * (scale[1] - scale[0]))
        aspect = math.exp(log_ratio[0] + u[1] * (log_ratio[1] - log_ratio[0]))
        w = round(math.sqrt(target * aspect))
        h = round(math.sqrt(target / aspect))
        if 0 < w <= width and 0 < h <= height:
            top = int(torch.randint(0, height - h + 1, (1,), generator=generator))
            left = int(torch.randint(0, width - w + 1, (1,), generator=generator))
            return left, top, w, h
    in_ratio = width / height
    if in_ratio < ratio[0]:
        w, h = width, round(width / ratio[0])
    elif in_ratio > ratio[1]:
        w, h = round(height * ratio[1]), height
    else:
        w, h = width, height
    return (width - w) // 2, (height - h) // 2, w, h


def train_transform(image: Image.Image, size: int, generator: torch.Generator) -> torch.Tensor:
    left, top, w, h = random_resized_box(image.width, image.height, generator)
    crop = image.resize((size, size), Image.Resampling.BICUBIC, box=(left, top, left + w, top + h))
    return to_tensor(crop)


def eval_transform(image: Image.Image, size: int) -> torch.Tensor:
    scale = size / min(image.width, image.height)
    width, height = max(size, round(image.width * scale)), max(size, round(image.height * scale))
    resized = image.resize((width, height), Image.Resampling.BICUBIC)
    left, top = (width - size) // 2, (height - size) // 2
    return to_tensor(resized.crop((left, top, left + size, top + size)))
