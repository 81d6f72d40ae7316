"""The headless browser the report's rendering test drives: found on PATH, or installed by `make setup`.

`python -m tests.browser` (run by `make setup`) prints the browser it found; where none is found it installs
Debian's `chromium` when it can (root on Debian or Ubuntu), else prints one line naming the command.
"""

from __future__ import annotations

import shutil
import sys

from neggen.system_packages import apt_command, apt_install

NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
DEBIAN_PACKAGES = ["chromium"]
MISSING = f"no headless browser ({', '.join(NAMES)}) on PATH: run `{apt_command(DEBIAN_PACKAGES)}` or `make setup`"


def find_browser() -> str | None:
    for name in NAMES:
        if found := shutil.which(name):
            return found
    return None


def provide() -> str | None:
    return find_browser() or (find_browser() if apt_install(DEBIAN_PACKAGES) else None)


def main() -> int:
    found = provide()
    if found is None:
        print(MISSING, file=sys.stderr)
        return 1
    print(f"browser for the report's rendering test: {found}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
