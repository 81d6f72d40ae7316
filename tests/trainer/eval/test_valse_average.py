"""VALSE's Avg is the mean of the 11 per-file accuracies, not of the 9 table columns.

The papers' per-piece CLIP numbers could not be retrieved and verified in this environment (the tables are
images in the DeGLA / CE-CLIP sources), so this test checks the weighting on numbers of its own rather than
on numbers it cannot cite.
"""

from __future__ import annotations

import pytest

from trainer.eval.valse import COLUMNS, FILES, summarise


def test_avg_weights_each_file_once_so_counting_counts_three_times():
    per_file = {stem: 60.0 for stem in FILES}
    per_file.update({"counting-hard": 90.0, "counting-small-quant": 90.0, "counting-adversarial": 90.0})
    out = summarise(per_file)
    assert out["counting"] == 90.0
    assert out["avg"] == pytest.approx((8 * 60 + 3 * 90) / 11)
    column_mean = sum(out[c] for c in COLUMNS) / len(COLUMNS)
    assert column_mean == pytest.approx((8 * 60 + 90) / 9) != pytest.approx(out["avg"])
    assert len(FILES) == 11 and len(COLUMNS) == 9


def test_incomplete_columns_are_left_out():
    out = summarise({"existence": 70.0, "counting-hard": 50.0})
    assert out == {"existence": 70.0, "avg": 60.0}
