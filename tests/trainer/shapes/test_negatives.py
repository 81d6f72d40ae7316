"""Oracle negatives: false against the scene graph, different from the positive, and accepted by neggen's own
validators for their type."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from neggen.text.words import comparison_key
from neggen.types import NegType
from neggen.validate import validate
from trainer.shapes.captions import is_true, mentions_heldout, sample_captions
from trainer.shapes.config import WorldConfig
from trainer.shapes.negatives import ORACLE_EDITS, SUGARCREPE_EDITS, false_variants
from trainer.shapes.world import make_heldout, sample_scene

CONFIG = WorldConfig()
HELDOUT = make_heldout(CONFIG)


def _captioned(n: int = 300):
    for i in range(n):
        scene = sample_scene(CONFIG, HELDOUT, "train", i)
        for caption in sample_captions(scene, random.Random(i), 2):
            yield scene, caption


def test_every_edit_is_false_and_differs() -> None:
    edits = {**{t.value: e for t, e in ORACLE_EDITS.items()}, **SUGARCREPE_EDITS}
    produced = Counter()
    for scene, caption in _captioned():
        for name, edit in edits.items():
            for negative in false_variants(caption, scene, edit, CONFIG):
                assert not is_true(negative, scene), (name, negative.text())
                assert comparison_key(negative.text()) != comparison_key(caption.text())
                produced[name] += 1
    assert all(produced[name] > 50 for name in edits), produced


def test_heldout_free_negatives() -> None:
    for scene, caption in _captioned(150):
        for edit in ORACLE_EDITS.values():
            assert not any(mentions_heldout(n, HELDOUT) for n in false_variants(caption, scene, edit, CONFIG, HELDOUT))


@pytest.mark.slow  # parses every oracle negative with spaCy: ~1 min on 2 cores
def test_oracle_negatives_pass_neggen_validators() -> None:
    """Acceptance rate of neggen.validate over every oracle candidate, per type (printed with -s)."""
    rates = {}
    for neg_type, edit in ORACLE_EDITS.items():
        verdicts = Counter()
        for scene, caption in _captioned(200):
            for negative in false_variants(caption, scene, edit, CONFIG):
                verdicts[validate(neg_type, caption.text(), negative.text()).reason] += 1
        rates[neg_type.value] = verdicts[None] / sum(verdicts.values())
        print(neg_type.value, f"{rates[neg_type.value]:.1%}", dict(verdicts))
    for adjectival in (NegType.reshuffle, NegType.replace_adjectives):
        assert rates[adjectival.value] == 1.0
    # Measured 99.9%: the meaning checks (issue 11) group a phrase attached to one of two conjoined nouns with
    # both ("left of a blue hexagon and a gray hexagon below the circle"), so one swap in ~860 reads as a
    # binding-preserving reorder.
    assert rates[NegType.swap_adjectives.value] > 0.99
    # Measured 95-97%: neggen's tagger reads "square" in "a pink square left of ..." as an adjective ("left"
    # is tagged a noun), so some shape edits are refused as wrong_part_of_speech; the pipeline keeps them
    # as rejects with that reason.
    assert rates[NegType.swap_nouns.value] > 0.9
    assert rates[NegType.replace_nouns.value] > 0.9
