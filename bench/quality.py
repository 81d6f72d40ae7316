"""Precision of what neggen keeps, against the labelled quality set (tests/data/quality/rows.jsonl).

Every labelled row is judged again by today's validators (meaning checks on) and plausibility filter (the
scorer named by --scorer, calibrated on SugarCrepe, threshold at --quantile). Printed per part (tune: looked at
while tuning; holdout: never), source and type:
- labelled good: the share of the rows, as generated, that the labels call good;
- precision: the share of rows accepted today that are labelled good;
- recall: the share of good rows accepted today;
- yield: rows accepted today per caption x type of the run the rows came from (neggen rows only).
Then the sweep over the quantile (precision against yield, neggen edit-form rows), and --plot writes it as SVG.

    python bench/quality.py                          # bundled scorer, quantile 0.25
    python bench/quality.py --quantile 0.4 --plot docs/quality-threshold.svg --json out.json
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from neggen.plausibility import PlausibilityConfig, Scores, load_plausibility  # noqa: E402
from neggen.qa.labels import LabelledRow, read_labelled_rows  # noqa: E402
from neggen.types import NegType  # noqa: E402
from neggen.validate import validate_batch  # noqa: E402

QUALITY_SET = REPO / "tests" / "data" / "quality" / "rows.jsonl"
PROVENANCE = REPO / "tests" / "data" / "quality" / "provenance.json"
SWEEP = (0.0, 0.1, 0.25, 0.4, 0.5, 0.6, 0.75)


def judge_rows(
    rows: list[LabelledRow], scorer: str, quantile: float
) -> tuple[list[bool], list[Scores], Any, list[bool]]:
    """Whether today's validators and plausibility filter accept each row, each row's scores, the filter, and
    whether the validators alone accept each row."""
    verdicts = validate_batch([(NegType(r.neg_type), r.caption, r.negative) for r in rows])
    plausibility = load_plausibility(PlausibilityConfig(model=scorer, quantile=quantile))
    assert plausibility is not None
    scores, failure = plausibility.score_pairs([(r.caption, r.negative) for r in rows])
    accepted = [
        v.accepted and plausibility.judge(NegType(r.neg_type), s, failure).accepted
        for r, v, s in zip(rows, verdicts, scores, strict=True)
    ]
    return accepted, scores, plausibility, [v.accepted for v in verdicts]


def summarize(rows: list[LabelledRow], accepted: list[bool], captions: dict[str, int]) -> dict[str, dict]:
    """Per 'part / family / type' (and 'part / family / all'): n, labelled good, accepted, precision, recall."""
    groups: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        for t in (r.neg_type, "all"):
            groups[f"{r.part} / {r.family} / {t}"].append(i)
            groups[f"both / {r.family} / {t}"].append(i)
    out = {}
    for key, idx in sorted(groups.items()):
        good = [rows[i].label.good for i in idx]
        kept = [accepted[i] for i in idx]
        n_kept = sum(kept)
        hits = sum(g and k for g, k in zip(good, kept, strict=True))
        part, family, _ = key.split(" / ")
        n_captions = captions.get(part) if family.startswith("neggen") else None
        types = len(NegType) if key.endswith("/ all") else 1
        out[key] = {
            "rows": len(idx),
            "labelled_good": round(sum(good) / len(idx), 3),
            "accepted": n_kept,
            "precision": round(hits / n_kept, 3) if n_kept else None,
            "recall": round(hits / sum(good), 3) if any(good) else None,
            "yield": round(n_kept / (n_captions * types), 3) if n_captions else None,
        }
    return out


def sweep(rows: list[LabelledRow], valid: list[bool], scores: list[Scores], plausibility, family: str) -> list[dict]:
    """Precision and yield of one source family's rows over the quantile, per part."""
    out = []
    for q in SWEEP:
        entry: dict = {"quantile": q}
        for part in ("tune", "holdout"):
            idx = [i for i, r in enumerate(rows) if r.part == part and r.family == family]
            kept = [
                i
                for i in idx
                if valid[i]
                and scores[i].gap is not None
                and scores[i].gap >= plausibility.calibration.threshold(NegType(rows[i].neg_type), q)
            ]
            good = sum(rows[i].label.good for i in kept)
            entry[part] = {"kept": len(kept), "of": len(idx), "precision": round(good / len(kept), 3) if kept else None}
        out.append(entry)
    return out


def plot(table: list[dict], target: Path, family: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for part, marker in (("tune", "o"), ("holdout", "s")):
        xs = [e[part]["kept"] / e[part]["of"] for e in table if e[part]["precision"] is not None]
        ys = [e[part]["precision"] for e in table if e[part]["precision"] is not None]
        ax.plot(xs, ys, marker=marker, label=part)
        for e, x, y in zip(table, xs, ys, strict=False):
            ax.annotate(f"q={e['quantile']}", (x, y), fontsize=7, textcoords="offset points", xytext=(4, 4))
    ax.set_xlabel(f"share of {family} rows kept")
    ax.set_ylabel("precision (labelled good among kept)")
    ax.set_title("Plausibility threshold: precision against yield")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(target, format="svg", metadata={"Date": None})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", type=Path, default=QUALITY_SET)
    parser.add_argument("--scorer", default="default")
    parser.add_argument("--quantile", type=float, default=PlausibilityConfig.model_fields["quantile"].default)
    parser.add_argument("--no-plausibility", action="store_true", help="validators only")
    parser.add_argument("--plot", type=Path)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    rows = read_labelled_rows(args.set)
    captions = json.loads(PROVENANCE.read_text(encoding="utf-8"))["captions_per_part"]
    scorer = "constant" if args.no_plausibility else args.scorer
    accepted, scores, plausibility, valid = judge_rows(rows, scorer, args.quantile)
    summary = summarize(rows, accepted, captions)
    print(
        f"quality set {args.set.relative_to(REPO)}: {len(rows)} rows; scorer {plausibility.scorer.name}, "
        f"quantile {args.quantile}"
    )
    print(
        f"{'part / source / type':<48}{'rows':>6}{'labelled good':>15}{'accepted':>10}{'precision':>11}"
        f"{'recall':>8}{'yield':>8}"
    )
    for key, e in summary.items():
        cells = [e["labelled_good"], e["precision"], e["recall"], e["yield"]]
        shown = ["-" if v is None else f"{v:.0%}" for v in cells]
        print(f"{key:<48}{e['rows']:>6}{shown[0]:>15}{e['accepted']:>10}{shown[1]:>11}{shown[2]:>8}{shown[3]:>8}")
    family = "neggen edit"
    table = sweep(rows, valid, scores, plausibility, family) if not args.no_plausibility else []
    if table:
        print(f"\nquantile sweep ({family} rows): kept / of, precision")
        for e in table:
            parts = "  ".join(f"{p} {e[p]['kept']}/{e[p]['of']} {e[p]['precision']}" for p in ("tune", "holdout"))
            print(f"  q={e['quantile']:<5} {parts}")
    if args.plot and table:
        plot(table, args.plot, family)
    if args.json:
        report = {"scorer": plausibility.scorer.name, "quantile": args.quantile, "summary": summary, "sweep": table}
        args.json.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
