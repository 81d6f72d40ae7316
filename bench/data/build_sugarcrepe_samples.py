"""Two disjoint seeded samples of SugarCrepe's human-validated negatives (swap/replace, objects/attributes).

- the first 200 a kind: neggen/data/sugarcrepe.json, the reference the plausibility threshold is
  calibrated on (neggen/plausibility.py); shipped in the wheel. Written by running this file.
- the next 40 a kind: SugarCrepe's rows of the labelled quality set (tests/data/quality/), read against the
  rubric beside neggen's own rows (`quality_rows`).

Run from the repository root: python bench/data/build_sugarcrepe_samples.py
"""

from __future__ import annotations

import json
import random
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SOURCE = REPO / "data" / "annotations" / "sugarcrepe"
TARGET = REPO / "neggen" / "data" / "sugarcrepe.json"
KINDS = ("swap_obj", "swap_att", "replace_obj", "replace_att")
CALIBRATION, QUALITY, SEED = 200, 40, 0


def shuffled(kind: str) -> list[tuple[str, str, str]]:
    """(id, caption, negative) of one kind in a fixed seeded order."""
    items = json.loads((SOURCE / f"{kind}.json").read_text(encoding="utf-8"))
    ids = sorted(items, key=int)
    random.Random(f"{SEED}-{kind}").shuffle(ids)
    return [(i, items[i]["caption"].strip(), items[i]["negative_caption"].strip()) for i in ids]


def quality_rows() -> list[dict[str, str]]:
    return [
        {"sugarcrepe_id": f"{kind}/{i}", "caption": c, "negative": n}
        for kind in KINDS
        for i, c, n in shuffled(kind)[CALIBRATION : CALIBRATION + QUALITY]
    ]


def main() -> None:
    out = {
        "source": "SugarCrepe (Hsieh et al., NeurIPS 2023), human-validated negatives; MIT licence, "
        "data/annotations/LICENSE-sugarcrepe",
        "sample": f"{CALIBRATION} pairs a kind, seeded shuffle 'SEED-kind' (bench/data/build_sugarcrepe_samples.py)",
        "pairs": {kind: [[c, n] for _, c, n in shuffled(kind)[:CALIBRATION]] for kind in KINDS},
    }
    TARGET.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {TARGET}")


if __name__ == "__main__":
    main()
