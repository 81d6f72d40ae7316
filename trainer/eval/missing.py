"""The one "this benchmark's data is not there" error: evaluators raise it, the suite reports it and moves on."""

from __future__ import annotations


class MissingData(FileNotFoundError):
    """A benchmark (or one zero-shot dataset) lacks files under the data root; the message names what."""
