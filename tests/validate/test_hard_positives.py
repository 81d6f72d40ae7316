"""Hard positives (tests/data/hard_positives.jsonl, built from real Karpathy captions by
tests/data/build_hard_positives.py): rewrites that keep the meaning, which no type should accept."""

from __future__ import annotations

import json
from collections import defaultdict

import pytest

from neggen.types import NegType
from neggen.validate import validate_batch
from tests.conftest import REPO

ROWS = [json.loads(line) for line in (REPO / "tests" / "data" / "hard_positives.jsonl").read_text().splitlines()]

# Share accepted by any of the five types. Issue 11's goal is 0.05 for every kind. Measured (docs/negatives.md):
# curated 0.007, wordnet 0.000 (circular: built from WordNet), human 0.263 (two people's captions of one image
# often differ in what they claim: "a small child" / "a little girl"), reorder 0.015 (was 0.093 before the
# clause-exchange and shared-branch rules; before issue 26's rules curated 0.047, wordnet 0.003, human 0.283).
# Without the meaning checks: 0.887, 0.697, 0.293, 1.000 (before issue 26: 0.973, 0.850, 0.310, 1.000): the
# part-of-speech rules of issue 26 now reject some hard positives by themselves ("picture" -> "photo" replaces a
# place-holder, "television" -> "tv" puts a count noun where an attribute was), so those floors were lowered.
CEILING = {"curated": 0.01, "wordnet": 0.01, "human": 0.27, "reorder": 0.02}
FLOOR_WITHOUT_MEANING = {"curated": 0.88, "wordnet": 0.69, "reorder": 0.95}


def _accepted_by_any(meaning: bool) -> dict[str, float]:
    verdicts = validate_batch([(t, r["caption"], r["rewrite"]) for r in ROWS for t in NegType], meaning=meaning)
    by_kind = defaultdict(list)
    for i, row in enumerate(ROWS):
        by_kind[row["kind"]].append(any(v.accepted for v in verdicts[i * len(NegType) : (i + 1) * len(NegType)]))
    return {kind: sum(flags) / len(flags) for kind, flags in by_kind.items()}


def test_the_set_covers_every_kind_from_real_captions():
    kinds = defaultdict(int)
    for row in ROWS:
        kinds[row["kind"]] += 1
        assert row["caption"] != row["rewrite"] and row["image"].startswith("val2014/")
    assert {k: n >= 150 for k, n in kinds.items()} == {"curated": True, "wordnet": True, "human": True, "reorder": True}
    assert {r["edit"] for r in ROWS if r["kind"] == "reorder"} == {"conjunct", "adjectives", "while", "symmetric"}


@pytest.mark.slow
def test_hard_positives_are_rarely_accepted():
    shares = _accepted_by_any(meaning=True)
    print({k: round(v, 3) for k, v in shares.items()})
    assert {k: shares[k] <= c for k, c in CEILING.items()} == dict.fromkeys(CEILING, True), shares


@pytest.mark.slow
def test_without_the_meaning_checks_the_shape_checks_accept_them():
    """The set is hard: the shape checks alone accept nearly all of it, so the ceilings above measure the
    meaning checks, not rows any validator would reject anyway."""
    shares = _accepted_by_any(meaning=False)
    assert {k: shares[k] >= f for k, f in FLOOR_WITHOUT_MEANING.items()} == dict.fromkeys(FLOOR_WITHOUT_MEANING, True)
