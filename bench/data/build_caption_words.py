"""neggen/data/caption_words.txt: the words people use in captions, for choosing replacements that read naturally.

Every lowercase word that occurs at least 5 times in the COCO Karpathy test split's captions
(data/annotations/coco_karpathy_test.json), leaving out the 160 images of the labelled quality set
(tests/data/quality/captions.jsonl: images 1000-1159), with its count, most frequent first.

Run from the repository root: python bench/data/build_caption_words.py
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SOURCE = REPO / "data" / "annotations" / "coco_karpathy_test.json"
TARGET = REPO / "neggen" / "data" / "caption_words.txt"
QUALITY_IMAGES = range(1000, 1160)
MIN_COUNT = 5


def main() -> None:
    counts: Counter[str] = Counter()
    for k, item in enumerate(json.loads(SOURCE.read_text(encoding="utf-8"))):
        if k not in QUALITY_IMAGES:
            for caption in item["caption"]:
                counts.update(re.findall(r"[a-z]+", caption.lower()))
    kept = [(w, n) for w, n in counts.most_common() if n >= MIN_COUNT]
    header = "# word<TAB>count: COCO Karpathy test captions (CC BY 4.0), bench/data/build_caption_words.py\n"
    TARGET.write_text(header + "".join(f"{w}\t{n}\n" for w, n in kept), encoding="utf-8")
    print(f"wrote {TARGET}: {len(kept)} words")


if __name__ == "__main__":
    main()
