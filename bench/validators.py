"""Validator throughput (rows/s) with and without the meaning checks, the spaCy pass batched or per row.

    .venv/bin/python bench/validators.py [--rows 3000] [--repeats 3] [--sugarcrepe DIR] [--workers 2]

Rows: SugarCrepe's human-valid negatives (swap_att, swap_obj, replace_att, replace_obj), each judged by its
matching type, so most rows reach the tagger. Each measurement starts from a cold tagger cache (a new
SpacyTagger over the same loaded pipeline). Variants, measured side by side in this one run:
- batch, meaning on: validate_batch, what the pipeline calls (one nlp.pipe over a chunk);
- batch, meaning off: the `meaning_checks = false` ablation (shape and part-of-speech checks only);
- per row, meaning on: validate() in a loop (one spaCy call per text);
- pipeline-like: every caption judged for 5 types x 2 candidates, as `generate` does, so its parse is
  reused (the cache) and only negatives are parsed;
- parse only: the spaCy pass over the batch's texts and nothing else, the floor the first variant stands on;
- the first and the pipeline-like variant again on a pipeline without the attribute ruler's memo;
- generation-shaped: the Karpathy sample's captions, each with the edit form's candidates for the four edit
  types (two per type, made by neggen.edits.apply from the caption's own candidate spans), so every row reaches
  the tagger and a caption is parsed once for its eight rows, as in `generate --output edit`;
- the all-fresh batch and generation-shaped rows again with a pool of `--workers` parsing processes
  (neggen.text.tag_pool; `--tagger-workers` of generate).
The memo lives with the loaded pipeline, so after the warm-up it is warm in every variant that uses it, as it
is after a run's first chunks.
Prints the median rows/s of each, its ratio to the first, and the load average before and after (the machine
is shared: absolute figures move with the load, ratios within one run much less).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from neggen.edits.apply import EditRejected, negative_from_answer
from neggen.edits.form import EDIT_TYPES, EXCHANGE_TYPES, candidate_spans
from neggen.ingest import load_captions
from neggen.text.pos import SpacyTagger, default_tagger, load_pipeline
from neggen.text.tag_pool import TagPool
from neggen.text.wordnet import load as load_wordnet
from neggen.types import NegType
from neggen.validate import validate, validate_batch

FILES = {
    "swap_att.json": NegType.swap_adjectives,
    "swap_obj.json": NegType.swap_nouns,
    "replace_att.json": NegType.replace_adjectives,
    "replace_obj.json": NegType.replace_nouns,
}


def load_rows(directory: Path, n: int) -> list[tuple[NegType, str, str]]:
    per_file = [
        [(neg_type, v["caption"], v["negative_caption"]) for v in json.loads((directory / name).read_text()).values()]
        for name, neg_type in FILES.items()
    ]
    rows = [row for group in zip(*per_file, strict=False) for row in group]  # interleaved: a mixed chunk
    return (rows * (n // len(rows) + 1))[:n]


def pipeline_rows(rows: list[tuple[NegType, str, str]]) -> list[tuple[NegType, str, str]]:
    """Each caption x 5 types x 2 candidates: a negative of another type is mostly rejected by shape."""
    out = []
    for i in range(0, len(rows), 10):
        caption = rows[i][1]
        candidates = [r[2] for r in rows[i : i + 10]]
        out += [(t, caption, candidates[(k * 2 + j) % len(candidates)]) for k, t in enumerate(NegType) for j in (0, 1)]
    return out[: len(rows)]


# Right-hand sides of the replace candidates: two per type, as n = 2 gives.
NEW_WORDS = {NegType.replace_nouns: ("elephant", "bicycle"), NegType.replace_adjectives: ("purple", "wooden")}


def generation_rows(path: Path) -> list[tuple[NegType, str, str]]:
    """Each caption with up to two edit-form candidates of each edit type, from its own candidate spans."""
    tagger = SpacyTagger(nlp=default_tagger().nlp)  # spans found outside the timings, on a throwaway cache
    rows = []
    for caption in load_captions(path)[0].column("caption").to_pylist():
        for neg_type in sorted(EDIT_TYPES):
            spans = candidate_spans(neg_type, caption, tagger)
            if neg_type in EXCHANGE_TYPES:
                answers = [f"{a} <-> {b}" for a, b in spans.pairs[:2]]
            else:
                answers = [f"{spans.candidates[0]} -> {w}" for w in NEW_WORDS[neg_type]] if spans.candidates else []
            for answer in answers:
                try:
                    rows.append((neg_type, caption, negative_from_answer(neg_type, caption, answer)))
                except EditRejected:
                    pass
    return rows


def fresh_tagger(nlp: object = None, pool: TagPool | None = None) -> SpacyTagger:
    return SpacyTagger(nlp=nlp or default_tagger().nlp, pool=pool)  # the loaded model, an empty cache


def rate(
    fn: Callable[[SpacyTagger], object], n: int, repeats: int, nlp: object = None, pool: TagPool | None = None
) -> float:
    times = []
    for _ in range(repeats):
        tagger = fresh_tagger(nlp, pool)
        started = time.perf_counter()
        fn(tagger)
        times.append(time.perf_counter() - started)
    return n / statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=3000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sugarcrepe", type=Path, default=Path("data/annotations/sugarcrepe"))
    parser.add_argument("--karpathy", type=Path, default=Path("data/coco_karpathy_test_sample.json"))
    parser.add_argument("--workers", type=int, default=2, help="parsing processes for the pool variants")
    args = parser.parse_args()
    rows = load_rows(args.sugarcrepe, args.rows)
    mixed = pipeline_rows(rows)
    generated = generation_rows(args.karpathy)
    pool = TagPool(args.workers)
    fresh_tagger(pool=pool).analyze([f"A warm-up caption number {i}." for i in range(pool.min_texts)])  # start it
    default_tagger().analyze(["A warm-up caption."])
    load_wordnet()
    validate_batch(rows[:200])  # warm WordNet's lazy indexes, outside the timings
    plain = load_pipeline(memo=False)  # the attribute ruler without its memo, for the last two variants
    variants = {
        "batch, meaning on": lambda t: validate_batch(rows, t),
        "batch, meaning off": lambda t: validate_batch(rows, t, meaning=False),
        "per row, meaning on": lambda t: [validate(*r, tagger=t) for r in rows],
        "pipeline-like (5 types x 2 candidates), meaning on": lambda t: validate_batch(mixed, t),
        "parse only (nlp.pipe of captions and negatives)": lambda t: t.analyze(
            [c for _, c, _ in rows] + [n for *_, n in rows]
        ),
    }
    # The same calls on a pipeline whose attribute ruler has no memo (neggen.text.pos.memo_attribute_ruler).
    plain_variants = {
        "batch, meaning on, no ruler memo": variants["batch, meaning on"],
        "pipeline-like, meaning on, no ruler memo": variants["pipeline-like (5 types x 2 candidates), meaning on"],
    }
    load = "/".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{len(rows)} rows, median of {args.repeats}, cold tagger cache each time; load average {load}")
    base = None
    for name, fn, nlp in [(k, f, None) for k, f in variants.items()] + [
        (k, f, plain) for k, f in plain_variants.items()
    ]:
        r = rate(fn, len(rows), args.repeats, nlp)
        base = base or r
        print(f"  {name:<52} {r:8.0f} rows/s  x{r / base:.2f}")
    # The pool variants (same medians, side by side with the in-process run of the same rows).
    w = args.workers
    paired = [
        ("batch, meaning on", rows, None),
        (f"batch, meaning on, {w} tagger workers", rows, pool),
        (f"generation-shaped ({len(generated)} rows), meaning on", generated, None),
        (f"generation-shaped, meaning on, {w} tagger workers", generated, pool),
    ]
    for name, batch, with_pool in paired:
        r = rate(lambda t, b=batch: validate_batch(b, t), len(batch), args.repeats, pool=with_pool)
        print(f"  {name:<52} {r:8.0f} rows/s  x{r / base:.2f}")
    pool.close()
    print("load average after: " + "/".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":  # the pool's workers are spawned: they import this file without running main
    main()
