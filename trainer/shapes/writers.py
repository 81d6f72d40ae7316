"""Write a whole shapes world to disk: images, scene graphs, the training caption source, the oracle run,
and every evaluation set in its official on-disk format. The world is built in a hidden temporary directory
and renamed into place at the end, so a reader sees a complete world or none.

    WORLD/world.json                                  config, seed, held-out definition, counts, layout
    WORLD/images/{train,in_distribution,heldout}/NNNNNN.png
    WORLD/scenes/{train,in_distribution,heldout}.jsonl   {image_id, image_path, scene}
    WORLD/captions_train.jsonl                        neggen ingest source (+ caption_struct)
    WORLD/oracle/                                     a neggen run (engine "oracle", model "scene-graph")
    WORLD/images/finetune/, scenes/finetune.jsonl     the fine-tuning slice (trainer/shapes/finetune.py)
    WORLD/captions_finetune.jsonl, WORLD/oracle_finetune/   its caption source and oracle run
    WORLD/eval/{in_distribution,heldout}/...          see EVAL_FILES

Each eval/<version>/ is a `--data-root` in the layout `python -m trainer eval run` reads (trainer/eval/suite.py),
so the world is evaluated by the same code as the real benchmarks. The benchmarks' image folders there are
relative symbolic links to images/<version>/: every image is written once.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from neggen.ingest import load_captions
from neggen.run.atomic import write_atomic, write_json_atomic
from trainer.eval import valse
from trainer.shapes.benchmarks import VALSE_FILES as VALSE_STEMS
from trainer.shapes.benchmarks import karpathy, valse_sets, vg_attribution, vg_relation
from trainer.shapes.build_sugarcrepe import sugarcrepe_sets
from trainer.shapes.build_winoground import winoground_items
from trainer.shapes.build_zeroshot import classnames, templates_for, zeroshot_images
from trainer.shapes.captions import Caption, exchange_nps, is_true, sample_captions
from trainer.shapes.config import VERSIONS, WorldConfig
from trainer.shapes.finetune import SPLIT as FINETUNE_SPLIT
from trainer.shapes.finetune import slice_config, terse_captions
from trainer.shapes.oracle import write_oracle_run
from trainer.shapes.render import png_bytes, render
from trainer.shapes.world import Heldout, Obj, Scene, exchanged_pair, make_heldout, sample_scene

FORMAT = "neggen-shapes-world/2"
FINETUNE_RUN = "oracle_finetune"  # the oracle neggen run over captions_finetune.jsonl
EVAL_FILES = {
    "sugarcrepe/<subset>.json": "SugarCrepe: {index: {filename, caption, negative_caption}}; coco/val2017/",
    "aro/visual_genome_relation.json": "ARO VG-Relation list; image_path under aro/images/",
    "aro/visual_genome_attribution.json": "ARO VG-Attribution list; image_path under aro/images/",
    "valse/data/<file>.json": "VALSE: {id: {image_file, caption, foil, mturk, ...}}; valse/images/<source>/",
    "winoground/examples.jsonl": "Winoground rows; images in winoground/images/<image_k>.png",
    "coco/coco_karpathy_test.json": "[{image: val2014/<file>, caption: [...]}]; COCO-Order and retrieval",
    "zeroshot/<dataset>/test/<class>/*.png": "ImageFolder; zeroshot/clip_benchmark/en_classnames.json, templates",
}
# The benchmarks' image folders under eval/<version>/, each a link to images/<version>/ (see trainer/eval/).
IMAGE_LINKS = (
    "coco/val2017",
    "coco/val2014",
    "aro/images",
    *sorted({f"valse/images/{valse.IMAGE_DIRS[stem]}" for stem in VALSE_STEMS}),
)


class WorldExists(FileExistsError):
    """The output directory exists and --force was not given."""


def _write_lines(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    text = "".join(json.dumps(row, sort_keys=True) + "\n" for row in rows)
    write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def _write_png(path: Path, scene: Scene, config: WorldConfig) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(png_bytes(render(scene, config.background)))


def _link_images(version_dir: Path, images: Path) -> None:
    for relative in IMAGE_LINKS:
        link = version_dir / relative
        link.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(os.path.relpath(images, link.parent), link, target_is_directory=True)


def _scenes(config: WorldConfig, heldout: Heldout, split: str, n: int) -> list[tuple[str, Scene]]:
    return [(f"{i:06d}.png", sample_scene(config, heldout, split, i)) for i in range(n)]


def _write_split(root: Path, split: str, scenes: list[tuple[str, Scene]], config: WorldConfig) -> None:
    for name, scene in scenes:
        _write_png(root / "images" / split / name, scene, config)
    rows = (
        {"image_id": f"{split}-{Path(n).stem}", "image_path": f"images/{split}/{n}", "scene": s.to_dict()}
        for n, s in scenes
    )
    _write_lines(root / "scenes" / f"{split}.jsonl", rows)


Captioner = Callable[[Scene, random.Random], list[Caption]]


def telling_captions(captioner: Captioner, base: Scene, pair: tuple[Obj, Obj], rng: random.Random) -> list[Caption]:
    """Captions of a twin's base that the exchange makes false (each relates the two exchanged objects), as
    many as the captioner gives at once, drawn from up to 20 of its draws; its first draw when none tells."""
    first = captioner(base, rng)
    found: dict[str, Caption] = {}
    for attempt in range(20):
        for caption in first if attempt == 0 else captioner(base, rng):
            if not is_true(exchange_nps(caption, *pair), base):
                found.setdefault(caption.text(), caption)
        if len(found) >= len(first):
            break
    return list(found.values())[: len(first)] or first


def write_captioned(
    root: Path, config: WorldConfig, heldout: Heldout, split: str, n: int, captioner: Captioner, source: str
) -> dict[tuple[str, str], tuple[Caption, Scene]]:
    """Images, scenes and a neggen caption source of one training split; returns (image_id, text) -> structure."""
    scenes = _scenes(config, heldout, split, n)
    _write_split(root, split, scenes, config)
    twins = config.twins and split == "train"
    # base index -> the two objects its twin (the next image) exchanges, for the bases that have one
    exchanged = {
        i: pair
        for i in range(0, len(scenes) - 1, 2)
        if twins and (pair := exchanged_pair(scenes[i][1], scenes[i + 1][1])) is not None
    }
    per_image: list[list[Caption]] = []
    for i, (_, scene) in enumerate(scenes):
        rng = random.Random(f"{config.seed}/{split}/{i}/captions")
        if i - 1 in exchanged and i % 2:
            # The twin says what its base says with the two objects' names exchanged: the same sentences, so
            # the only way to tell the two images' captions apart is where things are.
            per_image.append([exchange_nps(c, *exchanged[i - 1]) for c in per_image[i - 1]])
        elif i in exchanged:
            per_image.append(telling_captions(captioner, scene, exchanged[i], rng))
        else:
            per_image.append(captioner(scene, rng))
    order = [(i, c) for i, captions in enumerate(per_image) for c in captions]
    if twins:
        # Rows alternate base, twin, base, twin ... so blocks of two rows (data.keep_together = 2) are twins;
        # a pair whose caption counts differ keeps the shorter count, so no block straddles two pairs.
        order = []
        for i in range(0, len(scenes) - 1, 2):
            for base, twin in zip(per_image[i], per_image[i + 1], strict=False):
                order += [(i, base), (i + 1, twin)]
        if len(scenes) % 2:
            order += [(len(scenes) - 1, c) for c in per_image[-1]]
    rows, structures = [], {}
    for i, caption in order:
        name, scene = scenes[i]
        image_id = f"{split}-{Path(name).stem}"
        text = caption.text()
        structures[(image_id, text)] = (caption, scene)
        rows.append(
            {
                "image_id": image_id,
                "image_path": f"images/{split}/{name}",
                "caption": text,
                "split": "train",
                "caption_struct": json.dumps(caption.to_dict(), sort_keys=True),
            }
        )
    _write_lines(root / source, rows)
    return structures


def write_train(root: Path, config: WorldConfig, heldout: Heldout) -> dict[tuple[str, str], tuple[Caption, Scene]]:
    """The pretraining split: the whole world, every caption style (captions_train.jsonl)."""
    return write_captioned(
        root,
        config,
        heldout,
        "train",
        config.n_train,
        lambda scene, rng: sample_captions(scene, rng, config.captions_per_image, config.p_incomplete, config.p_where),
        "captions_train.jsonl",
    )


def write_finetune(root: Path, config: WorldConfig, heldout: Heldout) -> dict[tuple[str, str], tuple[Caption, Scene]]:
    """The fine-tuning slice (captions_finetune.jsonl): trainer/shapes/finetune.py."""
    part = slice_config(config)
    k = config.finetune.captions_per_image
    return write_captioned(
        root,
        part,
        heldout,
        FINETUNE_SPLIT,
        config.n_finetune,
        lambda scene, rng: terse_captions(scene, rng, k),
        "captions_finetune.jsonl",
    )


def write_oracle(
    root: Path,
    config: WorldConfig,
    heldout: Heldout,
    structures: dict,
    source: str = "captions_train.jsonl",
    run: str = "oracle",
) -> dict[str, dict[str, int]]:
    """Ingest a caption source exactly as `neggen generate --captions` would, then run the oracle."""
    table, _ = load_captions(root / source)
    lookup = {
        row["caption_id"]: structures[(row["image_id"], row["caption"])]
        for row in table.select(["caption_id", "image_id", "caption"]).to_pylist()
    }
    summaries = write_oracle_run(root / run, table, lookup, config, heldout)
    return {t: {"accepted": s.accepted[t], "rejected": s.rejected[t]} for t, s in summaries.items()}


def write_eval(root: Path, config: WorldConfig, heldout: Heldout, version: str) -> dict[str, int]:
    """Every evaluation set of one version; returns item counts per file."""
    scenes = _scenes(config, heldout, version, config.n_eval)
    _write_split(root, version, scenes, config)
    out = root / "eval" / version
    counts: dict[str, int] = {"images": len(scenes)}
    for subset, items in sugarcrepe_sets(scenes, config, heldout, version).items():
        write_json_atomic(out / "sugarcrepe" / f"{subset}.json", items)
        counts[f"sugarcrepe/{subset}"] = len(items)
    for stem, items in (
        ("visual_genome_relation", vg_relation(scenes, config)),
        ("visual_genome_attribution", vg_attribution(scenes, config)),
    ):
        write_json_atomic(out / "aro" / f"{stem}.json", items)
        counts[f"aro/{stem}"] = len(items)
    for stem, items in valse_sets(scenes, config).items():
        write_json_atomic(out / "valse" / "data" / f"{stem}.json", items)
        counts[f"valse/{stem}"] = len(items)
    rows = []
    for row, first, second in winoground_items(config, heldout, version):
        _write_png(out / "winoground" / "images" / f"{row['image_0']}.png", first, config)
        _write_png(out / "winoground" / "images" / f"{row['image_1']}.png", second, config)
        rows.append(row)
    _write_lines(out / "winoground" / "examples.jsonl", rows)
    counts["winoground"] = len(rows)
    items = [{**item, "image": f"val2014/{item['image']}"} for item in karpathy(scenes, config)]
    write_json_atomic(out / "coco" / "coco_karpathy_test.json", items)
    counts["karpathy_test"] = len(items)
    images = zeroshot_images(config, heldout, version)
    for scene, paths in images:
        data = png_bytes(render(scene, config.background))
        for relative in paths:
            target = out / "zeroshot" / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    prompts = out / "zeroshot" / "clip_benchmark"
    names = classnames(config, heldout, version)
    write_json_atomic(prompts / "en_classnames.json", names)
    write_json_atomic(prompts / "en_zeroshot_classification_templates.json", templates_for(names))
    _link_images(out, root / "images" / version)
    counts["zeroshot_images"] = len(images)
    return counts


def make_world(config: WorldConfig, out: Path, force: bool = False) -> tuple[dict[str, Any], dict[str, float]]:
    """Build the world under a temporary name, then rename it to `out`. Returns (world.json, seconds per step)."""
    out = Path(out)
    if out.exists() and not force:
        raise WorldExists(f"{out} exists; pass --force to replace it")
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    try:
        heldout = make_heldout(config)
        structures = write_train(tmp, config, heldout)
        timings["train"] = time.perf_counter() - started
        counts: dict[str, Any] = {
            "train": {"images": config.n_train, "captions": len(structures)},
        }
        for version in VERSIONS:
            mark = time.perf_counter()
            counts[version] = write_eval(tmp, config, heldout, version)
            timings[version] = time.perf_counter() - mark
        mark = time.perf_counter()
        counts["oracle"] = write_oracle(tmp, config, heldout, structures)
        timings["oracle"] = time.perf_counter() - mark
        mark = time.perf_counter()
        sliced = write_finetune(tmp, config, heldout)
        counts["finetune"] = {"images": config.n_finetune, "captions": len(sliced)}
        counts["finetune_oracle"] = write_oracle(
            tmp, slice_config(config), heldout, sliced, "captions_finetune.jsonl", FINETUNE_RUN
        )
        timings["finetune"] = time.perf_counter() - mark
        world = {
            "format": FORMAT,
            "seed": config.seed,
            "config": config.model_dump(mode="json"),
            "heldout": heldout.to_dict(),
            "counts": counts,
            "layout": {
                "train_captions": "captions_train.jsonl (image_path relative to the world directory)",
                "oracle_run": "oracle",
                "finetune_captions": "captions_finetune.jsonl (the fine-tuning slice)",
                "finetune_run": FINETUNE_RUN,
                "image_roots": {v: f"images/{v}" for v in VERSIONS},
                "eval": {f"eval/<version>/{k}": v for k, v in EVAL_FILES.items()},
            },
        }
        write_json_atomic(tmp / "world.json", world)
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    timings["total"] = time.perf_counter() - started
    return world, timings
