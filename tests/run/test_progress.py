"""Honest progress: rates and ETA from this invocation's rows; resumed rows shown apart; per-invocation tokens/s."""

from __future__ import annotations

import io
import json

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from neggen.cli import app
from neggen.config import GenerateConfig
from neggen.ingest import load_captions
from neggen.run import progress as progress_module
from neggen.run.layout import RunLayout
from neggen.run.progress import GenerationProgress
from neggen.run.runners import generate
from neggen.types import NegType
from tests.fakes import ScriptedEngine, reverse_words
from tests.served import SAMPLE


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def clock(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(progress_module.time, "perf_counter", lambda: now[0])
    return now


@pytest.mark.parametrize("stream", [io.StringIO, Terminal])
def test_rate_and_eta_count_only_this_invocations_rows(clock, stream, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # rich truncates the line to the terminal width
    out = stream()
    bar = GenerationProgress(100, stream=out)
    bar.resumed(60)  # done by an earlier invocation: complete, but not part of the rate
    clock[0] += 5.0
    bar.advance("reshuffle/shard=00000", 10, 5)
    if stream is Terminal:
        bar._bar.refresh()
    text = out.getvalue()
    bar.close()
    assert "70/100 rows (60 resumed)" in text
    assert "2.00 rows/s" in text  # 10 rows in 5 s; counting the 60 resumed rows would say 14.00
    assert "ETA 0:15" in text  # 30 rows left at 2 rows/s
    assert "accepted 50%" in text


def test_before_the_first_row_there_is_no_rate_rather_than_zero(clock):
    out = Terminal()
    bar = GenerationProgress(10, stream=out)
    bar._bar.refresh()
    bar.close()
    assert "-- rows/s" in out.getvalue() and "ETA --" in out.getvalue() and "0.0 rows/s" not in out.getvalue()


@pytest.fixture(scope="module")
def captions() -> pa.Table:
    return load_captions(SAMPLE)[0].slice(0, 16)


def test_success_json_counts_tokens_per_invocation_and_status_totals_never_shrink(tmp_path, captions):
    config, types = GenerateConfig(chunk_size=4), [NegType.reshuffle]
    generate(captions, tmp_path, types, 1, ScriptedEngine(reverse_words), config, limit=8, invocation={"limit": 8})
    first = json.loads(RunLayout(tmp_path).success(NegType.reshuffle, 0).read_text())
    generate(captions, tmp_path, types, 1, ScriptedEngine(reverse_words), config, limit=16, invocation={"limit": 16})
    second = json.loads(RunLayout(tmp_path).success(NegType.reshuffle, 0).read_text())
    assert second["generated_this_invocation"] == 8 and second["captions"] == 16
    assert second["completion_tokens_this_invocation"] == second["completion_tokens"] - first["completion_tokens"] > 0
    assert second["completion_tokens_per_s"] == pytest.approx(
        second["completion_tokens_this_invocation"] / second["elapsed_s"], rel=0.05
    )
    # A later, smaller --limit must not make status print 16/2.
    generate(captions, tmp_path, types, 1, ScriptedEngine(reverse_words), config, limit=2, invocation={"limit": 2})
    report = json.loads(CliRunner().invoke(app, ["status", str(tmp_path), "--json"]).stdout)
    assert [(r["done"], r["total"], r["state"]) for r in report["rows"]] == [(16, 16, "done")]
