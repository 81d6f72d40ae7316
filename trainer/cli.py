"""`python -m trainer ...`: train, export; evaluation commands live under `eval`."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from neggen.errors import one_line
from trainer.cli_errors import fail
from trainer.eval.cli import eval_app

app = typer.Typer(add_completion=False, no_args_is_help=True, help="DeGLA fine-tuning and evaluation of CLIP.")


@app.command()
def train(
    config: Annotated[Path | None, typer.Option("--config", help="TOML/YAML/JSON training config")] = None,
    overrides: Annotated[
        list[str] | None, typer.Option("--set", help="override a config key: --set loss.igc=0.2 (repeatable)")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="run directory (overrides the config's out)")] = None,
    run_dir: Annotated[Path | None, typer.Option("--data", help="neggen run dir (overrides data.run_dir)")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="continue from the run dir's latest checkpoint")] = False,
) -> None:
    """Fine-tune CLIP on a neggen run (DeGLA by default; baselines are configs of the same loop)."""
    from trainer.config import load_train_config
    from trainer.data import DataError
    from trainer.loop import RunExists
    from trainer.loop import train as run_training
    from trainer.tokenizer import TokenizerError

    logging.basicConfig(level=logging.INFO, format="[trainer] %(message)s")
    # Named flags are shorthands for --set (applied after it, typed: a path never parses as a number).
    shorthands = {"out": out, "data.run_dir": run_dir}
    try:
        settings = load_train_config(config, overrides or [], shorthands)
        result = run_training(settings, resume=resume)
    except (DataError, RunExists, TokenizerError, OSError, ValueError) as exc:
        cause = exc.__cause__
        if isinstance(cause, ValidationError):  # load_train_config wraps it: name the key, one line
            where = f"{config}: " if config is not None else ""
            raise fail(where + one_line(cause, {"out": "--out", "data.run_dir": "--data"})) from None
        raise fail(one_line(exc)) from None
    typer.echo(json.dumps({"run_dir": str(result.run_dir), "step": result.step, "loss": result.last_loss}))


@app.command()
def export(
    source: Annotated[Path, typer.Argument(help="a training run dir or one of its checkpoints")],
    dest: Annotated[Path, typer.Argument(help="directory for CLIPModel.save_pretrained + tokenizer")],
) -> None:
    """Write the model as a plain Hugging Face directory (CLIPModel.from_pretrained(dest) loads it)."""
    from trainer.checkpoint import resolve_model_dir
    from trainer.models import load_clip

    try:
        model, tokenizer = load_clip(resolve_model_dir(source))
    except (FileNotFoundError, ValueError) as exc:
        raise fail(str(exc)) from None
    model.save_pretrained(dest)
    tokenizer.save_pretrained(dest)
    typer.echo(str(dest))


app.add_typer(eval_app, name="eval")
