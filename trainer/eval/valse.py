"""VALSE (Heidelberg-NLP/VALSE): 11 files of caption vs foil; right iff s(caption) > s(foil), a tie is wrong.

Each `data/<piece>.json` is a JSON object from id to `{image_file, caption, foil, mturk: {caption, foil, other},
dataset, linguistic_phenomena, ...}`; only items with `mturk.caption >= 2` count. Image roots differ per file
(see IMAGE_DIRS) and COCO 2014/2017 file names are routed by their prefix, as the evaluation code released with
CE-CLIP does. Avg = mean of the 11 per-file accuracies: from the per-column numbers of DeGLA's Table 2 (arXiv
2504.16801) that weighting reproduces its Avg for CLIP (65.3), NegCLIP, CE-CLIP and DeGLA (74.1); the mean of
the 9 columns does not (66.3 for CLIP). See tests/trainer/eval/test_valse_average.py.
"""

from __future__ import annotations

import json
from pathlib import Path

from trainer.eval.benchmarks import Benchmark, SuiteRun
from trainer.eval.choice import ChoiceItem
from trainer.eval.embed import ImageRef
from trainer.eval.missing import MissingData
from trainer.eval.results import Judge, Record, choice_record, summary_record
from trainer.eval.scoring import Choice, TieRule

TIE_RULE = TieRule.WRONG
TASK = "image_caption_selection"
# file stem -> image folder under <valse>/images/
IMAGE_DIRS = {
    "existence": "visual7w",
    "plurals": "val2017",
    "counting-hard": "visual7w",
    "counting-small-quant": "visual7w",
    "counting-adversarial": "visual7w",
    "relations": "val2017",
    "action-replacement": "swig",
    "actant-swap": "swig",
    "coreference-standard": "train2014",
    "coreference-hard": "VisualDialog_val2018",
    "foil-it": "val2014",
}
FILES = tuple(IMAGE_DIRS)
_PREFIX_DIRS = {"COCO_val2014": "val2014", "COCO_train2014": "train2014", "COCO_val2017": "val2017"}
# Table columns: counting is the mean of its three files; every other column is one file.
COLUMNS = {
    "existence": ("existence",),
    "plurals": ("plurals",),
    "counting": ("counting-hard", "counting-small-quant", "counting-adversarial"),
    "relations": ("relations",),
    "action-replacement": ("action-replacement",),
    "actant-swap": ("actant-swap",),
    "coreference-standard": ("coreference-standard",),
    "coreference-hard": ("coreference-hard",),
    "foil-it": ("foil-it",),
}


def image_dir_for(stem: str, image_file: str) -> str:
    for prefix, folder in _PREFIX_DIRS.items():
        if image_file.startswith(prefix):
            return folder
    return IMAGE_DIRS[stem]


def load_file(valse_dir: Path, stem: str) -> list[ChoiceItem]:
    """The official layout: `<valse_dir>/data/<stem>.json`, images routed under `<valse_dir>/images/`."""
    path = Path(valse_dir) / "data" / f"{stem}.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    items = []
    for row in data.values():
        if row["mturk"]["caption"] < 2:
            continue
        folder = Path(valse_dir) / "images" / image_dir_for(stem, row["image_file"])
        items.append(ChoiceItem(ImageRef(str(folder / row["image_file"])), (row["caption"], row["foil"]), 0, stem))
    return items


def available_files(valse_dir: Path) -> list[str]:
    folder = Path(valse_dir) / "data"
    return [s for s in FILES if (folder / f"{s}.json").exists()]


def summarise(per_file: dict[str, float]) -> dict[str, float]:
    """Table columns for complete columns, and `avg` over the files (all 11 when complete)."""
    out = {
        col: sum(per_file[f] for f in files) / len(files)
        for col, files in COLUMNS.items()
        if all(f in per_file for f in files)
    }
    if per_file:
        out["avg"] = sum(per_file.values()) / len(per_file)
    return out


def evaluate(
    judge: Judge,
    valse_dir: Path,
    task: str = TASK,
) -> list[Record]:
    choices: dict[str, Choice] = {}
    records = []
    for stem in available_files(valse_dir):
        choice = judge(load_file(valse_dir, stem), TIE_RULE)
        choices[stem] = choice
        records.append(choice_record("valse", stem, choice, task))
    if choices:
        metrics = summarise({k: c.accuracy for k, c in choices.items()})
        records.append(
            summary_record("valse", choices, task, metrics, files=list(choices), complete=len(choices) == len(FILES))
        )
    return records


def suite_records(run: SuiteRun, benchmark: Benchmark) -> list[Record]:
    if not available_files(run.data_root / "valse"):
        raise MissingData(f"no VALSE files in {run.data_root / 'valse' / 'data'}")
    return evaluate(run.judge, run.data_root / "valse", run.task)
