"""A real neggen run over generated images: two coloured shapes per picture, negatives from a scripted engine.

The run is written by the generator's own pipeline (manifest, captions.parquet, hive-partitioned parts), so the
trainer reads exactly what `neggen generate` produces; only the engine is scripted, for speed.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from neggen.config import GenerateConfig
from neggen.ingest import load_captions
from neggen.run.runners import generate
from neggen.types import NegType
from tests.fakes import ScriptedEngine, last_user_text, reverse_words

COLOURS = {"red": (220, 30, 30), "blue": (30, 60, 220), "green": (30, 170, 60), "yellow": (230, 210, 40)}
SHAPES = ("square", "circle", "triangle")


def draw(shape: str, colour: str, box: tuple[int, int, int, int], canvas: ImageDraw.ImageDraw) -> None:
    fill = COLOURS[colour]
    if shape == "square":
        canvas.rectangle(box, fill=fill)
    elif shape == "circle":
        canvas.ellipse(box, fill=fill)
    else:
        canvas.polygon([(box[0], box[3]), (box[2], box[3]), ((box[0] + box[2]) // 2, box[1])], fill=fill)


def _swap(text: str, a: str, b: str) -> str:
    words = text.rstrip(".").split()
    return " ".join(b if w == a else a if w == b else w for w in words) + "."


def _replace(text: str, old: str, pool) -> str:
    words = text.rstrip(".").split()
    new = next(p for p in pool if p not in words)
    return " ".join(new if w == old else w for w in words) + "."


def reply_for(neg_type: NegType):
    def reply(request) -> list[str]:
        text = last_user_text(request)
        words = text.rstrip(".").split()  # "a red square left of a blue circle"
        c1, s1, c2, s2 = words[1], words[2], words[6], words[7]
        if neg_type is NegType.reshuffle:
            return reverse_words(request)
        if neg_type is NegType.swap_nouns:
            return [_swap(text, s1, s2)]
        if neg_type is NegType.swap_adjectives:
            return [_swap(text, c1, c2)]
        if neg_type is NegType.replace_adjectives:
            return [_replace(text, c1, COLOURS)]
        return [_replace(text, s1, SHAPES)]

    return reply


def make_shapes_run(root: Path, images: int = 24, types=tuple(NegType)) -> tuple[Path, Path]:
    """Writes images and a neggen run under root; returns (run_dir, image_root)."""
    image_root = root / "images"
    image_root.mkdir(parents=True)
    combos = [
        (c1, s1, c2, s2)
        for (c1, c2) in itertools.permutations(COLOURS, 2)
        for (s1, s2) in itertools.permutations(SHAPES, 2)
    ]
    rows = []
    for index, (c1, s1, c2, s2) in enumerate(combos[:images]):
        image = Image.new("RGB", (32, 32), (245, 245, 245))
        canvas = ImageDraw.Draw(image)
        draw(s1, c1, (1, 8, 15, 22), canvas)
        draw(s2, c2, (17, 8, 31, 22), canvas)
        name = f"img{index:03d}.png"
        image.save(image_root / name)
        for caption in (f"a {c1} {s1} left of a {c2} {s2}.", f"a {c2} {s2} right of a {c1} {s1}."):
            rows.append({"image_id": str(index), "image_path": name, "caption": caption})
    source = root / "captions.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    captions, _ = load_captions(source)
    run_dir = root / "run"
    config = GenerateConfig(chunk_size=16, output="sentence")  # the scripted replies are sentences
    for neg_type in types:
        generate(captions, run_dir, [neg_type], 2, ScriptedEngine(reply_for(neg_type)), config)
    return run_dir, image_root


@pytest.fixture(scope="session")
def shapes_run(tmp_path_factory) -> tuple[Path, Path]:
    return make_shapes_run(tmp_path_factory.mktemp("shapes"))
