"""Fixture runs for the QA tests, written directly with the project's schemas (no engine needed)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from neggen.run.atomic import write_json_atomic, write_parquet_atomic
from neggen.run.layout import RunLayout
from neggen.schemas import NEGATIVES, REJECTS
from neggen.types import NegType


def row(caption: str, negative: str | None, neg_type: str, n: int, reason: str | None = None) -> dict[str, Any]:
    out = {
        "run_id": "fixture",
        "caption_id": f"c{n:04d}",
        "image_id": str(1000 + n // 5),
        "image_path": None,
        "caption": caption,
        "neg_type": neg_type,
        "negative": negative,
        "attempt": 1,
        "failed_reasons": [],
        "engine": "scripted",
        "model": "scripted-model",
        "prompt_layout": "chat",
        "prompt_sha": "0" * 16,
        "example_set": 0,
        "example_ids": [0, 1, 2, 3, 4],
        "seed": n,
        "temperature": 0.8,
        "top_p": 0.95,
        "max_tokens": 64,
        "finish_reason": "stop",
        "prompt_tokens": 100,
        "completion_tokens": 10,
        "created_at": datetime(2025, 1, 1, tzinfo=UTC),
    }
    if reason is not None:
        out |= {"reason": reason, "detail": ""}
    return out


def write_run(root: Path, rows: list[dict[str, Any]], shard_of=lambda r: 0, success: bool = True) -> Path:
    """Write rows (accepted when they have no 'reason') into the run layout, one part per (type, shard)."""
    layout = RunLayout(root)
    groups: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault((r["neg_type"], shard_of(r)), []).append(r)
    for (name, shard), members in sorted(groups.items()):
        neg_type = NegType(name)
        accepted = [r for r in members if "reason" not in r]
        rejected = [r for r in members if "reason" in r]
        part = layout.part_name(0)
        good = pa.Table.from_pylist(accepted, NEGATIVES)
        write_parquet_atomic(layout.negatives_dir(neg_type, shard) / part, good, NEGATIVES)
        bad = pa.Table.from_pylist(rejected, REJECTS)
        write_parquet_atomic(layout.rejects_dir(neg_type, shard) / part, bad, REJECTS)
        if success:
            tokens = {
                "prompt_tokens": sum(r["prompt_tokens"] for r in members),
                "completion_tokens": sum(r["completion_tokens"] for r in members),
            }
            write_json_atomic(
                layout.success(neg_type, shard),
                {
                    "type": name,
                    "shard": shard,
                    "captions": len(members),
                    "accepted": len(accepted),
                    "rejected": len(rejected),
                    **tokens,
                    "generated_this_invocation": len(members),
                    "elapsed_s": 2.0,
                    "engine_s": 1.5,
                },
            )
    return root


def _reply(request) -> list[str]:
    """Scripted answers in sentence form: reshuffle reverses the words (accepted), swap_nouns exchanges the second
    and the last word (accepted where both are nouns, rejected otherwise), swap_adjectives copies (rejected)."""
    from tests.fakes import last_user_text

    caption = last_user_text(request)
    words = caption.rstrip(".").split()
    system = request.messages[0]["content"].lower()
    if "reshuffle" in system:
        return [" ".join(reversed(words)) + "."]
    if "swap the adjectives" in system:
        return [caption]
    words[1], words[-1] = words[-1], words[1]
    return [" ".join(words) + "."]


def generated_run(root: Path, captions_file: Path, limit: int = 24, shards: int = 2, shard_index=None) -> Path:
    """A run written by `neggen.run.runners.generate` (manifest, captions, prompts recorded) with a scripted engine:
    reshuffle, swap_nouns and swap_adjectives (none accepted) over the first `limit` captions; `shard_index`
    leaves the other shards pending."""
    from neggen.config import GenerateConfig
    from neggen.ingest import load_captions
    from neggen.run.runners import generate
    from tests.fakes import ScriptedEngine

    table, _ = load_captions(captions_file)
    config = GenerateConfig(chunk_size=8, output="sentence")
    types = [NegType.reshuffle, NegType.swap_nouns, NegType.swap_adjectives]
    argv = ["generate", "--captions", str(captions_file), "--type", "reshuffle", "--type", "swap"]
    argv += ["--out", str(root), "--limit", str(limit)]
    invocation = {"argv": argv, "limit": limit, "engine": "scripted", "model": "scripted-model"}
    generate(table, root, types, shards, ScriptedEngine(_reply), config, shard_index, limit, invocation=invocation)
    return root
