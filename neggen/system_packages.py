"""Debian packages a feature needs, installed only where no one has to be asked: as root, with apt-get.

`make setup` uses it for WordNet (`python -m neggen.text.wordnet`) and for the browser the report's rendering test
needs (`python -m tests.browser`); anywhere else it returns False and the caller prints the exact command.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path


def can_apt() -> bool:
    """Root on a Debian or Ubuntu machine with apt-get on PATH."""
    return os.geteuid() == 0 and shutil.which("apt-get") is not None and Path("/etc/debian_version").exists()


def apt_command(packages: list[str]) -> str:
    """The command a person runs to install these packages (shown when this process cannot)."""
    return "sudo apt-get install -y " + " ".join(packages)


def apt_install(packages: list[str]) -> bool:
    """Install with apt-get when this process can (can_apt); True when apt-get succeeded."""
    if not can_apt():
        return False
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    print(f"installing Debian packages: {' '.join(packages)}", file=sys.stderr)
    for command in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", *packages]):
        if subprocess.run(command, env=env, stdout=subprocess.DEVNULL).returncode != 0:
            return False
    return True
