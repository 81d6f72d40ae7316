"""Atomic file writes: a reader sees the old file, the complete new one, or nothing; never a part."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

TMP_MARK = ".tmp-"


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    """Call write(tmp) on a hidden temporary name beside path, fsync it, then rename over path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # Hidden and not ending in .parquet/.json, so globs and hive scans never pick it up.
    tmp = path.with_name(f".{path.name}{TMP_MARK}{os.getpid()}")
    try:
        write(tmp)
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        raise _naming(exc, path) from exc
    finally:
        tmp.unlink(missing_ok=True)
    fsync_dir(path.parent)


def _naming(exc: OSError, path: Path) -> OSError:
    """The same error with the final path and errno set: pyarrow's IO errors carry neither, only text."""
    if exc.filename is not None and exc.errno is not None:
        return exc
    code = exc.errno
    if code is None and (match := re.search(r"\[errno (\d+)\]", str(exc), re.IGNORECASE)):
        code = int(match.group(1))
    reason = os.strerror(code) if code else (exc.strerror or str(exc).strip().splitlines()[0])
    return OSError(code, reason, str(path))


def write_parquet_atomic(path: Path, table: pa.Table, schema: pa.Schema) -> None:
    table = table.cast(schema) if table.schema != schema else table
    write_atomic(path, lambda tmp: pq.write_table(table, tmp, compression="zstd"))


def write_json_atomic(path: Path, payload: Any) -> None:
    text = json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n"
    write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def remove_stale_temporaries(directory: Path) -> int:
    """Delete temporaries left by a killed writer; returns how many were removed."""
    if not directory.exists():
        return 0
    stale = [p for p in directory.rglob(f".*{TMP_MARK}*") if p.is_file()]
    for p in stale:
        p.unlink(missing_ok=True)
    return len(stale)
