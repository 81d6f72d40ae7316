"""`neggen report`: a self-contained HTML page that renders in headless Chromium with the numbers of stats --json."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from neggen.cli import app
from tests.browser import MISSING, find_browser
from tests.qa.runs import row, write_run

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
    """A figure of `stats --json` (or `audit --json`: paths type.key) by its dotted path."""
    node = stats if path.startswith("by_type.") else stats["by_type"]
    for key in path.split("."):
        node = node[key] if key in node else 0  # a reason a type never had is shown as 0
    return node


_CELL = re.compile(r'<td data-stat="([^"]+)" data-value="([^"]*)">([^<]*)</td>')


def _cells(page: str) -> dict[str, tuple[object, str]]:
    """data-stat path -> (the exact value, the text shown)."""
    return {path: (json.loads(html.unescape(raw)), text) for path, raw, text in _CELL.findall(page)}


def test_report_is_self_contained_and_shows_the_stats_rounded(hand_dir, tmp_path):
    target, stats = _report(hand_dir, tmp_path)
    page = target.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", page)  # nothing to fetch
    assert page.count('src="data:image/png;base64,') == 4
    cells = _cells(page)
    assert cells["by_type.replace_nouns.duplicate_rate"] == (0.3333, "33.3%")
    assert cells["by_type.reshuffle.acceptance_rate"] == (0.6667, "66.7%")
    assert cells["by_type.overall.acceptance_rate"] == (0.6667, "66.7%")
    assert cells["by_type.replace_nouns.negative_words_mean"] == (4.3333, "4.3")
    assert cells["by_type.swap_nouns.acceptance_rate"] == (0.3333, "33.3%")
    assert cells["by_type.overall.reject_reasons.no_swap_found"] == (2, "2")
    assert cells["by_type.overall.completion_tokens"] == (90, "90")
    assert cells["audit.replace_nouns.length_judge_accuracy"] == (0.6667, "66.7%")  # one longer, two ties
    audit = json.loads(CliRunner().invoke(app, ["audit", str(hand_dir), "--json"]).stdout)
    for path, (value, text) in cells.items():
        assert value == _lookup(audit if path.startswith("audit.") else stats, path.removeprefix("audit.")), path
        # rounded for display: counts as integers, percentages and means with at most one decimal
        assert re.fullmatch(r"-|[\d,]+|\d+(\.\d)?%?", text), (path, text)


def test_report_examples_mark_the_edit_and_escape_the_text(tmp_path):
    rows = [
        row("A <b>cat</b> & a dog.", "A <b>cat</b> & a wolf.", "replace_nouns", 0),
        row("A red car.", "A red car.", "replace_nouns", 1, "copy"),
    ]
    target, _ = _report(write_run(tmp_path / "run", rows), tmp_path)
    page = target.read_text(encoding="utf-8")
    assert "A &lt;b&gt;cat&lt;/b&gt; &amp; a <ins>wolf.</ins>" in page
    assert "A &lt;b&gt;cat&lt;/b&gt; &amp; a <del>dog.</del>" in page
    assert "<b>cat" not in page
    assert "<h4>rejected: copy (1 of 1)</h4>" in page and "rejected: copy" in page


def test_report_with_the_lm_judge(hand_dir, tmp_path, monkeypatch):
    class ShortIsLikely:  # the LM judge's interface, without loading a model
        def score(self, texts, normalize=False):
            return [-float(len(t)) for t in texts]

    monkeypatch.setattr("neggen.qa.likelihood.LikelihoodScorer", ShortIsLikely)
    target = tmp_path / "r.html"
    result = CliRunner().invoke(app, ["report", str(hand_dir), "--out", str(target), "--llm", "--llm-rows", "2"])
    assert result.exit_code == 0, result.output
    cells = _cells(target.read_text(encoding="utf-8"))
    assert cells["audit.replace_nouns.llm_pairs"] == (2, "2")
    assert cells["audit.swap_nouns.llm_judge_accuracy"] == (0.5, "50%")  # same length: a tie
    assert "audit.overall.llm_judge_accuracy" in cells
    plain, _ = _report(hand_dir, tmp_path)
    assert "audit.overall.llm_judge_accuracy" not in _cells(plain.read_text(encoding="utf-8"))


def test_report_of_a_run_with_no_accepted_rows(tmp_path):
    rows = [row("A red car.", "A red car.", "replace_nouns", n, "copy") for n in range(3)]
    target, stats = _report(write_run(tmp_path / "run", rows), tmp_path)
    page = target.read_text(encoding="utf-8")
    assert stats["by_type"]["overall"]["accepted"] == 0
    assert "<h4>accepted (0 of 0)</h4><p>none</p>" in page and "<h4>rejected: copy (2 of 3)</h4>" in page
    assert page.count('src="data:image/png;base64,') == 2  # no length or edit plots without accepted rows


def test_report_of_an_unfinished_run_says_so(unfinished_dir, generated_dir, tmp_path):
    target, stats = _report(unfinished_dir, tmp_path)
    page = target.read_text(encoding="utf-8")
    assert '<p class="note">This run is not finished (3 of 6 type x shard parts done)' in page
    assert stats["by_type"]["overall"]["captions"] > 0 and "<h3>swap_nouns</h3>" in page
    finished, _ = _report(generated_dir, tmp_path)
    assert 'class="note"' not in finished.read_text(encoding="utf-8")


def _render(browser: str, page: Path, profile: Path, width: int = 1280) -> str:
    """The DOM after load, in a window `width` px wide, with the page's layout widths written into it."""
    probed = page.with_name(page.stem + ".probe.html")
    probed.write_text(page.read_text(encoding="utf-8").replace("</body>", _PROBE + "</body>"), encoding="utf-8")
    size = f"--window-size={width},900"
    command = [browser, *_FLAGS, size, f"--user-data-dir={profile}", "--dump-dom", probed.as_uri()]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=True).stdout


# After load: how wide the document is laid out (scrollWidth) against the window's width for content.
_PROBE = """<script>window.addEventListener("load", function () {
  var root = document.documentElement, probe = document.createElement("div");
  probe.id = "probe";
  probe.setAttribute("data-scroll-width", root.scrollWidth);
  probe.setAttribute("data-client-width", root.clientWidth);
  probe.setAttribute("data-inner-width", window.innerWidth);
  document.body.appendChild(probe);
});</script>"""


def _widths(dom: str) -> tuple[int, int, int]:
    found = re.search(r'data-scroll-width="(\d+)" data-client-width="(\d+)" data-inner-width="(\d+)"', dom)
    assert found, dom[-2000:]
    scroll, client, inner = map(int, found.groups())
    return scroll, client, inner


def _text(dom: str) -> str:
    body = re.sub(r"<(style|script)>.*?</\1>", " ", dom, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def test_report_renders_in_headless_chromium_at_1280_px(hand_dir, tmp_path):
    browser = find_browser()
    if browser is None:  # a skip would hide that the report was never rendered: fail, naming what is missing
        pytest.fail(MISSING)
    target, stats = _report(hand_dir, tmp_path)
    dom = _render(browser, target, tmp_path / "profile")
    scroll, client, inner = _widths(dom)
    assert inner == 1280 and client > 1200  # the window really is 1,280 px (less a vertical scrollbar)
    assert scroll <= client, f"the page is {scroll} px wide in a {client} px window: it scrolls sideways"
    # The inline script ran after load and found every embedded PNG decoded, each fitting the window.
    assert re.search(r'id="decoded">4/4<', dom), dom[-2000:]
    widths = [int(w) for w in re.findall(r'data-natural-width="(\d+)"', dom)]
    assert len(widths) == 4 and min(widths) > 100
    cells = _cells(dom)
    assert len(cells) > 50
    for path, (value, _) in cells.items():
        if not path.startswith("audit."):
            assert value == _lookup(stats, path), path
    # A known accepted row and a known rejected one, as a reader sees them (marks are inline, words in place).
    text = _text(dom)
    assert "caption A man rides a horse. negative A horse rides a man." in text
    assert "caption A girl holds a kite. negative A kite a girl holds." in text
    assert "A man <del>rides a horse.</del>" in dom and "<ins>A horse rides</ins> a man." in dom
    shot = tmp_path / "shot.png"
    command = [browser, *_FLAGS, "--window-size=1280,900", f"--user-data-dir={tmp_path / 'profile'}"]
    subprocess.run([*command, f"--screenshot={shot}", target.as_uri()], capture_output=True, timeout=120, check=True)
    assert shot.stat().st_size > 10_000


def test_the_overflow_check_sees_a_table_wider_than_the_window(hand_dir, tmp_path):
    """The check above is not vacuous: the same probe on the same report with one table made wide fails it."""
    browser = find_browser()
    if browser is None:
        pytest.fail(MISSING)
    target, _ = _report(hand_dir, tmp_path)
    page = target.read_text(encoding="utf-8").replace(
        '<table class="reasons">', '<table class="reasons" style="width: 1400px">'
    )
    wide = tmp_path / "wide.html"
    wide.write_text(page, encoding="utf-8")
    scroll, client, _ = _widths(_render(browser, wide, tmp_path / "profile"))
    assert scroll > client


def test_report_of_a_missing_run_is_one_sentence(tmp_path):
    result = CliRunner().invoke(app, ["report", str(tmp_path / "nope")])
    assert result.exit_code == 1 and "is not a neggen run" in result.stderr and "Traceback" not in result.output


def test_report_shows_the_labelled_precision_of_the_runs_labels(generated_dir, tmp_path):
    from neggen.qa.labelling import labelled_row, sample_for_labelling
    from neggen.qa.labels import append_label

    run = Path(shutil.copytree(generated_dir, tmp_path / "labelled-run"))  # the session fixture stays as made
    target, _ = _report(run, tmp_path)
    assert "No labels yet" in target.read_text(encoding="utf-8")
    rows = sample_for_labelling(run, ["swap_nouns"], 3, 0)
    for sampled, good in zip(rows, (True, True, False), strict=True):
        append_label(run, labelled_row(sampled, [True, True, True, good], "ann"))
    target, stats = _report(run, tmp_path)
    page = target.read_text(encoding="utf-8")
    cells = _cells(page)
    assert cells["labels.swap_nouns.precision"] == (stats["labels"]["by_type"]["swap_nouns"]["precision"], "66.7%")
    assert cells["labels.swap_nouns.labelled"] == (3, "3")
    assert "<td>20.8% - 93.9%</td>" in page and "by ann" in page  # Wilson 95% for 2 of 3, from the counts


def test_examples_and_seed_reach_the_page_from_the_command(generated_dir, tmp_path):
    from neggen.qa.show import sample_rows

    def first(seed: int) -> str:
        return sample_rows(generated_dir, ["reshuffle"], n=1, seed=seed)[0]["caption_id"]

    seed = next(s for s in range(1, 50) if first(s) != first(0))  # a seed whose sample is not the default's
    target = tmp_path / "r.html"
    args = ["report", str(generated_dir), "--out", str(target), "--examples", "1", "--seed", str(seed)]
    assert CliRunner().invoke(app, args).exit_code == 0
    page = target.read_text(encoding="utf-8")
    stats = json.loads(CliRunner().invoke(app, ["stats", str(generated_dir), "--json"]).stdout)
    heading = f"<h4>accepted (1 of {stats['by_type']['reshuffle']['accepted']:,})</h4>"
    section = page.split("<h3>reshuffle</h3>", 1)[1].split(heading, 1)[1].split("<h4>", 1)[0]
    assert first(seed) in section and first(0) not in section
