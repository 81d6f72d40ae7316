"""The replication experiment: the quick mode end to end (the CI check), and its parts on synthetic numbers."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

from trainer.shapes.experiment import (
    LLM_VARIANT,
    QUICK_VARIANTS,
    VARIANTS,
    ExperimentConfig,
    finetune_config,
    stage1_config,
)
from trainer.shapes.report import METRICS, aggregate, cell, markdown, t_interval
from trainer.shapes.writers import make_world


def test_t_interval_matches_scipy_and_single_runs_have_no_interval():
    from scipy import stats

    values = [60.0, 64.0, 62.0]
    ci = t_interval(values)
    low, high = stats.t.interval(0.95, 2, loc=62.0, scale=stats.sem(values))
    assert ci["mean"] == 62.0 and ci["n"] == 3
    assert math.isclose(ci["low"], low) and math.isclose(ci["high"], high)
    single = t_interval([70.0])
    assert single["mean"] == 70.0 and math.isnan(single["half_width"]) and cell(single) == "70.0"
    assert cell(ci) == f"62.0 ± {ci['half_width']:.1f}"


def test_variants_differ_only_in_losses_and_negatives(tmp_path):
    config = ExperimentConfig(out=tmp_path, world=tmp_path / "w", llm_run=tmp_path / "llm", finetune_steps=50)
    world = tmp_path / "w"
    s1 = stage1_config(config, world)
    assert not s1.negatives and s1.model.tiny is not None and s1.loss.igc == s1.loss.tgc == s1.loss.distill == 0
    assert s1.optim.lr == config.stage1_lr and s1.max_steps == config.stage1_steps
    runs = {v: finetune_config(config, world, v, 1) for v in [*VARIANTS, LLM_VARIANT]}
    for run in runs.values():
        assert run.model.tiny is None and Path(run.model.name) == tmp_path / "stage1"
        assert run.max_steps == 50 and run.batch_size == config.finetune_batch and run.seed == 1
        assert run.optim.lr == config.finetune_lr
        assert math.isclose(run.ema_decay, 1 - 1 / 15)  # 30% of 50 steps
    assert not runs["plain"].negatives and all(runs[v].negatives for v in VARIANTS if v != "plain")
    weights = {v: (runs[v].loss.igc, runs[v].loss.tgc, runs[v].loss.distill) for v in VARIANTS}
    assert weights == {
        "plain": (0, 0, 0),
        "negclip": (0, 0, 0),
        "igc": (0.1, 0, 0),
        "tgc": (0, 0.1, 0),
        "igc_tgc": (0.1, 0.1, 0),
        "degla": (0.1, 0.1, 0.005),
        "degla_distill0.05": (0.1, 0.1, 0.05),
        "degla_distill0.5": (0.1, 0.1, 0.5),
    }
    assert runs["degla"].loss == runs[LLM_VARIANT].loss
    # Stage 1 sees the whole world; every oracle variant fine-tunes on the slice's run, degla_llm on its own.
    assert s1.data.run_dir == world / "oracle"
    assert all(runs[v].data.run_dir == world / "oracle_finetune" for v in VARIANTS)
    assert runs[LLM_VARIANT].data.run_dir == tmp_path / "llm"
    assert config.all_variants() == [*VARIANTS, LLM_VARIANT]


def test_resuming_with_other_training_settings_is_refused(tmp_path):
    from neggen.run.atomic import write_json_atomic
    from trainer.shapes.experiment import check_resume

    config = ExperimentConfig(out=tmp_path, seeds=[0, 1])
    check_resume(config)  # nothing there yet
    write_json_atomic(tmp_path / "experiment.json", config.model_dump(mode="json"))
    check_resume(config.model_copy(update={"seeds": [0, 1, 2], "llm_run": tmp_path / "llm"}))  # adds runs: fine
    with pytest.raises(ValueError, match="finetune_lr"):
        check_resume(config.model_copy(update={"finetune_lr": 1e-5}))
    # A directory written before a setting existed resumes as if it held the setting's default.
    saved = config.model_dump(mode="json")
    del saved["twins"]
    write_json_atomic(tmp_path / "experiment.json", saved)
    check_resume(config)
    with pytest.raises(ValueError, match="twins"):
        check_resume(config.model_copy(update={"twins": True}))


def test_a_world_of_another_format_is_refused_not_reused(tmp_path):
    """A world written before the fine-tuning slice existed has no oracle_finetune/: say so, do not fine-tune."""
    from neggen.run.atomic import write_json_atomic
    from trainer.shapes.experiment import ensure_world
    from trainer.shapes.writers import FORMAT

    write_json_atomic(tmp_path / "w" / "world.json", {"format": "neggen-shapes-world/1"})
    with pytest.raises(ValueError, match="delete it to rebuild"):
        ensure_world(ExperimentConfig(out=tmp_path / "exp", world=tmp_path / "w"), log=lambda line: None)
    write_json_atomic(tmp_path / "w" / "world.json", {"format": FORMAT})
    assert ensure_world(ExperimentConfig(out=tmp_path / "exp", world=tmp_path / "w"), log=lambda line: None)
    # A world built without counterfactual twins cannot stand in for one built with them, nor the other way.
    with pytest.raises(ValueError, match="built with twins=False, this experiment wants True"):
        ensure_world(ExperimentConfig(out=tmp_path / "exp", world=tmp_path / "w", twins=True), log=lambda line: None)
    write_json_atomic(tmp_path / "w" / "world.json", {"format": FORMAT, "config": {"twins": True}})
    assert ensure_world(ExperimentConfig(out=tmp_path / "e2", world=tmp_path / "w", twins=True), log=lambda _: None)
    with pytest.raises(ValueError, match="built with twins=True"):
        ensure_world(ExperimentConfig(out=tmp_path / "exp", world=tmp_path / "w"), log=lambda line: None)
    # Nor one with another share of where-captions; a world written before p_where existed holds 0.
    with pytest.raises(ValueError, match="built with p_where=0.0, this experiment wants 0.5"):
        ensure_world(ExperimentConfig(out=tmp_path / "e3", world=tmp_path / "w", twins=True, p_where=0.5))
    write_json_atomic(tmp_path / "w" / "world.json", {"format": FORMAT, "config": {"twins": True, "p_where": 0.5}})
    assert ensure_world(ExperimentConfig(out=tmp_path / "e3", world=tmp_path / "w", twins=True, p_where=0.5))
    with pytest.raises(ValueError, match="built with p_where=0.5, this experiment wants 0.0"):
        ensure_world(ExperimentConfig(out=tmp_path / "e4", world=tmp_path / "w", twins=True), log=lambda _: None)


def test_twins_keep_each_pair_in_one_stage1_batch(tmp_path):
    world = tmp_path / "w"
    assert stage1_config(ExperimentConfig(out=tmp_path, world=world), world).data.keep_together == 1
    twins = stage1_config(ExperimentConfig(out=tmp_path, world=world, twins=True), world)
    assert twins.data.keep_together == 2
    # Fine-tuning runs on the slice, which has no twins.
    assert (
        finetune_config(ExperimentConfig(out=tmp_path, world=world, twins=True), world, "plain", 0).data.keep_together
        == 1
    )


def test_aggregate_adds_retention_and_markdown_shows_every_model():
    from trainer.shapes.report import COMPOSITIONAL

    def metrics(outside: float, vg: float) -> dict[str, float]:
        # zs_avg moves the other way: retention must read the sets outside the fine-tuning slice only
        other = {f"in_distribution/{m}": 60.0 for m in COMPOSITIONAL if m != "vg_r"}
        zs = {"in_distribution/zs_avg": 100 - outside, "in_distribution/zs_outside_avg": outside}
        return {**other, **zs, "in_distribution/vg_r": vg}

    runs = {"stage1": {"variant": "stage1", "metrics": metrics(40.0, 55.0)}}
    for seed, (zs, vg) in enumerate([(38.0, 67.0), (36.0, 74.0)]):
        runs[f"degla-seed{seed}"] = {"variant": "degla", "metrics": metrics(zs, vg)}
    runs["blind_shorter"] = {"variant": "blind_shorter", "metrics": {"in_distribution/vg_r": 0.0}}
    models, summary = aggregate(runs, ("in_distribution",))
    assert models == ["stage1", "degla", "blind_shorter"]
    assert summary["degla"]["in_distribution/retention"]["mean"] == -3.0
    assert summary["stage1"]["in_distribution/retention"]["mean"] == 0.0
    assert "in_distribution/retention" not in summary["blind_shorter"]
    # compositional avg: per run, the mean of the compositional metrics (here only VG-R differs from 60)
    n = len(COMPOSITIONAL)
    assert math.isclose(summary["degla"]["in_distribution/comp_avg"]["mean"], (60 * (n - 1) + 70.5) / n)
    assert summary["degla"]["in_distribution/comp_avg"]["values"] == [(60 * (n - 1) + v) / n for v in (67, 74)]
    assert "in_distribution/comp_avg" not in summary["blind_shorter"]
    text = markdown(models, summary, {"in_distribution/vg_r": 50.0}, ("in_distribution",))
    assert "| ARO VG-R | 50.0 | 55.0 | 70.5 ± " in text and "| retention" in text


def _table_rows(text: str) -> dict[tuple[str, str], dict[str, str]]:
    """(section title, metric label) -> {column: cell} from results.md."""
    rows, section, header = {}, "", []
    for line in text.splitlines():
        if line.startswith("## "):
            section = line[3:]
        elif line.startswith("| metric"):
            header = [c.strip() for c in line.strip("|").split("|")]
        elif line.startswith("|") and not line.startswith("|---"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            rows[(section, cells[0])] = dict(zip(header, cells, strict=True))
    return rows


@pytest.fixture(scope="module")
def quick_world(tmp_path_factory) -> Path:
    """Built fresh (seconds), so the test never depends on a world left in data/ by an earlier run."""
    from trainer.shapes.config import WorldConfig

    out = tmp_path_factory.mktemp("quick") / "world"
    make_world(WorldConfig.quick(), out)
    return out


@pytest.mark.slow
def test_quick_experiment_runs_and_writes_the_table(quick_world, tmp_path):
    """The CI check: `replicate --quick` end to end (a few minutes on 2 CPU cores)."""
    from trainer.shapes.experiment import run_experiment
    from trainer.shapes.report import VERSION_TITLES

    config = ExperimentConfig.for_mode(True, out=tmp_path / "exp", world=quick_world)
    results = run_experiment(config, log=lambda line: None)
    out = tmp_path / "exp"
    for plot in ("compositional.png", "zeroshot.png", "tradeoff.png", "tradeoff.svg"):
        assert (out / "plots" / plot).stat().st_size > 10_000
    assert (out / "plots" / "tradeoff.svg").read_text().lstrip().startswith("<?xml")
    assert json.loads((out / "results.json").read_text())["summary"] == json.loads(json.dumps(results["summary"]))
    assert config.variants == list(QUICK_VARIANTS)
    models = ["stage1", *QUICK_VARIANTS, "blind_shorter", "blind_larger_number"]
    assert results["models"] == models

    # Every variant x metric, with its CI, in the Markdown, equal to the JSON.
    rows = _table_rows((out / "results.md").read_text())
    for version, title in VERSION_TITLES.items():
        for metric, label in METRICS.items():
            if version == "heldout" and ("outside" in metric or metric == "retention"):
                assert (title, label) not in rows  # the held-out version has no sets outside the slice
                continue
            row = rows[(title, label)]
            for model in models:
                stat = results["summary"][model].get(f"{version}/{metric}")
                blind_na = metric.startswith(("zs_", "wino_")) or metric in ("retention", "comp_avg")
                if model.startswith("blind_") and blind_na:
                    assert stat is None and row[model] == "—"
                    continue
                assert row[model] == cell(stat), (version, metric, model)
                if model in VARIANTS:
                    assert stat["n"] == len(config.seeds) and re.fullmatch(r"-?\d+\.\d ± \d+\.\d", row[model])

    # The world is learnable at this size: stage 1 is far above chance on in-distribution zero-shot objects.
    stage1 = results["runs"]["stage1"]["metrics"]
    chance = results["chance"]["in_distribution/zs_object"]
    assert chance < 5 and stage1["in_distribution/zs_object"] > 3 * chance, stage1
    assert stage1["in_distribution/zs_colour"] > 2 * results["chance"]["in_distribution/zs_colour"]
    # The evaluators' own record files are there for every model.
    assert (out / "eval" / "degla-seed1" / "heldout" / "winoground__all__winoground.json").exists()
    assert (out / "eval" / "stage1" / "in_distribution" / "sugarcrepe__summary__image_caption_selection.json").exists()
