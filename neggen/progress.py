"""Progress for long runs: a live bar on a terminal, plain log lines otherwise (CI, pipes, files)."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn


class GenerationProgress:
    def __init__(self, total: int, stream: TextIO | None = None, force_plain: bool = False):
        self.total, self.done, self.accepted = total, 0, 0
        self.started = time.perf_counter()
        self.stream = stream or sys.stderr
        self._bar: Progress | None = None
        if not force_plain and self.stream.isatty():
            self._bar = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                TextColumn("{task.completed}/{task.total} rows"),
                TextColumn("{task.fields[rate]:.1f} rows/s  accepted {task.fields[acc]:.0%}"),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=Console(file=self.stream),
            )
            self._task = self._bar.add_task("generate", total=total, rate=0.0, acc=0.0)
            self._bar.start()

    def advance(self, label: str, rows: int, accepted: int) -> None:
        self.done += rows
        self.accepted += accepted
        elapsed = max(time.perf_counter() - self.started, 1e-9)
        rate, share = self.done / elapsed, self.accepted / max(self.done, 1)
        if self._bar is not None:
            self._bar.update(self._task, advance=rows, description=label, rate=rate, acc=share)
            return
        remaining = (self.total - self.done) / rate if rate else float("inf")
        print(
            f"[neggen] {label}: {self.done}/{self.total} rows, {rate:.2f} rows/s, "
            f"accepted {share:.0%}, ETA {remaining:.0f}s",
            file=self.stream,
            flush=True,
        )

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
