"""One probe of the shapes-world replication at small scale: `trainer.shapes.experiment` with chosen settings,
printing the figures the probes in docs/shapes-world.md ("what it took") compare.

    .venv/bin/python bench/shapes_probe.py --out runs/probe-a --set stage1_steps=600 \
        --set 'model={"hidden": 64, "layers": 2, "heads": 2, "image_size": 64, "patch_size": 4,
                      "projection_dim": 64, "vocab_size": 512}' --set 'variants=["plain"]'
    # --stage1-from DIR: reuse DIR/stage1 (a symlink) and probe fine-tuning settings only

The settings are ExperimentConfig fields (JSON values), on top of the quick mode; blind baselines are skipped.
Printed: stage 1's VG-R, Winoground text and zero-shot outside the slice, and per variant the seed means of the
same, compositional avg and retention, and the wall time.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from trainer.shapes.experiment import ExperimentConfig, run_experiment  # noqa: E402

SHOWN = ("vg_r", "wino_text", "sc_swap", "zs_outside_avg", "comp_avg", "retention")


def parse_sets(pairs: list[str]) -> dict:
    out = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--set", action="append", default=[], help="FIELD=JSON, an ExperimentConfig field")
    parser.add_argument("--stage1-from", type=Path, help="an experiment dir whose stage1/ is reused")
    parser.add_argument("--full", action="store_true", help="on top of the full mode instead of the quick one")
    args = parser.parse_args()
    config = ExperimentConfig.for_mode(not args.full, out=args.out, blind=[], **parse_sets(args.set))
    if args.stage1_from is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        link = args.out / "stage1"
        if not link.exists():
            link.symlink_to((args.stage1_from / "stage1").resolve(), target_is_directory=True)
    started = time.perf_counter()
    results = run_experiment(config, log=lambda line: print(line, file=sys.stderr))
    print(json.dumps({"settings": parse_sets(args.set), "wall_s": round(time.perf_counter() - started)}))
    version = "in_distribution"
    for model in results["models"]:
        row = {k: results["summary"][model].get(f"{version}/{k}") for k in SHOWN}
        cells = [f"{k} {s['mean']:.1f}±{s['half_width']:.1f}" if s else f"{k} —" for k, s in row.items()]
        print(f"{model:>20}: " + "  ".join(cells))


if __name__ == "__main__":
    main()
