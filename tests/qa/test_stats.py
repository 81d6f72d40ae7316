"""`neggen stats` against hand counts (a hand-made run) and against a pyarrow recount (a generated run)."""

from __future__ import annotations

import json
from collections import Counter

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from neggen.cli import app
from neggen.config import GenerateConfig
from neggen.qa.labelling import sample_for_labelling
from neggen.qa.precision import wilson_interval
from neggen.qa.stats import compute_stats
from neggen.run.runners import generate
from neggen.text.words import words
from neggen.types import NegType
from tests.fakes import ScriptedEngine, last_user_text
from tests.qa.runs import row, write_run

approx = pytest.approx


def test_stats_equal_hand_counts(hand_dir):
    stats = compute_stats(hand_dir)
    assert stats["types"] == ["reshuffle", "swap_nouns", "replace_nouns"]
    t = stats["by_type"]
    r = t["reshuffle"]
    assert (r["captions"], r["accepted"], r["rejected"], r["reject_reasons"]) == (3, 2, 1, {"copy": 1})
    assert r["acceptance_rate"] == 0.6667
    # "a dog on a red sofa" -> "on a red sofa a dog": no common prefix or suffix, 6 words edited from word 0
    assert (r["caption_words_mean"], r["negative_words_mean"], r["edit_words_mean"]) == (4.5, 4.5, 4.5)
    assert (r["edit_position_mean"], r["negative_longer_share"], r["duplicate_rate"]) == (0.0, 0.0, 0.0)
    s = t["swap_nouns"]
    assert (s["captions"], s["accepted"], s["reject_reasons"]) == (3, 1, {"no_swap_found": 2})
    assert (s["edit_words_mean"], s["edit_position_mean"]) == (4.0, 0.2)  # "man rides a horse" from word 1 of 5
    p = t["replace_nouns"]
    assert (p["captions"], p["accepted"], p["rejected"], p["acceptance_rate"]) == (3, 3, 0, 1.0)
    assert (p["caption_words_mean"], p["negative_words_mean"]) == (3.6667, 4.3333)
    assert (p["negative_longer_share"], p["negative_shorter_share"]) == (0.3333, 0.0)
    # edits: "mat" -> "big soft rug" (3 words at 4/5), "car" -> "truck" (1 at 2/3), "green car" -> "red truck"
    assert (p["edit_words_mean"], p["edit_words_median"], p["edit_position_mean"]) == (2.0, 2.0, 0.6)
    assert p["duplicate_rate"] == 0.3333  # "A red truck." twice
    assert p["distinct_1"] == round(8 / 13, 4) and p["distinct_2"] == 0.8
    o = t["overall"]
    assert (o["captions"], o["accepted"], o["rejected"]) == (9, 6, 3)
    assert o["reject_reasons"] == {"copy": 1, "no_swap_found": 2}
    assert (o["edit_words_mean"], o["negative_longer_share"], o["duplicate_rate"]) == (3.1667, 0.1667, 0.1667)
    # _SUCCESS.json: 4 shards (reshuffle/0, swap_nouns/0, swap_nouns/1, replace_nouns/1), 2 s each
    assert (o["shards_succeeded"], o["prompt_tokens"], o["completion_tokens"], o["elapsed_s"]) == (4, 900, 90, 8.0)
    assert (o["captions_per_s"], o["completion_tokens_per_s"]) == (1.125, 11.25)
    assert (s["shards_succeeded"], s["completion_tokens"]) == (2, 30)


def _replace_last_noun(request) -> list[str]:
    """A replace_nouns candidate for some captions (last word -> 'zebra'), a copy for every third."""
    text = last_user_text(request).rstrip(".")
    if len(text) % 3 == 0:
        return [text + "."]
    return [" ".join(text.split()[:-1] + ["zebra"]) + "."]


def test_stats_equal_a_recount_of_a_generated_run(karpathy_file, tmp_path):
    from neggen.ingest import load_captions

    captions, _ = load_captions(karpathy_file)
    types = [NegType.reshuffle, NegType.replace_nouns]
    config = GenerateConfig(chunk_size=8, max_attempts=1)
    generate(captions.slice(0, 30), tmp_path, types, 2, ScriptedEngine(_replace_last_noun), config)
    stats = compute_stats(tmp_path)
    for t in types:
        accepted = pq.read_table(tmp_path / "negatives" / f"type={t.value}").to_pylist()
        rejected = pq.read_table(tmp_path / "rejects" / f"type={t.value}").to_pylist()
        got = stats["by_type"][t.value]
        assert got["captions"] == 30 == len(accepted) + len(rejected)
        assert (got["accepted"], got["rejected"]) == (len(accepted), len(rejected))
        assert got["reject_reasons"] == dict(Counter(r["reason"] for r in rejected))
        if accepted:
            lengths = [len(words(r["negative"])) for r in accepted]
            assert got["negative_words_mean"] == round(sum(lengths) / len(lengths), 4)
            longer = sum(len(words(r["negative"])) > len(words(r["caption"])) for r in accepted)
            assert got["negative_longer_share"] == round(longer / len(accepted), 4)
        tokens = sum(r["completion_tokens"] for r in accepted + rejected)
        assert got["completion_tokens"] == tokens


def test_polars_words_agree_with_neggen_text_words(karpathy_file, tmp_path):
    import polars as pl

    from neggen.ingest import load_captions
    from neggen.qa.frames import words_expr

    captions, _ = load_captions(karpathy_file)
    texts = captions.column("caption").to_pylist()[:3000] + ["A man’s T-shirt, “red”!", "ﬁne café — ok_2"]
    got = pl.DataFrame({"t": texts}).select(words_expr("t"))["t"].to_list()
    assert got == [words(t) for t in texts]


def test_stats_cli_json_and_table(hand_dir, tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["stats", str(hand_dir), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == compute_stats(hand_dir)
    table = runner.invoke(app, ["stats", str(hand_dir)])
    assert table.exit_code == 0 and "replace_nouns" in table.stdout and "no_swap_found 2" in table.stdout
    missing = runner.invoke(app, ["stats", str(tmp_path / "nope")])
    assert missing.exit_code == 1 and "is not a neggen run" in missing.stderr
    assert "Traceback" not in missing.output


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [
        (0, 0, 0.0, 1.0),  # nothing labelled: nothing known
        (0, 1, 0.0, 0.7935),
        (0, 10, 0.0, 0.2775),
        (10, 10, 0.7225, 1.0),
        (1, 1, 0.2065, 1.0),
        (5, 10, 0.2366, 0.7634),
        (2, 3, 0.2077, 0.9385),
    ],
)
def test_wilson_interval_known_values(k, n, low, high):
    # Values from scipy.stats.binomtest(k, n).proportion_ci(method="wilson").
    got = wilson_interval(k, n)
    assert got == approx((low, high), abs=5e-5)
    assert 0.0 <= got[0] <= k / max(n, 1) <= got[1] <= 1.0


def test_wilson_interval_refuses_impossible_counts():
    for k, n in [(-1, 3), (4, 3)]:
        with pytest.raises(ValueError, match="0 <= k <= n"):
            wilson_interval(k, n)


def _keys_for(run, good_of) -> str:
    """The keystrokes answering every sampled row in order: all four yes when good_of(row), else plausible no."""
    return "".join("yyyy" if good_of(r) else "yyyn" for r in sample_for_labelling(run, None, 50, 0))


def test_stats_show_labelled_precision_per_type_with_its_interval(hand_dir):
    runner = CliRunner()
    plain = json.loads(runner.invoke(app, ["stats", str(hand_dir), "--json"]).stdout)
    assert plain["labels"] is None
    assert "labelled precision" not in runner.invoke(app, ["stats", str(hand_dir)]).stdout
    # ann: every row good except "A red truck." (replace_nouns) and "Sleep two cats." (reshuffle)
    bad = {"A red truck.", "Sleep two cats."}
    keys = _keys_for(hand_dir, lambda r: r["negative"] not in bad or r["caption"] == "A green car.")
    assert runner.invoke(app, ["label", str(hand_dir), "--labeller", "ann"], input=keys).exit_code == 0
    # bob labels the replace_nouns rows again, the one ann found bad now good: a row counts once, latest label
    keys = "yyyy" * 3
    bob = runner.invoke(app, ["label", str(hand_dir), "--labeller", "bob", "--type", "replace_nouns"], input=keys)
    assert bob.exit_code == 0

    result = runner.invoke(app, ["stats", str(hand_dir), "--json"])
    assert result.exit_code == 0, result.output
    labels = json.loads(result.stdout)["labels"]
    assert (labels["labels"], labels["stale"], labels["labellers"]) == (9, 0, ["ann", "bob"])
    assert list(labels["by_type"]) == ["reshuffle", "swap_nouns", "replace_nouns", "overall"]
    by_type = labels["by_type"]
    assert by_type["reshuffle"] == {"labelled": 2, "good": 1, "precision": 0.5, "interval95": [0.0945, 0.9055]}
    assert by_type["swap_nouns"] == {"labelled": 1, "good": 1, "precision": 1.0, "interval95": [0.2065, 1.0]}
    assert by_type["replace_nouns"] == {"labelled": 3, "good": 3, "precision": 1.0, "interval95": [0.4385, 1.0]}
    assert by_type["overall"] == {"labelled": 6, "good": 5, "precision": 0.8333, "interval95": [0.4365, 0.9699]}
    text = runner.invoke(app, ["stats", str(hand_dir)]).stdout
    assert "labelled precision (95% Wilson interval)" in text and "labellers: ann, bob" in text
    assert "  reshuffle                 2     1      0.500  0.095-0.905" in text
    # From the counts, not the 4-place figures rounded again: 0.43849 (3 of 3) and 0.20654 (1 of 1).
    assert "  replace_nouns             3     3      1.000  0.438-1.000" in text
    assert "  swap_nouns                1     1      1.000  0.207-1.000" in text
    assert "  overall                   6     5      0.833  0.436-0.970" in text


def test_the_reasons_table_keeps_the_longest_type_name_apart_from_its_reasons(tmp_path):
    rows = [row("A red car.", "A red car.", "replace_adjectives", 0, "no_candidate_span")]
    run = write_run(tmp_path / "run", rows)
    text = CliRunner().invoke(app, ["stats", str(run)]).stdout
    assert "  replace_adjectives  no_candidate_span 1" in text.splitlines()
