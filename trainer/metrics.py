"""Training metrics: JSON lines in the run dir (one per logged step) and a progress bar or log lines."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn


class MetricsLog:
    """Appends records to metrics.jsonl; a resumed run first drops the records past its checkpoint."""

    def __init__(self, path: Path, resume_step: int):
        self.path = path
        if path.exists():
            kept = [line for line in path.read_text().splitlines() if line and json.loads(line)["step"] <= resume_step]
            path.write_text("".join(line + "\n" for line in kept))

    def write(self, record: dict[str, Any]) -> None:
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, sort_keys=True) + "\n")


class TrainProgress:
    def __init__(self, total: int, start: int, enabled: bool):
        self.total, self.started, self.start = total, time.perf_counter(), start
        self._bar: Progress | None = None
        self.enabled = enabled
        if enabled and sys.stderr.isatty():
            self._bar = Progress(
                TextColumn("[bold]train"),
                BarColumn(),
                TextColumn("{task.completed}/{task.total} steps  loss {task.fields[loss]:.4f}"),
                TextColumn("{task.fields[rate]:.1f} img/s"),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=Console(file=sys.stderr),
            )
            self._task = self._bar.add_task("train", total=total, completed=start, loss=0.0, rate=0.0)
            self._bar.start()

    def update(self, step: int, loss: float, images_per_s: float, log_line: bool) -> None:
        if self._bar is not None:
            self._bar.update(self._task, completed=step, loss=loss, rate=images_per_s)
        elif self.enabled and log_line:
            elapsed = time.perf_counter() - self.started
            eta = elapsed / max(step - self.start, 1) * (self.total - step)
            print(
                f"[trainer] step {step}/{self.total} loss {loss:.4f} {images_per_s:.1f} img/s ETA {eta:.0f}s",
                file=sys.stderr,
                flush=True,
            )

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
