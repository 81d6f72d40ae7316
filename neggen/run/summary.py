"""What one invocation of a run came to: the same summary from every runner."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class RunSummary:
    out: Path
    run_id: str
    accepted: Counter = field(default_factory=Counter)
    rejected: Counter = field(default_factory=Counter)
    skipped_done: int = 0
    retried_tasks: int = 0  # ray: tasks given to a fresh actor after theirs died
    busy: list[str] = field(default_factory=list)  # (type, shard)s another process was generating
    quarantined: list[Path] = field(default_factory=list)  # unreadable parts moved aside and regenerated

    def merge(self, other: RunSummary) -> None:
        """Add the outcomes of another part of the same run (a Ray actor's task) to this summary."""
        self.accepted.update(other.accepted)
        self.rejected.update(other.rejected)
        self.skipped_done += other.skipped_done
        self.retried_tasks += other.retried_tasks
        self.busy += other.busy
        self.quarantined += other.quarantined
