"""`make browser` (python -m tests.browser): the report test's browser is found on PATH or named in one line."""

from __future__ import annotations

import subprocess
import sys

import tests.browser as browser
from tests.conftest import REPO


def test_a_path_without_a_browser_finds_none_and_the_setup_names_the_command(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(browser, "apt_install", lambda packages: False)  # not root: apt-get is not ours to run
    assert browser.find_browser() is None and browser.provide() is None
    assert "\n" not in browser.MISSING and "sudo apt-get install -y chromium" in browser.MISSING


def test_a_browser_on_path_is_found_by_name(monkeypatch, tmp_path):
    fake = tmp_path / "chromium-browser"
    fake.write_text("#!/bin/sh\n", encoding="ascii")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert browser.provide() == str(fake)


def test_setup_without_a_route_exits_1_with_one_line(tmp_path):
    # PATH holds only this interpreter's folder; as root apt-get would not be found on that PATH either.
    env = {"PATH": str(tmp_path), "HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-m", "tests.browser"], capture_output=True, text=True, cwd=REPO, env=env)
    assert out.returncode == 1 and out.stderr.strip() == browser.MISSING
