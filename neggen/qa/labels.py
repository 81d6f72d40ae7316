"""Labels of negatives read against the quality rubric: one schema and one reader for every labelled set.

The rubric (docs/negatives.md, "Labelling guide"): a row is good when all four hold.
- type: the edit is of the stated type;
- fluent: grammatical English a human captioner could have written;
- changed: false of the photo (no synonym, hypernym or hyponym that may still be true, no meaning-keeping reorder);
- plausible: a scene that could appear in a real photo.

A labelled row is keyed by `row_key(neg_type, caption, negative)`, so a label follows its text, not the file it
was read from. The shipped quality set (tests/data/quality/rows.jsonl) holds rows and labels together; so does a
run's own label file (RUN/labels/labels.jsonl, written by `neggen label`), which is append-only: an undo is a
Retraction line, never a rewrite, so no label is lost to a crash or a second labeller appending at once.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from neggen.run.layout import RunLayout

RUBRIC = ("type", "fluent", "changed", "plausible")
Part = Literal["tune", "holdout"]


def row_key(neg_type: str, caption: str, negative: str) -> str:
    return hashlib.sha256(f"{neg_type}\x1f{caption}\x1f{negative}".encode()).hexdigest()[:12]


class Label(BaseModel):
    """One row's answers to the rubric's four questions; good is their conjunction."""

    model_config = ConfigDict(extra="forbid")
    type: bool
    fluent: bool
    changed: bool
    plausible: bool
    good: bool
    note: str = ""
    labeller: str
    labelled_at: datetime | None = None  # set by `neggen label`; the shipped set predates it

    @model_validator(mode="after")
    def _good_is_all_four(self) -> Label:
        if self.good != all(getattr(self, q) for q in RUBRIC):
            raise ValueError("good must be type and fluent and changed and plausible")
        return self


class LabelledRow(BaseModel):
    """A row of the quality set: what was read (and where it came from), and its label."""

    model_config = ConfigDict(extra="forbid")
    row_id: str
    part: Part | None = None  # the quality set's split; None for a run's own labels
    source: str  # "neggen[@round]:<engine>:<form>" or "sugarcrepe:<kind>/<id>"
    neg_type: str
    caption: str
    negative: str
    edit: str | None = None
    baseline: str  # what the generating run decided: "accepted" or its reject reason; SugarCrepe: "human-validated"
    label: Label
    # The bundled scorer's mean token log-probs (neggen/plausibility.py), stored so tests judge plausibility
    # without loading a model; tests/qa/test_quality.py checks a sample against a fresh score.
    caption_logprob: float | None = None
    negative_logprob: float | None = None

    @model_validator(mode="after")
    def _key_matches(self) -> LabelledRow:
        if self.row_id != row_key(self.neg_type, self.caption, self.negative):
            raise ValueError(f"row_id {self.row_id} is not the key of its text")
        return self

    @property
    def family(self) -> str:
        """neggen:vllm:edit -> neggen edit; neggen@r2:vllm:edit -> neggen@r2 edit; sugarcrepe:swap_obj/12 ->
        sugarcrepe."""
        parts = self.source.split(":")
        return "sugarcrepe" if parts[0] == "sugarcrepe" else f"{parts[0]} {parts[-1]}"


class Retraction(BaseModel):
    """An undo: the latest earlier label of this row by this labeller no longer counts."""

    model_config = ConfigDict(extra="forbid")
    retract: str  # the row_id
    labeller: str
    labelled_at: datetime


def read_labelled_rows(path: Path) -> list[LabelledRow]:
    """Every row of a labelled set (jsonl), retracted labels left out; a malformed line is one ValueError naming
    the file and line."""
    rows: list[LabelledRow] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if isinstance(record, dict) and "retract" in record:
                _retract(rows, Retraction.model_validate(record))
            else:
                rows.append(LabelledRow.model_validate(record))
        except (json.JSONDecodeError, ValidationError) as exc:
            first = str(exc).splitlines()[0] if isinstance(exc, json.JSONDecodeError) else first_error(exc)
            raise ValueError(f"{path}:{number}: not a labelled row ({first})") from None
    return rows


def _retract(rows: list[LabelledRow], undo: Retraction) -> None:
    for index in range(len(rows) - 1, -1, -1):
        if rows[index].row_id == undo.retract and rows[index].label.labeller == undo.labeller:
            del rows[index]
            return


def run_labels_path(run_dir: Path) -> Path:
    return RunLayout(run_dir).labels


def read_run_labels(run_dir: Path) -> list[LabelledRow]:
    """The labels `neggen label` saved in a run, in the order given, undone ones left out; [] when there are none.

    A malformed line is one ValueError naming the file and line; the file is never changed here.
    """
    path = run_labels_path(run_dir)
    if not path.exists():
        return []
    try:
        return read_labelled_rows(path)
    except ValueError as exc:
        raise ValueError(f"{exc}; fix or delete that line (no label was changed)") from None


def append_label(run_dir: Path, record: LabelledRow | Retraction) -> None:
    """Add one line to the run's label file, durably: one O_APPEND write (whole, even beside another writer),
    then fsync, so the answer survives a crash right after it was given."""
    path = run_labels_path(run_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = (record.model_dump_json(exclude_none=True) + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def first_error(exc: ValidationError) -> str:
    """A validation error in one line: where (a dotted path) and what."""
    error = exc.errors()[0]
    where = ".".join(str(p) for p in error["loc"])
    return f"{where}: {error['msg']}" if where else error["msg"]
