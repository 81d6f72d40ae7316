"""Oracle training negatives written through neggen's own pipeline, so LLM and oracle runs look the same.

The oracle is an Engine (neggen/engines/base.py): asked for a caption's negative it answers with edits of the
caption's structure that are false in its scene graph. `neggen.run.runners.generate` then does everything it
does for an LLM: manifest, captions.parquet, neggen's validators, bounded retries (each attempt a new seed,
so new candidates), part files, rejects with reasons, _SUCCESS.json. Rows carry engine="oracle",
model="scene-graph"; their prompt fields describe the prompt the pipeline rendered and the oracle ignored.
"""

from __future__ import annotations

import io
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from neggen.config import GenerateConfig
from neggen.engines.base import Completion, Request, SamplingParams
from neggen.engines.batched import BatchedEngine
from neggen.run.progress import GenerationProgress
from neggen.run.runners import generate
from neggen.run.summary import RunSummary
from neggen.types import ALL_TYPES, NegType
from trainer.shapes.captions import Caption
from trainer.shapes.config import WorldConfig
from trainer.shapes.negatives import ORACLE_EDITS, false_variants
from trainer.shapes.world import Heldout, Scene

ENGINE = "oracle"
MODEL = "scene-graph"
CANDIDATES = 4  # per request, like an LLM's n: the pipeline keeps the first that validates


@dataclass
class OracleEngine:
    """Answers with false edits of the caption (looked up by caption_id = request_id) for one negative type."""

    neg_type: NegType
    lookup: dict[str, tuple[Caption, Scene]]
    config: WorldConfig
    avoid: Heldout | None = None
    name: str = ENGINE
    model: str = MODEL
    max_in_flight: int | None = None
    calls: int = 0
    requests: int = 0

    def generate(self, requests: Sequence[Request]) -> list[Completion]:
        self.calls += 1
        out = []
        for request in requests:
            self.requests += 1
            caption, scene = self.lookup[request.request_id]
            candidates = false_variants(caption, scene, ORACLE_EDITS[self.neg_type], self.config, self.avoid)
            rng = random.Random(request.seed)
            texts = [c.text() for c in rng.sample(candidates, min(request.sampling.n, len(candidates)))]
            out.append(Completion(request.request_id, texts, ["stop"] * len(texts), 0, 0))
        return out

    def text_scorer(self) -> None:
        return None

    def version(self) -> str:
        return "trainer.shapes oracle 1"

    def stats(self) -> dict[str, Any]:
        return {"calls": self.calls, "requests": self.requests}

    def close(self) -> None:
        pass


def oracle_generate_config(config: WorldConfig) -> GenerateConfig:
    base = GenerateConfig(
        model=MODEL,
        seed=config.seed,
        chunk_size=config.oracle_chunk_size,
        output="sentence",  # the oracle answers whole false captions, not edits
        sampling=SamplingParams(temperature=0.0, n=CANDIDATES),
    )
    # engine is a Literal of the LLM engines; the manifest should still say which engine wrote the run.
    return base.model_copy(update={"engine": ENGINE})


def write_oracle_run(
    out: Path,
    captions: pa.Table,
    lookup: dict[str, tuple[Caption, Scene]],
    config: WorldConfig,
    heldout: Heldout,
    types: Sequence[NegType] = ALL_TYPES,
    quiet: bool = True,
) -> dict[str, RunSummary]:
    """A neggen run directory of oracle negatives for every caption of `captions` (the ingested table)."""
    gen_config = oracle_generate_config(config)
    avoid = heldout if config.heldout_free_negatives else None
    summaries = {}
    for neg_type in types:
        engine = BatchedEngine(OracleEngine(neg_type, lookup, config, avoid), gen_config.engine_retries)
        progress = GenerationProgress(captions.num_rows, stream=io.StringIO()) if quiet else None
        summaries[neg_type.value] = generate(
            captions,
            out,
            [neg_type],
            config.oracle_shards,
            engine,
            gen_config,
            progress=progress,
            invocation={"command": "python -m trainer.shapes make", "engine": ENGINE, "model": MODEL},
        )
    return summaries
