"""`python -m trainer ...`: train, export; evaluation commands live under `eval`."""

from __future__ import annotations

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True, help="DeGLA fine-tuning and evaluation of CLIP.")


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"trainer: error: {message}", err=True)
    return typer.Exit(code)


from trainer.eval.cli import eval_app  # noqa: E402

app.add_typer(eval_app, name="eval")
