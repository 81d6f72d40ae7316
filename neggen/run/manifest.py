"""manifest.json: what a run is (config, versions, model, prompt hashes, caption set) and its invocations.

A re-run into the same directory must describe the same run: same caption set and shard count. Anything
else would silently mix two runs, so it is refused with a message saying what differs.
"""

from __future__ import annotations

import json
import platform
import sys
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from neggen import __version__
from neggen.config import GenerateConfig
from neggen.run.atomic import write_json_atomic
from neggen.run.layout import RunLayout, captions_fingerprint, read_manifest
from neggen.text.tag_pool import resolve_workers

if TYPE_CHECKING:  # both import the language tools (spaCy, seconds); `neggen status` reads manifests without them
    from neggen.plausibility import Plausibility
    from neggen.prompts import PromptSpec
    from neggen.validate.relations import RelationTable


class RunMismatch(ValueError):
    """The output directory holds a different run."""


def library_versions() -> dict[str, str]:
    import polars
    import pyarrow
    import torch
    import transformers

    return {
        "neggen": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "pyarrow": pyarrow.__version__,
        "polars": polars.__version__,
    }


def tagger_info(workers: int = 0) -> dict[str, str | bool | int]:
    """The tagger the validators use (its name and model version), its parsing processes besides this one,
    and whether WordNet was found."""
    from neggen.text.pos import DEFAULT_TAGGER
    from neggen.text.wordnet import installed

    return {
        "name": DEFAULT_TAGGER.name,
        "version": DEFAULT_TAGGER.version,
        "workers": workers,
        "wordnet": installed(),
    }


def open_run(
    layout: RunLayout,
    config: GenerateConfig,
    captions: pa.Table,
    shards: int,
    prompts: dict[str, PromptSpec],
    invocation: dict[str, Any],
    plausibility: Plausibility | None = None,
    relations: RelationTable | None = None,
) -> dict[str, Any]:
    """Create the manifest, or check a resumed run against it; returns the manifest (with run_id).

    A read-modify-write: callers running beside other processes hold `neggen.run.locks.run_lock`.
    """
    fingerprint = captions_fingerprint(captions)
    now = datetime.now(UTC).isoformat()
    if layout.manifest.exists():
        manifest = read_manifest(layout.root)
        if manifest["shards"] != shards:
            raise RunMismatch(
                f"{layout.root} was created with --shards {manifest['shards']}; re-run with that, or use a new --out"
            )
        if manifest["captions"]["sha256"] != fingerprint:
            raise RunMismatch(f"{layout.root} holds a run over a different caption set; use a new --out")
    else:
        manifest = {
            "run_id": uuid.uuid4().hex[:16],
            "created_at": now,
            "shards": shards,
            "captions": {"path": layout.captions.name, "rows": captions.num_rows, "sha256": fingerprint},
            "invocations": [],
        }
    manifest["types"] = sorted(set(manifest.get("types", [])) | set(prompts))
    manifest["prompts"] = {
        **manifest.get("prompts", {}),
        **{name: {"file_sha256": spec.file_sha, "examples": len(spec.examples)} for name, spec in prompts.items()},
    }
    manifest["config"] = json.loads(config.model_dump_json())
    manifest["versions"] = library_versions()
    manifest["tagger"] = tagger_info(resolve_workers(config.tagger_workers))
    manifest["plausibility"] = plausibility.record() if plausibility is not None else None
    manifest["relations"] = relations.record() if relations is not None else None
    manifest["updated_at"] = now
    # Per invocation too: rows an earlier invocation accepted were judged by the table it used.
    table = relations.fingerprint if relations is not None else None
    manifest["invocations"].append({"started_at": now, **invocation, "relations": table})
    write_json_atomic(layout.manifest, manifest)
    return manifest
