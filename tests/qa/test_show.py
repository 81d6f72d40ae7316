"""`neggen show`: filters, deterministic samples, the edit marked."""

from __future__ import annotations

from typer.testing import CliRunner

from neggen.cli import app
from neggen.qa.show import highlight, sample_rows


def test_highlight_marks_only_the_edit():
    assert highlight("A red car.", "A red truck.", color=False) == ("A red [car.]", "A red [truck.]")
    cap, neg = highlight("A cat on a mat.", "A cat on a big soft rug.", color=True)
    assert neg == "A cat on a \x1b[1;32mbig soft rug.\x1b[0m" and "\x1b[1;31mmat.\x1b[0m" in cap
    assert highlight("Same words.", "same WORDS", color=False) == ("Same words.", "same WORDS")


def test_sample_rows_filters(hand_dir):
    assert {r["neg_type"] for r in sample_rows(hand_dir, n=100)} == {"reshuffle", "swap_nouns", "replace_nouns"}
    assert len(sample_rows(hand_dir, n=100)) == 6
    swaps = sample_rows(hand_dir, types=["swap"], rejects=True, n=100)
    assert [r["reason"] for r in swaps] == ["no_swap_found", "no_swap_found"]
    assert [r["shard"] for r in sample_rows(hand_dir, reason="no_swap_found", shard=1)] == [1]
    assert sample_rows(hand_dir, n=2, seed=3) == sample_rows(hand_dir, n=2, seed=3)
    assert len(sample_rows(hand_dir, n=2)) == 2


def test_show_cli(hand_dir):
    runner = CliRunner()
    result = runner.invoke(app, ["show", str(hand_dir), "--type", "replace_nouns", "--no-color"])
    assert result.exit_code == 0, result.output
    assert "negative: A cat on a [big soft rug.]" in result.stdout
    rejected = runner.invoke(app, ["show", str(hand_dir), "--reason", "copy"])
    assert rejected.exit_code == 0 and "REJECTED copy" in rejected.stdout
    bad = runner.invoke(app, ["show", str(hand_dir), "--reason", "nonsense"])
    assert bad.exit_code == 1 and "unknown reason 'nonsense'" in bad.stderr
    bad_type = runner.invoke(app, ["show", str(hand_dir), "--type", "nouns"])
    assert bad_type.exit_code == 1 and "unknown negative type" in bad_type.stderr
