"""The run-directory contract: where a run's files live, how they are read, and what is already done.

The single source of truth for resuming, and the one module every reader (status, QA, export, the trainer's
data) goes through, so a truncated part file is named the same way everywhere:

    OUT/manifest.json   OUT/captions.parquet   OUT/.locks/
    OUT/{negatives,rejects}/type=T/shard=SSSSS/part-NNNNN.parquet   (+ negatives/.../_SUCCESS.json)
    a part that cannot be read is moved aside to part-NNNNN.parquet.corrupt by the next `neggen generate`
    OUT/labels/labels.jsonl   `neggen label`'s answers (append-only; generation never reads or writes it)
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.parquet as pq

from neggen.run.atomic import remove_stale_temporaries
from neggen.types import NegType

Kind = Literal["negatives", "rejects"]
KINDS: tuple[Kind, ...] = ("negatives", "rejects")
CORRUPT_SUFFIX = ".corrupt"
_PART = re.compile(r"^part-(\d{5})\.parquet$")


class UnreadablePart(ValueError):
    """A part file whose Parquet footer or data cannot be read (truncated copy, disk fault, foreign file)."""

    def __init__(self, path: Path, reason: str):
        self.path, self.reason = path, reason
        super().__init__(
            f"{path} is unreadable ({reason}); `neggen generate` with the same arguments moves it aside "
            "and regenerates its captions (`neggen status --check` lists every such file)"
        )


def _reason(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def part_rows(path: Path) -> int:
    """Rows of a part file from its footer (cheap); raises UnreadablePart naming the file."""
    try:
        return pq.read_metadata(path).num_rows
    except (OSError, pa.ArrowException) as exc:
        raise UnreadablePart(path, _reason(exc)) from None


def read_part(path: Path, columns: list[str] | None = None) -> pa.Table:
    try:
        return pq.read_table(path, columns=columns)
    except (OSError, pa.ArrowException) as exc:
        raise UnreadablePart(path, _reason(exc)) from None


def part_files(root: Path, kind: Kind) -> list[Path]:
    """Every complete part file of one kind in a run (temporaries and *.corrupt never match)."""
    return sorted(p for p in (root / kind).glob("type=*/shard=*/part-*.parquet") if _PART.match(p.name))


def _intact_ends(path: Path) -> str | None:
    """Why a file cannot be a whole Parquet file from its first and last bytes alone, or None if it could be.

    One 4-byte and one 8-byte read: cheap enough to run on every part before every scan (a full footer parse
    costs ~3x a polars row count), and it catches truncation, the usual damage (cut copies, full quotas).
    """
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle:
            head = handle.read(4)
            if size < 12:
                return f"{size} bytes, too short for Parquet"
            handle.seek(size - 8)
            tail = handle.read(8)
    except OSError as exc:
        return exc.strerror or str(exc)
    footer = int.from_bytes(tail[:4], "little")
    if head != b"PAR1" or tail[4:] != b"PAR1" or footer + 12 > size:
        return "truncated or not Parquet: no intact footer"
    return None


def check_parts(files: list[Path]) -> list[Path]:
    """The files, after checking each one ends like a whole Parquet file (UnreadablePart otherwise)."""
    for path in files:
        if (reason := _intact_ends(path)) is not None:
            raise UnreadablePart(path, reason)
    return files


def unreadable_parts(root: Path, deep: bool = False) -> list[UnreadablePart]:
    """Every part of the run that cannot be read: the footer, or with deep=True every column of every row."""
    found = []
    for kind in KINDS:
        for path in part_files(root, kind):
            try:
                read_part(path) if deep else part_rows(path)
            except UnreadablePart as exc:
                found.append(exc)
    return found


def quarantine(path: Path) -> Path:
    """Move an unreadable part aside (never deleted: it may be evidence); returns the new name."""
    target = path.with_name(path.name + CORRUPT_SUFFIX)
    n = 1
    while target.exists():
        target, n = path.with_name(f"{path.name}{CORRUPT_SUFFIX}.{n}"), n + 1
    path.rename(target)
    return target


def read_manifest(root: Path) -> dict[str, Any]:
    path = root / "manifest.json"
    if not root.is_dir():
        why = "not a directory" if root.exists() else "no such directory"
        raise FileNotFoundError(f"{root} is not a neggen run ({why})")
    if not path.exists():
        raise FileNotFoundError(f"{root} is not a neggen run (no manifest.json)")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        manifest["run_id"], manifest["shards"], manifest["captions"]["sha256"]  # noqa: B018
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path} is not a neggen manifest ({_reason(exc)})") from None
    return manifest


def planned_limit(manifest: dict[str, Any]) -> int | None:
    """The widest `--limit` any invocation planned (None: every caption), so totals never fall below done."""
    limits = [inv.get("limit") for inv in manifest.get("invocations", [])]
    if not limits or any(limit is None for limit in limits):
        return None
    return max(limits)


def captions_fingerprint(captions: pa.Table) -> str:
    """What identifies a run's caption set: the sorted caption ids."""
    digest = hashlib.sha256()
    for caption_id in sorted(captions.column("caption_id").to_pylist()):
        digest.update(caption_id.encode())
    return digest.hexdigest()


def run_fingerprint(root: Path) -> str:
    """Hash of the manifest and of every accepted part file's name and size: what a model was trained on."""
    digest = hashlib.sha256((root / "manifest.json").read_bytes())
    for part in part_files(root, "negatives"):
        digest.update(f"{part.relative_to(root)}:{part.stat().st_size}".encode())
    return digest.hexdigest()


def successes(root: Path) -> list[dict[str, Any]]:
    """Every shard's _SUCCESS.json (counts, tokens, timings)."""
    found = []
    for path in sorted((root / "negatives").glob("type=*/shard=*/_SUCCESS.json")):
        try:
            found.append(json.loads(path.read_text(encoding="utf-8")))
        except ValueError as exc:
            raise ValueError(f"{path} is not valid JSON ({_reason(exc)}); delete it and re-run generate") from None
    return found


@dataclass(frozen=True)
class RunLayout:
    root: Path

    @property
    def manifest(self) -> Path:
        return self.root / "manifest.json"

    @property
    def captions(self) -> Path:
        return self.root / "captions.parquet"

    @property
    def locks(self) -> Path:
        return self.root / ".locks"

    @property
    def labels(self) -> Path:
        return self.root / "labels" / "labels.jsonl"

    def shard_dir(self, kind: Kind, neg_type: NegType, shard: int) -> Path:
        return self.root / kind / f"type={neg_type.value}" / f"shard={shard:05d}"

    def negatives_dir(self, neg_type: NegType, shard: int) -> Path:
        return self.shard_dir("negatives", neg_type, shard)

    def rejects_dir(self, neg_type: NegType, shard: int) -> Path:
        return self.shard_dir("rejects", neg_type, shard)

    def success(self, neg_type: NegType, shard: int) -> Path:
        return self.negatives_dir(neg_type, shard) / "_SUCCESS.json"

    @staticmethod
    def part_name(index: int) -> str:
        return f"part-{index:05d}.parquet"

    def parts(self, neg_type: NegType, shard: int, kind: Kind | None = None) -> list[Path]:
        """Every complete part file of a shard, accepted and rejected (or one kind)."""
        found = []
        for k in (kind,) if kind else KINDS:
            directory = self.shard_dir(k, neg_type, shard)
            if directory.exists():
                found += sorted(p for p in directory.iterdir() if _PART.match(p.name))
        return found

    def next_part_index(self, neg_type: NegType, shard: int) -> int:
        names = [p.name for k in KINDS if (d := self.shard_dir(k, neg_type, shard)).exists() for p in d.iterdir()]
        # Quarantined parts keep their number reserved, so a new part never takes a moved-aside name.
        indices = [int(m.group(1)) for n in names if (m := re.match(r"^part-(\d{5})\.parquet", n))]
        return max(indices, default=-1) + 1

    def prepare_shard(self, neg_type: NegType, shard: int) -> list[Path]:
        """Before (re)generating a shard: drop a killed writer's temporaries, move unreadable parts aside.

        Returns the quarantined paths; their captions have no row any more, so they are generated again.
        """
        for kind in KINDS:
            remove_stale_temporaries(self.shard_dir(kind, neg_type, shard))
        moved = []
        for part in self.parts(neg_type, shard):
            try:
                read_part(part, columns=["caption_id"])
                part_rows(part)
            except UnreadablePart:
                moved.append(quarantine(part))
        return moved

    def done_caption_ids(self, neg_type: NegType, shard: int) -> set[str]:
        """Captions that already have their one row (accepted or rejected) in this shard."""
        done: set[str] = set()
        for part in self.parts(neg_type, shard):
            done.update(read_part(part, columns=["caption_id"]).column("caption_id").to_pylist())
        return done
