"""Flowers-102 and Stanford Cars (MATLAB .mat annotations, torchvision's layouts) and the 11-dataset average."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.conftest import annotation_file
from tests.trainer.eval.conftest import colour_image
from trainer.eval import zeroshot
from trainer.eval.embed import ClipEncoder, EmbeddingCache, ImageRef
from trainer.eval.imagefolders import READERS, Labelled, flowers
from trainer.eval.missing import MissingData
from trainer.eval.results import Record, write_record

try:
    from scipy.io import savemat
except ImportError:  # a skip would hide that the .mat readers never ran: fail, naming what is missing
    pytest.fail("missing scipy: install the eval extra (pip install -e '.[eval]'; make setup does)", pytrace=False)

CARS = ["AM General Hummer SUV 2000", "Acura RL Sedan 2012", "Acura TL Sedan 2012"]


@pytest.fixture(scope="module")
def classnames():
    return json.loads(annotation_file("clip_benchmark/en_classnames.json").read_text())


def _flowers(root):
    # imagelabels.mat: labels[k] is the 1-based class of image k+1; setid.mat: trnid / valid / tstid image ids.
    base = root / "flowers-102"
    (base / "jpg").mkdir(parents=True)
    savemat(base / "imagelabels.mat", {"labels": np.array([[1, 1, 77, 102, 2, 77]], dtype=np.float64)})
    ids = {"trnid": [1, 5], "valid": [2], "tstid": [6, 3, 4]}
    savemat(base / "setid.mat", {k: np.array([v], dtype=np.float64) for k, v in ids.items()})
    for image_id in range(1, 7):
        colour_image(image_id).save(base / "jpg" / f"image_{image_id:05d}.jpg")
    return base


def _cars(root):
    # cars_test_annos_withlabels.mat: a 1xN struct array (bbox_*, class 1-based, fname); devkit/cars_meta.mat:
    # class_names, a 1x196 cell array of strings (three here).
    base = root / "stanford_cars"
    (base / "devkit").mkdir(parents=True)
    (base / "cars_test").mkdir()
    fields = ["bbox_x1", "bbox_y1", "bbox_x2", "bbox_y2", "class", "fname"]
    rows = [(3, "00001.jpg"), (1, "00002.jpg"), (3, "00003.jpg"), (2, "00004.jpg")]
    annotations = np.zeros((1, len(rows)), dtype=[(f, "O") for f in fields])
    for i, (cls, fname) in enumerate(rows):
        annotations[0, i] = (10, 20, 30, 40, np.uint8(cls), fname)
        colour_image(100 + i).save(base / "cars_test" / fname)
    savemat(base / "cars_test_annos_withlabels.mat", {"annotations": annotations})
    savemat(base / "devkit" / "cars_meta.mat", {"class_names": np.array([CARS], dtype=object)})
    return base


def test_flowers_test_split_and_zero_based_labels(tmp_path, classnames):
    base = _flowers(tmp_path)
    data = READERS["flowers"](tmp_path, classnames)
    assert [(r.path, label) for r, label in zip(data.refs, data.labels, strict=True)] == [
        (str(base / "jpg" / "image_00006.jpg"), 76),
        (str(base / "jpg" / "image_00003.jpg"), 76),
        (str(base / "jpg" / "image_00004.jpg"), 101),
    ]
    assert data.classnames == classnames["flowers"] and len(data.classnames) == 102
    assert data.classnames[:2] == ["pink primrose", "hard-leaved pocket orchid"]
    assert data.classnames[101] == "blackberry lily"


def test_one_test_image_survives_squeeze_me(tmp_path, classnames):
    base = _flowers(tmp_path)
    savemat(base / "setid.mat", {"trnid": np.array([[1]]), "valid": np.array([[2]]), "tstid": np.array([[5]])})
    data = flowers(tmp_path, classnames)
    assert [r.path for r in data.refs] == [str(base / "jpg" / "image_00005.jpg")] and data.labels == [1]


def test_cars_test_annotations_and_class_names(tmp_path, classnames):
    base = _cars(tmp_path)
    data = READERS["cars"](tmp_path, classnames)
    assert [(r.path, label) for r, label in zip(data.refs, data.labels, strict=True)] == [
        (str(base / "cars_test" / "00001.jpg"), 2),
        (str(base / "cars_test" / "00002.jpg"), 0),
        (str(base / "cars_test" / "00003.jpg"), 2),
        (str(base / "cars_test" / "00004.jpg"), 1),
    ]
    assert "cars" not in classnames  # CLIP_benchmark uses the dataset's own names (cars_meta.mat) for cars
    assert data.classnames == CARS


def test_flowers_and_cars_end_to_end(tmp_path, classnames, tiny_model, tiny_tokenizer, capsys):
    _flowers(tmp_path)
    _cars(tmp_path)
    cache = EmbeddingCache(ClipEncoder(tiny_model, tiny_tokenizer))
    records = zeroshot.evaluate(cache, tmp_path, annotation_file("clip_benchmark/en_classnames.json").parent)
    by = {r.subset: r for r in records}
    assert set(by) == {"flowers", "cars"}  # nine datasets missing: no average
    assert by["flowers"].n_items == 3 and by["flowers"].info["n_classes"] == 102
    assert by["cars"].n_items == 4 and by["cars"].info["n_classes"] == 3
    assert "no average written, it needs all 11 datasets (2 evaluated)" in capsys.readouterr().out


def _stub(index: int):
    def reader(root, classnames) -> Labelled:
        refs = [ImageRef(f"stub{index}#{i}") for i in range(3)]
        return Labelled(refs, [0, 1, 1], ["red car", "black dog"], lambda ref: colour_image(index * 10 + 1))

    return reader


def test_average_is_written_when_all_eleven_are_present(tmp_path, monkeypatch, tiny_model, tiny_tokenizer):
    assert len(READERS) == 11
    monkeypatch.setattr(zeroshot, "READERS", {name: _stub(i) for i, name in enumerate(READERS)})
    cache = EmbeddingCache(ClipEncoder(tiny_model, tiny_tokenizer))
    records = zeroshot.evaluate(cache, tmp_path, annotation_file("clip_benchmark/en_classnames.json").parent)
    summary = records[-1]
    assert [r.subset for r in records] == [*READERS, "summary"]
    assert summary.metrics["avg"] == pytest.approx(sum(r.metrics["acc1"] for r in records[:-1]) / 11)
    assert summary.n_items == 33 and summary.info["datasets"] == list(READERS)
    path = write_record(tmp_path / "out", "stub", summary)
    assert json.loads(path.read_text())["metrics"]["avg"] == pytest.approx(summary.metrics["avg"])


# DeGLA (arXiv 2504.16801) Table 5, "Zero-shot classification performance on 11 datasets", from the authors'
# repository xiaoxing2001/DeGLA, assets/zero-shot.png (commit 1c5e960): CIFAR10, CIFAR100, Food101, Pets,
# Flowers, SUN397, Cars, DTD, Caltech101, Aircraft, ImageNet, then the printed Avg.
TABLE_5 = {
    "CLIP": ((86.5, 61.0, 78.5, 79.6, 58.4, 59.9, 48.8, 38.7, 86.3, 15.3, 57.9), 61.0),
    "DeGLA": ((86.5, 59.5, 75.6, 76.0, 52.8, 59.5, 45.7, 38.1, 84.0, 14.1, 54.5), 58.7),
}


@pytest.mark.parametrize("model", TABLE_5)
def test_average_is_the_plain_mean_of_the_papers_eleven_columns(model):
    columns, printed = TABLE_5[model]
    records = [
        Record(benchmark="zeroshot", subset=name, task=zeroshot.TASK, metrics={"acc1": acc}, n_items=1)
        for name, acc in zip(READERS, columns, strict=True)
    ]
    assert zeroshot.average(records).metrics["avg"] == pytest.approx(printed, abs=0.1)  # inputs rounded to 0.1


def test_missing_scipy_reads_as_missing_data(tmp_path, classnames, monkeypatch):
    import builtins

    _flowers(tmp_path)
    real_import = builtins.__import__

    def no_scipy(name, *args, **kwargs):
        if name.startswith("scipy"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_scipy)
    with pytest.raises(MissingData, match=r"needs scipy .*\[eval\]"):
        flowers(tmp_path, classnames)
