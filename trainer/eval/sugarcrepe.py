"""SugarCrepe: 7 subsets of (COCO val2017 image, caption, negative_caption); right iff s(caption) > s(negative).

Official format: `<subset>.json`, a JSON object from string index (not contiguous) to
`{filename, caption, negative_caption}`; images `val2017/<filename>`. Whole image, no crop; a tie is wrong.
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

SUBSETS = ("replace_obj", "replace_att", "replace_rel", "swap_obj", "swap_att", "add_obj", "add_att")
GROUPS = {
    "replace": ("replace_obj", "replace_att", "replace_rel"),
    "swap": ("swap_obj", "swap_att"),
    "add": ("add_obj", "add_att"),
}
TIE_RULE = TieRule.WRONG
TASK = "image_caption_selection"


def load_subset(annotation_dir: Path, subset: str, image_dir: Path) -> list[ChoiceItem]:
    path = Path(annotation_dir) / f"{subset}.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a JSON object from index to item")
    items = []
    for key in sorted(data, key=int):
        row = data[key]
        items.append(
            ChoiceItem(
                image=ImageRef(str(Path(image_dir) / row["filename"])),
                options=(row["caption"], row["negative_caption"]),
                right=0,
                group=subset,
            )
        )
    return items


def available_subsets(annotation_dir: Path) -> list[str]:
    return [s for s in SUBSETS if (Path(annotation_dir) / f"{s}.json").exists()]


def summarise(choices: dict[str, Choice]) -> dict[str, float]:
    """Group means (of subset accuracies) for complete groups, and the micro-average over all items present."""
    out: dict[str, float] = {}
    for group, members in GROUPS.items():
        if all(m in choices for m in members):
            out[group] = sum(choices[m].accuracy for m in members) / len(members)
    total = sum(c.n_items for c in choices.values())
    if total:
        out["micro"] = sum(c.accuracy * c.n_items for c in choices.values()) / total
    return out


def evaluate(judge: Judge, annotation_dir: Path, image_dir: Path, task: str = TASK) -> list[Record]:
    """One record per subset present, then a summary record (group means and micro-average)."""
    choices: dict[str, Choice] = {}
    records = []
    for subset in available_subsets(annotation_dir):
        choice = judge(load_subset(annotation_dir, subset, image_dir), TIE_RULE)
        choices[subset] = choice
        records.append(choice_record("sugarcrepe", subset, choice, task))
    if choices:
        records.append(summary_record("sugarcrepe", choices, task, summarise(choices), subsets=list(choices)))
    return records


def suite_records(run: SuiteRun, benchmark: Benchmark) -> list[Record]:
    annotations = run.sugarcrepe_dir or run.data_root / "sugarcrepe"
    if not available_subsets(annotations):
        raise MissingData(f"no SugarCrepe subset files in {annotations}")
    return evaluate(run.judge, annotations, run.data_root / "coco" / "val2017", run.task)
