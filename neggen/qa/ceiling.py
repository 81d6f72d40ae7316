"""How many captions hold a reshuffle a careful annotator would keep: the ceiling of any exchange type's yield.

A caption has a good reshuffle only when it names two things (or two attributes, two counts, two relations)
whose exchange makes a different scene that could still be photographed; a single thing, a list, or a pair whose
exchange is nonsense or keeps the meaning has none. To measure how often that is, two annotators each wrote the
best reshuffle of every caption of a random sample, or none; two others labelled every proposal blind with the
rubric (`neggen.qa.labels`), mixed with neggen's and SugarCrepe's rows. A caption counts when both labellers call
one of its proposals good. The share bounds what any generator can keep, however good its model
(tests/data/quality/reshuffle_ceiling.jsonl; docs/negatives.md, "Round 10").
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, ValidationError

from neggen.qa.labels import Label, first_error
from neggen.qa.precision import wilson_interval

# What a proposal exchanges: two things ("A cat behind a vase" -> "A vase behind a cat"), two attributes ("An
# orange cat ... a silver vehicle"), two counts ("A woman and two children" -> "Two women and a child"), or two
# relations ("next to pillows on a couch" -> "on pillows next to a couch").
Kind = Literal["things", "attributes", "counts", "relations"]


class Proposal(BaseModel):
    model_config = ConfigDict(extra="forbid")
    negative: str
    kind: Kind
    proposed_by: list[str]
    label_a: Label
    label_b: Label

    @property
    def good(self) -> bool:
        return self.label_a.good and self.label_b.good


class CeilingCaption(BaseModel):
    """One caption of the sample and every reshuffle proposed for it (none when no annotator found one)."""

    model_config = ConfigDict(extra="forbid")
    caption_id: str
    image: str
    caption: str
    proposals: list[Proposal]

    def good_kinds(self) -> set[str]:
        return {p.kind for p in self.proposals if p.good}


class Ceiling(NamedTuple):
    captions: int
    with_good: int  # captions with a proposal both labellers call good
    interval: tuple[float, float]  # Wilson 95% of with_good / captions
    by_kind: dict[str, int]  # captions with a good proposal of each kind (a caption may have several kinds)

    @property
    def share(self) -> float:
        return self.with_good / self.captions if self.captions else 0.0


def read_ceiling(path: Path) -> list[CeilingCaption]:
    """Every caption of a ceiling sample (jsonl); a malformed line is one ValueError naming the file and line."""
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append(CeilingCaption.model_validate(json.loads(line)))
        except (json.JSONDecodeError, ValidationError) as exc:
            first = str(exc).splitlines()[0] if isinstance(exc, json.JSONDecodeError) else first_error(exc)
            raise ValueError(f"{path}:{number}: not a ceiling caption ({first})") from None
    return rows


def ceiling(rows: list[CeilingCaption], kinds: frozenset[str] | None = None) -> Ceiling:
    """The share of captions with a good proposal (of one of `kinds`, when given)."""
    good = [r.good_kinds() & kinds if kinds is not None else r.good_kinds() for r in rows]
    with_good = sum(bool(g) for g in good)
    by_kind = Counter(k for g in good for k in g)
    return Ceiling(len(rows), with_good, wilson_interval(with_good, len(rows)), dict(sorted(by_kind.items())))
