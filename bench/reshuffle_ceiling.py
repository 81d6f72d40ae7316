"""Reshuffle's ceiling: the share of captions with any reorder a careful annotator would keep, beside what a
neggen run keeps on the same captions (neggen.qa.ceiling; tests/data/quality/reshuffle_ceiling.jsonl).

    python bench/reshuffle_ceiling.py
    python bench/reshuffle_ceiling.py --run RUN   # RUN: neggen generate on the sample's captions (docs/negatives.md)

Per exchange type the run's yield (captions with a kept row), the captions where that kept row is one the
annotators proposed and both labellers call good, and the captions with a good proposal of the kinds the type
makes (recall's denominator).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from neggen.qa.ceiling import ceiling, read_ceiling  # noqa: E402
from neggen.qa.frames import scan  # noqa: E402
from neggen.text.words import comparison_key  # noqa: E402

SAMPLE = REPO / "tests" / "data" / "quality" / "reshuffle_ceiling.jsonl"
# The kinds of exchange each neggen type makes: swap_nouns and reshuffle exchange things, swap_adjectives
# attributes and counts (two numbers; not a number with an article, "a woman and two children").
TYPE_KINDS = {
    "swap_nouns": frozenset({"things"}),
    "reshuffle": frozenset({"things"}),
    "swap_adjectives": frozenset({"attributes", "counts"}),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=Path, default=SAMPLE)
    parser.add_argument("--run", type=Path, help="a neggen run over the sample's captions")
    args = parser.parse_args()
    rows = read_ceiling(args.sample)
    if not rows:
        raise SystemExit(f"{args.sample}: no captions")
    every = ceiling(rows)
    low, high = every.interval
    found = f"{every.with_good} ({every.share:.1%}, 95% {low:.1%}-{high:.1%})"
    print(f"{len(rows)} captions; a good reshuffle of any kind in {found}")
    for kind, n in every.by_kind.items():
        print(f"  {kind:<12}{n:>4} ({n / len(rows):.1%})")
    if args.run is None:
        return
    captions = {r.caption: r for r in rows}
    kept = scan(args.run, "negatives").select("neg_type", "caption", "negative").collect()
    print(f"\n{args.run}: {'type':<17}{'kept':>6}{'yield':>8}{'a good proposal':>17}{'good of its kinds':>19}")
    for neg_type, kinds in TYPE_KINDS.items():
        mine = [(c, n) for t, c, n in kept.iter_rows() if t == neg_type and c in captions]
        matched = {
            c
            for c, n in mine
            if any(
                p.good and p.kind in kinds and comparison_key(p.negative) == comparison_key(n)
                for p in captions[c].proposals
            )
        }
        possible = ceiling(rows, kinds).with_good
        print(
            f"{'':<{len(str(args.run)) + 2}}{neg_type:<17}{len(mine):>6}{len({c for c, _ in mine}) / len(rows):>8.1%}"
            f"{len(matched):>17}{possible:>19}"
        )


if __name__ == "__main__":
    main()
