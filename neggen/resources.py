"""Files shipped beside the code: read from the checkout when running from source, else from the wheel.

In a checkout the files live in top-level folders (prompts/, data/annotations/); a wheel carries the same files
as package data (pyproject.toml maps each folder to a package), found with importlib.resources. The checkout
wins so that a source tree always reads its own files, even with another tree's editable install on the path.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[1]
# Installed, parents[1] is site-packages: only a folder with the project's pyproject.toml counts as a checkout.
IN_CHECKOUT = (CHECKOUT / "pyproject.toml").is_file()


def shipped_dir(checkout_relative: str, package: str) -> Path:
    """The folder `checkout_relative` of this source tree if it is there, else the installed `package`'s folder."""
    local = CHECKOUT / checkout_relative
    if IN_CHECKOUT and local.is_dir():
        return local
    try:
        found = resources.files(package)
    except ModuleNotFoundError:
        return local  # neither: the first read names the missing file
    if isinstance(found, Path):
        return found
    # A data folder has no __init__.py, so it installs as a namespace package and files() gives a
    # MultiplexedPath; its entries are real paths in the installed folder (zip imports are not supported).
    return next(iter(found.iterdir())).parent
