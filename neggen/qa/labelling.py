"""`neggen label`: read a seeded sample of a run's accepted rows in the terminal and answer the rubric, one key
per question; every finished row is appended to the run's label file at once (neggen/qa/labels.py).

The sample is per type: each row's rank is a hash of the seed and its row key, so the same seed gives the same
rows, a larger --sample extends the rows already labelled, and rows a run still in progress adds later only
enter where they rank. Resuming skips the rows this labeller already labelled.
"""

from __future__ import annotations

import hashlib
import heapq
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import polars as pl

from neggen.qa.frames import check_run_dir, scan, successes
from neggen.qa.labels import RUBRIC, Label, LabelledRow, Retraction, append_label, row_key
from neggen.qa.show import format_rows
from neggen.run.layout import read_manifest
from neggen.types import resolve_types

QUESTIONS = {
    "type": "is the edit of the stated type ({neg_type})?",
    "fluent": "is the negative fluent English a captioner could write?",
    "changed": "is the negative false of the photo (no synonym, hypernym, paraphrase)?",
    "plausible": "could the negative's scene be in a real photo?",
}
KEYS_HELP = "y yes, n no, s skip the row, u undo, q quit"

ReadKey = Callable[[], str | None]
_END_KEYS = ("\x03", "\x04")  # Ctrl-C, Ctrl-D: quit, like q


def _rank(seed: int, key: str) -> str:
    return hashlib.sha256(f"{seed}\x1f{key}".encode()).hexdigest()


def sample_for_labelling(root: Path, types: list[str] | None, n: int, seed: int) -> list[dict[str, Any]]:
    """Up to n accepted rows per type (distinct texts), in a seeded order that mixes the types."""
    check_run_dir(root)
    frame = scan(root, "negatives")
    if types:
        frame = frame.filter(pl.col("neg_type").is_in([t.value for t in resolve_types(types)]))
    columns = ["neg_type", "shard", "caption_id", "image_id", "caption", "negative", "attempt", "engine", "output"]
    table = frame.select(*columns, "edit").collect().sort("neg_type", "caption_id")
    # Only the three text columns go through Python (a run may hold millions of rows); whole rows for the sample.
    first: dict[str, int] = {}  # row key -> its first row (the same text twice is asked once)
    by_type: dict[str, list[str]] = {}
    for index, (neg_type, caption, negative) in enumerate(table.select("neg_type", "caption", "negative").iter_rows()):
        key = row_key(neg_type, caption, negative or "")
        if key not in first:
            first[key] = index
            by_type.setdefault(neg_type, []).append(key)
    picked = [key for keys in by_type.values() for key in heapq.nsmallest(n, keys, key=lambda k: _rank(seed, k))]
    picked.sort(key=lambda k: _rank(seed + 1, k))
    return [table.row(first[key], named=True) | {"row_id": key} for key in picked]


def progress_note(root: Path) -> str | None:
    """A line when the run is still being generated (fewer finished type x shard than planned), else None."""
    if not (root / "manifest.json").exists():
        return None
    manifest = read_manifest(root)
    planned = len(manifest.get("types", [])) * manifest["shards"]
    done = len(successes(root))
    if done >= planned:
        return None
    return (
        f"{root} is still being generated ({done} of {planned} type x shard finished): labelling the rows "
        "written so far; `neggen label` again later samples the rest"
    )


def labelled_row(row: dict[str, Any], answers: list[bool], labeller: str) -> LabelledRow:
    four = dict(zip(RUBRIC, answers, strict=True))
    label = Label(**four, good=all(answers), labeller=labeller, labelled_at=datetime.now(UTC))
    return LabelledRow(
        row_id=row["row_id"],
        source=f"neggen:{row['engine']}:{row.get('output') or 'sentence'}",
        neg_type=row["neg_type"],
        caption=row["caption"],
        negative=row["negative"] or "",
        edit=row.get("edit"),
        baseline="accepted",
        label=label,
    )


@dataclass
class Session:
    """One labeller going through rows; finished rows are saved as they are answered."""

    root: Path
    rows: list[dict[str, Any]]
    labeller: str
    out: TextIO
    color: bool
    saved: int = 0
    undone: int = 0
    # Rows finished in this session, newest last: (index, saved) so undo can step back over skips too.
    history: list[tuple[int, bool]] = field(default_factory=list)

    def say(self, text: str = "", end: str = "\n") -> None:
        self.out.write(text + end)
        self.out.flush()

    def run(self, read_key: ReadKey) -> None:
        """Ask until the rows run out or the labeller quits (q, Ctrl-D, end of input)."""
        index, answers, shown = 0, [], -1
        while index < len(self.rows):
            row = self.rows[index]
            if index != shown:
                self.say(f"\n[{index + 1}/{len(self.rows)}]")
                self.say(format_rows([row], self.color))
                shown = index
            question = RUBRIC[len(answers)]
            self.say(f"  {question}: {QUESTIONS[question].format(**row)} [y/n s u q] ", end="")
            key = read_key()
            self.say(key if key and key.isprintable() else "")
            if key is None or key == "q":
                break
            if key in ("y", "n"):
                answers.append(key == "y")
                if len(answers) == len(RUBRIC):
                    record = labelled_row(row, answers, self.labeller)
                    append_label(self.root, record)
                    self.saved += 1
                    failed = [q for q, a in zip(RUBRIC, answers, strict=True) if not a]
                    self.say("  saved: good" if not failed else f"  saved: not good ({', '.join(failed)})")
                    self.history.append((index, True))
                    index, answers = index + 1, []
            elif key == "s":
                self.say("  skipped")
                self.history.append((index, False))
                index, answers = index + 1, []
            elif key == "u":
                if answers:
                    self.say(f"  undone: {RUBRIC[len(answers) - 1]}")
                    answers.pop()
                elif self.history:
                    index, was_saved = self.history.pop()
                    if was_saved:
                        undo = Retraction(
                            retract=self.rows[index]["row_id"], labeller=self.labeller, labelled_at=datetime.now(UTC)
                        )
                        append_label(self.root, undo)
                        self.saved -= 1
                        self.undone += 1
                    self.say(f"  back to row {index + 1}" + (": its label is withdrawn" if was_saved else ""))
                else:
                    self.say("  nothing to undo")
            else:
                self.say(f"  keys: {KEYS_HELP}")


@contextmanager
def key_reader(stream: TextIO) -> Iterator[ReadKey]:
    """Keys one at a time: raw (cbreak) from a terminal, restored on exit; from a pipe, its characters, blanks
    skipped. None at the end of input, on Ctrl-C or on Ctrl-D."""
    try:
        fd = stream.fileno()
    except (OSError, ValueError):  # a stream without a file descriptor (a test harness's stdin)
        fd = -1
    if fd < 0 or not os.isatty(fd):
        yield lambda: _next_char(stream)
        return
    import termios
    import tty

    saved = termios.tcgetattr(fd)
    tty.setcbreak(fd)
    # Ctrl-C as a key, not SIGINT: polars' threads may take the signal while the main thread stays blocked in
    # read(), and the loop would hang; as a key it quits like q.
    mode = termios.tcgetattr(fd)
    mode[3] &= ~termios.ISIG
    termios.tcsetattr(fd, termios.TCSANOW, mode)
    pending: list[str] = []

    def read() -> str | None:
        if not pending:
            chunk = os.read(fd, 64).decode(errors="replace")
            if not chunk:
                return None
            # An arrow or function key arrives as one escape sequence: one unknown key, not three.
            pending.extend([chunk] if chunk.startswith("\x1b") else list(chunk))
        key = pending.pop(0)
        return None if key in _END_KEYS else key.lower() if len(key) == 1 else "?"

    try:
        yield read
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def _next_char(stream: TextIO) -> str | None:
    while True:
        char = stream.read(1)
        if not char:
            return None
        if not char.isspace():
            return char.lower()
