"""ARO VG-Relation and VG-Attribution, read from the official files (mertyg/vision-language-models-are-bows).

`<aro>/visual_genome_relation.json` and `<aro>/visual_genome_attribution.json`: JSON lists of
`{image_path, bbox_x, bbox_y, bbox_w, bbox_h, true_caption, false_caption, relation_name | attributes}`;
images under `<aro>/images/`. The image is cropped to the box; options are [false, true] and an item is right
iff argmax == 1, so a tie is wrong. VG-R = macro-average of per-relation accuracy without the symmetric
relations (the list of the official notebook); VG-A = macro-average over "a_b" attribute pairs with >= 25 items.
"""

from __future__ import annotations

import json
from pathlib import Path

from trainer.eval.benchmarks import Benchmark, SuiteRun
from trainer.eval.choice import ChoiceItem
from trainer.eval.embed import ImageRef
from trainer.eval.missing import MissingData
from trainer.eval.results import Judge, Record
from trainer.eval.scoring import TieRule, macro_average

TIE_RULE = TieRule.WRONG
TASK = "image_caption_selection"
RELATION_FILE = "visual_genome_relation.json"
ATTRIBUTION_FILE = "visual_genome_attribution.json"
MIN_ATTRIBUTE_COUNT = 25

# Relations whose true and false captions mean the same thing ("a near b" / "b near a"): dropped from VG-R,
# as the official "Replicate ARO" notebook does before macro-averaging.
SYMMETRIC_RELATIONS = frozenset(
    """adjusting|attached to|between|bigger than|biting|boarding|brushing|chewing|cleaning|climbing|close to|
coming from|coming out of|contain|crossing|dragging|draped over|drinking|drinking from|driving|driving down|
driving on|eating from|eating in|enclosing|exiting|facing|filled with|floating in|floating on|flying|
flying above|flying in|flying over|flying through|full of|going down|going into|going through|grazing in|
growing in|growing on|guiding|hanging from|hanging in|hanging off|hanging over|higher than|holding onto|
hugging|in between|jumping off|jumping on|jumping over|kept in|larger than|leading|leaning over|leaving|
licking|longer than|looking in|looking into|looking out|looking over|looking through|lying next to|
lying on top of|making|mixed with|mounted on|moving|on the back of|on the edge of|on the front of|
on the other side of|opening|painted on|parked at|parked beside|parked by|parked in|parked in front of|
parked near|parked next to|perched on|petting|piled on|playing|playing in|playing on|playing with|pouring|
reaching for|reading|reflected on|riding on|running in|running on|running through|seen through|
sitting behind|sitting beside|sitting by|sitting in front of|sitting near|sitting next to|sitting under|
skiing down|skiing on|sleeping in|sleeping on|smiling at|sniffing|splashing|sprinkled on|stacked on|
standing against|standing around|standing behind|standing beside|standing in front of|standing near|
standing next to|staring at|stuck in|surrounding|swimming in|swinging|talking to|topped with|touching|
traveling down|traveling on|tying|typing on|underneath|wading in|waiting for|walking across|walking by|
walking down|walking next to|walking through|working in|working on|worn on|wrapped around|wrapped in|by|of|
near|next to|with|beside|on the side of|around""".replace("\n", "").split("|")
)


def _items(path: Path, image_dir: Path, group_of) -> list[ChoiceItem]:
    rows = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(rows, list):
        raise ValueError(f"{path}: expected a JSON list")
    return [
        ChoiceItem(
            image=ImageRef(
                str(Path(image_dir) / row["image_path"]),
                (float(row["bbox_x"]), float(row["bbox_y"]), float(row["bbox_w"]), float(row["bbox_h"])),
            ),
            options=(row["false_caption"], row["true_caption"]),
            right=1,
            group=group_of(row),
        )
        for row in rows
    ]


def load_relation(aro_dir: Path, image_dir: Path | None = None) -> list[ChoiceItem]:
    """`image_dir` defaults to `<aro_dir>/images` (the official layout)."""
    images = Path(image_dir) if image_dir is not None else Path(aro_dir) / "images"
    return _items(Path(aro_dir) / RELATION_FILE, images, lambda r: r["relation_name"])


def load_attribution(aro_dir: Path, image_dir: Path | None = None) -> list[ChoiceItem]:
    return _items(
        Path(aro_dir) / ATTRIBUTION_FILE,
        Path(image_dir) if image_dir is not None else Path(aro_dir) / "images",
        lambda r: f"{r['attributes'][0]}_{r['attributes'][1]}",
    )


def _macro_record(subset: str, choice, macro: dict, task: str, per_key: str) -> Record:
    return Record(
        benchmark="aro",
        subset=subset,
        task=task,
        metrics={"acc": macro["macro"], "micro_acc": choice.accuracy, "n_groups": len(macro["per_group"])},
        n_items=choice.n_items,
        n_ties=choice.n_ties,
        info={"tie_rule": str(TIE_RULE), per_key: macro["per_group"], "counts": macro["counts"]},
    )


def evaluate(judge: Judge, aro_dir: Path, task: str = TASK, image_dir: Path | None = None) -> list[Record]:
    records = []
    if (Path(aro_dir) / RELATION_FILE).exists():
        items = load_relation(aro_dir, image_dir)
        choice = judge(items, TIE_RULE)
        macro = macro_average(choice, [i.group for i in items], drop=SYMMETRIC_RELATIONS)
        records.append(_macro_record("vg_relation", choice, macro, task, "per_relation"))
    if (Path(aro_dir) / ATTRIBUTION_FILE).exists():
        items = load_attribution(aro_dir, image_dir)
        choice = judge(items, TIE_RULE)
        macro = macro_average(choice, [i.group for i in items], min_count=MIN_ATTRIBUTE_COUNT)
        records.append(_macro_record("vg_attribution", choice, macro, task, "per_pair"))
    return records


def suite_records(run: SuiteRun, benchmark: Benchmark) -> list[Record]:
    folder = run.data_root / "aro"
    if not any((folder / f).exists() for f in (RELATION_FILE, ATTRIBUTION_FILE)):
        raise MissingData(f"no {RELATION_FILE} / {ATTRIBUTION_FILE} in {folder}")
    return evaluate(run.judge, folder, run.task)
