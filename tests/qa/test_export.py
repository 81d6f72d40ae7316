"""Exports round-trip: DeGLA json records, jsonl under the declared schema, and Hugging Face datasets."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
from typer.testing import CliRunner

from neggen.cli import app
from neggen.qa.export import read_jsonl
from neggen.schemas import NEGATIVES, REJECTS
from tests.qa.runs import row, write_run


def multi_type_run(root):
    """Caption 0 has all five types accepted, caption 1 two of them (the others rejected)."""
    types = ["reshuffle", "swap_nouns", "swap_adjectives", "replace_adjectives", "replace_nouns"]
    rows = []
    for caption_n, caption in enumerate(["A red car near a tall tree.", "A dog on a sofa."]):
        for i, neg_type in enumerate(reversed(types)):  # written out of order on purpose
            accepted = caption_n == 0 or neg_type in ("replace_nouns", "reshuffle")
            r = row(caption, f"{neg_type} of {caption_n}", neg_type, 0, None if accepted else "copy")
            r |= {"caption_id": f"cap{caption_n}", "image_id": str(42 + caption_n), "seed": i}
            rows.append(r)
    return write_run(root, rows, shard_of=lambda r: int(r["caption_id"][-1]) % 2)


def _export(*args: str) -> None:
    result = CliRunner().invoke(app, ["export", *args])
    assert result.exit_code == 0, result.output


def test_degla_json_records(tmp_path):
    run = multi_type_run(tmp_path / "run")
    _export(str(run), "--format", "degla-json", "--out", str(tmp_path / "all.json"))
    records = json.loads((tmp_path / "all.json").read_text())
    order = ["reshuffle", "swap_nouns", "swap_adjectives", "replace_adjectives", "replace_nouns"]
    assert records[0] == {
        "image_id": 42,
        "original": "A red car near a tall tree.",
        "enhanced": [f"{t} of 0" for t in order],
        "neg_types": order,
        "caption_id": "cap0",
    }
    assert records[1]["enhanced"] == ["reshuffle of 1", "replace_nouns of 1"] and records[1]["image_id"] == 43
    _export(str(run), "--format", "degla-json", "--require-all", "--out", str(tmp_path / "full.json"))
    assert [r["caption_id"] for r in json.loads((tmp_path / "full.json").read_text())] == ["cap0"]
    _export(str(run), "--format", "degla-json", "--type", "replace", "--require-all", "--out", str(tmp_path / "r.json"))
    assert [r["neg_types"] for r in json.loads((tmp_path / "r.json").read_text())] == [order[3:]]


def _sorted(table: pa.Table) -> pa.Table:
    return table.sort_by([("neg_type", "ascending"), ("caption_id", "ascending")])


def test_jsonl_round_trips_every_column(tmp_path):
    run = multi_type_run(tmp_path / "run")
    original = pq.read_table(run / "negatives", partitioning=None).cast(NEGATIVES)
    _export(str(run), "--format", "jsonl", "--out", str(tmp_path / "n.jsonl"))
    lines = (tmp_path / "n.jsonl").read_text().splitlines()
    assert len(lines) == original.num_rows == 7 and json.loads(lines[0])["created_at"] == "2025-01-01T00:00:00.000Z"
    assert _sorted(read_jsonl(tmp_path / "n.jsonl")).equals(_sorted(original))
    _export(str(run), "--format", "jsonl", "--rejects", "--out", str(tmp_path / "r.jsonl"))
    rejects = read_jsonl(tmp_path / "r.jsonl", rejects=True)
    assert rejects.schema == REJECTS and rejects.num_rows == 3 and set(rejects.column("reason").to_pylist()) == {"copy"}


def test_export_mistakes_are_one_sentence(tmp_path):
    run = multi_type_run(tmp_path / "run")
    result = CliRunner().invoke(app, ["export", str(run), "--format", "csv", "--out", str(tmp_path / "x")])
    assert result.exit_code == 1 and "--format must be one of degla-json, jsonl, hf" in result.stderr
    assert not (tmp_path / "x").exists()


def test_hugging_face_datasets_loads_the_parquet_output(tmp_path):
    from datasets import load_dataset

    run = multi_type_run(tmp_path / "run")
    files = str(run / "negatives" / "**" / "*.parquet")
    # batch_size: datasets 5.2 takes the first row group's size as the batch size, which is 0 in the zero-row
    # part files a chunk with no accepted negative leaves (ArrowInvalid "BatchSize must be greater than 0").
    data = load_dataset("parquet", data_files=files, split="train", batch_size=1024, cache_dir=str(tmp_path / "c"))
    assert data.num_rows == 7
    assert {"caption", "negative", "neg_type", "image_id"} <= set(data.column_names)
    assert sorted(data["negative"]) == sorted(
        pq.read_table(run / "negatives", partitioning=None)["negative"].to_pylist()
    )
