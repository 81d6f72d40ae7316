"""A copy of this checkout's files (tracked + untracked-but-not-ignored, as `git ls-files` lists them) in a
directory with nothing beside it: what a fresh clone holds, including uncommitted edits."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.conftest import REPO


def copy_checkout(dest: Path) -> Path:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, (n.decode() for n in listed)):
        source = REPO / name
        if source.is_file():  # deleted-but-tracked files are listed too
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest
