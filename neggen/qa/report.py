"""`neggen report`: one self-contained HTML file (numbers of `stats --json`, plots as embedded PNG)."""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from typing import Any

from neggen.atomic import write_atomic
from neggen.qa import plots
from neggen.qa.stats import OVERALL, compute_stats, features

_COLUMNS = [
    "captions",
    "accepted",
    "rejected",
    "acceptance_rate",
    "caption_words_mean",
    "negative_words_mean",
    "negative_longer_share",
    "negative_shorter_share",
    "edit_words_mean",
    "edit_words_median",
    "edit_position_mean",
    "distinct_1",
    "distinct_2",
    "duplicate_rate",
    "prompt_tokens",
    "completion_tokens",
    "captions_per_s",
    "completion_tokens_per_s",
]

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.85em; }
td, th { border: 1px solid #ccc; padding: 0.25em 0.5em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
img { display: block; margin: 1em 0; max-width: 100%; }
"""

# Written into the page once it has loaded, so a headless browser's DOM shows the images really decoded.
_SCRIPT = """
window.addEventListener("load", function () {
  var images = document.querySelectorAll("img.plot"), decoded = 0;
  images.forEach(function (img) {
    img.setAttribute("data-natural-width", img.naturalWidth);
    if (img.complete && img.naturalWidth > 0) decoded += 1;
  });
  document.getElementById("decoded").textContent = decoded + "/" + images.length;
});
"""


def _value(value: Any) -> str:
    return "-" if value is None else json.dumps(value)


def _cell(path: str, value: Any) -> str:
    return f'<td data-stat="{html.escape(path)}">{_value(value)}</td>'


def _table(stats: dict[str, Any]) -> str:
    head = "".join(f"<th>{c.replace('_', ' ')}</th>" for c in _COLUMNS)
    body = []
    for name, row in stats["by_type"].items():
        cells = "".join(_cell(f"by_type.{name}.{c}", row.get(c)) for c in _COLUMNS)
        body.append(f"<tr><td>{html.escape(name)}</td>{cells}</tr>")
    return f"<table><tr><th>type</th>{head}</tr>{''.join(body)}</table>"


def _reasons(stats: dict[str, Any]) -> str:
    reasons = sorted(stats["by_type"][OVERALL]["reject_reasons"])
    head = "".join(f"<th>{html.escape(r)}</th>" for r in reasons)
    body = []
    for name, row in stats["by_type"].items():
        cells = "".join(_cell(f"by_type.{name}.reject_reasons.{r}", row["reject_reasons"].get(r, 0)) for r in reasons)
        body.append(f"<tr><td>{html.escape(name)}</td>{cells}</tr>")
    return f"<table><tr><th>type</th>{head}</tr>{''.join(body)}</table>"


def _img(title: str, png: bytes) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img class="plot" alt="{html.escape(title)}" src="data:image/png;base64,{data}">'


def render_report(root: Path, stats: dict[str, Any] | None = None) -> str:
    stats = stats or compute_stats(root)
    rows = features(root)
    figures = [
        _img("acceptance by type", plots.acceptance_by_type(stats)),
        _img("reject reasons", plots.reject_reasons(stats)),
        _img("length distributions", plots.length_distributions(rows)) if rows.height else "",
        _img("edit positions", plots.edit_positions(rows, stats["types"])) if rows.height else "",
    ]
    title = f"neggen QA: {html.escape(str(root))}"
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{title}</title><style>{_STYLE}</style></head>'
        f"<body><h1>{title}</h1>"
        f"<p>Numbers as printed by <code>neggen stats --json</code>; words as the validators count them; edit = "
        f"words between the common prefix and suffix of caption and negative. Plots decoded: "
        f'<span id="decoded">not yet</span>.</p>'
        f"<h2>Per type</h2>{_table(stats)}<h2>Reject reasons</h2>{_reasons(stats)}"
        f"<h2>Plots</h2>{''.join(figures)}<script>{_SCRIPT}</script></body></html>\n"
    )


def write_report(root: Path, target: Path) -> Path:
    text = render_report(root)
    write_atomic(target, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return target
