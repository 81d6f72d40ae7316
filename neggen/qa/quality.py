"""Precision of what neggen keeps, against labelled rows (neggen/qa/labels.py): one judge, one summary.

`judge_rows` decides for each labelled row whether today's validators (meaning checks on) and plausibility
filter would keep it; `summarize` gives, per part, source and type, the share labelled good as generated, the
precision of what is kept (labelled good among kept), its recall (kept among good) and its yield (kept per
caption x type of the run the rows came from). bench/quality.py prints it; tests/qa/test_quality.py keeps floors.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from neggen.config import PlausibilityConfig
from neggen.plausibility import Plausibility, Scores, bundled_calibration
from neggen.qa.labels import LabelledRow
from neggen.types import NegType
from neggen.validate import validate_batch


class StoredScores:
    """A scorer that answers the scores stored with the labelled rows (no model loaded)."""

    def __init__(self, rows: Sequence[LabelledRow], name: str):
        self.name = name
        self.table: dict[str, float] = {}
        for r in rows:
            if r.caption_logprob is not None and r.negative_logprob is not None:
                self.table[r.caption] = r.caption_logprob
                self.table[r.negative] = r.negative_logprob

    def score(self, texts: Sequence[str]) -> list[float]:
        return [self.table.get(t, float("nan")) for t in texts]


def stored_plausibility(rows: Sequence[LabelledRow], quantile: float | None = None) -> Plausibility:
    """The bundled scorer's shipped calibration, scoring from the scores stored with the rows (no model)."""
    calibration = bundled_calibration()
    config = (
        PlausibilityConfig(model="default")
        if quantile is None
        else PlausibilityConfig(model="default", quantile=quantile)
    )
    return Plausibility(StoredScores(rows, f"{calibration.scorer} (stored scores)"), calibration, config)


@dataclass(frozen=True)
class Judged:
    valid: list[bool]  # the validators alone keep the row
    kept: list[bool]  # the validators and the plausibility filter keep it
    scores: list[Scores]


def judge_rows(rows: Sequence[LabelledRow], plausibility: Plausibility | None) -> Judged:
    verdicts = validate_batch([(NegType(r.neg_type), r.caption, r.negative) for r in rows])
    valid = [v.accepted for v in verdicts]
    if plausibility is None:
        return Judged(valid, valid, [Scores(None, None)] * len(rows))
    scores, failure = plausibility.score_pairs([(r.caption, r.negative) for r in rows])
    kept = [
        ok and plausibility.judge(NegType(r.neg_type), s, failure).accepted
        for r, ok, s in zip(rows, valid, scores, strict=True)
    ]
    return Judged(valid, kept, scores)


def summarize(rows: Sequence[LabelledRow], kept: Sequence[bool], captions: dict[str, int]) -> dict[str, dict[str, Any]]:
    """Per 'part / source / type' and 'part / source / all' (part: tune, holdout, both)."""
    groups: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        for part in (r.part, "both"):
            for t in (r.neg_type, "all"):
                groups[f"{part} / {r.family} / {t}"].append(i)
    out = {}
    for key, idx in sorted(groups.items()):
        part, family, kind = key.split(" / ")
        good = [rows[i].label.good for i in idx]
        keep = [kept[i] for i in idx]
        hits = sum(g and k for g, k in zip(good, keep, strict=True))
        n_kept, n_captions = sum(keep), captions.get(part) if family.startswith("neggen") else None
        types = len({rows[i].neg_type for i in idx}) if kind == "all" else 1
        out[key] = {
            "rows": len(idx),
            "labelled_good": round(sum(good) / len(idx), 3),
            "kept": n_kept,
            "precision": round(hits / n_kept, 3) if n_kept else None,
            "recall": round(hits / sum(good), 3) if any(good) else None,
            "yield": round(n_kept / (n_captions * types), 3) if n_captions else None,
        }
    return out
