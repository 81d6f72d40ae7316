"""Host time per request to build a prompt's token ids: the full chat template vs the prefix tokenized once.

    .venv/bin/python bench/prompt_tokens.py [--requests 2000] [--repeats 5]

Real captions, the bundled model's tokenizer, every type's real prompt (4 example sets): medians over repeats
of the two paths side by side, per request, and their ratio.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from transformers import AutoTokenizer  # noqa: E402

from neggen.engines.prompt_tokens import PromptTokens  # noqa: E402
from neggen.ingest import load_captions  # noqa: E402
from neggen.models import resolve_model  # noqa: E402
from neggen.prompts import PromptBuilder, load_prompt  # noqa: E402
from neggen.types import NegType  # noqa: E402

KARPATHY = Path(__file__).resolve().parents[1] / "data" / "annotations" / "coco_karpathy_test.json"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    tokenizer = AutoTokenizer.from_pretrained(resolve_model("default"))
    rows = load_captions(KARPATHY)[0].slice(0, args.requests).to_pylist()
    builders = {t: PromptBuilder(load_prompt(t)) for t in NegType}
    prompts = [builders[t].render(r["caption_id"], r["caption"]).messages for t in NegType for r in rows]
    tokens = PromptTokens(tokenizer)
    for messages in prompts[:200]:
        tokens(messages)  # past the per-prefix verification
    full, spliced = [], []
    for _ in range(args.repeats):
        started = time.perf_counter()
        for messages in prompts:
            tokens.full(messages)
        full.append((time.perf_counter() - started) / len(prompts))
        started = time.perf_counter()
        for messages in prompts:
            tokens(messages)
        spliced.append((time.perf_counter() - started) / len(prompts))
    f, s = statistics.median(full) * 1e3, statistics.median(spliced) * 1e3
    print(f"{len(prompts)} requests: full template {f:.3f} ms/request, prefix once {s:.3f} ms/request ({f / s:.1f}x)")


if __name__ == "__main__":
    main()
