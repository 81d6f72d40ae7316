"""Precision of what neggen keeps, against the labelled quality set (tests/data/quality/rows.jsonl).

Every labelled row is judged again by today's validators (meaning checks on) and plausibility filter (the
scorer named by --scorer, calibrated on SugarCrepe, threshold at --quantile; neggen.qa.quality). Printed per
part (tune: looked at while tuning; holdout: never), source and type: the share labelled good as generated,
what is kept today, its precision (labelled good among kept), recall (kept among good) and yield (kept per
caption x type of the generating run; neggen rows only). Then precision against yield over the quantile for
one source (--family), and --plot writes that sweep as SVG.

    python bench/quality.py                                  # bundled scorer, the config's quantile
    python bench/quality.py --stored                         # the scores stored with the rows (no model)
    python bench/quality.py --family "neggen@r2 edit" --plot docs/quality-threshold.svg --json out.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from neggen.config import PlausibilityConfig  # noqa: E402
from neggen.plausibility import Plausibility, load_plausibility  # noqa: E402
from neggen.qa.labels import read_labelled_rows  # noqa: E402
from neggen.qa.quality import judge_rows, stored_plausibility, summarize  # noqa: E402
from neggen.types import NegType  # noqa: E402

QUALITY_SET = REPO / "tests" / "data" / "quality" / "rows.jsonl"
PROVENANCE = REPO / "tests" / "data" / "quality" / "provenance.json"
SWEEP = (0.0, 0.1, 0.25, 0.4, 0.5, 0.6, 0.75)


def sweep(rows, judged, plausibility: Plausibility, family: str) -> list[dict]:
    out = []
    for q in SWEEP:
        entry: dict = {"quantile": q}
        for part in ("tune", "holdout"):
            idx = [i for i, r in enumerate(rows) if r.part == part and r.family == family]
            kept = [
                i
                for i in idx
                if judged.valid[i]
                and judged.scores[i].gap is not None
                and judged.scores[i].gap >= plausibility.calibration.threshold(NegType(rows[i].neg_type), q)
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
        points = [
            (e[part]["kept"] / e[part]["of"], e[part]["precision"], e["quantile"]) for e in table if e[part]["of"]
        ]
        points = [p for p in points if p[1] is not None]
        ax.plot([p[0] for p in points], [p[1] for p in points], marker=marker, label=part)
        for x, y, q in points:
            ax.annotate(f"q={q}", (x, y), fontsize=7, textcoords="offset points", xytext=(4, 4))
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
    parser.add_argument("--scorer", default="default", help="a model name, or 'constant' (no filter)")
    parser.add_argument("--stored", action="store_true", help="the bundled scorer's scores stored with the rows")
    parser.add_argument("--quantile", type=float, default=PlausibilityConfig().quantile)
    parser.add_argument("--family", default="neggen edit", help="the source the sweep is over")
    parser.add_argument("--plot", type=Path)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    rows = read_labelled_rows(args.set)
    captions = json.loads(PROVENANCE.read_text(encoding="utf-8"))["captions_per_part"]
    if args.stored:
        plausibility = stored_plausibility(rows, args.quantile)
    else:
        plausibility = load_plausibility(PlausibilityConfig(model=args.scorer, quantile=args.quantile))
    judged = judge_rows(rows, plausibility)
    summary = summarize(rows, judged.kept, captions)
    scorer = plausibility.scorer.name if plausibility else "none"
    print(f"{args.set.relative_to(REPO)}: {len(rows)} rows; scorer {scorer}, quantile {args.quantile}")
    head = f"{'part / source / type':<48}{'rows':>6}{'labelled good':>15}{'kept':>6}{'precision':>11}"
    print(head + f"{'recall':>8}{'yield':>8}")
    for key, e in summary.items():
        cells = [
            "-" if v is None else f"{v:.0%}" for v in (e["labelled_good"], e["precision"], e["recall"], e["yield"])
        ]
        print(f"{key:<48}{e['rows']:>6}{cells[0]:>15}{e['kept']:>6}{cells[1]:>11}{cells[2]:>8}{cells[3]:>8}")
    table = (
        sweep(rows, judged, plausibility, args.family)
        if plausibility and plausibility.scorer.name != "constant"
        else []
    )
    if table:
        print(f"\nthreshold sweep over {args.family!r} rows: kept/of, precision")
        for e in table:
            parts = "   ".join(f"{p} {e[p]['kept']}/{e[p]['of']} {e[p]['precision']}" for p in ("tune", "holdout"))
            print(f"  q={e['quantile']:<5} {parts}")
    if args.plot and table:
        plot(table, args.plot, args.family)
    if args.json:
        report = {"scorer": scorer, "quantile": args.quantile, "summary": summary, "sweep": table}
        args.json.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
