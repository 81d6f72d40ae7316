"""`neggen label`: driven key by key in a pseudo-terminal as a labeller types; resuming; the label file; bad input."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import pty
import select
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from neggen.cli import app
from neggen.qa.labelling import sample_for_labelling
from neggen.qa.labels import read_labelled_rows, read_run_labels, row_key
from neggen.run.layout import RunLayout, quarantine
from neggen.types import NegType
from tests.conftest import REPO
from tests.qa.conftest import hand_run
from tests.qa.runs import row, write_run

PROMPT = "[y/n s u q] "


class Terminal:
    """`python -m neggen label ...` on the slave side of a pty; keys are typed only once a prompt asks for one."""

    def __init__(self, *args: str):
        master, slave = pty.openpty()
        env = {**os.environ, "HF_HUB_OFFLINE": "1"}
        command = [sys.executable, "-m", "neggen", "label", *args]
        self.proc = subprocess.Popen(
            command,
            stdin=slave,
            stdout=slave,
            stderr=subprocess.PIPE,
            cwd=REPO,
            env=env,
            start_new_session=True,  # its own session, with the pty as its controlling terminal: Ctrl-C reaches it
            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),
        )
        os.close(slave)
        self.master, self.raw, self.typed = master, "", 0

    @property
    def output(self) -> str:
        return self.raw.replace("\r\n", "\n")

    def _read(self, deadline: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            raise AssertionError(f"no output within the time allowed; so far:\n{self.output[-3000:]}")
        try:
            data = os.read(self.master, 4096)
        except OSError:  # EIO: the command exited and closed the terminal
            data = b""
        self.raw += data.decode(errors="replace")
        return bool(data)

    def type(self, keys: str, timeout: float = 60) -> None:
        for key in keys:
            deadline = time.monotonic() + timeout
            while self.raw.count(PROMPT) <= self.typed:
                if not self._read(deadline):
                    raise AssertionError(f"exited before asking for {key!r}:\n{self.output[-3000:]}")
            os.write(self.master, key.encode())
            self.typed += 1

    def finish(self, timeout: float = 60) -> tuple[int, str, str]:
        deadline = time.monotonic() + timeout
        while self._read(deadline):
            pass
        code = self.proc.wait(timeout=timeout)
        self.settings = termios.tcgetattr(self.master)  # the terminal as the command left it
        os.close(self.master)
        return code, self.output, self.proc.stderr.read().decode()


def digest(root: Path) -> dict[Path, str]:
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


def generated(root: Path) -> dict[Path, str]:
    return {p: h for p, h in digest(root).items() if p.parts[len(root.parts)] in ("negatives", "rejects")}


def test_label_in_a_terminal_answers_undoes_skips_quits_and_resumes(hand_dir):
    rows = sample_for_labelling(hand_dir, None, 50, 0)
    assert len(rows) == 6
    parts = generated(hand_dir)
    term = Terminal(str(hand_dir), "--labeller", "ann")
    # row 1 good; row 2 type wrong; row 3: y, undo it, then plausible wrong; undo from row 4's first question
    # withdraws row 3, answered again (changed wrong); row 4 skipped; row 5 good; quit at row 6.
    term.type("yyyy" + "nyyy" + "yu" + "yyyn" + "u" + "yyny" + "s" + "yyyy" + "q")
    code, out, err = term.finish()
    assert code == 0, err
    assert err == ""
    assert out.startswith("6 of 6 sampled rows to label as ann (0 done before)")
    # Each row as `neggen show` shows it on a terminal: the edit in colour.
    shown = next(r for r in rows if r["negative"] == "A cat on a big soft rug.")
    assert f"[{rows.index(shown) + 1}/6]" in out and "\x1b[1;32mbig soft rug.\x1b[0m" in out
    assert out.count("saved: good") == 2 and "saved: not good (type)" in out
    assert "saved: not good (plausible)" in out and "saved: not good (changed)" in out
    assert "undone: type" in out and "back to row 3: its label is withdrawn" in out and "skipped" in out
    assert "4 row(s) labelled this time (1 undone)" in out and "2 sampled row(s) left: the same command resumes" in out
    # The terminal is given back as it was found: line editing and echo on again.
    assert term.settings[3] & termios.ICANON and term.settings[3] & termios.ECHO

    labels = read_run_labels(hand_dir)
    answers = [
        (r.row_id, r.label.type, r.label.fluent, r.label.changed, r.label.plausible, r.label.good) for r in labels
    ]
    assert answers == [
        (rows[0]["row_id"], True, True, True, True, True),
        (rows[1]["row_id"], False, True, True, True, False),
        (rows[2]["row_id"], True, True, False, True, False),
        (rows[4]["row_id"], True, True, True, True, True),
    ]
    for r, sampled in zip(labels, [rows[0], rows[1], rows[2], rows[4]], strict=True):
        assert r.row_id == row_key(sampled["neg_type"], sampled["caption"], sampled["negative"])
        assert (r.caption, r.negative, r.neg_type, r.baseline) == (
            sampled["caption"],
            sampled["negative"],
            sampled["neg_type"],
            "accepted",
        )
        assert r.label.labeller == "ann" and r.label.labelled_at is not None
    # Append-only: the withdrawn answer stays in the file, followed by its retraction.
    lines = [json.loads(line) for line in RunLayout(hand_dir).labels.read_text().splitlines()]
    assert len(lines) == 6 and sorted(lines[3]) == ["labelled_at", "labeller", "retract"]
    assert (lines[3]["retract"], lines[3]["labeller"]) == (rows[2]["row_id"], "ann")
    assert lines[2]["label"]["plausible"] is False
    assert generated(hand_dir) == parts

    again = Terminal(str(hand_dir), "--labeller", "ann")
    again.type("yyyy" + "nnnn")  # the skipped row 4, then row 6
    code, out, _ = again.finish()
    assert code == 0 and out.startswith("2 of 6 sampled rows to label as ann (4 done before)")
    assert rows[3]["caption_id"] in out.split("[2/2]")[0] and rows[5]["caption_id"] in out.split("[2/2]")[1]
    assert "2 row(s) labelled this time" in out and "the sample is done" in out
    labels = read_run_labels(hand_dir)
    assert [r.row_id for r in labels][-2:] == [rows[3]["row_id"], rows[5]["row_id"]]
    assert labels[-1].label.good is False and labels[-1].label.type is False

    done = CliRunner().invoke(app, ["label", str(hand_dir), "--labeller", "ann"])
    assert done.exit_code == 0 and "all 6 sampled rows are labelled by ann" in done.stderr
    other = CliRunner().invoke(app, ["label", str(hand_dir), "--labeller", "bob"], input="q")
    assert other.exit_code == 0 and other.stdout.startswith("6 of 6 sampled rows to label as bob (0 done before)")
    assert generated(hand_dir) == parts


def test_ctrl_c_ends_the_loop_keeping_what_was_saved(hand_dir):
    term = Terminal(str(hand_dir), "--labeller", "ann", "--sample", "1")
    term.type("yyyy" + "y" + "\x03")
    code, out, err = term.finish()
    assert code == 0 and "Traceback" not in err
    assert "1 row(s) labelled this time" in out and "2 sampled row(s) left" in out
    assert len(read_run_labels(hand_dir)) == 1
    assert term.settings[3] & termios.ICANON and term.settings[3] & termios.ISIG


def test_the_sample_is_per_type_seeded_and_a_larger_one_extends_it(tmp_path):
    captions = [f"A dog number {n} on a red sofa." for n in range(40)]
    rows = [row(c, c.replace("dog", "cat"), "replace_nouns", n) for n, c in enumerate(captions)]
    rows += [row(c, c.replace("red", "blue"), "replace_adjectives", 100 + n) for n, c in enumerate(captions[:3])]
    rows.append(row(captions[0], captions[0].replace("red", "blue"), "replace_adjectives", 200))  # same text again
    run = write_run(tmp_path / "run", rows)
    five = sample_for_labelling(run, None, 5, seed=0)
    assert sorted(r["neg_type"] for r in five) == ["replace_adjectives"] * 3 + ["replace_nouns"] * 5
    assert len({r["row_id"] for r in five}) == 8  # a text is asked once
    assert sample_for_labelling(run, None, 5, seed=0) == five
    assert {r["row_id"] for r in sample_for_labelling(run, None, 5, seed=1)} != {r["row_id"] for r in five}
    ten = {r["row_id"] for r in sample_for_labelling(run, None, 10, seed=0)}
    assert {r["row_id"] for r in five} <= ten and len(ten) == 13
    only = sample_for_labelling(run, ["replace_adjectives"], 5, seed=0)
    assert {r["neg_type"] for r in only} == {"replace_adjectives"}
    result = CliRunner().invoke(app, ["label", str(run), "--sample", "2", "--labeller", "ann"], input="q")
    assert result.exit_code == 0 and result.stdout.startswith("4 of 4 sampled rows")


def test_piped_keys_label_too(hand_dir):
    result = CliRunner().invoke(app, ["label", str(hand_dir), "--labeller", "ann"], input="y y y y\nn n n n\nq\n")
    assert result.exit_code == 0, result.output
    assert [r.label.good for r in read_run_labels(hand_dir)] == [True, False]


@pytest.mark.parametrize(
    ("bad", "where"),
    [
        ("{not json", ":2: not a labelled row"),
        ('{"row_id": "x", "neg_type"', ":2: not a labelled row"),  # the half line a crash mid-write leaves
        ("[]", ":2: not a labelled row"),
    ],
)
def test_a_corrupt_label_file_is_one_line_naming_it_and_nothing_is_lost(hand_dir, bad, where):
    CliRunner().invoke(app, ["label", str(hand_dir), "--labeller", "ann"], input="yyyy nyyy q")
    path = RunLayout(hand_dir).labels
    good = path.read_text().splitlines()
    path.write_text(good[0] + "\n" + bad + "\n" + good[1] + "\n")
    before = path.read_bytes()
    for command in (["label", str(hand_dir), "--labeller", "ann"], ["stats", str(hand_dir)]):
        result = CliRunner().invoke(app, command, input="yyyy")
        assert result.exit_code == 1, result.output
        assert result.stderr.count("\n") == 1 and result.stdout == ""
        assert result.stderr.startswith(f"neggen: error: {path}{where}")
        assert "fix or delete that line (no label was changed)" in result.stderr
        assert path.read_bytes() == before
    path.write_text(good[0] + "\n" + good[1] + "\n")  # the line removed by hand: both labels are there
    assert len(read_labelled_rows(path)) == 2


def test_labels_of_rows_a_rerun_moved_aside_are_reported_and_kept(hand_dir):
    keys = "yyyy" * 6
    assert CliRunner().invoke(app, ["label", str(hand_dir), "--labeller", "ann"], input=keys).exit_code == 0
    path = RunLayout(hand_dir).labels
    before = path.read_bytes()
    part = RunLayout(hand_dir).negatives_dir(NegType.replace_nouns, 1) / "part-00000.parquet"
    moved = quarantine(part)  # what `neggen generate` does to a part it cannot read

    result = CliRunner().invoke(app, ["label", str(hand_dir), "--labeller", "ann"])
    assert result.exit_code == 0
    assert f"3 label(s) in {path} are of rows no longer among the run's accepted rows" in result.stderr
    assert "all 3 sampled rows are labelled by ann" in result.stderr
    stats = CliRunner().invoke(app, ["stats", str(hand_dir), "--json"])
    labels = json.loads(stats.stdout)["labels"]
    assert (labels["labels"], labels["stale"]) == (6, 3)
    assert "replace_nouns" not in labels["by_type"] and labels["by_type"]["overall"]["labelled"] == 3
    text = CliRunner().invoke(app, ["stats", str(hand_dir)]).stdout
    assert "3 label(s) are of rows no longer among the run's accepted rows" in text
    assert path.read_bytes() == before

    moved.rename(part)  # the same rows written again: a label follows its text, so it counts again
    labels = json.loads(CliRunner().invoke(app, ["stats", str(hand_dir), "--json"]).stdout)["labels"]
    assert labels["stale"] == 0 and labels["by_type"]["replace_nouns"]["labelled"] == 3


def test_a_run_without_accepted_rows_is_one_line(tmp_path):
    rejected = [row("A boy eats.", "A boy eats.", "reshuffle", n, "copy") for n in range(3)]
    run = write_run(tmp_path / "run", rejected)
    result = CliRunner().invoke(app, ["label", str(run), "--labeller", "ann"])
    assert result.exit_code == 1 and result.stderr == f"neggen: error: {run} has no accepted rows to label\n"
    assert not RunLayout(run).labels.exists()
    typed = CliRunner().invoke(app, ["label", str(hand_run(tmp_path / "hand")), "--type", "swap_adjectives"])
    assert typed.exit_code == 1 and "has no accepted rows of type swap_adjectives to label" in typed.stderr
    missing = CliRunner().invoke(app, ["label", str(tmp_path / "nowhere")])
    assert missing.exit_code == 1 and "is not a neggen run" in missing.stderr
    nameless = CliRunner().invoke(app, ["label", str(run), "--labeller", " "])
    assert nameless.exit_code == 1 and "--labeller must be a non-empty name" in nameless.stderr


def test_a_label_folder_that_cannot_be_written_stops_before_any_row_is_asked(hand_dir):
    (hand_dir / "labels").write_text("not a folder")
    result = CliRunner().invoke(app, ["label", str(hand_dir), "--labeller", "ann"], input="yyyy")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr == f"neggen: error: the labels folder {hand_dir / 'labels'} is a file, not a directory\n"


def _manifest(root: Path, shards: int) -> None:
    manifest = {
        "run_id": "fixture",
        "shards": shards,
        "types": ["reshuffle", "swap_nouns", "replace_nouns"],
        "captions": {"sha256": "0" * 64},
    }
    (root / "manifest.json").write_text(json.dumps(manifest))


def test_a_run_still_in_progress_is_said_and_its_written_rows_are_labelled(tmp_path):
    run = hand_run(tmp_path / "run")  # 4 finished (type, shard): reshuffle/0, swap_nouns/0 and /1, replace_nouns/1
    _manifest(run, shards=2)  # 3 types x 2 shards planned: 2 not finished
    result = CliRunner().invoke(app, ["label", str(run), "--labeller", "ann"], input="yyyy q")
    assert result.exit_code == 0, result.output
    assert f"{run} is still being generated (4 of 6 type x shard finished)" in result.stderr
    assert len(read_run_labels(run)) == 1

    whole = write_run(
        tmp_path / "whole",
        [row("A red car.", "A red truck.", t, n) for n, t in enumerate(["reshuffle", "swap_nouns", "replace_nouns"])],
    )
    _manifest(whole, shards=1)  # 3 of 3: finished, nothing said
    result = CliRunner().invoke(app, ["label", str(whole), "--labeller", "ann"], input="q")
    assert result.exit_code == 0 and result.stderr == ""


@pytest.mark.parametrize("color", [True, False])
def test_type_seed_sample_and_color_reach_the_loop_from_the_command(hand_dir, color):
    """The flags as typed: --type and --seed pick the sample `sample_for_labelling` picks, --sample bounds it,
    --color/--no-color decide the marking whatever the terminal."""
    picked = sample_for_labelling(hand_dir, ["replace_nouns"], 2, 7)
    args = ["label", str(hand_dir), "--labeller", "ann", "--type", "replace_nouns", "--seed", "7", "--sample", "2"]
    result = CliRunner().invoke(app, [*args, "--color" if color else "--no-color"], input="q")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("2 of 2 sampled rows to label as ann")
    first = picked[0]
    assert "caption : " in result.stdout and first["caption_id"] in result.stdout
    assert ("\x1b[" in result.stdout) is color
