"""The one way the trainer's commands (train, export, eval, shapes) end on a user mistake: one line, exit != 0."""

from __future__ import annotations

import typer

from neggen.errors import fail as fail_as


def fail(message: str, code: int = 1, prog: str = "trainer") -> typer.Exit:
    """Print `<prog>: error: <message>` on stderr and return the Exit to raise (`raise fail(...) from None`)."""
    return fail_as(prog, message, code)
