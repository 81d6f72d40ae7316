"""`neggen generate --output edit` end to end with the bundled model on hf and vllm: the flag reaches the
prompts, the engines' constraint, the rows and the manifest."""

from __future__ import annotations

import json
import re
from pathlib import Path

import polars as pl
import pytest

from neggen.edits.form import candidate_spans, constraint_for
from neggen.text.pos import DEFAULT_TAGGER
from neggen.types import NegType
from neggen.validate import validate
from tests.test_cli import SAMPLE, neggen


@pytest.fixture(scope="module")
def quick_config(tmp_path_factory) -> Path:
    """One attempt, one candidate (as tests/test_cli.py): the real model and pipeline at test speed."""
    path = tmp_path_factory.mktemp("config") / "quick.toml"
    path.write_text("max_attempts = 1\nchunk_size = 8\n[sampling]\nn = 1\nmax_tokens = 40\n[hf]\ndtype = 'float32'\n")
    return path


def check_edit_run(out: Path, edit_types: list[str], limit: int) -> pl.DataFrame:
    negatives = pl.read_parquet(out / "negatives" / "**" / "*.parquet", hive_partitioning=False)
    rejects = pl.read_parquet(out / "rejects" / "**" / "*.parquet", hive_partitioning=False)
    rows = pl.concat([negatives, rejects], how="diagonal_relaxed")
    assert rows.height == limit * len(edit_types)  # reshuffle has an edit form too (issue 26)
    edits = rows.filter(pl.col("neg_type").is_in(edit_types))
    assert set(edits["output"]) == {"edit"}
    asked = edits.filter(pl.col("reason").ne_missing("no_candidate_span"))  # accepted rows: null reason
    assert asked.height > 0
    for r in asked.iter_rows(named=True):
        neg_type = NegType(r["neg_type"])
        regex = constraint_for(neg_type, candidate_spans(neg_type, r["caption"], DEFAULT_TAGGER))
        if r["finish_reason"] == "stop":  # what the engine was held to
            assert re.fullmatch(regex, r["edit"]), (r["caption"], r["edit"])
        # A few tokens per candidate (n=1 in quick.toml), where a sentence takes ~15.
        assert r["completion_tokens"] <= 12 * r["attempt"]
    for r in negatives.iter_rows(named=True):
        assert validate(NegType(r["neg_type"]), r["caption"], r["negative"]).accepted
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["config"]["output"] == "edit" and "--output" in manifest["invocations"][0]["argv"]
    return negatives


@pytest.mark.slow
def test_generate_edit_form_with_hf(tmp_path, quick_config, bundled_model_dir):
    out = tmp_path / "run"
    args = ["generate", "--captions", str(SAMPLE), "--limit", "8", "--out", str(out), "--config", str(quick_config)]
    neggen(*args, "--output", "edit", "--type", "replace_nouns", "--type", "swap_adjectives", "--type", "reshuffle")
    negatives = check_edit_run(out, ["replace_nouns", "swap_adjectives", "reshuffle"], 8)
    # The bundled model's edits: a few of 8 survive the shape and meaning checks with one candidate each.
    assert negatives.filter(pl.col("neg_type") == "replace_nouns").height >= 2


@pytest.mark.slow
def test_generate_edit_form_with_vllm(tmp_path, quick_config, bundled_model_dir):
    out = tmp_path / "run"
    # 40 captions: swap_nouns and reshuffle exchange only things of one kind, which about one caption in seven
    # offers (6 swap_nouns and 7 reshuffle rows kept here, one candidate each).
    args = ["generate", "--engine", "vllm", "--captions", str(SAMPLE), "--limit", "40", "--out", str(out)]
    neggen(*args, "--config", str(quick_config), "--output", "edit", "--type", "swap_nouns", "--type", "reshuffle")
    negatives = check_edit_run(out, ["swap_nouns", "reshuffle"], 40)
    assert negatives.filter(pl.col("neg_type") == "swap_nouns").height >= 2


def test_a_bad_output_form_is_one_line(tmp_path):
    result = neggen("generate", "--captions", str(SAMPLE), "--out", str(tmp_path), "--output", "diff", check=False)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert result.stderr.strip() == "neggen: error: --output must be sentence or edit, not 'diff'"


@pytest.mark.slow  # two CLI runs through a served engine: ~40 s each on 2 cores
@pytest.mark.parametrize("form", ["edit", "sentence"])
def test_output_flag_reaches_requests_rows_and_manifest(tmp_path, form):
    """Through the command users type, against a loopback server that enforces the regex it is sent."""
    from tests.engines.fault_server import FaultServer, normal_answer
    from tests.engines.test_constraints import regex_answer

    def answer(call, body):
        return regex_answer(call, body) if "structured_outputs" in body else (200, normal_answer(body), 0.0)

    out = tmp_path / "run"
    with FaultServer(answer) as server:
        args = ["generate", "--engine", "openai", "--model", "served", "--base-url", server.base_url]
        neggen(
            *args,
            "--captions",
            str(SAMPLE),
            "--limit",
            "6",
            "--type",
            "replace_nouns",
            "--out",
            str(out),
            "--output",
            form,
        )
    constrained = [b for b in server.bodies if "structured_outputs" in b]
    assert len(constrained) == (len(server.bodies) if form == "edit" else 0) and server.bodies
    rows = pl.concat(
        [pl.read_parquet(out / k / "**" / "*.parquet", hive_partitioning=False) for k in ("negatives", "rejects")],
        how="diagonal_relaxed",
    )
    assert set(rows["output"]) == {form} and (rows["edit"].null_count() == rows.height) == (form == "sentence")
    assert json.loads((out / "manifest.json").read_text())["config"]["output"] == form


@pytest.mark.slow  # two CLI runs through a served engine
@pytest.mark.parametrize("choices", ["same_kind", "free"])
def test_replace_choices_reach_the_regex_the_server_is_sent(tmp_path, choices):
    """`--set replace_choices=…` through the command: same-kind runs offer only listed words, free runs any."""
    from tests.engines.fault_server import FaultServer
    from tests.engines.test_constraints import regex_answer

    with FaultServer(regex_answer) as server:
        args = ["generate", "--engine", "openai", "--model", "served", "--base-url", server.base_url]
        args += ["--captions", str(SAMPLE), "--limit", "6", "--type", "replace_nouns", "--out", str(tmp_path / "r")]
        neggen(*args, "--set", f"replace_choices={choices}")
    regexes = [b["structured_outputs"]["regex"] for b in server.bodies]
    assert regexes and all(("[a-z]" in r) == (choices == "free") for r in regexes), regexes[:2]


@pytest.mark.slow  # two CLI runs through a served engine
def test_a_relation_table_built_by_the_command_narrows_the_exchanges_the_server_is_offered(tmp_path):
    """`neggen relations` writes a table; `--set relations=FILE` reaches the regexes and the manifest."""
    from tests.engines.fault_server import FaultServer
    from tests.engines.test_constraints import regex_answer

    table = tmp_path / "relations.parquet"
    built = neggen("relations", str(SAMPLE), "--out", str(table))
    assert built.stdout.strip() == str(table) and "relations from 300 captions" in built.stderr
    offered = {}
    for setting in ("off", str(table)):
        out = tmp_path / ("plain" if setting == "off" else "table")
        with FaultServer(regex_answer) as server:
            args = ["generate", "--engine", "openai", "--model", "served", "--base-url", server.base_url]
            args += ["--captions", str(SAMPLE), "--limit", "30", "--type", "swap_nouns", "--out", str(out)]
            neggen(*args, "--set", f"relations={setting}")
        offered[setting] = [b["structured_outputs"]["regex"].count("<->") for b in server.bodies]
        manifest = json.loads((out / "manifest.json").read_text())
        assert manifest["config"]["relations"] == setting
        assert (manifest["relations"] is None) == (setting == "off")
        assert manifest["invocations"][-1]["relations"] == (manifest["relations"] or {}).get("sha256_12")
    assert manifest["relations"]["source"].startswith("coco_karpathy_test_sample.json: 300 captions; tagger ")
    # The sample's own relations: an exchange of two of its things is seldom in them.
    assert sum(offered[str(table)]) < sum(offered["off"]), offered
