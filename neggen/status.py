"""Progress of a run per type x shard, read from the output directory alone."""

from __future__ import annotations

import json
from typing import Any

import pyarrow.parquet as pq

from neggen.layout import RunLayout
from neggen.pipeline import assign_shards, select_captions
from neggen.types import NegType


def run_status(layout: RunLayout) -> dict[str, Any]:
    if not layout.manifest.exists():
        raise FileNotFoundError(f"{layout.root} is not a neggen run (no manifest.json)")
    manifest = json.loads(layout.manifest.read_text(encoding="utf-8"))
    limit = manifest["invocations"][-1].get("limit") if manifest["invocations"] else None
    by_shard = assign_shards(select_captions(pq.read_table(layout.captions), limit), manifest["shards"])
    rows = []
    for name in manifest["types"]:
        neg_type = NegType(name)
        for shard in range(manifest["shards"]):
            total = len(by_shard.get(shard, []))
            accepted = rejected = 0
            for part in layout.parts(neg_type, shard):
                n = pq.read_metadata(part).num_rows
                if part.parent == layout.rejects_dir(neg_type, shard):
                    rejected += n
                else:
                    accepted += n
            done = accepted + rejected
            complete = layout.success(neg_type, shard).exists() and done >= total
            state = "done" if complete else ("partial" if done else "pending")
            rows.append(
                {
                    "type": name,
                    "shard": shard,
                    "total": total,
                    "done": done,
                    "accepted": accepted,
                    "rejected": rejected,
                    "state": state,
                }
            )
    return {"out": str(layout.root), "run_id": manifest["run_id"], "shards": manifest["shards"], "rows": rows}


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
    return "\n".join(lines)
