"""Caption sources -> the canonical captions table (caption_id, image_id, image_path, caption, source, split)."""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel

from neggen.run.sharding import caption_id_for
from neggen.schemas import CAPTIONS
from neggen.text.words import normalize_caption

SourceFormat = Literal["auto", "coco", "karpathy", "sugarcrepe", "jsonl", "csv", "parquet"]
_COCO_FILE_ID = re.compile(r"(\d{6,})\.\w+$")


class IngestError(ValueError):
    """A caption source that cannot be read; the message names the file and the problem."""


class ColumnOptions(BaseModel):
    """Column names for tabular sources (jsonl, csv, parquet)."""

    caption: str = "caption"
    image_id: str = "image_id"
    image_path: str | None = "image_path"
    split: str | None = "split"


@dataclass
class IngestReport:
    path: str
    format: str
    rows_read: int = 0
    empty_dropped: int = 0
    duplicates_dropped: int = 0
    kept: int = 0
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.path} ({self.format}): read {self.rows_read}, kept {self.kept}, "
            f"dropped {self.duplicates_dropped} duplicates and {self.empty_dropped} empty captions"
        )


@dataclass
class RawCaption:
    image_id: str
    caption: Any
    image_path: str | None = None
    split: str | None = None


def _fail(path: Path, problem: str) -> IngestError:
    return IngestError(f"{path}: {problem}")


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _fail(path, f"cannot be read ({exc.strerror or exc})") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _fail(path, f"is not valid UTF-8 (byte {exc.start}: {data[exc.start : exc.start + 1]!r})") from exc


def _load_json(path: Path) -> Any:
    try:
        return json.loads(_read_text(path))
    except json.JSONDecodeError as exc:
        raise _fail(path, f"is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from exc


def _image_id_from_path(image_path: str) -> str:
    match = _COCO_FILE_ID.search(image_path)
    return str(int(match.group(1))) if match else Path(image_path).stem


def detect_format(path: Path) -> SourceFormat:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix in (".csv", ".tsv"):
        return "csv"
    if suffix == ".parquet":
        return "parquet"
    if suffix != ".json":
        raise _fail(path, f"unknown file type {suffix!r}; pass --format")
    data = _load_json(path)
    if isinstance(data, dict) and "annotations" in data:
        return "coco"
    if isinstance(data, list) and data and isinstance(data[0], dict) and "image" in data[0]:
        return "karpathy"
    if isinstance(data, dict) and data and all(isinstance(v, dict) and "filename" in v for v in data.values()):
        return "sugarcrepe"
    raise _fail(path, "JSON is neither COCO captions, Karpathy split nor SugarCrepe; pass --format")


def _records_coco(path: Path) -> list[RawCaption]:
    data = _load_json(path)
    if not isinstance(data, dict) or not isinstance(data.get("annotations"), list):
        raise _fail(path, "COCO captions JSON needs a top-level 'annotations' list")
    file_names = {img.get("id"): img.get("file_name") for img in data.get("images", []) if isinstance(img, dict)}
    out = []
    for i, ann in enumerate(data["annotations"]):
        if not isinstance(ann, dict) or "image_id" not in ann or "caption" not in ann:
            raise _fail(path, f"annotation {i} lacks 'image_id' or 'caption'")
        out.append(RawCaption(str(ann["image_id"]), ann["caption"], file_names.get(ann["image_id"])))
    return out


def _records_karpathy(path: Path) -> list[RawCaption]:
    data = _load_json(path)
    if not isinstance(data, list):
        raise _fail(path, "Karpathy split JSON must be a list of {image, caption}")
    out = []
    for i, entry in enumerate(data):
        if not isinstance(entry, dict) or "image" not in entry or "caption" not in entry:
            raise _fail(path, f"entry {i} lacks 'image' or 'caption'")
        image_id = str(entry.get("image_id") or _image_id_from_path(entry["image"]))
        captions = entry["caption"] if isinstance(entry["caption"], list) else [entry["caption"]]
        out.extend(RawCaption(image_id, c, entry["image"]) for c in captions)
    return out


def _records_sugarcrepe(path: Path) -> list[RawCaption]:
    data = _load_json(path)
    if not isinstance(data, dict):
        raise _fail(path, "SugarCrepe JSON must map ids to {filename, caption, negative_caption}")
    out = []
    for key, item in data.items():
        if not isinstance(item, dict) or "filename" not in item or "caption" not in item:
            raise _fail(path, f"item {key!r} lacks 'filename' or 'caption'")
        out.append(RawCaption(_image_id_from_path(item["filename"]), item["caption"], item["filename"]))
    return out


def _records_table(path: Path, frame: pl.DataFrame, columns: ColumnOptions) -> list[RawCaption]:
    missing = [c for c in (columns.caption, columns.image_id) if c not in frame.columns]
    if missing:
        raise _fail(
            path,
            f"missing column(s) {missing}; found {frame.columns} (set them with --caption-col/--image-col)",
        )
    dtype = frame.schema[columns.caption]
    if dtype not in (pl.String, pl.Null):  # numbers or lists are a wrong --caption-col, not "empty captions"
        raise _fail(path, f"caption column {columns.caption!r} holds {dtype}, not text (set it with --caption-col)")
    frame = frame.with_columns(pl.col(columns.image_id).cast(pl.String))
    optional = {name: name in frame.columns for name in (columns.image_path, columns.split) if name}
    return [
        RawCaption(
            row[columns.image_id],
            row[columns.caption],
            row[columns.image_path] if optional.get(columns.image_path or "") else None,
            row[columns.split] if optional.get(columns.split or "") else None,
        )
        for row in frame.iter_rows(named=True)
    ]


def _frame_jsonl(path: Path) -> pl.DataFrame:
    rows = []
    for lineno, line in enumerate(_read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise _fail(path, f"line {lineno} is not valid JSON ({exc.msg})") from exc
        if not isinstance(row, dict):
            raise _fail(path, f"line {lineno} is not a JSON object")
        rows.append(row)
    if not rows:
        raise _fail(path, "holds no rows")
    return pl.DataFrame(rows, infer_schema_length=None)


def _frame_csv(path: Path) -> pl.DataFrame:
    text = _read_text(path)
    try:
        separator = "\t" if path.suffix.lower() == ".tsv" else ","
        return pl.read_csv(io.StringIO(text), separator=separator, infer_schema=False)
    except pl.exceptions.PolarsError as exc:
        raise _fail(path, f"is not a readable CSV ({str(exc).splitlines()[0]})") from exc


def _frame_parquet(path: Path) -> pl.DataFrame:
    try:
        return pl.read_parquet(path)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise _fail(path, f"is not a readable Parquet file ({str(exc).splitlines()[0]})") from exc


def read_raw(path: Path, fmt: SourceFormat, columns: ColumnOptions) -> tuple[str, list[RawCaption]]:
    if not path.exists():
        raise _fail(path, "does not exist")
    fmt = detect_format(path) if fmt == "auto" else fmt
    readers = {
        "coco": lambda: _records_coco(path),
        "karpathy": lambda: _records_karpathy(path),
        "sugarcrepe": lambda: _records_sugarcrepe(path),
        "jsonl": lambda: _records_table(path, _frame_jsonl(path), columns),
        "csv": lambda: _records_table(path, _frame_csv(path), columns),
        "parquet": lambda: _records_table(path, _frame_parquet(path), columns),
    }
    return fmt, readers[fmt]()


def canonicalize(records: list[RawCaption], source: str, report: IngestReport) -> pa.Table:
    """Normalise, drop empties and exact duplicates (same image, same normalised caption), assign ids."""
    seen: set[str] = set()
    rows: dict[str, list] = {name: [] for name in CAPTIONS.names}
    for rec in records:
        report.rows_read += 1
        text = normalize_caption(rec.caption) if isinstance(rec.caption, str) else ""
        if not text:
            report.empty_dropped += 1
            continue
        image_id = str(rec.image_id).strip()
        caption_id = caption_id_for(image_id, text)
        if caption_id in seen:
            report.duplicates_dropped += 1
            continue
        seen.add(caption_id)
        for name, value in zip(
            CAPTIONS.names, (caption_id, image_id, rec.image_path, text, source, rec.split), strict=True
        ):
            rows[name].append(value)
    report.kept = len(seen)
    return pa.table(rows, schema=CAPTIONS)


def is_captions_table(path: Path) -> bool:
    """True for a Parquet file already in the canonical captions schema (the output of `neggen ingest`)."""
    if path.suffix.lower() != ".parquet":
        return False
    try:
        return set(CAPTIONS.names) <= set(pq.read_schema(path).names)
    except (OSError, pa.ArrowException):
        return False


def read_captions_table(path: Path) -> tuple[pa.Table, IngestReport]:
    """A table already in the captions schema; a repeated caption_id keeps its first row (counted)."""
    table = pq.read_table(path, columns=CAPTIONS.names)
    for name in ("caption_id", "image_id", "caption"):
        if not pa.types.is_string(table.schema.field(name).type) and not pa.types.is_large_string(
            table.schema.field(name).type
        ):
            raise _fail(path, f"column {name!r} holds {table.schema.field(name).type}, not text")
    report = IngestReport(str(path), "captions", rows_read=table.num_rows)
    if table.column("caption_id").null_count or table.column("caption").null_count:
        raise _fail(path, "column 'caption_id' or 'caption' has empty (null) values")
    ids = table.column("caption_id").to_pylist()
    first: dict[str, int] = {}
    for i, caption_id in enumerate(ids):
        first.setdefault(caption_id, i)
    if len(first) < len(ids):
        table = table.take(sorted(first.values()))  # keeps source order, so --limit still means the first N
    report.duplicates_dropped = len(ids) - len(first)
    report.kept = table.num_rows
    return table.cast(CAPTIONS), report


def load_captions(
    path: Path, fmt: SourceFormat = "auto", columns: ColumnOptions | None = None
) -> tuple[pa.Table, IngestReport]:
    """Read any supported source into the canonical table; a canonical table is read back as is."""
    if fmt == "auto" and is_captions_table(path):
        return read_captions_table(path)
    fmt, records = read_raw(path, fmt, columns or ColumnOptions())
    report = IngestReport(str(path), fmt)
    table = canonicalize(records, source=path.name, report=report)
    if table.num_rows == 0:
        raise _fail(path, f"holds no usable captions ({report.summary()})")
    return table, report
