"""Sentence form vs edit form, side by side in one run: same captions, bundled model, same attempts and n.

    .venv/bin/python bench/output_forms.py [--captions 200] [--captions-file FILE] [--types ...]
                                           [--engines vllm,hf] [--labels FILE] [--out runs/bench-output-forms]

For each engine (one engine instance, warmed up) both forms run the full pipeline (`neggen.run.runners.generate`:
prompts, engine, validators, retries) over the same Karpathy captions for the four swap/replace types, in
alternating order per type so neither form gets the warmer engine. Printed per engine and form: acceptance per
type, output tokens per accepted negative (every candidate's tokens, rejected ones included, over the accepted
count), accepted negatives per engine-second, the ratios edit/sentence, and the meaning checks' share: of the
candidates that passed the shape validators (accepted, or rejected by a meaning check), the share the meaning
checks rejected (every rejected candidate's reason is on its row, in `failed_reasons`), and the labelled
precision: of the accepted rows found in the labelled set (`--labels`, default tests/data/quality/rows.jsonl,
matched by type, caption and negative), the share labelled good, with how many accepted rows it has no label
for. On the quality set's own captions (`--captions-file tests/data/quality/captions.jsonl`) most rows are
labelled; on other captions the column says how few.
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import signal
import sys
from pathlib import Path

import polars as pl

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SAMPLE = REPO / "data" / "coco_karpathy_test_sample.json"
LABELS = REPO / "tests" / "data" / "quality" / "rows.jsonl"
TYPES = ["swap_nouns", "swap_adjectives", "replace_nouns", "replace_adjectives", "reshuffle"]
FORMS = ["sentence", "edit"]


def make(engine_name: str):
    from neggen.config import GenerateConfig
    from neggen.engines import make_engine

    return make_engine(GenerateConfig(engine=engine_name))


def read_labels(path: Path | None) -> dict[str, bool]:
    """row_key(type, caption, negative) -> labelled good, from a labelled set (empty without one)."""
    from neggen.qa.labels import read_labelled_rows, row_key

    if path is None or not path.exists():
        return {}
    return {row_key(r.neg_type, r.caption, r.negative): r.label.good for r in read_labelled_rows(path)}


def run_form(engine, captions, neg_type: str, form: str, out: Path, labels: dict[str, bool]) -> dict:
    from neggen.config import GenerateConfig
    from neggen.run.progress import GenerationProgress
    from neggen.run.runners import generate
    from neggen.types import NegType

    shutil.rmtree(out, ignore_errors=True)
    config = GenerateConfig(engine=engine.name, output=form)
    generate(captions, out, [NegType(neg_type)], 1, engine, config, progress=GenerationProgress(0, io.StringIO(), True))
    return read_form(out, form, labels)


def read_form(out: Path, form: str, labels: dict[str, bool]) -> dict:
    """The figures of one finished (type, form) run directory."""
    from neggen.qa.labels import row_key
    from neggen.validate.reasons import MEANING_REASONS

    success = json.loads(next(out.glob("negatives/type=*/shard=*/_SUCCESS.json")).read_text())
    frames = [pl.read_parquet(p) for p in out.glob("*/type=*/shard=*/part-*.parquet")]
    rows = pl.concat(frames, how="diagonal_relaxed")
    accepted = rows.filter(pl.col("reason").is_null()) if "reason" in rows.columns else rows
    reasons = (
        rows.filter(pl.col("reason").is_not_null())["reason"].value_counts(sort=True)
        if "reason" in rows.columns
        else None
    )
    no_span = rows.filter(pl.col("reason") == "no_candidate_span").height if "reason" in rows.columns else 0
    # failed_reasons holds every rejected candidate's reason, a reject row's final one included.
    candidate_reasons = rows["failed_reasons"].explode().drop_nulls().to_list()
    meaning_rejected = sum(reason in MEANING_REASONS for reason in candidate_reasons)
    keys = [row_key(t, c, n) for t, c, n in accepted.select("neg_type", "caption", "negative").rows()]
    return {
        "labelled": sum(k in labels for k in keys),
        "good": sum(labels.get(k, False) for k in keys),
        "rows": rows.height,
        "with_span": rows.height - no_span,
        "accepted": accepted.height,
        "meaning_rejected": meaning_rejected,
        "completion_tokens": int(rows["completion_tokens"].fill_null(0).sum()),
        "engine_s": success["engine_s"],
        "top_rejects": dict(zip(reasons["reason"], reasons["count"], strict=True)) if reasons is not None else {},
        "examples": accepted.select("caption", "negative", "edit").head(3).rows()
        if form == "edit"
        else accepted.select("caption", "negative").head(3).rows(),
    }


def _ratio(a: float, b: float) -> str:
    return f"x{a / b:.3g}" if b else "n/a (nothing accepted in sentence form)"


def _precision(good: int, labelled: int, accepted: int) -> str:
    """The share of labelled accepted rows labelled good, and how many accepted rows have no label."""
    share = f"{100 * good / labelled:.0f}% ({good}/{labelled})" if labelled else "no labelled rows"
    return share + (f", {accepted - labelled} unlabelled" if accepted > labelled else "")


def _cell(r: dict) -> str:
    """accepted/captions (share); in edit form also the share among captions that had a candidate span; the
    labelled precision of the accepted rows."""
    text = f"{r['accepted']}/{r['rows']} ({100 * r['accepted'] / max(r['rows'], 1):.0f}%)"
    if r["with_span"] != r["rows"]:
        text += f"; {r['accepted']}/{r['with_span']} with a span"
    return text + f"; precision {_precision(r['good'], r['labelled'], r['accepted'])}"


def summarize(results: dict, engine_name: str, types: list[str] = TYPES) -> list[str]:
    header = (
        "| form | "
        + " | ".join(types)
        + " | all | labelled precision | output tokens | tokens/accepted | engine s | accepted/engine-s |"
        " meaning checks rejected |"
    )
    lines = [f"\n## {engine_name}", "", header, "|" + "---|" * (len(types) + 8)]
    totals = {}
    for form in [f for f in FORMS if all(t in results.get(f, {}) for t in types)]:
        runs = [results[form][t] for t in types]
        acc, rows = sum(r["accepted"] for r in runs), sum(r["rows"] for r in runs)
        tokens, secs = sum(r["completion_tokens"] for r in runs), sum(r["engine_s"] for r in runs)
        meaning = sum(r["meaning_rejected"] for r in runs)
        good, labelled = sum(r["good"] for r in runs), sum(r["labelled"] for r in runs)
        # Tokens per accepted negative is undefined when none was accepted: shown as such, not as a number.
        tpa = tokens / acc if acc else None
        totals[form] = (tpa, acc / secs if secs else 0.0, acc / max(rows, 1))
        lines.append(
            f"| {form} | {' | '.join(_cell(r) for r in runs)} | {100 * acc / max(rows, 1):.0f}% | "
            f"{_precision(good, labelled, acc)} | {tokens} | "
            f"{f'{tpa:.1f}' if tpa is not None else f'inf ({tokens} for 0)'} | {secs:.1f} | {totals[form][1]:.3f} | "
            f"{meaning}/{meaning + acc} ({100 * meaning / max(meaning + acc, 1):.0f}%) |"
        )
    if len(totals) == 2:
        (ts, ss, sa), (te, se, ea) = totals["sentence"], totals["edit"]
        tokens_ratio = _ratio(te, ts) if te is not None and ts is not None else "n/a (nothing accepted in one form)"
        lines += [
            "",
            f"edit/sentence: acceptance {_ratio(ea, sa)}, output tokens per accepted {tokens_ratio},"
            f" accepted per engine-second {_ratio(se, ss)}",
        ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--captions", type=int, default=200, help="the first N captions of --captions-file")
    parser.add_argument("--captions-file", type=Path, default=SAMPLE, help="any caption source neggen reads")
    parser.add_argument("--types", nargs="+", default=TYPES)
    parser.add_argument("--labels", type=Path, default=LABELS, help="a labelled set (jsonl) for the precision")
    parser.add_argument("--engines", default="vllm,hf")
    parser.add_argument("--out", type=Path, default=REPO / "runs" / "bench-output-forms")
    parser.add_argument("--forms", default=",".join(FORMS), help="sentence,edit (both for the ratios)")
    parser.add_argument("--from-disk", action="store_true", help="only tabulate the finished runs under --out")
    args = parser.parse_args()
    labels = read_labels(args.labels)
    types = args.types
    if args.from_disk:
        for engine_name in args.engines.split(","):

            def ran(f: str, t: str, root: Path = args.out / engine_name) -> bool:
                return any((root / f / t).rglob("_SUCCESS.json"))

            forms = [f for f in FORMS if any(ran(f, t) for t in types)]
            finished = [t for t in types if all(ran(f, t) for f in forms)]
            done = {
                f: {
                    t: read_form(args.out / engine_name / f / t, f, labels)
                    for t in types
                    if any((args.out / engine_name / f / t).rglob("_SUCCESS.json"))  # finished runs only
                }
                for f in FORMS
            }
            print("\n".join(summarize(done, engine_name, finished)))
        return

    from neggen.ingest import load_captions

    # A killed benchmark still stops its engine (vLLM's engine-core process would outlive it otherwise).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    captions = load_captions(args.captions_file)[0].slice(0, args.captions)
    report: list[str] = [
        f"{captions.num_rows} captions of {args.captions_file.name}; default sampling (n=2), max_attempts=3;"
        f" labels: {args.labels} ({len(labels)} rows)"
    ]
    raw: dict = {}
    for engine_name in args.engines.split(","):
        engine = make(engine_name)
        try:
            run_form(engine, captions.slice(0, 2), "replace_nouns", "edit", args.out / "warmup", labels)  # compile
            results: dict = {form: {} for form in FORMS}
            for i, t in enumerate(types):
                forms = [f for f in FORMS if f in args.forms.split(",")]
                order = forms if i % 2 == 0 else forms[::-1]
                for form in order:
                    out = args.out / engine_name / form / t
                    results[form][t] = run_form(engine, captions, t, form, out, labels)
                    r = results[form][t]
                    print(f"{engine_name} {form} {t}: {r['accepted']}/{r['rows']} in {r['engine_s']:.1f} s", flush=True)
        finally:
            engine.close()
        raw[engine_name] = results
        report += summarize(results, engine_name, types)
        print("\n".join(report), flush=True)
    (args.out / "results.json").write_text(json.dumps(raw, indent=2, default=str))
    print("\n".join(report))


if __name__ == "__main__":
    main()
