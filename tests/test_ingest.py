"""Ingest: every source format, stable ids, normalisation, dedup counts, and clear errors for bad files."""

from __future__ import annotations

import json

import polars as pl
import pytest

from neggen.ingest import ColumnOptions, IngestError, load_captions
from neggen.schemas import CAPTIONS
from tests.conftest import annotation_file


def test_karpathy_test_split(karpathy_file):
    table, report = load_captions(karpathy_file)
    assert report.format == "karpathy" and report.rows_read == 25010
    assert report.duplicates_dropped == 5 and report.empty_dropped == 0 and table.num_rows == 25005
    assert table.schema == CAPTIONS
    first = table.slice(0, 1).to_pylist()[0]
    assert first["image_id"] == "391895" and first["image_path"] == "val2014/COCO_val2014_000000391895.jpg"
    assert len(set(table.column("caption_id").to_pylist())) == table.num_rows


def test_caption_ids_are_stable_across_reads_and_formats(karpathy_file, tmp_path):
    table, _ = load_captions(karpathy_file)
    again, _ = load_captions(karpathy_file)
    assert table.column("caption_id").equals(again.column("caption_id"))
    rows = table.slice(0, 5).to_pylist()
    jsonl = tmp_path / "c.jsonl"
    jsonl.write_text("\n".join(json.dumps({"image_id": r["image_id"], "caption": "  " + r["caption"]}) for r in rows))
    from_jsonl, _ = load_captions(jsonl)
    assert from_jsonl.column("caption_id").to_pylist() == [r["caption_id"] for r in rows]


def test_sugarcrepe_source(sugarcrepe_dir):
    table, report = load_captions(sugarcrepe_dir / "swap_obj.json")
    assert report.format == "sugarcrepe" and table.num_rows > 200
    row = table.slice(0, 1).to_pylist()[0]
    assert row["image_path"].endswith(".jpg") and row["image_id"].isdigit()


def test_coco_captions_json(tmp_path):
    path = tmp_path / "captions_train2014.json"
    path.write_text(
        json.dumps(
            {
                "images": [{"id": 9, "file_name": "COCO_train2014_000000000009.jpg"}],
                "annotations": [
                    {"image_id": 9, "id": 1, "caption": "A plate  of food\twith broccoli. "},
                    {
                        "image_id": 9,
                        "id": 2,
                        "caption": "A plate of food with broccoli.",
                    },  # duplicate after normalising
                    {"image_id": 9, "id": 3, "caption": "   "},
                    {"image_id": 10, "id": 4, "caption": "Cafe\u0301 tables on a sidewalk\u200b."},
                ],
            }
        )
    )
    table, report = load_captions(path)
    assert report.format == "coco" and report.duplicates_dropped == 1 and report.empty_dropped == 1
    rows = table.to_pylist()
    assert [r["caption"] for r in rows] == ["A plate of food with broccoli.", "Caf\u00e9 tables on a sidewalk."]
    assert rows[0]["image_path"] == "COCO_train2014_000000000009.jpg" and rows[1]["image_path"] is None


def test_tabular_sources_with_column_options(tmp_path):
    frame = pl.DataFrame({"img": [1, 2], "text": ["A dog on a couch.", "Two cats on a bed."], "split": ["a", "b"]})
    columns = ColumnOptions(caption="text", image_id="img")
    frame.write_csv(tmp_path / "c.csv")
    frame.write_parquet(tmp_path / "c.parquet")
    frame.write_ndjson(tmp_path / "c.jsonl")
    tables = [load_captions(tmp_path / f"c.{ext}", columns=columns)[0] for ext in ("csv", "parquet", "jsonl")]
    for table in tables:
        assert table.column("caption_id").to_pylist() == tables[0].column("caption_id").to_pylist()
        assert table.column("image_id").to_pylist() == ["1", "2"] and table.column("split").to_pylist() == ["a", "b"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.json", b'{"annotations": [', "is not valid JSON (line 1"),
        ("bad.jsonl", b'{"image_id": 1, "caption": "ok"}\n{oops\n', "line 2 is not valid JSON"),
        ("utf.jsonl", b'{"image_id": 1, "caption": "caf\xe9"}\n', "is not valid UTF-8 (byte 31"),
        ("cols.csv", b"picture,text\n1,A dog.\n", "missing column(s) ['caption', 'image_id']"),
        ("other.json", b'{"foo": 1}', "neither COCO captions, Karpathy split nor SugarCrepe"),
        ("empty.jsonl", b"\n\n", "holds no rows"),
        ("blank.csv", b"image_id,caption\n1,  \n2,\n", "holds no usable captions"),
        ("coco.json", b'{"annotations": [{"image_id": 1}]}', "annotation 0 lacks 'image_id' or 'caption'"),
        ("notes.txt", b"hello", "unknown file type '.txt'"),
        ("broken.parquet", b"PAR1 not really", "is not a readable Parquet file"),
    ],
)
def test_malformed_sources_give_one_clear_error(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(IngestError) as info:
        load_captions(path)
    assert str(info.value).startswith(str(path)) and message in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(IngestError, match="does not exist"):
        load_captions(tmp_path / "nope.json")


def test_huge_caption_is_kept_for_the_pipeline_to_reject(tmp_path):
    path = tmp_path / "big.jsonl"
    path.write_text(json.dumps({"image_id": 1, "caption": "word " * 2000}) + "\n")
    table, _ = load_captions(path)
    assert len(table.column("caption")[0].as_py()) == 9999  # trimmed, not truncated


def test_shipped_annotation_files_are_present():
    assert annotation_file("sugarcrepe/add_att.json").stat().st_size > 0
