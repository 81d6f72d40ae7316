"""`python -m trainer.shapes make|info|replicate`: build a shapes world, summarise one, run the replication."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from trainer.cli_errors import fail
from trainer.shapes.config import WorldConfig
from trainer.shapes.writers import WorldExists, make_world

app = typer.Typer(add_completion=False, no_args_is_help=True, help="The shapes world (synthetic DeGLA replication).")


def _fail(message: str) -> typer.Exit:
    return fail(message, prog="shapes")


@app.command()
def make(
    out: Annotated[Path, typer.Option("--out", help="world directory to create")],
    seed: Annotated[int, typer.Option("--seed")] = 0,
    n_train: Annotated[int | None, typer.Option("--n-train", min=1, help="training images (default 20000)")] = None,
    n_eval: Annotated[
        int | None, typer.Option("--n-eval", min=1, help="images per eval version (default 1000)")
    ] = None,
    quick: Annotated[bool, typer.Option("--quick", help="2000 train / 300 eval images: seconds")] = False,
    config_file: Annotated[Path | None, typer.Option("--config", help="JSON WorldConfig")] = None,
    force: Annotated[bool, typer.Option("--force", help="replace an existing world")] = False,
    twins: Annotated[
        bool, typer.Option("--twins", help="odd training images are counterfactual twins of the one before")
    ] = False,
    where: Annotated[
        float | None,
        typer.Option("--where", min=0.0, max=1.0, help="share of training captions saying where each object is"),
    ] = None,
) -> None:
    """Write images, scene graphs, captions_train.jsonl, the oracle neggen run and every evaluation set."""
    try:
        base = json.loads(config_file.read_text(encoding="utf-8")) if config_file else {}
        given = {"seed": seed, "n_train": n_train, "n_eval": n_eval, "twins": twins or None, "p_where": where}
        overrides = {k: v for k, v in given.items() if v is not None}
        config = WorldConfig.quick(**{**base, **overrides}) if quick else WorldConfig(**{**base, **overrides})
        world, timings = make_world(config, out, force=force)
    except (WorldExists, ValidationError, OSError, ValueError) as exc:
        raise _fail(str(exc).splitlines()[0]) from None
    typer.echo(json.dumps({"out": str(out), "counts": world["counts"], "seconds": _rounded(timings)}, indent=2))


@app.command()
def info(world: Annotated[Path, typer.Argument(help="a world directory")]) -> None:
    """Print a world's seed, held-out definition and counts."""
    path = world / "world.json"
    if not path.exists():
        raise _fail(f"{world} is not a shapes world (no world.json)")
    data = json.loads(path.read_text(encoding="utf-8"))
    typer.echo(json.dumps({k: data[k] for k in ("format", "seed", "heldout", "counts")}, indent=2))


def _rounded(timings: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 2) for k, v in timings.items()}


@app.command()
def replicate(
    out: Annotated[Path, typer.Option("--out", help="experiment directory (resumes when it exists)")] = Path(
        "runs/replicate"
    ),
    quick: Annotated[
        bool, typer.Option("--quick", help="the quick world, plain/negclip/degla, short runs, 2 seeds: minutes (CI)")
    ] = False,
    seeds: Annotated[int | None, typer.Option("--seeds", min=1, help="fine-tuning seeds 0..N-1 (3; quick 2)")] = None,
    world: Annotated[
        Path | None, typer.Option("--world", help="default data/shapes-twins, quick data/shapes-quick")
    ] = None,
    llm_run: Annotated[
        Path | None, typer.Option("--llm-run", help="a neggen run over WORLD/captions_train.jsonl: adds degla_llm")
    ] = None,
    stage1_steps: Annotated[int | None, typer.Option("--stage1-steps", min=1)] = None,
    finetune_steps: Annotated[int | None, typer.Option("--finetune-steps", min=1)] = None,
    finetune_lr: Annotated[float | None, typer.Option("--finetune-lr", min=0, help="default 3e-3")] = None,
    variants: Annotated[
        str | None,
        typer.Option(
            "--variants",
            help="comma-separated subset of plain, negclip, igc, tgc, igc_tgc, degla, degla_distill0.05, "
            "degla_distill0.5 (default all; quick plain, negclip, degla)",
        ),
    ] = None,
    twins: Annotated[
        bool | None,
        typer.Option(
            "--twins/--no-twins",
            help="stage 1 on counterfactual twins sharing each batch, needs a twins world (full: on; quick: off)",
        ),
    ] = None,
    where: Annotated[
        float | None,
        typer.Option(
            "--where",
            min=0.0,
            max=1.0,
            help="the world's share of captions saying where things are (full 0.25, quick 0)",
        ),
    ] = None,
) -> None:
    """Stage 1 (plain contrastive on the whole world), then the ablation's fine-tunes on the world's fine-tuning
    slice over seeds, evaluated on both eval versions with the real evaluators; writes results.json, results.md
    and plots/ under --out."""
    from trainer.shapes.experiment import VARIANTS, ExperimentConfig, run_experiment

    try:
        chosen = [v.strip() for v in variants.split(",")] if variants else None
        unknown = set(chosen or ()) - set(VARIANTS)
        if unknown:
            raise ValueError(f"unknown variants {sorted(unknown)}; known: {', '.join(VARIANTS)}")
        if llm_run is not None and not (llm_run / "manifest.json").exists():
            raise ValueError(f"{llm_run} is not a neggen run (no manifest.json)")
        config = ExperimentConfig.for_mode(
            quick,
            out=out,
            world=world,
            seeds=list(range(seeds)) if seeds else None,
            llm_run=llm_run,
            stage1_steps=stage1_steps,
            finetune_steps=finetune_steps,
            finetune_lr=finetune_lr,
            variants=chosen,
            twins=twins,
            p_where=where,
        )
        run_experiment(config, log=lambda line: typer.echo(line, err=True))
    except (ValidationError, OSError, ValueError) as exc:
        raise _fail(str(exc).splitlines()[0]) from None
    typer.echo((out / "results.md").read_text(encoding="utf-8"))
