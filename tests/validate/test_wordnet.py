"""WordNet preparation from Debian's files: the copy, the generated lexnames, NLTK reading it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from neggen.wordnet import DEBIAN_DIR, FIX, WordNetMissing, lexnames_text, prepare
from tests.conftest import REPO


def test_lexnames_is_the_fixed_list_of_45_files():
    lines = [line.split("\t") for line in lexnames_text().splitlines()]
    assert len(lines) == 45
    assert lines[0] == ["00", "adj.all", "3"] and lines[3] == ["03", "noun.Tops", "1"]
    assert lines[28] == ["28", "noun.time", "1"] and lines[29] == ["29", "verb.body", "2"]
    assert lines[43] == ["43", "verb.weather", "2"] and lines[44] == ["44", "adj.ppl", "3"]


def test_prepare_without_debian_files_names_the_fix(tmp_path):
    with pytest.raises(WordNetMissing, match="apt-get install wordnet-base"):
        prepare(tmp_path / "out", source=tmp_path / "nothing")
    assert "nltk.download" in FIX


@pytest.mark.skipif(not (DEBIAN_DIR / "data.noun").is_file(), reason="Debian's wordnet-base is not installed")
def test_prepared_copy_is_read_by_nltk(tmp_path):
    folder = prepare(tmp_path)
    assert not any(p.is_symlink() for p in folder.iterdir())  # NLTK 3.10 refuses links leaving its data dirs
    code = (
        "from neggen.wordnet import load; wn = load();"
        "print(set(wn.synsets('couch')) & set(wn.synsets('sofa')) != set(), wn.synset('guy.n.01').hypernyms())"
    )
    env = {**os.environ, "NEGGEN_NLTK_DATA": str(tmp_path), "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    assert out.strip() == "True [Synset('man.n.01')]"


def test_setup_module_reports_what_it_did():
    out = subprocess.run([sys.executable, "-m", "neggen.wordnet"], capture_output=True, text=True, cwd=Path(REPO))
    assert out.returncode == 0 and out.stdout.startswith("WordNet: ")
