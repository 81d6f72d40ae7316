"""`python -m trainer.shapes make|info`: build a shapes world, or summarise one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from trainer.shapes.config import WorldConfig
from trainer.shapes.writers import WorldExists, make_world

app = typer.Typer(add_completion=False, no_args_is_help=True, help="The shapes world (synthetic DeGLA replication).")


def _fail(message: str) -> typer.Exit:
    typer.echo(f"shapes: error: {message}", err=True)
    return typer.Exit(1)


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
) -> None:
    """Write images, scene graphs, captions_train.jsonl, the oracle neggen run and every evaluation set."""
    try:
        base = json.loads(config_file.read_text(encoding="utf-8")) if config_file else {}
        overrides = {k: v for k, v in {"seed": seed, "n_train": n_train, "n_eval": n_eval}.items() if v is not None}
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
