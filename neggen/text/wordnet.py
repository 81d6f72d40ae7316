"""WordNet 3.0 through NLTK's reader: find it, or provide it once, then read it offline.

`make setup` runs `python -m neggen.text.wordnet` (`provide`), which stops at the first route that works: NLTK
already finds WordNet; Debian's files are in /usr/share/wordnet; `nltk.download` reaches its server; as root
on Debian or Ubuntu, apt-get installs `wordnet-base` and `wordnet-sense-index`. Otherwise it prints one line
naming the command to run. Debian's files are copied into `<venv>/nltk_data/corpora/wordnet`: NLTK searches
`sys.prefix/nltk_data` by itself, so nobody has to set NLTK_DATA, and NLTK 3.10 refuses symlinks leaving its
data dirs, hence a copy. Debian lacks the `lexnames` file the reader needs; it is WordNet's fixed list of
lexicographer files.
"""

from __future__ import annotations

import io
import os
import shutil
import sys
import warnings
from functools import lru_cache
from pathlib import Path
from typing import Any

from neggen.system_packages import apt_command, apt_install

DEBIAN_DIR = Path("/usr/share/wordnet")
PIN_ENV = "NEGGEN_NLTK_DATA"
DEBIAN_PACKAGES = ["wordnet-base", "wordnet-sense-index"]
FIX = (
    "WordNet not found: run `make setup` (after `apt-get install wordnet-base wordnet-sense-index`), "
    "or `python -c \"import nltk; nltk.download('wordnet')\"`"
)

# The 45 lexicographer files in number order, with their part-of-speech numbers (1 noun, 2 verb, 3 adj, 4 adv).
_LEXNAMES = (
    [("adj.all", 3), ("adj.pert", 3), ("adv.all", 4)]
    + [
        (f"noun.{n}", 1)
        for n in (
            "Tops act animal artifact attribute body cognition communication event feeling food group location "
            "motive object person phenomenon plant possession process quantity relation shape state substance time"
        ).split()
    ]
    + [
        (f"verb.{n}", 2)
        for n in (
            "body change cognition communication competition consumption contact creation emotion motion "
            "perception possession social stative weather"
        ).split()
    ]
    + [("adj.ppl", 3)]
)


class WordNetMissing(ValueError):
    """WordNet is neither in NLTK's data dirs nor preparable here; the message names the fix."""


def lexnames_text() -> str:
    return "".join(f"{i:02d}\t{name}\t{pos}\n" for i, (name, pos) in enumerate(_LEXNAMES))


def default_target() -> Path:
    """sys.prefix/nltk_data: on NLTK's default search path for this interpreter (the venv)."""
    return Path(sys.prefix) / "nltk_data"


def prepare(target: Path, source: Path = DEBIAN_DIR) -> Path:
    """Copy Debian's WordNet files into target/corpora/wordnet and add lexnames; returns that folder."""
    if not (source / "data.noun").is_file():
        raise WordNetMissing(FIX)
    folder = target / "corpora" / "wordnet"
    folder.mkdir(parents=True, exist_ok=True)
    for path in source.iterdir():
        if path.is_file():
            shutil.copyfile(path, folder / path.name)
    (folder / "lexnames").write_text(lexnames_text(), encoding="ascii")
    return folder


def search_paths() -> list[str]:
    """NLTK's data dirs, or only NEGGEN_NLTK_DATA when set (to pin one copy, or to test a missing one)."""
    import nltk

    pinned = os.environ.get(PIN_ENV)
    return [pinned] if pinned else list(nltk.data.path)


def installed() -> bool:
    import nltk

    for resource in ("corpora/wordnet", "corpora/wordnet.zip"):
        try:
            nltk.data.find(resource, paths=search_paths())
            return True
        except LookupError:
            continue
    return False


@lru_cache(maxsize=1)
def load() -> Any:
    """The loaded WordNet corpus reader; WordNetMissing (one line naming the fix) when absent."""
    if not installed():
        raise WordNetMissing(FIX)
    import nltk
    from nltk.corpus import wordnet

    if os.environ.get(PIN_ENV):
        nltk.data.path.insert(0, os.environ[PIN_ENV])

    try:
        wordnet.ensure_loaded()
    except (LookupError, OSError) as exc:
        raise WordNetMissing(f"{FIX} ({type(exc).__name__})") from None
    return wordnet


def download(target: Path) -> bool:
    """nltk.download into target; False without a network (it fails fast on a failed name lookup)."""
    import nltk

    # NLTK warns and prints its error even with quiet=True; the caller says what happened, in one line.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ok = nltk.download(
            "wordnet", download_dir=str(target), quiet=True, raise_on_error=False, print_error_to=io.StringIO()
        )
    return bool(ok) and installed()


def provide(target: Path | None = None) -> str:
    """Make WordNet readable by the first route that works; returns what was done, else WordNetMissing."""
    target = target or default_target()
    if installed():
        return "found by NLTK"
    if (DEBIAN_DIR / "data.noun").is_file():
        return f"prepared {prepare(target)} from {DEBIAN_DIR}"
    if download(target):
        return f"downloaded into {target} by nltk.download"
    if apt_install(DEBIAN_PACKAGES) and (DEBIAN_DIR / "data.noun").is_file():
        return f"installed {' '.join(DEBIAN_PACKAGES)} and prepared {prepare(target)}"
    raise WordNetMissing(
        f"WordNet not found and not installable here (no network for nltk.download, not root for apt-get): "
        f"run `{apt_command(DEBIAN_PACKAGES)}`, then `make setup` again"
    )


def main() -> int:
    try:
        print(f"WordNet: {provide()}")
    except WordNetMissing as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
