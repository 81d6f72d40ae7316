"""The tagger's pool of parsing processes: the same analyses, in order; small batches stay in process; a pool
that breaks is reported once and nothing is lost; the default size."""

from __future__ import annotations

import json
import os
import re
import signal
from pathlib import Path

import polars as pl
import pytest

from neggen.text.pos import SpacyTagger, default_tagger
from neggen.text.tag_pool import MIN_POOL_TEXTS, TagPool, resolve_workers
from tests.conftest import REPO
from tests.engines.fault_server import FaultServer
from tests.validate.test_cli_meaning import neggen

# Real captions with the cases the alignment handles: shouted text, odd unicode, possessives, hyphens, digits.
BASE = [
    "A man riding a moped on a road.",
    "A BOY WITH JEAN PANTS",
    "Ｔｗｏ dogs play in the snow.",
    "The cat's bowl sits next to a t-shirt.",
    "A 10 year old girl holding 2 kites.",
    "🙂🙂",
    "Un chat sur le canapé.",
]


def texts(n: int) -> list[str]:
    return [f"{BASE[i % len(BASE)]} Number {i}." for i in range(n)]


@pytest.fixture(scope="module")
def pooled():
    tagger = SpacyTagger(nlp=default_tagger().nlp, pool=TagPool(2))
    yield tagger
    tagger.close()


def test_the_pool_gives_the_in_process_analyses_in_order(pooled):
    batch = texts(MIN_POOL_TEXTS * 2 + 3)  # not a multiple of the workers: the last slice is shorter
    want = SpacyTagger(nlp=default_tagger().nlp).analyze(batch)
    assert pooled.analyze(batch) == want
    assert len(pooled._pool.pids()) == 2  # the workers did the parsing


def test_a_batch_below_the_limit_is_parsed_in_process():
    tagger = SpacyTagger(nlp=default_tagger().nlp, pool=TagPool(2))
    try:
        tagger.analyze(texts(MIN_POOL_TEXTS - 1))
        assert tagger._pool.pids() == []  # no worker was started for it
        tagger.analyze([t + " Again." for t in texts(MIN_POOL_TEXTS)])
        assert len(tagger._pool.pids()) == 2
    finally:
        tagger.close()


def test_a_killed_worker_is_reported_once_and_the_batch_is_parsed_in_process(capsys):
    tagger = SpacyTagger(nlp=default_tagger().nlp, pool=TagPool(2))
    try:
        tagger.analyze(texts(MIN_POOL_TEXTS))  # starts the workers
        for pid in tagger._pool.pids():
            os.kill(pid, signal.SIGKILL)
        batch = [t + " Later." for t in texts(MIN_POOL_TEXTS + 1)]
        assert tagger.analyze(batch) == SpacyTagger(nlp=default_tagger().nlp).analyze(batch)
        again = [t + " Once more." for t in texts(MIN_POOL_TEXTS)]
        assert tagger.analyze(again) == SpacyTagger(nlp=default_tagger().nlp).analyze(again)
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("neggen: warning: tagger pool broke"), err
        assert tagger._pool is None  # in process from then on
    finally:
        tagger.close()


def test_a_pool_needs_a_worker():
    with pytest.raises(ValueError, match="at least one worker"):
        TagPool(0)


@pytest.mark.parametrize(
    ("requested", "cores", "workers"),
    [(None, 2, 0), (None, 7, 1), (None, 8, 2), (None, 16, 4), (None, 32, 8), (None, 128, 8), (3, 2, 3), (0, 64, 0)],
)
def test_default_workers_are_a_quarter_of_the_cores_at_most_eight(requested, cores, workers):
    assert resolve_workers(requested, cpu_count=cores) == workers


WORDS = ["sofa", "table", "xqzt", "dog"]  # same_meaning, accepted, unknown_word, accepted


def mixed_answer(call, body):
    """replace_nouns answers: the couch becomes a word chosen by the caption, so verdicts differ by row."""
    prompt = body["messages"][-1]["content"]
    number = int(re.search(r"number (\d+)", prompt).group(1))
    text = re.sub(r"(?i)couch", WORDS[number % len(WORDS)], prompt.splitlines()[-1])
    choices = [{"index": i, "message": {"content": text}, "finish_reason": "stop"} for i in range(body.get("n", 1))]
    return 200, {"choices": choices, "usage": {"prompt_tokens": 9, "completion_tokens": 9}}, 0.0


@pytest.mark.slow
def test_generate_with_tagger_workers_writes_the_same_rows_and_records_them(tmp_path):
    captions = tmp_path / "captions.jsonl"
    lines = [json.dumps({"caption": f"A cat number {i} on a couch.", "image_id": str(i)}) for i in range(96)]
    captions.write_text("\n".join(lines) + "\n")
    config = tmp_path / "run.toml"
    config.write_text('max_attempts = 1\noutput = "sentence"\n')

    def run(name: str, workers: str) -> Path:
        out = tmp_path / name
        args = ["generate", "--captions", str(captions), "--type", "replace_nouns", "--engine", "openai"]
        args += ["--base-url", server.base_url, "--config", str(config), "--out", str(out)]
        result = neggen(*args, "--tagger-workers", workers)
        assert result.returncode == 0, result.stderr[-2000:]
        return out

    with FaultServer(mixed_answer) as server:
        pooled, alone = run("pooled", "2"), run("alone", "0")

    def verdicts(out: Path) -> list[tuple]:
        frames = [
            pl.read_parquet(out / k / "**" / "*.parquet", hive_partitioning=False) for k in ("negatives", "rejects")
        ]
        rows = pl.concat(frames, how="diagonal_relaxed")
        return sorted(rows.select("caption_id", "negative", "reason").rows(), key=str)

    assert verdicts(pooled) == verdicts(alone)
    assert {r for _, _, r in verdicts(alone)} == {None, "same_meaning", "unknown_word"}
    assert json.loads((pooled / "manifest.json").read_text())["tagger"]["workers"] == 2
    assert json.loads((alone / "manifest.json").read_text())["tagger"]["workers"] == 0


ORPHAN_SCRIPT = """
import os, sys, time
from neggen.text.pos import SpacyTagger
from neggen.text.tag_pool import TagPool
if __name__ == "__main__":
    tagger = SpacyTagger(pool=TagPool(2))
    tagger.analyze([f"A dog number {i}." for i in range(64)])
    print(" ".join(map(str, tagger._pool.pids())), flush=True)
    time.sleep(600)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:  # a zombie is gone in all but name
        return f.read().split(")")[-1].split()[0] != "Z"


def test_workers_leave_when_their_parent_is_killed(tmp_path):
    """A SIGKILLed parent (OOM killer, a killed Ray actor) leaves no worker behind holding a loaded model."""
    import subprocess
    import sys
    import time

    script = tmp_path / "parent.py"
    script.write_text(ORPHAN_SCRIPT)
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True, cwd=REPO)
    workers = [int(p) for p in parent.stdout.readline().split()]
    assert len(workers) == 2 and all(_alive(p) for p in workers)
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 20
    while any(_alive(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = [p for p in workers if _alive(p)]
    for pid in left:  # only the workers this test started
        os.kill(pid, signal.SIGKILL)
    assert left == []
