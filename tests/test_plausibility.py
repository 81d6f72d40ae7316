"""The plausibility filter: calibration on SugarCrepe, the per-type threshold at its boundary, failures as reasons,
the best-scoring candidate kept, and the filter wired through `neggen generate`."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence

import polars as pl
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from neggen.cli import app
from neggen.config import GenerateConfig
from neggen.engines.base import Completion, EngineTextScorer
from neggen.generation.attempt import CaptionAttempt, RunContext, _choose, judge_all
from neggen.plausibility import (
    Calibration,
    ConstantScorer,
    Plausibility,
    PlausibilityConfig,
    Scores,
    calibrate,
    load_plausibility,
    load_scorer,
    quantile,
    read_calibration_pairs,
    shipped_calibration,
    unreadable_caption,
)
from neggen.prompts import RenderedPrompt
from neggen.types import NegType
from neggen.validate import Reason
from tests.fakes import ScriptedEngine


class TableScorer:
    """Scores from a dict (texts not in it score -1.0); raises or answers NaN when told to."""

    name = "table"

    def __init__(self, table: dict[str, float], fail: Exception | None = None):
        self.table, self.fail, self.calls = table, fail, 0

    def score(self, texts: Sequence[str]) -> list[float]:
        self.calls += 1
        if self.fail is not None:
            raise self.fail
        return [self.table.get(t, -1.0) for t in texts]


def plausibility_with(scorer, gaps: dict[str, list[float]], floor: float = -8.0, q: float = 0.25) -> Plausibility:
    config = PlausibilityConfig(model="x", quantile=q, caption_margin=1.0)
    return Plausibility(scorer, Calibration(scorer.name, gaps, floor + 1.0), config)


GAPS = {kind: [-1.0, -0.5, 0.0, 0.5, 1.0] for kind in ("swap_obj", "swap_att", "replace_obj", "replace_att")}


def test_quantile_interpolates_between_order_statistics():
    assert quantile([3.0, 1.0, 2.0, 4.0], 0.0) == 1.0 and quantile([3.0, 1.0, 2.0, 4.0], 1.0) == 4.0
    assert quantile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5 and quantile([0.0, 10.0], 0.25) == 2.5
    with pytest.raises(ValueError):
        quantile([], 0.5)


def test_calibration_gaps_are_negative_minus_caption_per_kind():
    pairs = {"swap_obj": [("c1", "n1"), ("c2", "n2")], "replace_att": [("c3", "n3")]}
    scorer = TableScorer({"c1": -2.0, "n1": -3.0, "c2": -1.0, "n2": -1.5, "c3": -4.0, "n3": -3.0})
    calibration = calibrate(scorer, pairs)
    assert calibration.gaps == {"replace_att": [1.0], "swap_obj": [-1.0, -0.5]}
    assert calibration.worst_caption == -4.0
    full = Calibration("table", GAPS, calibration.worst_caption)
    plausibility = Plausibility(scorer, full, PlausibilityConfig(model="x", caption_margin=1.0))
    assert plausibility.caption_floor == -5.0  # the worst caption less the margin
    assert scorer.calls == 1  # one call for all 1,600 texts of a real calibration


def test_the_threshold_is_the_quantile_of_the_matching_kind_and_its_boundary_is_kept():
    plausibility = plausibility_with(TableScorer({}), GAPS, q=0.25)
    assert plausibility.thresholds[NegType.swap_nouns] == -0.5
    at = plausibility.judge(NegType.swap_nouns, Scores(-3.0, -3.5))  # gap -0.5: exactly the threshold
    below = plausibility.judge(NegType.swap_nouns, Scores(-3.0, -3.5001))
    assert at.accepted
    assert below.reason == Reason.implausible and below.detail == "gap -0.50 < -0.50"


def test_reshuffle_uses_swap_obj_and_every_type_has_a_threshold():
    gaps = {**GAPS, "swap_obj": [-2.0, -2.0]}
    plausibility = plausibility_with(TableScorer({}), gaps)
    assert plausibility.thresholds[NegType.reshuffle] == -2.0
    assert set(plausibility.thresholds) == set(NegType)


def test_a_failing_scorer_gives_every_row_a_reason_not_a_crash():
    plausibility = plausibility_with(TableScorer({}, fail=RuntimeError("CUDA out of memory")), GAPS)
    scores, failure = plausibility.score_pairs([("A dog.", "A cat."), ("A red car.", "A blue car.")])
    assert scores == [Scores(None, None), Scores(None, None)] and failure == "RuntimeError: CUDA out of memory"
    verdict = plausibility.judge(NegType.replace_nouns, scores[0], failure)
    assert verdict.reason == Reason.unscored and "CUDA out of memory" in verdict.detail


def test_nan_scores_are_unscored_rows_and_a_nan_caption_is_unreadable():
    plausibility = plausibility_with(TableScorer({"A dog.": -2.0, "A cat.": math.nan, "🐶🐶": math.nan}), GAPS)
    (row,), failure = plausibility.score_pairs([("A dog.", "A cat.")])
    assert failure is None and row == Scores(-2.0, None)
    assert plausibility.judge(NegType.replace_nouns, row).reason == Reason.unscored
    (emoji,), _ = plausibility.score_pairs([("🐶🐶", "A cat.")])
    assert plausibility.judge(NegType.replace_nouns, emoji).reason == Reason.caption_unreadable


def test_a_caption_below_the_floor_is_unreadable_and_one_at_it_is_read():
    plausibility = plausibility_with(TableScorer({}), GAPS, floor=-8.0)
    low = plausibility.judge(NegType.replace_nouns, Scores(-8.01, -8.01))
    assert low.reason == Reason.caption_unreadable and "-8.01 < -8.00" in low.detail
    assert plausibility.judge(NegType.replace_nouns, Scores(-8.0, -8.0)).accepted


def test_the_best_scoring_valid_candidate_is_kept_not_the_first(monkeypatch):
    caption = "A red car parked next to a green bus."
    first, second = "A blue car parked next to a green bus.", "A yellow car parked next to a green bus."
    scorer = TableScorer({caption: -3.0, first: -3.3, second: -3.1})
    ctx = RunContext(
        "run", ScriptedEngine(lambda r: []), GenerateConfig(), plausibility=plausibility_with(scorer, GAPS)
    )

    row = {"caption_id": "c", "image_id": "i", "caption": caption}
    pending = CaptionAttempt(NegType.replace_adjectives, row, RenderedPrompt([], "sha", 0, []))
    completion = Completion("c", [first, second], ["stop", "stop"], 10, 10)
    [candidates] = judge_all(ctx, [(pending, completion)])
    assert [c.verdict.accepted for c in candidates] == [True, True]
    assert _choose(pending, candidates) == second  # gap -0.1 beats -0.3, though listed second
    assert pending.last_scores == Scores(-3.0, -3.1) and pending.failed_reasons == []


def test_candidates_below_the_threshold_are_rejected_as_implausible_with_their_scores():
    caption = "A red car parked next to a green bus."
    bad = "A blue car parked next to a green bus."
    scorer = TableScorer({caption: -3.0, bad: -4.0})
    ctx = RunContext(
        "run", ScriptedEngine(lambda r: []), GenerateConfig(), plausibility=plausibility_with(scorer, GAPS)
    )

    row = {"caption_id": "c", "image_id": "i", "caption": caption}
    pending = CaptionAttempt(NegType.replace_adjectives, row, RenderedPrompt([], "sha", 0, []))
    [candidates] = judge_all(ctx, [(pending, Completion("c", [bad], ["stop"], 1, 1))])
    assert _choose(pending, candidates) is None
    assert pending.last.reason == Reason.implausible and pending.last_scores == Scores(-3.0, -4.0)


def test_config_default_and_override():
    assert GenerateConfig().plausibility.enabled and GenerateConfig().plausibility.quantile == 0.4
    assert load_plausibility(PlausibilityConfig(enabled=False)) is None
    config = GenerateConfig.model_validate({"plausibility": {"quantile": 0.5, "model": "constant"}})
    plausibility = load_plausibility(config.plausibility)
    assert plausibility is not None and plausibility.record()["quantile"] == 0.5
    assert plausibility.record()["thresholds"]["swap_nouns"] == 0.0  # the constant scorer: a no-op filter


def test_the_shipped_calibration_pairs_are_200_a_kind():
    pairs = read_calibration_pairs()
    assert sorted(pairs) == ["replace_att", "replace_obj", "swap_att", "swap_obj"]
    assert all(len(v) == 200 and all(c and n and c != n for c, n in v) for v in pairs.values())


@pytest.mark.parametrize("model", ["{tmp}/no-such-model", "nobody-here/no-such-model"])
def test_a_scorer_that_does_not_exist_is_one_line_before_the_engine_loads(model, tmp_path, karpathy_file, monkeypatch):
    import neggen.cli as cli

    monkeypatch.setattr(cli, "make_engine", lambda config: pytest.fail("the engine loaded before the scorer check"))
    model = model.format(tmp=tmp_path)
    args = ["generate", "--captions", str(karpathy_file), "--out", str(tmp_path / "run"), "--limit", "2"]
    result = CliRunner().invoke(app, [*args, "--set", f"plausibility.model={model}"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("neggen: ") and model in last
    assert not (tmp_path / "run" / "manifest.json").exists()


@pytest.mark.slow
def test_generate_with_the_bundled_scorer_records_it_and_keeps_only_rows_above_the_threshold(
    tmp_path, karpathy_file, bundled_model_dir, monkeypatch
):
    """Through the command users type, with the real scorer (the suite's default is the constant one)."""
    monkeypatch.setenv("NEGGEN_SCORER", "default")
    out = tmp_path / "run"
    args = ["generate", "--captions", str(karpathy_file), "--out", str(out), "--limit", "12", "--engine", "hf"]
    result = CliRunner().invoke(app, [*args, "--type", "replace", "--set", "sampling.n=2"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    record = manifest["plausibility"]
    assert record["scorer"] == "bundled SmolLM2-135M-Instruct" and record["quantile"] == 0.4
    accepted = pl.read_parquet(out / "negatives" / "**" / "*.parquet", hive_partitioning=False)
    rejected = pl.read_parquet(out / "rejects" / "**" / "*.parquet", hive_partitioning=False)
    assert accepted.height > 0 and accepted["caption_logprob"].null_count() == 0
    gaps = accepted.with_columns((pl.col("negative_logprob") - pl.col("caption_logprob")).alias("gap"))
    for row in gaps.iter_rows(named=True):
        assert row["gap"] >= record["thresholds"][row["neg_type"]] - 1e-4  # float32 columns
    implausible = rejected.filter(pl.col("reason") == Reason.implausible.value)
    for row in implausible.iter_rows(named=True):
        gap = row["negative_logprob"] - row["caption_logprob"]
        assert gap < record["thresholds"][row["neg_type"]] + 1e-4


@pytest.mark.slow
def test_the_shipped_bundled_calibration_matches_a_fresh_score_of_the_first_pairs(bundled_model_dir):
    config = PlausibilityConfig(model="default")
    scorer = load_scorer(config)
    shipped = shipped_calibration(scorer, config)
    assert shipped is not None, "the shipped calibration does not apply to the bundled scorer"
    first = {kind: pairs[:20] for kind, pairs in read_calibration_pairs().items()}
    fresh = calibrate(scorer, first)
    for kind, gaps in fresh.gaps.items():
        assert gaps == pytest.approx(shipped.gaps[kind][:20], abs=1e-3), kind
    assert fresh.worst_caption >= shipped.worst_caption - 1e-3


def test_the_shipped_calibration_is_refused_for_another_model_or_dtype():
    assert shipped_calibration(ConstantScorer(), PlausibilityConfig(model="default")) is None
    scorer = TableScorer({})
    assert shipped_calibration(scorer, PlausibilityConfig(model="org/other")) is None
    assert shipped_calibration(scorer, PlausibilityConfig(model="default", dtype="bfloat16")) is None
    assert shipped_calibration(scorer, PlausibilityConfig(model="default", calibration_pairs=199)) is None
    assert shipped_calibration(scorer, PlausibilityConfig(model="default")) is not None


@pytest.mark.parametrize(
    ("caption", "unreadable"),
    [
        ("Un perro corre en la playa con su dueño.", True),
        ("Ein Hund läuft am Strand mit seinem Besitzer.", True),
        ("A dog runs on the beach 🐶🐶", False),
        ("A skateboarder does a kickflip at the skatepark", False),  # words common in captions, unknown to lemminflect
        ("A man near a Starbucks holding a Nikon", False),
    ],
)
def test_a_caption_mostly_not_english_is_unreadable(caption, unreadable):
    verdict = unreadable_caption(caption)
    assert (verdict is not None and verdict.reason == Reason.caption_unreadable) == unreadable


def test_an_unreadable_caption_is_a_reject_row_without_an_engine_call(tmp_path):
    from neggen.run.runners import generate

    table = pa.table(
        {
            "caption_id": ["es", "en"],
            "image_id": ["1", "2"],
            "image_path": [None, None],
            "caption": ["Un perro corre en la playa con su dueño.", "A brown dog runs along the sandy beach."],
            "source": ["t", "t"],
            "split": [None, None],
        }
    )
    engine = ScriptedEngine(lambda r: ["A beach runs along the sandy brown dog."])
    generate(table, tmp_path, [NegType.reshuffle], 1, engine, GenerateConfig(engine_retries=1))
    rejects = pl.read_parquet(tmp_path / "rejects" / "**" / "*.parquet", hive_partitioning=False)
    spanish = rejects.filter(pl.col("caption_id") == "es").row(0, named=True)
    assert spanish["reason"] == Reason.caption_unreadable.value and spanish["attempt"] == 0
    assert all("perro" not in str(r.messages) for r in engine.requests)


class ScoringEngine(ScriptedEngine):
    """A scripted engine whose own model scores texts from a table (the plausibility.model=engine path)."""

    def __init__(self, table: dict[str, float]):
        super().__init__(lambda request: [])
        self.scores = TableScorer(table)

    def text_scorer(self) -> EngineTextScorer:
        return EngineTextScorer("scripted scorer", "v1", self.scores.score)


def test_the_engine_scorer_scores_with_the_engine_and_calibrates_once_per_engine(tmp_path, monkeypatch):
    monkeypatch.setenv("NEGGEN_CACHE", str(tmp_path / "cache"))
    config = PlausibilityConfig(model="engine", calibration_pairs=3)
    engine = ScoringEngine({"A dog on a couch.": -2.0})
    plausibility = load_plausibility(config, engine)
    assert plausibility is not None and plausibility.scorer.name == "scripted scorer"
    assert engine.scores.calls == 1  # 4 kinds x 3 pairs, in one call
    assert plausibility.record()["calibration"].endswith("3 pairs a kind")
    assert load_plausibility(config, engine) is plausibility and engine.scores.calls == 1
    (scores,), _ = plausibility.score_pairs([("A dog on a couch.", "A cat on a couch.")])
    assert scores == Scores(-2.0, -1.0) and engine.scores.calls == 2
    other = ScoringEngine({})
    assert load_plausibility(config, other) is not plausibility  # another engine in this process: its own filter


def test_the_engine_scorer_without_an_engine_or_with_one_that_cannot_score_is_one_line():
    config = PlausibilityConfig(model="engine")
    with pytest.raises(ValueError, match="has not loaded .*ray driver.*plausibility.model=default"):
        load_scorer(config, None)
    with pytest.raises(ValueError, match="the scripted engine cannot score text"):
        load_scorer(config, ScriptedEngine(lambda request: []))


def test_fewer_calibration_pairs_take_the_first_of_each_kind_and_never_the_shipped_calibration():
    assert read_calibration_pairs(per_kind=2) == {k: v[:2] for k, v in read_calibration_pairs().items()}
    with pytest.raises(ValueError):
        PlausibilityConfig(calibration_pairs=201)
    with pytest.raises(ValueError):
        PlausibilityConfig(calibration_pairs=1)
    assert PlausibilityConfig(calibration_pairs=200).calibration_pairs == 200
