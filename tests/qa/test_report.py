"""`neggen report`: a self-contained HTML page that renders in headless Chromium with the numbers of stats --json."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from neggen.cli import app
from tests.browser import MISSING, find_browser

_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _report(run_dir: Path, tmp_path: Path) -> tuple[Path, dict]:
    runner = CliRunner()
    target = tmp_path / "report.html"
    result = runner.invoke(app, ["report", str(run_dir), "--out", str(target)])
    assert result.exit_code == 0, result.output
    stats = runner.invoke(app, ["stats", str(run_dir), "--json"])
    return target, json.loads(stats.stdout)


def _lookup(stats: dict, path: str):
    node = stats
    for key in path.split("."):
        node = node[key] if key in node else 0  # a reason a type never had is shown as 0
    return node


def test_report_is_self_contained_and_shows_the_stats(hand_dir, tmp_path):
    target, stats = _report(hand_dir, tmp_path)
    page = target.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", page)  # nothing to fetch
    assert page.count('src="data:image/png;base64,') == 4
    cells = dict(re.findall(r'<td data-stat="([^"]+)">([^<]*)</td>', page))
    assert cells["by_type.replace_nouns.duplicate_rate"] == "0.3333"
    assert cells["by_type.overall.reject_reasons.no_swap_found"] == "2"
    for path, text in cells.items():
        value = _lookup(stats, path)
        assert text == ("-" if value is None else json.dumps(value)), path


def test_report_renders_in_headless_chromium(hand_dir, tmp_path):
    browser = find_browser()
    if browser is None:  # a skip would hide that the report was never rendered: fail, naming what is missing
        pytest.fail(MISSING)
    target, stats = _report(hand_dir, tmp_path)
    profile = tmp_path / "profile"
    command = [browser, *_FLAGS, f"--user-data-dir={profile}", "--dump-dom", target.as_uri()]
    dom = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True).stdout
    # The inline script ran after load and found every embedded PNG decoded.
    assert re.search(r'id="decoded">4/4<', dom), dom[-2000:]
    widths = [int(w) for w in re.findall(r'data-natural-width="(\d+)"', dom)]
    assert len(widths) == 4 and min(widths) > 100
    cells = re.findall(r'<td data-stat="([^"]+)">([^<]*)</td>', dom)
    assert len(cells) > 50
    for path, text in cells:
        value = _lookup(stats, path)
        assert (None if text == "-" else json.loads(text)) == value, path
    shot = tmp_path / "shot.png"
    command = [browser, *_FLAGS, f"--user-data-dir={profile}", f"--screenshot={shot}", target.as_uri()]
    subprocess.run(command, capture_output=True, timeout=120, check=True)
    assert shot.stat().st_size > 10_000


def test_report_of_a_missing_run_is_one_sentence(tmp_path):
    result = CliRunner().invoke(app, ["report", str(tmp_path / "nope")])
    assert result.exit_code == 1 and "is not a neggen run" in result.stderr and "Traceback" not in result.output
