"""`neggen export --format hf`: a folder `datasets` loads offline, per type, with a card that carries the recipe."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from typer.testing import CliRunner

from neggen.cli import app
from neggen.qa.card import source_licence
from neggen.schemas import NEGATIVES
from tests.qa.runs import row, write_run

REPO = Path(__file__).resolve().parents[2]

# Loads the folder as the hub would serve it, with nothing reachable and every cache under the test's tmp.
_LOAD = """
import json, sys
from datasets import load_dataset
folder = sys.argv[1]
counts = {"default": load_dataset(folder, split="train").num_rows}
for name in sys.argv[2:]:
    counts[name] = load_dataset(folder, name, split="train").num_rows
print(json.dumps(counts))
"""


def _export(*args: str):
    return CliRunner().invoke(app, ["export", *args])


def _load(folder: Path, tmp_path: Path, configs: list[str]) -> dict[str, int]:
    home = tmp_path / "hf-home"
    env = os.environ | {
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "HF_HOME": str(home),
        "HF_DATASETS_CACHE": str(home / "datasets"),
    }
    command = [sys.executable, "-c", _LOAD, str(folder), *configs]
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])


def _front_matter(card: str) -> dict:
    assert card.startswith("---\n")
    return yaml.safe_load(card.split("---\n", 2)[1])


def _stats(run: Path) -> dict:
    return json.loads(CliRunner().invoke(app, ["stats", str(run), "--json"]).stdout)


def test_hf_export_loads_offline_per_type_with_its_recipe(generated_dir, tmp_path):
    folder = tmp_path / "hf"
    result = _export(str(generated_dir), "--format", "hf", "--out", str(folder))
    assert result.exit_code == 0, result.output
    stats = _stats(generated_dir)["by_type"]
    accepted = {t: stats[t]["accepted"] for t in ("reshuffle", "swap_nouns")}
    assert all(accepted.values()) and stats["swap_nouns"]["rejected"]  # the fixture has both kinds of row
    assert stats["swap_adjectives"]["accepted"] == 0 and stats["swap_adjectives"]["rejected"]
    assert f"{sum(accepted.values())} records" in result.stderr

    assert _load(folder, tmp_path, ["reshuffle", "swap_nouns"]) == {"default": sum(accepted.values()), **accepted}
    table = pq.read_table(folder / "data" / "swap_nouns.parquet")
    assert table.schema.equals(NEGATIVES) and set(table.column("neg_type").to_pylist()) == {"swap_nouns"}

    card = (folder / "README.md").read_text(encoding="utf-8")
    header = _front_matter(card)
    assert header["license"] == "cc-by-4.0"  # COCO captions (coco_karpathy_test.json)
    assert header["size_categories"] == ["n<1K"] and header["task_categories"]
    configs = {c["config_name"]: c for c in header["configs"]}
    assert list(configs) == ["all", "reshuffle", "swap_nouns"] and configs["all"]["default"] is True
    assert configs["swap_nouns"]["data_files"] == [{"split": "train", "path": "data/swap_nouns.parquet"}]
    from huggingface_hub import DatasetCard  # the hub's own reader of the header

    assert DatasetCard.load(folder / "README.md").data.license == "cc-by-4.0"

    manifest = json.loads((generated_dir / "manifest.json").read_text())
    sha = manifest["prompts"]["swap_nouns"]["file_sha256"]
    prompt = folder / "prompts" / "swap_nouns.toml"
    assert hashlib.sha256(prompt.read_bytes()).hexdigest() == sha
    assert f"<code>prompts/swap_nouns.toml</code> (sha256 <code>{sha}</code>)" in card
    assert prompt.read_text(encoding="utf-8").splitlines()[2] in card  # the prompt's text itself (its rule)
    assert "`scripted-model` (scripted)" in card  # the model and engine the rows were written by
    assert "`sampling.temperature`: `0.8`" in card and "`coco_karpathy_test.json`" in card
    assert f"`quantile`: `{json.dumps(manifest['plausibility']['quantile'])}`" in card
    swap = stats["swap_nouns"]
    assert f"| swap_nouns | {swap['captions']} | {swap['accepted']} | {swap['rejected']} |" in card
    assert f"| wrong_part_of_speech | 0 | {swap['reject_reasons']['wrong_part_of_speech']} |" in card
    assert "### Blind audit" in card and "| length judge |" in card
    assert "No labels" in card
    # A type with no accepted row: counted and its prompt shown, but no config (datasets cannot load 0 rows)
    adjectives = stats["swap_adjectives"]
    assert f"| swap_adjectives | {adjectives['captions']} | 0 | {adjectives['rejected']} | 0% | 0 |" in card
    assert "Types with no accepted row (counted below, no config): swap_adjectives." in card
    assert (folder / "prompts" / "swap_adjectives.toml").exists() and not (
        folder / "data" / "swap_adjectives.parquet"
    ).exists()
    assert "neggen generate --captions" in card


def test_hf_export_shows_the_labelled_precision_of_the_labels_neggen_label_saved(generated_dir, tmp_path):
    """Labels saved into the run as `neggen label` saves them (one file, one reader) reach the card: 2 of 3
    swap_nouns rows good, and one label of a row no longer in the run, reported and not counted."""
    from neggen.qa.labelling import labelled_row, sample_for_labelling
    from neggen.qa.labels import append_label, row_key

    run = Path(shutil.copytree(generated_dir, tmp_path / "labelled-run"))  # the session fixture stays as made
    rows = sample_for_labelling(run, ["swap_nouns"], 3, 0)
    assert len(rows) == 3
    for sampled, good in zip(rows, (True, True, False), strict=True):
        append_label(run, labelled_row(sampled, [True, True, True, good], "ann"))
    gone = rows[0] | {"negative": "A negative no re-run kept."}
    gone["row_id"] = row_key("swap_nouns", gone["caption"], gone["negative"])
    append_label(run, labelled_row(gone, [True] * 4, "ann"))
    folder = tmp_path / "hf"
    result = _export(str(run), "--format", "hf", "--out", str(folder))
    assert result.exit_code == 0, result.output
    card = (folder / "README.md").read_text(encoding="utf-8")
    assert "| swap_nouns | 66.7% | 20.8% - 93.9% | 3 |" in card, card  # Wilson 95% for 2 of 3
    assert "labelled by ann. 1 label(s) of rows a re-run moved aside are not counted." in card
    assert "No labels" not in card


def test_hf_export_of_one_type_replaces_an_earlier_export(generated_dir, tmp_path):
    folder = tmp_path / "hf"
    assert _export(str(generated_dir), "--format", "hf", "--out", str(folder)).exit_code == 0
    again = _export(str(generated_dir), "--format", "hf", "--type", "reshuffle", "--out", str(folder))
    assert again.exit_code == 0, again.output
    assert sorted(p.name for p in (folder / "data").iterdir()) == ["reshuffle.parquet"]
    assert sorted(p.name for p in (folder / "prompts").iterdir()) == ["reshuffle.toml"]
    card = (folder / "README.md").read_text(encoding="utf-8")
    assert "| swap_nouns |" not in card and "prompts/swap_nouns.toml" not in card
    header = _front_matter((folder / "README.md").read_text(encoding="utf-8"))
    assert [c["config_name"] for c in header["configs"]] == ["all", "reshuffle"]


def test_hf_export_licence_from_the_source_or_the_flag(generated_dir, tmp_path):
    assert source_licence(["coco_karpathy_test.json"]) == "cc-by-4.0"
    assert source_licence(["captions_val2014.json", "coco_karpathy_train.json"]) == "cc-by-4.0"
    assert source_licence(["dataset_flickr30k.json"]) == "other"
    assert source_licence(["my_captions.csv"]) == source_licence(["coco.json", "mine.csv"]) == "unknown"
    assert source_licence([]) == "unknown"
    folder = tmp_path / "hf"
    result = _export(str(generated_dir), "--format", "hf", "--license", "cc-by-sa-4.0", "--out", str(folder))
    assert result.exit_code == 0, result.output
    assert _front_matter((folder / "README.md").read_text(encoding="utf-8"))["license"] == "cc-by-sa-4.0"


def _one_line_failure(result, text: str) -> None:
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and text in lines[0] and "Traceback" not in result.output, result.stderr


def test_hf_export_of_an_unfinished_run_is_one_line(unfinished_dir, tmp_path):
    result = _export(str(unfinished_dir), "--format", "hf", "--out", str(tmp_path / "hf"))
    _one_line_failure(result, "is not finished (3 of 6 type x shard parts done; `neggen status")
    assert not (tmp_path / "hf").exists()


def test_hf_export_of_a_run_with_no_accepted_rows_is_one_line(tmp_path):
    run = write_run(tmp_path / "run", [row("A red car.", "A red car.", "replace_nouns", n, "copy") for n in range(3)])
    result = _export(str(run), "--format", "hf", "--out", str(tmp_path / "hf"))
    _one_line_failure(result, "has no accepted negatives to export (3 rejected")
    assert not (tmp_path / "hf").exists()


def test_hf_export_mistakes_are_one_line(generated_dir, tmp_path):
    no_manifest = write_run(tmp_path / "run", [row("A red car.", "A red truck.", "replace_nouns", 0)])
    _one_line_failure(_export(str(no_manifest), "--format", "hf", "--out", str(tmp_path / "a")), "no manifest.json")
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "notes.txt").write_text("mine")
    result = _export(str(generated_dir), "--format", "hf", "--out", str(occupied))
    _one_line_failure(result, "is not empty and not an earlier `neggen export --format hf`")
    assert sorted(p.name for p in occupied.iterdir()) == ["notes.txt"]
    result = _export(str(generated_dir), "--format", "hf", "--rejects", "--out", str(tmp_path / "b"))
    _one_line_failure(result, "do not apply to --format hf")
    result = _export(str(generated_dir), "--format", "jsonl", "--license", "mit", "--out", str(tmp_path / "c"))
    _one_line_failure(result, "--license only applies to --format hf")


@pytest.mark.parametrize("rows", [0, 999, 1_000, 12_345, 1_000_000])
def test_size_category_boundaries(rows):
    from neggen.qa.card import size_category

    expected = {0: "n<1K", 999: "n<1K", 1_000: "1K<n<10K", 12_345: "10K<n<100K", 1_000_000: "1M<n<10M"}
    assert size_category(rows) == expected[rows]
