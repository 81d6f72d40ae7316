"""Readers for the extracted on-disk layouts torchvision uses for the 11 zero-shot datasets (test splits).

Each reader takes the torchvision `root` (here `<data-root>/zeroshot`) and returns image references, labels and
the class names the CLIP_benchmark protocol uses (its `en_classnames.json` where it has the dataset, else the
dataset's own names with CLIP_benchmark's clean-ups). Written from torchvision's and CLIP_benchmark's dataset
definitions; nothing is downloaded.

    cifar10        cifar-10-batches-py/{test_batch,batches.meta}            (pickled arrays)
    cifar100       cifar-100-python/{test,meta}                             (pickled arrays)
    food101        food-101/meta/{classes.txt,test.json}, food-101/images/<class>/<id>.jpg
    pets           oxford-iiit-pet/annotations/test.txt, oxford-iiit-pet/images/<id>.jpg
    sun397         SUN397/ClassName.txt, SUN397/<letter>/<class>/sun_*.jpg   (all images, as torchvision)
    fgvc_aircraft  fgvc-aircraft-2013b/data/{variants.txt,images_variant_test.txt,images/<id>.jpg}
    dtd            dtd/dtd/labels/test1.txt, dtd/dtd/images/<class>/<file>.jpg
    caltech101     caltech101/101_ObjectCategories/<category>/image_*.jpg   (BACKGROUND_Google kept, as CLIP_benchmark)
    imagenet1k     imagenet/val/<wnid>/*.JPEG                                (sorted wnids)
    <any other>    <name>/test/<class>/*.{png,jpg,jpeg}  torchvision ImageFolder; the class names file lists the
                   classes in sorted-folder order, folder = class name with "_" for spaces (e.g. the shapes world)
    flowers        flowers-102/{imagelabels.mat,setid.mat}, flowers-102/jpg/image_<id:05d>.jpg  (test = tstid)
    cars           stanford_cars/{cars_test_annos_withlabels.mat,devkit/cars_meta.mat,cars_test/<fname>}

The two MATLAB (.mat) layouts are read with scipy.io.loadmat (the `eval` extra), as torchvision reads them.
"""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from PIL import Image

from trainer.eval.embed import ImageRef
from trainer.eval.missing import MissingData


@dataclass
class Labelled:
    refs: list[ImageRef]
    labels: list[int]
    classnames: list[str]
    load: Callable[[ImageRef], Image.Image] = ImageRef.load


def _need(path: Path) -> Path:
    if not path.exists():
        raise MissingData(f"{path} is missing")
    return path


def _cifar(root: Path, folder: str, data_file: str, meta_file: str, label_key: bytes, names_key: bytes) -> Labelled:
    base = _need(root / folder)
    with open(_need(base / data_file), "rb") as f:
        batch = pickle.load(f, encoding="bytes")
    with open(_need(base / meta_file), "rb") as f:
        meta = pickle.load(f, encoding="bytes")
    pixels = torch.as_tensor(batch[b"data"]).view(-1, 3, 32, 32).permute(0, 2, 3, 1).contiguous()
    names = [n.decode() for n in meta[names_key]]
    refs = [ImageRef(f"{base / data_file}#{i}") for i in range(pixels.shape[0])]

    def load(ref: ImageRef) -> Image.Image:
        return Image.fromarray(pixels[int(ref.path.rsplit("#", 1)[1])].numpy(), "RGB")

    return Labelled(refs, [int(x) for x in batch[label_key]], names, load)


def cifar10(root: Path, classnames: dict) -> Labelled:
    return _cifar(root, "cifar-10-batches-py", "test_batch", "batches.meta", b"labels", b"label_names")


def cifar100(root: Path, classnames: dict) -> Labelled:
    return _cifar(root, "cifar-100-python", "test", "meta", b"fine_labels", b"fine_label_names")


def food101(root: Path, classnames: dict) -> Labelled:
    base = _need(root / "food-101")
    classes = _need(base / "meta" / "classes.txt").read_text().split()
    index = {c: i for i, c in enumerate(classes)}
    refs, labels = [], []
    for cls, ids in json.loads(_need(base / "meta" / "test.json").read_text()).items():
        for image_id in ids:
            refs.append(ImageRef(str(base / "images" / f"{image_id}.jpg")))
            labels.append(index[cls])
    return Labelled(refs, labels, [c.replace("_", " ") for c in classes])


def pets(root: Path, classnames: dict) -> Labelled:
    base = _need(root / "oxford-iiit-pet")
    refs, labels = [], []
    for line in _need(base / "annotations" / "test.txt").read_text().splitlines():
        if line.strip():
            image_id, label, *_ = line.split()
            refs.append(ImageRef(str(base / "images" / f"{image_id}.jpg")))
            labels.append(int(label) - 1)
    return Labelled(refs, labels, list(classnames["pets"]))


def sun397(root: Path, classnames: dict) -> Labelled:
    base = _need(root / "SUN397")
    classes = [c[3:].strip() for c in _need(base / "ClassName.txt").read_text().splitlines() if c.strip()]
    index = {c: i for i, c in enumerate(classes)}
    refs, labels = [], []
    for path in sorted(base.rglob("sun_*.jpg")):
        refs.append(ImageRef(str(path)))
        labels.append(index["/".join(path.relative_to(base).parts[1:-1])])
    return Labelled(refs, labels, [c.replace("_", " ").replace("/", " ") for c in classes])


def fgvc_aircraft(root: Path, classnames: dict) -> Labelled:
    base = _need(root / "fgvc-aircraft-2013b" / "data")
    classes = [c.strip() for c in _need(base / "variants.txt").read_text().splitlines() if c.strip()]
    index = {c: i for i, c in enumerate(classes)}
    refs, labels = [], []
    for line in _need(base / "images_variant_test.txt").read_text().splitlines():
        if line.strip():
            image_id, variant = line.strip().split(" ", 1)
            refs.append(ImageRef(str(base / "images" / f"{image_id}.jpg")))
            labels.append(index[variant])
    return Labelled(refs, labels, classes)


def dtd(root: Path, classnames: dict) -> Labelled:
    base = _need(root / "dtd" / "dtd")
    classes = sorted(p.name for p in _need(base / "images").iterdir() if p.is_dir())
    index = {c: i for i, c in enumerate(classes)}
    refs, labels = [], []
    for line in _need(base / "labels" / "test1.txt").read_text().splitlines():
        if line.strip():
            refs.append(ImageRef(str(base / "images" / line.strip())))
            labels.append(index[line.strip().split("/")[0]])
    return Labelled(refs, labels, classes)


def caltech101(root: Path, classnames: dict) -> Labelled:
    base = _need(root / "caltech101" / "101_ObjectCategories")
    categories = sorted(p.name for p in base.iterdir() if p.is_dir())
    names = list(classnames["caltech101"])
    if "BACKGROUND_Google" not in categories:
        names = names[1:]
    if len(names) != len(categories):
        raise MissingData(f"{base}: {len(categories)} category folders, expected {len(names)}")
    refs, labels = [], []
    for label, category in enumerate(categories):
        for path in sorted((base / category).glob("*.jpg")):
            refs.append(ImageRef(str(path)))
            labels.append(label)
    return Labelled(refs, labels, names)


def imagenet1k(root: Path, classnames: dict) -> Labelled:
    base = _need(root / "imagenet" / "val")
    wnids = sorted(p.name for p in base.iterdir() if p.is_dir())
    if len(wnids) != 1000:
        raise MissingData(f"{base}: {len(wnids)} wnid folders, expected 1000")
    refs, labels = [], []
    for label, wnid in enumerate(wnids):
        for path in sorted((base / wnid).iterdir()):
            refs.append(ImageRef(str(path)))
            labels.append(label)
    return Labelled(refs, labels, list(classnames["imagenet1k"]))


def _loadmat(path: Path) -> dict:
    try:
        from scipy.io import loadmat
    except ImportError as error:  # an optional dependency: the other nine datasets do not need it
        raise MissingData(f"{path}: reading .mat files needs scipy (pip install -e '.[eval]')") from error
    return loadmat(_need(path), squeeze_me=True)


def _rows(value):
    """A .mat variable as a 1-d array (squeeze_me turns a one-element array into a scalar)."""
    import numpy as np  # present whenever scipy is

    return np.atleast_1d(value)


def flowers(root: Path, classnames: dict) -> Labelled:
    """Test split = setid's `tstid` image ids; imagelabels' `labels[id - 1]` is the 1-based class of image `id`."""
    base = _need(root / "flowers-102")
    test_ids = [int(i) for i in _rows(_loadmat(base / "setid.mat")["tstid"]).tolist()]
    class_of = [int(c) for c in _rows(_loadmat(base / "imagelabels.mat")["labels"]).tolist()]
    refs = [ImageRef(str(base / "jpg" / f"image_{image_id:05d}.jpg")) for image_id in test_ids]
    return Labelled(refs, [class_of[image_id - 1] - 1 for image_id in test_ids], list(classnames["flowers"]))


def cars(root: Path, classnames: dict) -> Labelled:
    """Test annotations: one struct per image with a 1-based `class` and an `fname`; names from cars_meta.mat."""
    base = _need(root / "stanford_cars")
    annotations = _rows(_loadmat(base / "cars_test_annos_withlabels.mat")["annotations"])
    names = _rows(_loadmat(base / "devkit" / "cars_meta.mat")["class_names"]).tolist()
    refs = [ImageRef(str(base / "cars_test" / str(a["fname"]))) for a in annotations]
    return Labelled(refs, [int(a["class"]) - 1 for a in annotations], [str(n) for n in names])


IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


def image_folder(root: Path, name: str, classnames: dict) -> Labelled:
    """`<root>/<name>/test/<class>/*` (ImageFolder) with the classes listed under `name` in the class names file."""
    base = _need(root / name / "test")
    refs, labels = [], []
    for label, classname in enumerate(classnames[name]):
        folder = _need(base / classname.replace(" ", "_"))
        files = sorted(f for f in folder.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES)
        refs += [ImageRef(str(f)) for f in files]
        labels += [label] * len(files)
    return Labelled(refs, labels, list(classnames[name]))


def image_folder_datasets(root: Path, classnames: dict) -> list[str]:
    """Datasets beyond the 11 that are present as `<root>/<name>/test/` and named in the class names file."""
    return [n for n in classnames if n not in READERS and (Path(root) / n / "test").is_dir()]


READERS: dict[str, Callable[[Path, dict], Labelled]] = {
    "cifar10": cifar10,
    "cifar100": cifar100,
    "food101": food101,
    "pets": pets,
    "flowers": flowers,
    "sun397": sun397,
    "cars": cars,
    "dtd": dtd,
    "caltech101": caltech101,
    "fgvc_aircraft": fgvc_aircraft,
    "imagenet1k": imagenet1k,
}
