"""Where a run's files live, and what is already done: the single source of truth for resuming."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

from neggen.types import NegType

_PART = re.compile(r"^part-(\d{5})\.parquet$")


@dataclass(frozen=True)
class RunLayout:
    root: Path

    @property
    def manifest(self) -> Path:
        return self.root / "manifest.json"

    @property
    def captions(self) -> Path:
        return self.root / "captions.parquet"

    def negatives_dir(self, neg_type: NegType, shard: int) -> Path:
        return self.root / "negatives" / f"type={neg_type.value}" / f"shard={shard:05d}"

    def rejects_dir(self, neg_type: NegType, shard: int) -> Path:
        return self.root / "rejects" / f"type={neg_type.value}" / f"shard={shard:05d}"

    def success(self, neg_type: NegType, shard: int) -> Path:
        return self.negatives_dir(neg_type, shard) / "_SUCCESS.json"

    @staticmethod
    def part_name(index: int) -> str:
        return f"part-{index:05d}.parquet"

    def parts(self, neg_type: NegType, shard: int) -> list[Path]:
        """Every complete part file of a shard, accepted and rejected."""
        found = []
        for directory in (self.negatives_dir(neg_type, shard), self.rejects_dir(neg_type, shard)):
            if directory.exists():
                found += sorted(p for p in directory.iterdir() if _PART.match(p.name))
        return found

    def next_part_index(self, neg_type: NegType, shard: int) -> int:
        indices = [int(_PART.match(p.name).group(1)) for p in self.parts(neg_type, shard)]
        return max(indices, default=-1) + 1

    def done_caption_ids(self, neg_type: NegType, shard: int) -> set[str]:
        """Captions that already have their one row (accepted or rejected) in this shard."""
        done: set[str] = set()
        for part in self.parts(neg_type, shard):
            done.update(pq.read_table(part, columns=["caption_id"]).column("caption_id").to_pylist())
        return done
