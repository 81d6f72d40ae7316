"""Explicit Arrow schemas for every table neggen writes. Never inferred from data."""

from __future__ import annotations

import pyarrow as pa

CAPTIONS = pa.schema(
    [
        pa.field("caption_id", pa.string(), nullable=False),
        pa.field("image_id", pa.string(), nullable=False),
        pa.field("image_path", pa.string()),
        pa.field("caption", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("split", pa.string()),
    ]
)

# Provenance carried by every generated row, accepted or rejected.
_ROW_FIELDS = [
    pa.field("run_id", pa.string(), nullable=False),
    pa.field("caption_id", pa.string(), nullable=False),
    pa.field("image_id", pa.string(), nullable=False),
    pa.field("image_path", pa.string()),
    pa.field("caption", pa.string(), nullable=False),
    pa.field("neg_type", pa.string(), nullable=False),
    pa.field("negative", pa.string()),
    pa.field("attempt", pa.int16(), nullable=False),
    pa.field("failed_reasons", pa.list_(pa.string()), nullable=False),
    pa.field("engine", pa.string(), nullable=False),
    pa.field("model", pa.string(), nullable=False),
    pa.field("prompt_layout", pa.string(), nullable=False),
    pa.field("output", pa.string()),  # the answer form used: sentence | edit (null: rows from before it existed)
    pa.field("edit", pa.string()),  # edit form: the model's answer, e.g. "red -> blue"
    pa.field("prompt_sha", pa.string(), nullable=False),
    pa.field("example_set", pa.int16(), nullable=False),
    pa.field("example_ids", pa.list_(pa.int16()), nullable=False),
    pa.field("seed", pa.int64()),  # null when per_request_seeds is off
    pa.field("temperature", pa.float32(), nullable=False),
    pa.field("top_p", pa.float32(), nullable=False),
    pa.field("max_tokens", pa.int32(), nullable=False),
    pa.field("finish_reason", pa.string()),
    # The plausibility scorer's mean token log-probs (neggen/plausibility.py); null when not scored.
    pa.field("caption_logprob", pa.float32()),
    pa.field("negative_logprob", pa.float32()),
    pa.field("prompt_tokens", pa.int32()),
    pa.field("completion_tokens", pa.int32()),
    pa.field("created_at", pa.timestamp("ms", tz="UTC"), nullable=False),
]

NEGATIVES = pa.schema(_ROW_FIELDS)
REJECTS = pa.schema([*_ROW_FIELDS, pa.field("reason", pa.string(), nullable=False), pa.field("detail", pa.string())])
