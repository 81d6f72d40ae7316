"""Blind baselines on the real SugarCrepe files: the ADD negatives are longer, and a blind scorer sees it."""

from __future__ import annotations

import pytest

from trainer.eval import sugarcrepe
from trainer.eval.blind import LargerNumberWins, LMScorer, ShorterWins, largest_number
from trainer.eval.choice import ChoiceItem, run_blind
from trainer.eval.embed import ImageRef


def _judge(scorer):
    return lambda items, rule: run_blind(scorer, items, rule)


def test_shorter_caption_wins_about_99_percent_on_sugarcrepe_add(sugarcrepe_dir, tmp_path):
    records = {
        r.subset: r for r in sugarcrepe.evaluate(_judge(ShorterWins()), sugarcrepe_dir, tmp_path, "blind_shorter")
    }
    assert set(records) == {*sugarcrepe.SUBSETS, "summary"}
    assert records["add_att"].n_items == 692 and records["add_obj"].n_items == 2062
    assert records["add_att"].metrics["acc"] == pytest.approx(99.1, abs=0.7)
    assert records["add_obj"].metrics["acc"] == pytest.approx(98.7, abs=0.7)
    assert records["add_att"].n_ties == 1 and records["add_obj"].n_ties == 7
    # ...and is no better than chance where the negative has the caption's length (swaps, replaces).
    assert records["swap_att"].metrics["acc"] < 50
    assert records["summary"].n_items == 7511
    assert records["summary"].metrics["add"] == pytest.approx(
        (records["add_att"].metrics["acc"] + records["add_obj"].metrics["acc"]) / 2
    )


def test_larger_number_wins():
    assert largest_number("There are exactly 4 cars and two dogs.") == 4
    assert largest_number("no digits here") == float("-inf")
    items = [
        ChoiceItem(ImageRef("x"), ("There are exactly 4 cars.", "There are exactly 0 cars.")),
        ChoiceItem(ImageRef("x"), ("There is exactly one cow.", "There are exactly 3 cows.")),
        ChoiceItem(ImageRef("x"), ("A dog.", "A cat.")),
    ]
    choice = run_blind(LargerNumberWins(), items, sugarcrepe.TIE_RULE)
    assert choice.correct.tolist() == [True, False, False] and choice.n_ties == 1


@pytest.mark.slow
def test_lm_scorer_prefers_fluent_captions(bundled_model_dir):
    scorer = LMScorer(bundled_model_dir, batch_size=4)
    items = [
        ChoiceItem(ImageRef("x"), ("A man is riding a horse on the beach.", "A horse is riding a man on the beach.")),
        ChoiceItem(ImageRef("x"), ("Two dogs play in the snow.", "Snow the in play dogs two.")),
        ChoiceItem(ImageRef("x"), ("A plate of food on a table.", "A table of food on a plate.")),
    ]
    choice = run_blind(scorer, items, sugarcrepe.TIE_RULE)
    assert choice.scores.shape == (3, 2) and bool((choice.scores < 0).all())
    assert int(choice.correct.sum()) >= 2
