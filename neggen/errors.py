"""One-line messages for what users see when something fails; shared by `neggen` and `python -m trainer`.

Every failure a user can cause or meet (bad flag, bad config key, unwritable disk) ends as one sentence on
stderr and an exit code: 1 before any work started, 2 once generation has written something.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Mapping
from pathlib import Path

import typer
from pydantic import ValidationError

RESUME_HINT = "committed parts are kept; re-run the same command to resume"


class ShardFailed(RuntimeError):
    """An engine failure that retries did not fix: the shard stops; its committed parts are kept."""


def fail(prog: str, message: str, code: int = 1) -> typer.Exit:
    """Print `prog: error: message` on stderr and return the Exit to raise (`raise fail(...) from None`)."""
    typer.echo(f"{prog}: error: {message}", err=True)
    return typer.Exit(code)


def validation_message(exc: ValidationError, flags: Mapping[str, str] | None = None) -> str:
    """The first pydantic error as `--flag: problem (got value)` or `config key a.b: problem (got value)`."""
    errors = exc.errors()
    first = errors[0]
    key = ".".join(str(part) for part in first["loc"]) or "config"
    where = (flags or {}).get(key) or f"config key {key}"
    shown = repr(first.get("input"))
    shown = shown if len(shown) <= 60 else shown[:57] + "..."  # a whole sub-table is no help on one line
    got = f" (got {shown})" if first.get("type") != "missing" and "input" in first else ""
    more = f" and {len(errors) - 1} more problem(s)" if len(errors) > 1 else ""
    return f"{where}: {first['msg']}{got}{more}"


def os_error_message(exc: OSError) -> str:
    """`path: reason` for an error the OS raised, without the `[Errno N]` noise (pyarrow's IO errors too)."""
    reason = exc.strerror or str(exc).strip().splitlines()[0]
    return f"{exc.filename}: {reason}" if exc.filename else reason


def one_line(exc: BaseException, flags: Mapping[str, str] | None = None) -> str:
    """Any exception as one line; pydantic errors name the flag or config key."""
    if isinstance(exc, ValidationError):
        return validation_message(exc, flags)
    if isinstance(exc, OSError) and exc.errno is not None:
        return os_error_message(exc)
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def check_writable_dir(path: Path, flag: str = "--out") -> None:
    """Create `path` if needed and prove a file can be written there, before any expensive work (model load)."""
    if path.exists() and not path.is_dir():
        raise NotADirectoryError(f"{flag} {path} is a file, not a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / f".neggen-write-probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        reason = "no space left on device" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
        if exc.errno == errno.EROFS:
            reason = "read-only file system"
        raise PermissionError(f"{flag} {path} is not writable ({reason.lower()})") from None


def check_model_path(name: str, flag: str = "--model") -> None:
    """A name that can only be a local path (absolute, ./, ~, or deeper than org/name) must exist.

    Without this, a mistyped folder reaches Hugging Face as a repo id and fails with an unrelated message.
    """
    if name.startswith(("/", ".", "~")) or name.count("/") > 1:
        path = Path(name).expanduser()
        if not path.exists():
            raise FileNotFoundError(f"{flag} {name} does not exist (a local model folder; hub names are org/name)")
        if not path.is_dir():
            raise NotADirectoryError(f"{flag} {name} is a file; give the model's folder")
