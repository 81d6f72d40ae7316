"""Scene -> RGB image with Pillow. No anti-aliasing, no randomness: the same scene gives the same pixels."""

from __future__ import annotations

import io
import math

from PIL import Image, ImageDraw

from trainer.shapes.config import RGB
from trainer.shapes.world import Obj, Scene


def _polygon(x: float, y: float, radii: list[float], start_deg: float) -> list[tuple[float, float]]:
    step = 360.0 / len(radii)
    return [
        (x + r * math.cos(math.radians(start_deg + i * step)), y + r * math.sin(math.radians(start_deg + i * step)))
        for i, r in enumerate(radii)
    ]


def draw_object(image: Image.Image, obj: Obj, fill: int | tuple[int, int, int]) -> None:
    """Draw one object inside its bounding circle (centre x, y, radius r)."""
    draw = ImageDraw.Draw(image)
    x, y, r = obj.x, obj.y, obj.r
    if obj.shape == "moon":  # a crescent: a disc minus an offset disc, clipped to the bounding circle
        mask = Image.new("L", image.size, 0)
        cut = ImageDraw.Draw(mask)
        cut.ellipse([x - r, y - r, x + r, y + r], fill=255)
        cut.ellipse([x - 0.45 * r, y - 0.85 * r, x + 1.25 * r, y + 0.85 * r], fill=0)
        image.paste(fill, mask=mask)
    elif obj.shape == "circle":
        draw.ellipse([x - r, y - r, x + r, y + r], fill=fill)
    elif obj.shape == "square":
        h = r * 0.7  # corners at 0.99 r
        draw.rectangle([x - h, y - h, x + h, y + h], fill=fill)
    elif obj.shape == "triangle":
        draw.polygon(_polygon(x, y, [r] * 3, -90), fill=fill)
    elif obj.shape == "star":
        draw.polygon(_polygon(x, y, [r, r * 0.45] * 5, -90), fill=fill)
    elif obj.shape == "diamond":
        draw.polygon([(x, y - r), (x + r * 0.7, y), (x, y + r), (x - r * 0.7, y)], fill=fill)
    elif obj.shape == "hexagon":
        draw.polygon(_polygon(x, y, [r] * 6, 0), fill=fill)
    elif obj.shape == "cross":
        w = r * 0.32
        draw.rectangle([x - r * 0.9, y - w, x + r * 0.9, y + w], fill=fill)
        draw.rectangle([x - w, y - r * 0.9, x + w, y + r * 0.9], fill=fill)
    elif obj.shape == "heart":
        lobe = r * 0.45
        draw.ellipse([x - 2 * lobe, y - r * 0.75, x, y - r * 0.75 + 2 * lobe], fill=fill)
        draw.ellipse([x, y - r * 0.75, x + 2 * lobe, y - r * 0.75 + 2 * lobe], fill=fill)
        draw.polygon([(x - 2 * lobe, y - r * 0.75 + lobe), (x + 2 * lobe, y - r * 0.75 + lobe), (x, y + r)], fill=fill)
    else:
        raise ValueError(f"no drawing for shape {obj.shape!r}")


def render(scene: Scene, background: tuple[int, int, int] = (0, 0, 0)) -> Image.Image:
    image = Image.new("RGB", (scene.size, scene.size), background)
    for obj in scene.objects:
        draw_object(image, obj, RGB[obj.colour])
    return image


def object_masks(scene: Scene) -> list[Image.Image]:
    """One binary mask (mode "1") per object, drawn alone: for checking that objects never touch."""
    masks = []
    for obj in scene.objects:
        mask = Image.new("1", (scene.size, scene.size), 0)
        draw_object(mask, obj, 1)
        masks.append(mask)
    return masks


def png_bytes(image: Image.Image) -> bytes:
    """PNG encoding is deterministic for the same pixels (no timestamps or text chunks)."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False, compress_level=6)
    return buffer.getvalue()
