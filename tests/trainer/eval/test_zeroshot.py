"""Zero-shot classification: metrics by hand, and the readers on fixtures in torchvision's layouts."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest
import torch

from tests.conftest import annotation_file
from tests.trainer.eval.conftest import colour_image
from trainer.eval import zeroshot
from trainer.eval.embed import ClipEncoder, EmbeddingCache
from trainer.eval.imagefolders import READERS


def test_metrics_by_hand():
    logits = torch.tensor([[3.0, 2.0, 1.0], [1.0, 3.0, 2.0], [1.0, 2.0, 3.0], [5.0, 5.0, 0.0]])
    labels = torch.tensor([0, 2, 2, 1])
    out, ties = zeroshot.metrics(logits, labels)
    assert out["acc1"] == pytest.approx(50.0)  # rows 0 and 2; row 3 ties and topk takes class 0
    assert out["acc5"] == 100.0  # k = min(5, 3 classes)
    assert out["mean_per_class_recall"] == pytest.approx((1 + 0.5 + 0) / 3 * 100)
    assert ties == 1


def _write_fixtures(root):
    # CIFAR-10: pickled dict of uint8 rows (3072 = 3x32x32, channel-major) and labels
    base = root / "cifar-10-batches-py"
    base.mkdir(parents=True)
    data = np.stack([np.asarray(colour_image(i, 32)).transpose(2, 0, 1).reshape(-1) for i in range(6)])
    with open(base / "test_batch", "wb") as f:
        pickle.dump({b"data": data, b"labels": [0, 1, 2, 3, 4, 5]}, f)
    names = [b"airplane", b"automobile", b"bird", b"cat", b"deer", b"dog", b"frog", b"horse", b"ship", b"truck"]
    with open(base / "batches.meta", "wb") as f:
        pickle.dump({b"label_names": names}, f)
    # DTD: labels/test1.txt with class/file lines, images/<class>/
    dtd = root / "dtd" / "dtd"
    for c, cls in enumerate(("banded", "dotted", "zigzagged")):
        (dtd / "images" / cls).mkdir(parents=True)
        for i in range(2):
            colour_image(50 + c * 2 + i).save(dtd / "images" / cls / f"{cls}_{i:04d}.jpg")
    (dtd / "labels").mkdir()
    (dtd / "labels" / "test1.txt").write_text(
        "banded/banded_0000.jpg\ndotted/dotted_0001.jpg\nzigzagged/zigzagged_0000.jpg\n"
    )
    # Food-101: meta/classes.txt, meta/test.json {class: ["class/id"]}, images/<class>/<id>.jpg
    food = root / "food-101"
    (food / "meta").mkdir(parents=True)
    (food / "meta" / "classes.txt").write_text("apple_pie\nbaby_back_ribs\n")
    test = {"apple_pie": ["apple_pie/101"], "baby_back_ribs": ["baby_back_ribs/202", "baby_back_ribs/203"]}
    (food / "meta" / "test.json").write_text(json.dumps(test))
    for cls, ids in test.items():
        (food / "images" / cls).mkdir(parents=True)
        for image_id in ids:
            colour_image(int(image_id.split("/")[1])).save(food / "images" / f"{image_id}.jpg")
    # FGVC-Aircraft: data/variants.txt, data/images_variant_test.txt ("id variant name"), data/images/<id>.jpg
    air = root / "fgvc-aircraft-2013b" / "data"
    (air / "images").mkdir(parents=True)
    (air / "variants.txt").write_text("707-320\nA300B4\nCessna 172\n")
    (air / "images_variant_test.txt").write_text("1514522 707-320\n0056978 Cessna 172\n")
    for image_id in ("1514522", "0056978"):
        colour_image(int(image_id) % 97).save(air / "images" / f"{image_id}.jpg")


def test_readers_and_end_to_end(tmp_path, tiny_model, tiny_tokenizer):
    _write_fixtures(tmp_path)
    classnames = json.loads(annotation_file("clip_benchmark/en_classnames.json").read_text())
    cifar = READERS["cifar10"](tmp_path, classnames)
    assert cifar.labels == [0, 1, 2, 3, 4, 5] and cifar.classnames[1] == "automobile"
    assert np.array_equal(np.asarray(cifar.load(cifar.refs[2])), np.asarray(colour_image(2, 32)))
    dtd = READERS["dtd"](tmp_path, classnames)
    assert dtd.labels == [0, 1, 2] and dtd.classnames == ["banded", "dotted", "zigzagged"]
    food = READERS["food101"](tmp_path, classnames)
    assert food.labels == [0, 1, 1] and food.classnames == ["apple pie", "baby back ribs"]
    air = READERS["fgvc_aircraft"](tmp_path, classnames)
    assert air.labels == [0, 2] and air.classnames[2] == "Cessna 172"

    cache = EmbeddingCache(ClipEncoder(tiny_model, tiny_tokenizer))
    records = zeroshot.evaluate(cache, tmp_path, annotation_file("clip_benchmark/en_classnames.json").parent)
    by = {r.subset: r for r in records}
    assert set(by) == {"cifar10", "dtd", "food101", "fgvc_aircraft"}  # no summary: not all 11 present
    assert by["cifar10"].n_items == 6 and by["cifar10"].info["n_classes"] == 10
    for record in records:
        assert 0 <= record.metrics["acc1"] <= record.metrics["acc5"] <= 100
