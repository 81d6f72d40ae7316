"""`pip install .` without -e: the wheel carries the prompts, the class names and every package, and works from
outside the checkout (a fresh venv that sees the project's installed dependencies, offline)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest

from neggen.text.wordnet import default_target
from tests.conftest import REPO
from tests.standalone import copy_checkout


def test_every_package_folder_is_in_the_wheel_list():
    setuptools = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    folders = {
        ".".join(p.parent.relative_to(REPO).parts)
        for top in ("neggen", "trainer")
        for p in (REPO / top).rglob("__init__.py")
    }
    assert folders <= set(setuptools["packages"]), sorted(folders - set(setuptools["packages"]))
    for package, folder in setuptools["package-dir"].items():
        assert package in setuptools["packages"] and any((REPO / folder).iterdir()), (package, folder)


def _fresh_venv(root: Path) -> Path:
    """A venv with only the wheel installed; the shared dependencies come in through a .pth path line (which,
    unlike a site dir, does not run the editable install's finder)."""
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    (Path(site) / "shared-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv


@pytest.mark.slow
def test_wheel_installs_and_runs_outside_the_checkout(tmp_path, bundled_model_dir):
    source = copy_checkout(tmp_path / "src")
    pip = [sys.executable, "-m", "pip"]
    build = [*pip, "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index", "-w", str(tmp_path / "dist")]
    subprocess.run([*build, str(source)], check=True, capture_output=True)
    (wheel,) = (tmp_path / "dist").glob("neggen-*.whl")
    venv = _fresh_venv(tmp_path)
    subprocess.run([*pip, "--python", str(venv / "bin" / "python"), "install", "-q", "--no-deps", "--no-index",
                    str(wheel)], check=True, capture_output=True)  # fmt: skip
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"HF_HUB_OFFLINE": "1"}
    # The fresh venv has no nltk_data of its own: point NLTK at the copy `make setup` prepared (a user's
    # `nltk.download("wordnet")` does the same for their install).
    env["NLTK_DATA"] = str(default_target())

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(args, cwd=elsewhere, env=env, capture_output=True, text=True)

    where = run(str(venv / "bin" / "python"), "-c",
                "import neggen, neggen.prompts as p, trainer.eval.zeroshot as z; "
                "print(neggen.__file__, p.DEFAULT_PROMPTS_DIR, z.CLIP_BENCHMARK, sep='\\n')")  # fmt: skip
    assert where.returncode == 0, where.stderr
    installed = sysconfig.get_paths(vars={"base": str(venv), "platbase": str(venv)})["purelib"]
    for line in where.stdout.split():
        assert line.startswith(installed), (line, installed)  # the wheel's copy, not the checkout's
    sample = REPO / "data" / "coco_karpathy_test_sample.json"
    out = tmp_path / "run"
    quick = ["--set", "max_attempts=1", "--set", "sampling.max_tokens=24"]
    result = run(str(venv / "bin" / "neggen"), "generate", "--captions", str(sample), "--type", "replace_nouns",
                 "--limit", "2", "--out", str(out), *quick)  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    manifest = json.loads((out / "manifest.json").read_text())
    assert re.search(r"prompt_files", json.dumps(manifest)), "the run did not read the packaged prompts"
    assert len(list((out / "negatives").rglob("*.parquet")) + list((out / "rejects").rglob("*.parquet"))) >= 1
    help_text = run(str(venv / "bin" / "python"), "-m", "trainer", "--help")
    assert help_text.returncode == 0 and "train" in help_text.stdout and "eval" in help_text.stdout, help_text.stderr
