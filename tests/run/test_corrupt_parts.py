"""A truncated or damaged part file: every reader names it, `status --check` lists it, a re-run recovers it.

Part files are written atomically, so this is not what a crash leaves; it is what a bad copy (rsync cut off,
a full quota on the target) or a disk fault leaves, and users must be told which file and what to do.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from neggen.cli import app
from neggen.config import GenerateConfig
from neggen.ingest import load_captions
from neggen.run.layout import CORRUPT_SUFFIX, RunLayout
from neggen.run.runners import generate
from neggen.types import NegType
from tests.fakes import ScriptedEngine, reverse_words
from tests.served import SAMPLE

TYPES = [NegType.reshuffle, NegType.swap_nouns]  # reverse_words: reshuffle accepted, swap_nouns rejected


@pytest.fixture(scope="module")
def captions() -> pa.Table:
    return load_captions(SAMPLE)[0].slice(0, 24)


def make_run(out: Path, captions: pa.Table) -> RunLayout:
    generate(captions, out, TYPES, 1, ScriptedEngine(reverse_words), GenerateConfig(output="sentence", chunk_size=8))
    return RunLayout(out)


def truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def damage_pages(path: Path) -> None:
    """Zero the bytes after the header: the footer still reads, the column chunks do not decode."""
    data = bytearray(path.read_bytes())
    data[4:1500] = bytes(1496)
    path.write_bytes(bytes(data))


def cli(*args) -> object:
    return CliRunner().invoke(app, [str(a) for a in args])


def all_ids(out: Path, neg_type: NegType) -> list[str]:
    ids = []
    for kind in ("negatives", "rejects"):
        frame = pl.read_parquet(out / kind / "**" / "*.parquet", hive_partitioning=False)
        ids += frame.filter(pl.col("neg_type") == neg_type.value)["caption_id"].to_list()
    return ids


@pytest.fixture
def truncated_run(tmp_path, captions) -> tuple[RunLayout, Path]:
    layout = make_run(tmp_path / "run", captions)
    bad = layout.parts(NegType.reshuffle, 0, "negatives")[1]
    truncate(bad)
    return layout, bad


def test_status_names_the_truncated_part_and_marks_its_shard(truncated_run):
    layout, bad = truncated_run
    result = cli("status", layout.root)
    assert result.exit_code == 1
    assert str(bad) in result.stdout and "re-run the same `neggen generate` command" in result.stdout
    report = json.loads(cli("status", layout.root, "--json").stdout)
    states = {r["type"]: r["state"] for r in report["rows"]}
    assert states == {"reshuffle": "corrupt", "swap_nouns": "done"}
    assert [u["path"] for u in report["unreadable"]] == [str(bad)]


@pytest.mark.parametrize(
    "command",
    [
        ["stats"],
        ["show"],
        ["show", "--rejects"],
        ["export", "--format", "jsonl", "--out", "{tmp}/x.jsonl"],
        ["export", "--format", "degla-json", "--out", "{tmp}/x.json"],
        ["export", "--format", "hf", "--out", "{tmp}/hf"],
        ["audit"],
        ["report", "--out", "{tmp}/report.html"],
    ],
)
def test_every_qa_reader_names_the_bad_file_in_one_line(truncated_run, tmp_path, command):
    layout, bad = truncated_run
    if command == ["show", "--rejects"]:  # the rejects reader meets its own truncated part
        bad = layout.parts(NegType.swap_nouns, 0, "rejects")[0]
        truncate(bad)
    args = [command[0], layout.root, *(c.format(tmp=tmp_path) for c in command[1:])]
    result = cli(*args)
    lines = [line for line in result.stderr.splitlines() if line.startswith("neggen: error:")]
    assert result.exit_code == 1 and len(lines) == 1, result.output
    assert str(bad) in lines[0] and "moves it aside and regenerates" in lines[0]


def test_trainer_data_names_the_bad_file(truncated_run):
    from trainer.config import DataSpec
    from trainer.data import DataError, load_samples

    layout, bad = truncated_run
    with pytest.raises(DataError, match=str(bad)):
        load_samples(DataSpec(run_dir=layout.root, image_template=""), seed=0)


def test_status_check_finds_damaged_pages_the_footer_hides(tmp_path, captions):
    layout = make_run(tmp_path / "run", captions)
    bad = layout.parts(NegType.reshuffle, 0, "negatives")[0]
    damage_pages(bad)
    assert cli("status", layout.root).exit_code == 0  # the footer alone looks fine
    deep = cli("status", layout.root, "--check")
    assert deep.exit_code == 1 and str(bad) in deep.stdout


@pytest.mark.parametrize("damage", [truncate, damage_pages])
def test_rerun_moves_the_bad_part_aside_and_regenerates_its_captions_exactly_once(tmp_path, captions, damage):
    layout = make_run(tmp_path / "run", captions)
    bad = layout.parts(NegType.reshuffle, 0, "negatives")[1]
    damage(bad)
    engine = ScriptedEngine(reverse_words)
    summary = generate(captions, layout.root, TYPES, 1, engine, GenerateConfig(output="sentence", chunk_size=8))
    assert summary.quarantined == [bad.with_name(bad.name + CORRUPT_SUFFIX)]
    assert bad.with_name(bad.name + CORRUPT_SUFFIX).exists()
    assert summary.accepted["reshuffle"] == 8 and len(engine.requests) == 8  # that chunk's captions, nothing more
    for neg_type in TYPES:
        ids = all_ids(layout.root, neg_type)
        assert len(ids) == len(set(ids)) == 24
    assert cli("status", layout.root, "--check").exit_code == 0
    again = generate(
        captions, layout.root, TYPES, 1, ScriptedEngine(reverse_words), GenerateConfig(output="sentence", chunk_size=8)
    )
    assert again.quarantined == [] and not again.accepted  # recovered once, not on every run
