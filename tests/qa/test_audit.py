"""`neggen audit`: text-only judges on planted artefacts, and the rebalanced view."""

from __future__ import annotations

import hashlib
import json

import polars as pl
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from neggen.cli import app
from neggen.qa.audit import audit_run
from neggen.qa.stats import compute_stats
from neggen.schemas import NEGATIVES
from tests.qa.runs import row, write_run

CAPTIONS = [
    "A man rides a brown horse on the beach.",
    "Two dogs play with a red ball in the park.",
    "A woman holds an umbrella on a rainy street.",
    "A small boat floats on a calm lake.",
    "A cat sleeps on a wooden chair.",
    "Three children eat pizza at a table.",
    "A plane flies over snowy mountains.",
    "An old bus parked beside a tall building.",
]


def padded_run(root, shorter: int = 0, same: int = 0):
    """replace_nouns negatives one word longer than their caption, except `shorter` pairs (one word shorter)
    and `same` pairs (same length); swap_nouns all the same length."""
    rows, n = [], 0
    for i, caption in enumerate(CAPTIONS * 3):
        head = caption.rstrip(".").split()
        if i < shorter:
            negative = " ".join(head[:-1]) + "."
        elif i < shorter + same:
            negative = " ".join(head[:-1] + ["car"]) + "."
        else:
            negative = " ".join(head[:-1] + ["big", "car"]) + "."
        rows.append(row(caption, negative, "replace_nouns", n))
        rows.append(row(caption, " ".join(reversed(head)) + ".", "swap_nouns", n + 1))
        n += 2
    return write_run(root, rows, shard_of=lambda r: int(r["caption_id"][1:]) % 3)


def test_length_judge_finds_a_planted_length_artefact(tmp_path):
    report = audit_run(padded_run(tmp_path / "run"), examples=2)
    padded = report["by_type"]["replace_nouns"]
    assert (padded["pairs"], padded["negative_longer"], padded["length_judge_accuracy"]) == (24, 24, 1.0)
    assert len(padded["length_examples"]) == 2 and padded["length_examples"][0]["length_margin"] == 1
    assert report["by_type"]["swap_nouns"]["length_judge_accuracy"] == 0.5  # same length: a coin flip
    assert report["by_type"]["overall"]["length_judge_accuracy"] == 0.75


def test_llm_judge_mechanics_with_a_stub_scorer(tmp_path):
    class ShortIsLikely:  # stands in for LikelihoodScorer: fewer words, higher score
        def score(self, texts, normalize=False):
            return [-float(len(t.split())) for t in texts]

    report = audit_run(padded_run(tmp_path / "run"), llm=True, llm_rows=10, scorer=ShortIsLikely())
    padded = report["by_type"]["replace_nouns"]
    assert (padded["llm_pairs"], padded["llm_judge_accuracy"]) == (10, 1.0)
    assert report["by_type"]["overall"]["llm_pairs"] == 20 and report["llm"]["score"] == "summed log-prob"


def _digest(root):
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


def test_rebalance_writes_a_view_at_chance_and_leaves_the_run_alone(tmp_path):
    run = padded_run(tmp_path / "run", shorter=5, same=3)
    before = _digest(run)
    view = tmp_path / "view"
    result = CliRunner().invoke(app, ["audit", str(run), "--rebalance", str(view), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)["rebalance"]["by_type"]
    # 16 longer, 5 shorter, 3 ties -> 5 + 5 + 3 kept
    assert summary["replace_nouns"] == {
        "pairs_before": 24,
        "pairs_after": 13,
        "length_judge_before": round((16 + 1.5) / 24, 4),
        "length_judge_after": 0.5,
    }
    assert summary["swap_nouns"]["pairs_after"] == 24
    assert _digest(run) == before
    assert audit_run(view)["by_type"]["replace_nouns"]["length_judge_accuracy"] == 0.5
    assert compute_stats(view)["by_type"]["overall"]["accepted"] == 37
    for part in (view / "negatives").rglob("part-*.parquet"):
        assert pq.read_schema(part).remove_metadata() == NEGATIVES
    again = CliRunner().invoke(app, ["audit", str(run), "--rebalance", str(view)])
    assert again.exit_code == 1 and "already exists" in again.stderr
    inside = CliRunner().invoke(app, ["audit", str(run), "--rebalance", str(run / "balanced")])
    assert inside.exit_code == 1 and "outside the audited run" in inside.stderr


def test_rebalance_is_deterministic(tmp_path):
    from neggen.qa.rebalance import rebalance

    run = padded_run(tmp_path / "run", shorter=5)
    rebalance(run, tmp_path / "a", seed=7)
    rebalance(run, tmp_path / "b", seed=7)
    assert [p.read_bytes() for p in sorted((tmp_path / "a").rglob("*.parquet"))] == [
        p.read_bytes() for p in sorted((tmp_path / "b").rglob("*.parquet"))
    ]


@pytest.mark.slow
def test_likelihood_judge_on_the_bundled_model_prefers_real_captions(tmp_path):
    from neggen.qa.likelihood import LikelihoodScorer

    scorer = LikelihoodScorer()
    texts = ["A man rides a brown horse on the beach.", "Beach the on horse brown a rides man a."]
    summed, mean = scorer.score(texts), scorer.score(texts, normalize=True)
    assert summed[0] > summed[1] and mean[0] > mean[1]
    assert scorer.score(texts[:1]) == pytest.approx(summed[:1], abs=1e-3)  # padding does not change a score
    rows = [row(c, " ".join(reversed(c.rstrip(".").split())) + ".", "reshuffle", i) for i, c in enumerate(CAPTIONS)]
    report = audit_run(write_run(tmp_path / "run", rows), llm=True, llm_rows=8, scorer=scorer)
    assert report["by_type"]["reshuffle"]["llm_judge_accuracy"] >= 0.75  # word salad is unlikely text


def scored_run(root, right: list[float], wrong: list[float]):
    """replace_nouns rows whose stored plausibility gap makes the LM judge right (caption likelier) by each of
    `right`, and wrong by each of `wrong`."""
    rows = []
    for n, margin in enumerate([*right, *[-m for m in wrong]]):
        caption = CAPTIONS[n % len(CAPTIONS)]
        r = row(caption, caption.replace("A ", "One ", 1) + f" {n}", "replace_nouns", n)
        rows.append(r | {"caption_logprob": -3.0, "negative_logprob": -3.0 - margin})
    return write_run(root, rows)


def test_llm_rebalance_evens_the_stored_gaps_sign_within_bins_of_size(tmp_path):
    # Mostly the judge is right, by large gaps; a few wrong by small ones: an overall cut would keep large
    # right-side gaps against small wrong-side ones; per-bin balance keeps pairs of like size.
    run = scored_run(tmp_path / "run", right=[0.1, 0.2, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5], wrong=[0.1, 0.2, 4.0])
    view = tmp_path / "view"
    result = CliRunner().invoke(
        app, ["audit", str(run), "--rebalance", str(view), "--rebalance-judge", "llm", "--json"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)["rebalance"]
    assert summary["judge"] == "llm"
    entry = summary["by_type"]["replace_nouns"]
    assert entry["llm_judge_before"] == round(10 / 13, 4) and entry["llm_judge_after"] == 0.5
    kept = pl.read_parquet(view / "negatives" / "**" / "*.parquet", hive_partitioning=False)
    margins = sorted(round(m, 3) for m in (kept["caption_logprob"] - kept["negative_logprob"]).to_list())
    # Each wrong pair is matched by a right one of like size: the small ones by 0.1 and 0.2, the 4.0 by one of
    # the largest; none of the middle-sized right pairs (1.0 .. 3.0) is kept.
    assert margins[:3] == [-4.0, -0.2, -0.1] and margins[3:5] == [0.1, 0.2] and margins[5] >= 3.5
    assert len(margins) == entry["pairs_after"] == 6


def test_llm_rebalance_of_a_run_without_scores_is_one_line(tmp_path):
    run = padded_run(tmp_path / "run", shorter=5)
    result = CliRunner().invoke(
        app, ["audit", str(run), "--rebalance", str(tmp_path / "v"), "--rebalance-judge", "llm"]
    )
    assert result.exit_code == 1 and "without plausibility scores" in result.stderr and "Traceback" not in result.output
    bad = CliRunner().invoke(app, ["audit", str(run), "--rebalance", str(tmp_path / "w"), "--rebalance-judge", "vibes"])
    assert bad.exit_code == 1 and "--rebalance-judge must be length or llm" in bad.stderr
