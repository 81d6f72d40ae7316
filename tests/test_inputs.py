"""Input tables that look right but are not: repeated caption ids, a caption column that is not text."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from neggen.cli import app
from neggen.ingest import IngestError, load_captions
from neggen.schemas import CAPTIONS
from tests.served import SAMPLE


def captions_table(n: int = 6) -> pa.Table:
    return load_captions(SAMPLE)[0].slice(0, n)


def test_duplicate_caption_ids_in_a_captions_table_are_dropped_and_counted(tmp_path):
    table = captions_table()
    doubled = pa.concat_tables([table, table.slice(1, 2), table.slice(4, 1)])  # rows 1, 2 and 4 twice
    path = tmp_path / "captions.parquet"
    pq.write_table(doubled, path)
    read, report = load_captions(path)
    assert read.column("caption_id").to_pylist() == table.column("caption_id").to_pylist()  # first rows, in order
    assert (report.rows_read, report.duplicates_dropped, report.kept) == (9, 3, 6)
    assert read.schema == CAPTIONS


def test_duplicates_through_the_cli_are_counted_in_the_report(tmp_path):
    table = captions_table()
    path = tmp_path / "captions.parquet"
    pq.write_table(pa.concat_tables([table, table]), path)
    result = CliRunner().invoke(app, ["ingest", str(path), "--out", str(tmp_path / "clean")])
    assert result.exit_code == 0, result.output
    assert "read 12, kept 6, dropped 6 duplicates" in result.stderr
    assert pq.read_table(tmp_path / "clean" / "captions.parquet").num_rows == 6


@pytest.mark.parametrize(
    ("rows", "dtype"),
    [
        ([{"image_id": 1, "caption": 5}, {"image_id": 2, "caption": 7}], "Int64"),
        ([{"image_id": 1, "caption": [1]}], "List"),
    ],
)
def test_a_caption_column_that_is_not_text_is_named_with_its_type(tmp_path, rows, dtype):
    path = tmp_path / "c.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(IngestError, match=rf"caption column 'caption' holds {dtype}.*not text"):
        load_captions(path)


def test_a_captions_table_whose_caption_is_not_text_is_refused(tmp_path):
    table = captions_table().drop_columns(["caption"]).append_column("caption", pa.array(range(6), pa.int64()))
    path = tmp_path / "captions.parquet"
    pq.write_table(table, path)
    with pytest.raises(IngestError, match="column 'caption' holds int64, not text"):
        load_captions(path)
