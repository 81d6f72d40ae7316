"""Stable ids and shard assignment: the same caption lands in the same shard on every machine."""

from __future__ import annotations

import hashlib
from typing import Any

import pyarrow as pa


def stable_hash(*parts: str) -> int:
    """64-bit hash of the parts, independent of Python's per-process hash seed."""
    digest = hashlib.blake2b("\x1f".join(parts).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def caption_id_for(image_id: str, normalized_caption: str) -> str:
    """The caption id: identical for the same image and normalised caption, whatever the source file."""
    return f"{stable_hash(image_id, normalized_caption):016x}"


def shard_of(caption_id: str, num_shards: int) -> int:
    return stable_hash("shard", caption_id) % num_shards


def select_captions(captions: pa.Table, limit: int | None) -> pa.Table:
    """--limit N takes the first N rows in source order, the same rows on every re-run."""
    return captions.slice(0, limit) if limit is not None else captions


def assign_shards(captions: pa.Table, shards: int) -> dict[int, list[dict[str, Any]]]:
    by_shard: dict[int, list[dict[str, Any]]] = {}
    for row in captions.to_pylist():
        by_shard.setdefault(shard_of(row["caption_id"], shards), []).append(row)
    for rows in by_shard.values():
        rows.sort(key=lambda r: r["caption_id"])
    return by_shard
