"""Every user-facing failure of `neggen generate` is one line with the right exit code (docs/failures.md)."""

from __future__ import annotations

import json
import os
import resource
import signal
import stat
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from neggen.cli import app
from tests.engines.fault_server import FaultServer
from tests.served import SAMPLE, neggen, served_generate_args


def ok(_call, _body):
    return 200, None, 0.0


def assert_one_line(result, code: int, *fragments: str) -> str:
    """Exactly one `neggen: error:` line holding every fragment, no traceback, and the exit code."""
    lines = [line for line in result.stderr.splitlines() if line.startswith("neggen: error:")]
    returncode = getattr(result, "returncode", getattr(result, "exit_code", None))  # subprocess or CliRunner
    assert returncode == code, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def unwritable_dir(tmp_path: Path) -> Path:
    """A directory this user cannot create files in: chmod works for ordinary users, sysfs refuses even root."""
    if os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(stat.S_IRUSR | stat.S_IXUSR)
        return locked / "out"
    if Path("/sys/kernel").is_dir():
        return Path("/sys/kernel/neggen-test-out")
    pytest.fail("running as root without /sys: no directory here refuses writes, so this test cannot run")


@pytest.fixture
def not_a_model(tmp_path) -> Path:
    """An existing folder that is no model: if a check ran after the engine load, the load would fail first."""
    folder = tmp_path / "not-a-model"
    folder.mkdir()
    return folder


def test_out_that_is_a_file_fails_before_the_engine_loads(tmp_path, not_a_model):
    out = tmp_path / "afile"
    out.write_text("")
    args = ["generate", "--captions", SAMPLE, "--out", out, "--limit", "2", "--model", not_a_model]
    assert_one_line(neggen(*args), 1, f"--out {out} is a file")


def test_unwritable_out_fails_before_the_engine_loads(tmp_path, not_a_model):
    out = unwritable_dir(tmp_path)
    args = ["generate", "--captions", SAMPLE, "--out", out, "--limit", "2", "--model", not_a_model]
    assert_one_line(neggen(*args), 1, f"--out {out} is not writable")


@pytest.mark.parametrize(
    ("extra", "config_text", "fragments"),
    [
        (["--engine", "bogus"], None, ["--engine:", "'bogus'"]),
        (["--model", "/nonexistent/model"], None, ["--model /nonexistent/model does not exist"]),
        (["--model", "./no/such/folder"], None, ["does not exist"]),
        ([], "[1, 2]", ["top level must be a table of keys, not a list"]),
        ([], '{"chunk_size": 0}', ["config key chunk_size:", "(got 0)"]),
        ([], '{"vllm": {"max_num_seqs": "many"}}', ["config key vllm.max_num_seqs:"]),
        ([], '{"chunk_sise": 8}', ["config key chunk_sise: Extra inputs are not permitted"]),
        ([], "{", ["cannot read config"]),
    ],
)
def test_bad_flags_and_config_are_one_line_naming_the_key(tmp_path, extra, config_text, fragments):
    args = ["generate", "--captions", SAMPLE, "--out", tmp_path / "out", "--limit", "2", *extra]
    if config_text is not None:
        config = tmp_path / "config.json"
        config.write_text(config_text)
        args += ["--config", config]
    # In-process (the same typer app and argv parsing as the console script): eight subprocesses cost ~30 s.
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert_one_line(result, 1, *fragments)


def small_source(tmp_path: Path, n: int = 24) -> Path:
    """A jsonl of n sample captions: a captions.parquet of a few kB, smaller than one part file."""
    records = json.loads(SAMPLE.read_text())[:n]
    path = tmp_path / "captions.jsonl"
    path.write_text("".join(json.dumps({"image_id": r["image"], "caption": r["caption"][0]}) + "\n" for r in records))
    return path


def file_size_limit(limit: int):
    """In the child: files may not grow past `limit` bytes (EFBIG, as a full disk gives ENOSPC)."""

    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # else the kernel kills the writer instead of failing write()
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


@pytest.mark.slow
def test_disk_fault_mid_run_exits_2_naming_the_file_then_rerun_is_exactly_once(tmp_path):
    source, out = small_source(tmp_path), tmp_path / "out"
    with FaultServer(ok) as server:
        args = served_generate_args(server.base_url, out, captions=source)
        # 6 kB: captions.parquet, manifest.json and an empty rejects part fit; the first accepted part does not.
        failed = neggen(*args, preexec_fn=file_size_limit(6000))
        line = assert_one_line(failed, 2, "part-00000.parquet", "re-run the same command to resume")
        assert "File too large" in line
        assert not list(out.glob("negatives/**/part-*.parquet"))
        assert not [p for p in out.rglob("*") if ".tmp-" in p.name]
        rerun = neggen(*args)
    assert rerun.returncode == 0, rerun.stderr
    rows = pl.read_parquet(out / "negatives" / "**" / "*.parquet", hive_partitioning=False)
    rejects = pl.read_parquet(out / "rejects" / "**" / "*.parquet", hive_partitioning=False)
    ids = rows["caption_id"].to_list() + rejects["caption_id"].to_list()
    assert len(ids) == len(set(ids)) == 24
