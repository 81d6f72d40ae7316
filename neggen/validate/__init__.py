"""Validators: is this text a usable negative of this type for this caption?

`validate_batch` is what the pipeline calls: word-level checks first, then one tagger pass (spaCy's
`nlp.pipe`) over the captions and negatives still standing, then the part-of-speech and meaning checks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from neggen.text.pos import DEFAULT_TAGGER, PosTagger
from neggen.text.wordnet import load as load_wordnet
from neggen.text.words import words
from neggen.types import NegType
from neggen.validate.common import check_common
from neggen.validate.reasons import ACCEPT, Reason, Verdict, reject
from neggen.validate.rules import Edit, check_edit, check_shape

if TYPE_CHECKING:  # `python -m neggen.validate.relations` rebuilds its table: not imported with the package
    from neggen.validate.relations import RelationTable

__all__ = ["ACCEPT", "Reason", "Verdict", "reject", "require_resources", "validate", "validate_batch"]


def require_resources(tagger: PosTagger = DEFAULT_TAGGER, meaning: bool = True) -> None:
    """Load the tagger (and WordNet for the meaning checks) now: a missing one stops a run before it starts."""
    tagger.analyze(["A dog."])
    if meaning:
        load_wordnet()


def validate_batch(
    items: Sequence[tuple[NegType, str, str]],
    tagger: PosTagger = DEFAULT_TAGGER,
    meaning: bool = True,
    relations: RelationTable | None = None,
) -> list[Verdict]:
    """One verdict per (type, caption, negative); `meaning=False` keeps only the shape and POS checks; with
    `relations`, an exchange may not trade a relation the table knows for one it does not (`validate.relations`)."""
    verdicts: list[Verdict | None] = [None] * len(items)
    pending: list[tuple[int, Edit, str, str]] = []
    for i, (neg_type, caption, negative) in enumerate(items):
        caption_words, negative_words = words(caption), words(negative)
        verdict = check_common(caption, negative, caption_words, negative_words)
        shape = check_shape(neg_type, caption_words, negative_words) if verdict.accepted else verdict
        if isinstance(shape, Edit):
            pending.append((i, shape, caption, negative))
        else:
            verdicts[i] = shape
    if pending:
        analyses = tagger.analyze([c for *_, c, _ in pending] + [n for *_, n in pending])
        for k, (i, edit, _, _) in enumerate(pending):
            caption, negative = analyses[k], analyses[len(pending) + k]
            verdicts[i] = check_edit(edit, caption, negative, meaning)
            if verdicts[i].accepted and relations is not None and edit.neg_type in relations.checks:
                verdicts[i] = relations.check(caption, negative)
    return [v if v is not None else ACCEPT for v in verdicts]


def validate(
    neg_type: NegType,
    caption: str,
    negative: str,
    tagger: PosTagger = DEFAULT_TAGGER,
    meaning: bool = True,
    relations: RelationTable | None = None,
) -> Verdict:
    return validate_batch([(neg_type, caption, negative)], tagger, meaning, relations)[0]
