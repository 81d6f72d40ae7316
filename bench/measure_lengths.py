"""Completion lengths (tokens per candidate) of the bundled model on real captions, for bench/scheduler.py.

.venv/bin/python bench/measure_lengths.py [--captions 24] > bench/data/smollm2_completion_tokens.json
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from neggen.config import GenerateConfig  # noqa: E402
from neggen.engines import make_engine  # noqa: E402
from neggen.engines.base import Request, SamplingParams, complete  # noqa: E402
from neggen.ingest import load_captions  # noqa: E402
from neggen.prompts import PromptBuilder, load_prompt  # noqa: E402
from neggen.types import NegType  # noqa: E402

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "coco_karpathy_test_sample.json"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--captions", type=int, default=24)
    args = parser.parse_args()
    config = GenerateConfig(sampling=SamplingParams(n=1))  # n=1: each completion's count is one candidate's
    engine = make_engine(config)
    rows = load_captions(SAMPLE)[0].slice(0, args.captions).to_pylist()
    lengths: dict[str, list[int]] = {}
    for neg_type in NegType:
        builder = PromptBuilder(load_prompt(neg_type), config.prompt_layout, config.example_sets)
        requests = [
            Request(r["caption_id"], builder.render(r["caption_id"], r["caption"]).messages, i, config.sampling)
            for i, r in enumerate(rows)
        ]
        lengths[neg_type.value] = [c.completion_tokens for c in complete(engine, requests)]
    print(json.dumps({"model": engine.model.split("/")[-1], "max_tokens": config.sampling.max_tokens, **lengths}))


if __name__ == "__main__":
    main()
