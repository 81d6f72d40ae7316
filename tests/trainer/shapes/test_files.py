"""A written world: official eval formats, every written negative false against its scene graph (read back by
an independent parser), the oracle run readable like any neggen run, the caption file ingestible."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from neggen.cli import app as neggen_app
from neggen.schemas import NEGATIVES
from neggen.text.words import words
from neggen.types import ALL_TYPES
from tests.trainer.shapes.conftest import load_scenes
from tests.trainer.shapes.grammar import parse
from trainer.shapes.build_sugarcrepe import SUBSETS
from trainer.shapes.captions import is_true, mentions_heldout
from trainer.shapes.config import VERSIONS
from trainer.shapes.world import Heldout

VALSE_FILES = ("existence", "counting-hard", "relations", "actant-swap", "foil-it")


def _heldout(world: Path) -> Heldout:
    data = json.loads((world / "world.json").read_text())["heldout"]
    return Heldout(frozenset(map(tuple, data["pairs"])), frozenset(map(tuple, data["triples"])))


def _check_pair(scene, true_text: str, false_text: str) -> None:
    assert is_true(parse(true_text), scene), true_text
    assert not is_true(parse(false_text), scene), false_text
    assert words(true_text) != words(false_text)


def test_world_json(world: Path, small_config) -> None:
    data = json.loads((world / "world.json").read_text())
    assert data["seed"] == small_config.seed and data["config"]["n_train"] == small_config.n_train
    assert data["counts"]["train"]["images"] == small_config.n_train
    assert len(list((world / "images" / "train").glob("*.png"))) == small_config.n_train
    assert not list(world.parent.glob(f".{world.name}.tmp-*"))


def test_sugarcrepe_format_and_negatives_false(world: Path) -> None:
    for version in VERSIONS:
        scenes = load_scenes(world, version)
        for subset in SUBSETS:
            data = json.loads((world / "eval" / version / "sugarcrepe" / f"{subset}.json").read_text())
            assert isinstance(data, dict) and len(data) > 10, (version, subset)
            for key, item in data.items():
                assert isinstance(key, str) and key.isdigit()
                assert set(item) == {"filename", "caption", "negative_caption"}
                assert (world / "images" / version / item["filename"]).exists()
                _check_pair(scenes[item["filename"]], item["caption"], item["negative_caption"])


def test_in_distribution_eval_never_mentions_heldout(world: Path) -> None:
    heldout = _heldout(world)
    for subset in SUBSETS:
        data = json.loads((world / "eval" / "in_distribution" / "sugarcrepe" / f"{subset}.json").read_text())
        for item in data.values():
            for text in (item["caption"], item["negative_caption"]):
                assert not mentions_heldout(parse(text), heldout), text


def test_aro_format_and_false_captions(world: Path, small_config) -> None:
    for version in VERSIONS:
        scenes = load_scenes(world, version)
        for stem, extra in (("visual_genome_relation", "relation_name"), ("visual_genome_attribution", "attributes")):
            items = json.loads((world / "eval" / version / "aro" / f"{stem}.json").read_text())
            assert isinstance(items, list) and items
            for item in items:
                assert {
                    "image_path",
                    "bbox_x",
                    "bbox_y",
                    "bbox_w",
                    "bbox_h",
                    "true_caption",
                    "false_caption",
                    extra,
                } <= set(item)
                assert (item["bbox_x"], item["bbox_y"], item["bbox_w"], item["bbox_h"]) == (0, 0, 64, 64)
                _check_pair(scenes[item["image_path"]], item["true_caption"], item["false_caption"])
            if extra == "attributes":
                assert all(isinstance(i["attributes"], list) and len(i["attributes"]) == 2 for i in items)
            else:
                assert {i["relation_name"] for i in items} == {"left of", "right of", "above", "below"}


def test_valse_format_and_foils(world: Path) -> None:
    for version in VERSIONS:
        scenes = load_scenes(world, version)
        for stem in VALSE_FILES:
            data = json.loads((world / "eval" / version / "valse" / "data" / f"{stem}.json").read_text())
            assert data
            for item in data.values():
                assert item["mturk"] == {"caption": 3, "foil": 0, "other": 0}
                assert {"image_file", "caption", "foil", "dataset", "linguistic_phenomena"} <= set(item)
                _check_pair(scenes[item["image_file"]], item["caption"], item["foil"])
        existence = json.loads((world / "eval" / version / "valse" / "data" / "existence.json").read_text()).values()
        with_no = Counter(" no " in i["caption"] for i in existence)
        assert abs(with_no[True] - with_no[False]) <= 1  # "no" is on the true side half the time


def test_winoground_2x2(world: Path) -> None:
    for version in VERSIONS:
        root = world / "eval" / version / "winoground"
        rows = [json.loads(line) for line in (root / "examples.jsonl").read_text().splitlines()]
        assert len(rows) == 30
        assert {r["collapsed_tag"] for r in rows} == {"Relation", "Object"}
        for row in rows:
            assert {"id", "image_0", "image_1", "caption_0", "caption_1"} <= set(row)
            assert (root / "images" / f"{row['image_0']}.png").exists()
            assert (root / "images" / f"{row['image_1']}.png").exists()
            assert Counter(words(row["caption_0"])) == Counter(words(row["caption_1"]))
            assert row["caption_0"] != row["caption_1"]


def test_karpathy_and_zeroshot(world: Path) -> None:
    for version in VERSIONS:
        scenes = load_scenes(world, version)
        items = json.loads((world / "eval" / version / "coco" / "coco_karpathy_test.json").read_text())
        for item in items:
            assert isinstance(item["caption"], list) and len(item["caption"]) >= 4
            assert item["image"].startswith("val2014/")  # relative to coco/, as the Karpathy split file
            assert all(is_true(parse(c), scenes[Path(item["image"]).name]) for c in item["caption"])
        zs = world / "eval" / version / "zeroshot"
        names = json.loads((zs / "clip_benchmark" / "en_classnames.json").read_text())
        templates = json.loads((zs / "clip_benchmark" / "en_zeroshot_classification_templates.json").read_text())
        assert set(names) == set(templates)
        for dataset, classes in names.items():
            assert all("{c}" in t for t in templates[dataset])
            folders = sorted(p.name for p in (zs / dataset / "test").iterdir())
            assert [f.replace("_", " ") for f in folders] == classes  # ImageFolder's sorted class order
            assert all(any((zs / dataset / "test" / f).glob("*.png")) for f in folders)
    held = json.loads((world / "eval" / "heldout" / "zeroshot" / "clip_benchmark" / "en_classnames.json").read_text())
    assert {tuple(n.split()) for n in held["shapes_object"]} == _heldout(world).pairs


def test_oracle_run_reads_like_a_neggen_run(world: Path) -> None:
    run = world / "oracle"
    frame = pl.scan_parquet(str(run / "negatives" / "**" / "*.parquet")).collect()
    assert frame.schema == pl.from_arrow(NEGATIVES.empty_table()).schema
    assert set(frame["neg_type"].unique()) == {t.value for t in ALL_TYPES}
    assert set(frame["engine"].unique()) == {"oracle"} and set(frame["model"].unique()) == {"scene-graph"}
    hive = pl.scan_parquet(str(run / "negatives" / "**" / "*.parquet"), hive_partitioning=True).collect()
    assert {"type", "shard"} <= set(hive.columns)
    # every accepted oracle negative is false in its image's scene
    scenes = load_scenes(world, "train")
    for row in frame.sample(400, seed=0).iter_rows(named=True):
        _check_pair(scenes[Path(row["image_path"]).name], row["caption"], row["negative"])
    result = CliRunner().invoke(neggen_app, ["status", str(run)])
    assert result.exit_code == 0, result.output
    assert "10/10 type x shard complete" in result.output
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["config"]["engine"] == "oracle"


def test_caption_file_ingests(world: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(neggen_app, ["ingest", str(world / "captions_train.jsonl"), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    table = pl.read_parquet(tmp_path / "captions.parquet")
    lines = (world / "captions_train.jsonl").read_text().splitlines()
    assert table.height == len(lines)
    assert set(table["split"].unique()) == {"train"}
    assert table["image_path"].str.starts_with("images/train/").all()
    assert all((world / p).exists() for p in table["image_path"].head(20))
    oracle_captions = pl.read_parquet(world / "oracle" / "captions.parquet")
    assert sorted(oracle_captions["caption_id"]) == sorted(table["caption_id"])  # same ids as the LLM path
