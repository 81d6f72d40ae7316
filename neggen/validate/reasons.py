"""The fixed vocabulary of rejection reasons, and the verdict every check returns."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Reason(StrEnum):
    # Content of the negative (common to every type)
    empty = "empty"
    copy = "copy"
    meta_text = "meta_text"
    multiple_sentences = "multiple_sentences"
    length_out_of_bounds = "length_out_of_bounds"
    # Type rules
    not_permutation = "not_permutation"
    no_swap_found = "no_swap_found"
    wrong_part_of_speech = "wrong_part_of_speech"
    nothing_replaced = "nothing_replaced"
    multiple_spans_replaced = "multiple_spans_replaced"
    span_too_long = "span_too_long"
    # Meaning (the edit has the right shape but describes the same scene: a hard positive)
    same_meaning = "same_meaning"
    no_content_word = "no_content_word"
    unknown_word = "unknown_word"  # a replacement's new word that neither WordNet nor the lemmatizer knows
    duplicate_modifier = "duplicate_modifier"  # the new attribute already modifies that noun ("white and white")
    # Plausibility (neggen/plausibility.py: a language model reads the candidate beside its caption)
    implausible = "implausible"  # far less likely than its caption: nonsense or broken grammar
    caption_unreadable = "caption_unreadable"  # the scorer cannot read the caption (non-English, emoji)
    unscored = "unscored"  # the scorer failed or returned NaN for this row
    # An exchange traded a relation reference captions show for one they never show (neggen/validate/relations.py)
    unattested = "unattested"
    # Generation (decided before or instead of validation)
    truncated = "truncated"
    unparseable = "unparseable"
    request_error = "request_error"
    caption_too_long = "caption_too_long"
    caption_too_short = "caption_too_short"
    # Edit form (the model names the edit, neggen applies it)
    no_candidate_span = "no_candidate_span"
    unparseable_edit = "unparseable_edit"
    edit_span_not_in_caption = "edit_span_not_in_caption"


# The reasons only the meaning checks give (no_content_word is a part-of-speech check, on without them): a
# candidate with one of these had the right shape; benchmarks count them as shape-valid hard positives.
MEANING_REASONS = frozenset({Reason.same_meaning, Reason.unknown_word, Reason.duplicate_modifier})


@dataclass(frozen=True)
class Verdict:
    reason: Reason | None = None
    detail: str = ""

    @property
    def accepted(self) -> bool:
        return self.reason is None


ACCEPT = Verdict()


def reject(reason: Reason, detail: str = "") -> Verdict:
    return Verdict(reason, detail)
