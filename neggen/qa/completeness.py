"""Whether a run has finished: every type x shard its manifest plans is done (neggen.run.status decides)."""

from __future__ import annotations

from pathlib import Path

from neggen.run.layout import RunLayout


def unfinished(root: Path) -> str | None:
    """What is left, as "3 of 4 type x shard parts done", or None when the run is complete or is a view with no
    manifest (a fixture, a `--rebalance` copy) whose plan cannot be known."""
    if not (root / "manifest.json").exists():
        return None
    from neggen.run.status import run_status  # imports the pipeline's planning (about a second)

    rows = run_status(RunLayout(root))["rows"]
    done = sum(r["state"] == "done" for r in rows)
    return None if rows and done == len(rows) else f"{done} of {len(rows)} type x shard parts done"
