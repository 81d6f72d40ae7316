"""Benchmark fixtures written in each official on-disk format, with generated images."""

from __future__ import annotations

import json
from pathlib import Path

from tests.trainer.eval.conftest import colour_image

SC_ROWS = [
    ("a red car parked on the street", "a blue car parked on the street"),
    ("a black dog is running on the grass", "a black cat is running on the grass"),
    ("two cats sleep on a blue couch", "two cats sleep under a blue couch"),
    ("a man rides a horse on the beach", "a horse rides a man on the beach"),
]


def write_sugarcrepe(root: Path) -> None:
    """<root>/sugarcrepe/<subset>.json (object from non-contiguous string index) + <root>/coco/val2017/*.jpg."""
    (root / "sugarcrepe").mkdir(parents=True)
    (root / "coco" / "val2017").mkdir(parents=True)
    for s, subset in enumerate(("swap_obj", "add_att")):
        data = {}
        for i, (caption, negative) in enumerate(SC_ROWS):
            name = f"{s * 100 + i:012d}.jpg"
            colour_image(s * 100 + i).save(root / "coco" / "val2017" / name)
            data[str(i * 2 + 1)] = {"filename": name, "caption": caption, "negative_caption": negative}
        (root / "sugarcrepe" / f"{subset}.json").write_text(json.dumps(data, indent=4))


def write_aro(root: Path) -> None:
    """<root>/aro/visual_genome_{relation,attribution}.json (lists with boxes) + <root>/aro/images/*.jpg."""
    images = root / "aro" / "images"
    images.mkdir(parents=True)
    for i in range(3):
        colour_image(200 + i, size=64).save(images / f"{i}.jpg")
    box = {"bbox_x": 8, "bbox_y": 4, "bbox_w": 40, "bbox_h": 50}
    relations = []
    for i, rel in enumerate(["on", "on", "sitting on", "near", "behind", "behind"]):
        relations.append(
            {
                "image_id": str(i),
                "image_path": f"{i % 3}.jpg",
                **box,
                "relation_name": rel,
                "true_caption": f"the dog is {rel} the car",
                "false_caption": f"the car is {rel} the dog",
            }
        )
    (root / "aro" / "visual_genome_relation.json").write_text(json.dumps(relations))
    attributes = []
    for i in range(30):
        pair = ["red", "wooden"] if i < 26 else ["black", "small"]
        attributes.append(
            {
                "image_path": f"{i % 3}.jpg",
                **box,
                "attributes": pair,
                "true_caption": f"the {pair[0]} car and the {pair[1]} table",
                "false_caption": f"the {pair[1]} car and the {pair[0]} table",
            }
        )
    (root / "aro" / "visual_genome_attribution.json").write_text(json.dumps(attributes))


def write_karpathy(root: Path, karpathy_rows: list[dict]) -> None:
    """<root>/coco/coco_karpathy_test.json (real captions) + val2014 images; Flickr the same way."""
    for folder, name, image_dir in (
        ("coco", "coco_karpathy_test.json", None),
        ("flickr30k", "flickr30k_test.json", "flickr30k-images"),
    ):
        rows = []
        for i, row in enumerate(karpathy_rows):
            image = row["image"] if image_dir is None else f"{image_dir}/{i}.jpg"
            path = root / folder / image
            path.parent.mkdir(parents=True, exist_ok=True)
            colour_image(300 + i).save(path)
            rows.append({"image": image, "caption": row["caption"]})
        (root / folder / name).write_text(json.dumps(rows))


def write_valse(root: Path) -> None:
    """<root>/valse/data/<piece>.json (object from id) + images routed per file and by COCO prefix."""
    from trainer.eval.valse import FILES, image_dir_for

    (root / "valse" / "data").mkdir(parents=True)
    for f, stem in enumerate(FILES):
        data = {}
        for i, (caption, foil) in enumerate(SC_ROWS[:3]):
            image_file = f"COCO_val2014_000000000{i}.jpg" if stem == "foil-it" else f"{stem}_{i}.jpg"
            folder = root / "valse" / "images" / image_dir_for(stem, image_file)
            folder.mkdir(parents=True, exist_ok=True)
            colour_image(400 + f * 10 + i).save(folder / image_file)
            data[f"{stem}_{i}"] = {
                "dataset": "x",
                "image_file": image_file,
                "caption": caption,
                "foil": foil,
                "linguistic_phenomena": stem,
                "mturk": {"caption": 1 if i == 2 else 3, "foil": 0, "other": 0},
            }
        (root / "valse" / "data" / f"{stem}.json").write_text(json.dumps(data))
