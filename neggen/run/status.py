"""Progress of a run per type x shard, read from the output directory alone.

An unreadable part file does not stop the report: its shard shows `corrupt` and the file is listed with
what to do. `check=True` reads every part in full (slow on a big run) instead of only its footer.
"""

from __future__ import annotations

from typing import Any

import pyarrow.parquet as pq

from neggen.run.layout import RunLayout, UnreadablePart, part_rows, planned_limit, read_manifest, read_part
from neggen.run.sharding import assign_shards, select_captions
from neggen.types import NegType


def _rows(path, check: bool) -> int:
    return read_part(path).num_rows if check else part_rows(path)


def run_status(layout: RunLayout, check: bool = False) -> dict[str, Any]:
    manifest = read_manifest(layout.root)
    try:
        # ParquetFile, not read_table: the dataset layer imports pandas (a quarter second of `neggen status`).
        with pq.ParquetFile(layout.captions) as source:
            captions = source.read(columns=["caption_id"])
    except OSError as exc:
        raise ValueError(f"{layout.captions} is unreadable ({str(exc).splitlines()[0]})") from None
    # Totals are every caption any invocation planned: a later, smaller --limit does not shrink them.
    by_shard = assign_shards(select_captions(captions, planned_limit(manifest)), manifest["shards"])
    rows, unreadable = [], []
    for name in manifest["types"]:
        neg_type = NegType(name)
        for shard in range(manifest["shards"]):
            total = len(by_shard.get(shard, []))
            counts = {"negatives": 0, "rejects": 0}
            bad = False
            for kind in counts:
                for part in layout.parts(neg_type, shard, kind):
                    try:
                        counts[kind] += _rows(part, check)
                    except UnreadablePart as exc:
                        unreadable.append({"path": str(exc.path), "reason": exc.reason})
                        bad = True
            done = counts["negatives"] + counts["rejects"]
            complete = layout.success(neg_type, shard).exists() and done >= total and not bad
            state = "corrupt" if bad else "done" if complete else ("partial" if done else "pending")
            rows.append(
                {
                    "type": name,
                    "shard": shard,
                    "total": total,
                    "done": done,
                    "accepted": counts["negatives"],
                    "rejected": counts["rejects"],
                    "state": state,
                }
            )
    return {
        "out": str(layout.root),
        "run_id": manifest["run_id"],
        "shards": manifest["shards"],
        "rows": rows,
        "unreadable": unreadable,
    }


def format_status(status: dict[str, Any]) -> str:
    lines = [f"run {status['run_id']} in {status['out']} ({status['shards']} shards)"]
    lines.append(f"{'type':<20}{'shard':>6}{'done':>12}{'accepted':>10}{'rejected':>10}  state")
    for r in status["rows"]:
        done = f"{r['done']}/{r['total']}"
        lines.append(f"{r['type']:<20}{r['shard']:>6}{done:>12}{r['accepted']:>10}{r['rejected']:>10}  {r['state']}")
    totals = {k: sum(r[k] for r in status["rows"]) for k in ("total", "done", "accepted", "rejected")}
    complete = sum(r["state"] == "done" for r in status["rows"])
    lines.append(
        f"total: {totals['done']}/{totals['total']} rows, {totals['accepted']} accepted, "
        f"{totals['rejected']} rejected; {complete}/{len(status['rows'])} type x shard complete"
    )
    if status["unreadable"]:
        lines.append(f"{len(status['unreadable'])} unreadable part file(s), not counted above:")
        lines += [f"  {u['path']}: {u['reason']}" for u in status["unreadable"]]
        lines.append("re-run the same `neggen generate` command: it moves them aside and regenerates their captions")
    return "\n".join(lines)
