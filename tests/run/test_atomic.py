"""Atomic writes with failures injected inside the write and in the rename, and the cleanup of real leftovers."""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pytest

from neggen.run import atomic
from neggen.run.atomic import remove_stale_temporaries, write_atomic, write_json_atomic, write_parquet_atomic
from neggen.run.layout import RunLayout, part_files
from neggen.types import NegType

SCHEMA = pa.schema([pa.field("x", pa.int64())])


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith("."))


def test_the_final_name_appears_only_after_the_write_completed(tmp_path):
    target = tmp_path / "part-00000.parquet"
    seen = []

    def write(tmp: Path) -> None:
        tmp.write_bytes(b"partial")
        seen.append((target.exists(), tmp.parent == target.parent, tmp.name.startswith(".")))

    write_atomic(target, write)
    assert seen == [(False, True, True)]  # never straight to the final name; a hidden sibling on the same fs


def test_a_failure_inside_the_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "manifest.json"
    write_json_atomic(target, {"v": 1})

    def half_then_fail(tmp: Path) -> None:
        tmp.write_text('{"v": 2, "trunc')
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left on device") as caught:
        write_atomic(target, half_then_fail)
    assert caught.value.filename == str(target)  # the message names the file users will look for
    assert target.read_text() == '{\n  "v": 1\n}\n' and leftovers(tmp_path) == []


def test_a_failure_in_the_rename_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "part-00000.parquet"
    write_parquet_atomic(target, pa.table({"x": [1]}, schema=SCHEMA), SCHEMA)
    before = target.read_bytes()

    def refuse(_src, _dst):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(atomic.os, "replace", refuse)
    with pytest.raises(PermissionError):
        write_parquet_atomic(target, pa.table({"x": [2, 3]}, schema=SCHEMA), SCHEMA)
    assert target.read_bytes() == before and leftovers(tmp_path) == []


def test_the_cleanup_finds_the_temporaries_a_killed_writer_really_leaves(tmp_path):
    layout = RunLayout(tmp_path)
    shard = layout.negatives_dir(NegType.reshuffle, 0)
    target = shard / layout.part_name(0)
    pid = os.fork()
    if pid == 0:  # the child is killed mid-write, as SIGKILL would: no finally, no cleanup
        write_atomic(target, lambda tmp: (tmp.write_bytes(b"PAR1 half a file"), os._exit(9)))
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 9
    left = leftovers(shard)
    assert len(left) == 1 and not target.exists()
    assert part_files(tmp_path, "negatives") == [] and list(tmp_path.glob("negatives/**/*.parquet")) == []
    assert remove_stale_temporaries(shard) == 1 and leftovers(shard) == []
