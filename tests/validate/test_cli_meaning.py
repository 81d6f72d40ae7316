"""The meaning checks through the commands users type: generate, stats, show; the switch; missing WordNet."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import REPO
from tests.engines.fault_server import FaultServer

CAPTIONS = ["A cat sleeping on a couch.", "A dog lying on a couch.", "Two kids on a couch.", "A man on a couch."]


def neggen(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "neggen", *args], capture_output=True, text=True, env=full_env, cwd=REPO
    )


def synonym_answer(call, body):
    """A model that answers every replace_nouns request with a synonym: couch -> sofa."""
    text = body["messages"][-1]["content"].replace("couch", "sofa")
    choices = [{"index": i, "message": {"content": text}, "finish_reason": "stop"} for i in range(body.get("n", 1))]
    return 200, {"choices": choices, "usage": {"prompt_tokens": 9, "completion_tokens": 9}}, 0.0


@pytest.fixture
def captions_file(tmp_path):
    path = tmp_path / "captions.jsonl"
    path.write_text("".join(json.dumps({"caption": c, "image_id": str(i)}) + "\n" for i, c in enumerate(CAPTIONS)))
    return path


def run(tmp_path, captions_file, server, name, config_text=""):
    config = tmp_path / f"{name}.toml"
    config.write_text('max_attempts = 1\noutput = "sentence"\n' + config_text)
    out = tmp_path / name
    args = ["generate", "--captions", str(captions_file), "--type", "replace_nouns", "--engine", "openai"]
    result = neggen(*args, "--base-url", server.base_url, "--config", str(config), "--out", str(out))
    assert result.returncode == 0, result.stderr[-2000:]
    return out


@pytest.mark.slow
def test_synonyms_are_rejected_shown_and_the_switch_is_recorded(tmp_path, captions_file):
    with FaultServer(synonym_answer) as server:
        on = run(tmp_path, captions_file, server, "on")
        off = run(tmp_path, captions_file, server, "off", "meaning_checks = false\n")

    stats = json.loads(neggen("stats", str(on), "--json").stdout)
    assert stats["by_type"]["replace_nouns"]["reject_reasons"] == {"same_meaning": 4}
    assert "same_meaning 4" in neggen("stats", str(on)).stdout
    shown = neggen("show", str(on), "--reason", "same_meaning", "--no-color").stdout
    assert "REJECTED same_meaning ('couch' -> 'sofa': 'couch' -> 'sofa': synonyms (sofa.n.01))" in shown

    off_stats = json.loads(neggen("stats", str(off), "--json").stdout)
    assert off_stats["by_type"]["replace_nouns"]["accepted"] == 4  # the ablation keeps the hard positives

    manifest_on = json.loads((on / "manifest.json").read_text())
    manifest_off = json.loads((off / "manifest.json").read_text())
    assert manifest_on["config"]["meaning_checks"] is True and manifest_off["config"]["meaning_checks"] is False
    assert manifest_on["tagger"]["name"] == "spacy"
    assert manifest_on["tagger"]["version"].startswith("en_core_web_sm") and manifest_on["tagger"]["wordnet"]


def test_generate_without_wordnet_stops_with_one_line_naming_the_fix(tmp_path, captions_file):
    empty = tmp_path / "no_nltk_data"
    empty.mkdir()
    args = ["generate", "--captions", str(captions_file), "--out", str(tmp_path / "run"), "--engine", "openai"]
    result = neggen(*args, env={"NEGGEN_NLTK_DATA": str(empty)})
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "WordNet not found" in lines[0] and "make setup" in lines[0], result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "run").exists()  # stopped before anything was written


@pytest.mark.slow
def test_generate_without_wordnet_runs_when_the_meaning_checks_are_off(tmp_path, captions_file):
    empty = tmp_path / "no_nltk_data"
    empty.mkdir()
    with FaultServer(synonym_answer) as server:
        config = tmp_path / "off.toml"
        config.write_text('max_attempts = 1\noutput = "sentence"\nmeaning_checks = false\n')
        args = ["generate", "--captions", str(captions_file), "--type", "replace_nouns", "--engine", "openai"]
        args += ["--base-url", server.base_url, "--config", str(config), "--out", str(tmp_path / "run")]
        result = neggen(*args, env={"NEGGEN_NLTK_DATA": str(empty)})
    assert result.returncode == 0, result.stderr[-2000:]
