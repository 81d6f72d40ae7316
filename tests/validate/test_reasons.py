"""MEANING_REASONS is the set of reasons only the meaning checks give (stats and bench/output_forms.py count them
as shape-valid candidates the meaning checks rejected)."""

from __future__ import annotations

import pytest

from neggen.types import NegType as T
from neggen.validate import validate_batch
from neggen.validate.reasons import MEANING_REASONS, Reason

# One row per meaning reason: each passes the shape checks and is rejected only with the meaning checks on.
HARD_POSITIVES = [
    (T.replace_nouns, "A man sits on a couch.", "A man sits on a sofa.", Reason.same_meaning),
    (T.replace_adjectives, "An older kitchen.", "An olde kitchen.", Reason.unknown_word),
    (T.replace_adjectives, "A red and white train.", "A white and white train.", Reason.duplicate_modifier),
    (T.swap_nouns, "The woman stands next to the horse.", "The horse stands next to the woman.", Reason.same_meaning),
]


def test_every_meaning_reason_has_a_row_here() -> None:
    assert {reason for *_, reason in HARD_POSITIVES} == set(MEANING_REASONS)


@pytest.mark.parametrize("meaning_checks", [False, True])
def test_meaning_reasons_come_only_from_the_meaning_checks(meaning_checks: bool) -> None:
    verdicts = validate_batch([row[:3] for row in HARD_POSITIVES], meaning=meaning_checks)
    if meaning_checks:
        assert [v.reason for v in verdicts] == [reason for *_, reason in HARD_POSITIVES]
    else:
        assert all(v.accepted for v in verdicts), verdicts
