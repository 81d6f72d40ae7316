"""WordNet preparation from Debian's files: the copy, the generated lexnames, NLTK reading it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from neggen.text.wordnet import DEBIAN_DIR, FIX, WordNetMissing, lexnames_text, prepare
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
        "from neggen.text.wordnet import load; wn = load();"
        "print(set(wn.synsets('couch')) & set(wn.synsets('sofa')) != set(), wn.synset('guy.n.01').hypernyms())"
    )
    env = {**os.environ, "NEGGEN_NLTK_DATA": str(tmp_path), "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    assert out.strip() == "True [Synset('man.n.01')]"


def test_setup_module_reports_what_it_did():
    out = subprocess.run([sys.executable, "-m", "neggen.text.wordnet"], capture_output=True, text=True, cwd=Path(REPO))
    assert out.returncode == 0 and out.stdout.startswith("WordNet: ")


@pytest.fixture
def no_route(monkeypatch, tmp_path):
    """A machine where WordNet is not found, Debian's files are absent, the download fails and apt-get is not
    ours to run; each test then opens one route."""
    import neggen.text.wordnet as wordnet

    calls: list[str] = []
    monkeypatch.setattr(wordnet, "installed", lambda: False)
    monkeypatch.setattr(wordnet, "DEBIAN_DIR", tmp_path / "no-debian")
    monkeypatch.setattr(wordnet, "download", lambda target: calls.append("download") or False)
    monkeypatch.setattr(wordnet, "apt_install", lambda packages: calls.append(f"apt {' '.join(packages)}") or False)
    return wordnet, calls


def test_provide_without_any_route_is_one_line_naming_the_command(no_route, tmp_path):
    wordnet, calls = no_route
    with pytest.raises(WordNetMissing) as caught:
        wordnet.provide(tmp_path / "target")
    message = str(caught.value)
    assert "\n" not in message and "sudo apt-get install -y wordnet-base wordnet-sense-index" in message
    assert calls == ["download", "apt wordnet-base wordnet-sense-index"]  # the download is tried before apt


def test_provide_stops_at_the_download_when_it_works(no_route, tmp_path, monkeypatch):
    wordnet, calls = no_route
    monkeypatch.setattr(wordnet, "download", lambda target: calls.append(f"download {target.name}") or True)
    assert wordnet.provide(tmp_path / "target").startswith("downloaded into")
    assert calls == ["download target"]


def test_provide_prepares_what_apt_installed(no_route, tmp_path, monkeypatch):
    wordnet, calls = no_route
    debian = tmp_path / "no-debian"

    def fake_apt(packages):
        calls.append("apt")
        debian.mkdir()
        (debian / "data.noun").write_text("x", encoding="ascii")
        return True

    monkeypatch.setattr(wordnet, "apt_install", fake_apt)
    assert wordnet.provide(tmp_path / "target").startswith("installed wordnet-base wordnet-sense-index")
    assert (tmp_path / "target" / "corpora" / "wordnet" / "data.noun").is_file()
    assert (tmp_path / "target" / "corpora" / "wordnet" / "lexnames").is_file()


def test_provide_uses_what_is_found_first(no_route, tmp_path, monkeypatch):
    wordnet, calls = no_route
    monkeypatch.setattr(wordnet, "installed", lambda: True)
    assert wordnet.provide(tmp_path / "target") == "found by NLTK" and calls == []
