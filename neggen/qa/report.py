"""`neggen report`: one self-contained HTML file a person reads: numbers, example rows, the blind audit, plots.

Every figure is the one `neggen stats --json` / `neggen audit --json` prints (kept exact in each cell's
data-value), shown rounded; tables list the types as columns so they fit a 1,280 px window however many
metrics or reject reasons there are.
"""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from typing import Any

from neggen.qa import plots
from neggen.qa.audit import audit_run
from neggen.qa.completeness import unfinished
from neggen.qa.display import display
from neggen.qa.precision import wilson_interval
from neggen.qa.show import highlight_html, sample_rows
from neggen.qa.stats import OVERALL, compute_stats, features
from neggen.run.atomic import write_atomic
from neggen.validate import Reason

# (stats key, row label, display kind)
_METRICS = [
    ("captions", "captions done", "count"),
    ("accepted", "accepted", "count"),
    ("rejected", "rejected", "count"),
    ("acceptance_rate", "acceptance", "share"),
    ("caption_words_mean", "caption words, mean", "mean"),
    ("negative_words_mean", "negative words, mean", "mean"),
    ("negative_longer_share", "negative longer than caption", "share"),
    ("negative_shorter_share", "negative shorter than caption", "share"),
    ("edit_words_mean", "edit words, mean", "mean"),
    ("edit_words_median", "edit words, median", "mean"),
    ("edit_position_mean", "edit starts at (share of caption)", "share"),
    ("distinct_1", "distinct-1", "share"),
    ("distinct_2", "distinct-2", "share"),
    ("duplicate_rate", "duplicates", "share"),
    ("prompt_tokens", "prompt tokens", "count"),
    ("completion_tokens", "completion tokens", "count"),
    ("captions_per_s", "captions / s", "mean"),
    ("completion_tokens_per_s", "completion tokens / s", "count"),
]

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; padding: 0 1em; max-width: 72em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.85em; }
td, th { border: 1px solid #ccc; padding: 0.25em 0.5em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
img { display: block; margin: 1em 0; max-width: 100%; height: auto; }
.pair { margin: 0.6em 0; overflow-wrap: anywhere; }
.pair .meta { color: #777; font-size: 0.8em; }
.pair .label { display: inline-block; width: 5.5em; color: #555; }
del { background: #fdd; color: #900; text-decoration: none; font-weight: 600; }
ins { background: #dfd; color: #060; text-decoration: none; font-weight: 600; }
.note { background: #fff4d6; padding: 0.5em 0.8em; }
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


def _cell(path: str, value: Any, kind: str) -> str:
    raw = html.escape(json.dumps(value), quote=True)
    return f'<td data-stat="{html.escape(path)}" data-value="{raw}">{display(value, kind)}</td>'


def _head(first: str, columns: list[str]) -> str:
    return f"<tr><th>{first}</th>{''.join(f'<th>{html.escape(c)}</th>' for c in columns)}</tr>"


def _metrics_table(stats: dict[str, Any]) -> str:
    names = list(stats["by_type"])
    body = []
    for key, label, kind in _METRICS:
        cells = "".join(_cell(f"by_type.{n}.{key}", stats["by_type"][n].get(key), kind) for n in names)
        body.append(f"<tr><td>{label}</td>{cells}</tr>")
    return f'<table class="metrics">{_head("", names)}{"".join(body)}</table>'


def _reasons_table(stats: dict[str, Any]) -> str:
    reasons = sorted(stats["by_type"][OVERALL]["reject_reasons"])
    if not reasons:
        return "<p>No row was rejected.</p>"
    names = list(stats["by_type"])
    body = []
    for reason in reasons:
        cells = "".join(
            _cell(f"by_type.{n}.reject_reasons.{reason}", stats["by_type"][n]["reject_reasons"].get(reason, 0), "count")
            for n in names
        )
        body.append(f"<tr><td>{html.escape(reason)}</td>{cells}</tr>")
    return f'<table class="reasons">{_head("reason", names)}{"".join(body)}</table>'


def _audit_table(audit: dict[str, Any]) -> str:
    llm = "llm" in audit["judges"]
    columns = ["pairs", "negative longer", "negative shorter", "same length", "length judge"]
    columns += ["LM judge", "LM pairs"] if llm else []
    keys = [
        ("pairs", "count"),
        ("negative_longer", "count"),
        ("negative_shorter", "count"),
        ("same_length", "count"),
        ("length_judge_accuracy", "share"),
    ]
    keys += [("llm_judge_accuracy", "share"), ("llm_pairs", "count")] if llm else []
    body = []
    for name, entry in audit["by_type"].items():
        cells = "".join(_cell(f"audit.{name}.{key}", entry.get(key), kind) for key, kind in keys)
        body.append(f"<tr><td>{html.escape(name)}</td>{cells}</tr>")
    table = f'<table class="audit">{_head("type", columns)}{"".join(body)}</table>'
    how = (
        f"; LM judge: the text the bundled model finds more likely ({audit['llm']['score']}, up to "
        f"{audit['llm']['rows_per_type']} pairs a type)"
        if llm
        else " (add <code>--llm</code> for the LM judge)"
    )
    return (
        "<p>How often a judge that never sees the image picks the real caption over its negative. Length judge: the "
        f"shorter text is the caption{how}. 50% is chance; far from it in either direction is a shortcut a model "
        f"can learn instead of looking (<code>neggen audit --rebalance</code> removes the length one).</p>{table}"
    )


def _labels_table(labels: dict[str, Any] | None) -> str:
    """The labelled precision `neggen stats` computes from `neggen label`'s file, interval from the counts."""
    if not labels:
        return (
            "<p>No labels yet: acceptance is by neggen's own validators, not precision. "
            "<code>neggen label RUN</code> reads a sample against the quality rubric.</p>"
        )
    body = []
    for name, entry in labels["by_type"].items():
        k, n = entry["good"], entry["labelled"]
        low, high = wilson_interval(k, n)
        interval = f"<td>{display(low, 'share')} - {display(high, 'share')}</td>"
        cells = _cell(f"labels.{name}.precision", entry["precision"], "share") + interval
        body.append(f"<tr><td>{html.escape(name)}</td>{cells}{_cell(f'labels.{name}.labelled', n, 'count')}</tr>")
    stale = f" {labels['stale']} label(s) of rows a re-run moved aside are not counted." if labels["stale"] else ""
    return (
        f"<p>Accepted rows labelled good against the rubric, by {html.escape(', '.join(labels['labellers']))}, with "
        f"the 95% Wilson interval.{stale}</p>"
        f'<table class="labels">{_head("type", ["precision", "95% interval", "labelled rows"])}{"".join(body)}</table>'
    )


def _pair(row: dict[str, Any]) -> str:
    caption, negative = highlight_html(row["caption"], row["negative"] or "")
    meta = f"shard {row['shard']} · {row['caption_id']} · image {row['image_id']} · attempt {row['attempt']}"
    if "reason" in row:
        meta += f" · rejected: {row['reason']}" + (f" ({row['detail']})" if row.get("detail") else "")
    return (
        f'<div class="pair"><div class="meta">{html.escape(meta)}</div>'
        f'<div><span class="label">caption</span>{caption}</div>'
        f'<div><span class="label">negative</span>{negative or "<em>(none)</em>"}</div></div>'
    )


def _examples(root: Path, stats: dict[str, Any], accepted: int, rejected: int, seed: int) -> str:
    """Per type, a seeded sample of accepted rows and of rejected rows for each reason, as `neggen show` picks
    and marks them."""
    parts = []
    for name in stats["types"]:
        entry = stats["by_type"][name]
        parts.append(f"<h3>{html.escape(name)}</h3>")
        rows = sample_rows(root, [name], n=accepted, seed=seed) if entry["accepted"] else []
        shown = f"{len(rows)} of {entry['accepted']:,}"
        parts.append(f"<h4>accepted ({shown})</h4>" + ("".join(map(_pair, rows)) or "<p>none</p>"))
        for reason, count in sorted(entry["reject_reasons"].items(), key=lambda kv: (-kv[1], kv[0])):
            if reason not in Reason.__members__:
                continue
            rows = sample_rows(root, [name], reason=reason, n=rejected, seed=seed)
            parts.append(f"<h4>rejected: {html.escape(reason)} ({len(rows)} of {count:,})</h4>")
            parts.append("".join(map(_pair, rows)))
    return "".join(parts) or "<p>The run has no rows yet.</p>"


def _img(title: str, png: bytes) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img class="plot" alt="{html.escape(title)}" src="data:image/png;base64,{data}">'


def render_report(
    root: Path,
    llm: bool = False,
    llm_rows: int = 200,
    examples: int = 3,
    seed: int = 0,
    scorer=None,
) -> str:
    rows = features(root, keep_words=True)  # once: stats, the audit and the plots all read it
    stats = compute_stats(root, rows)
    audit = audit_run(root, llm=llm, llm_rows=llm_rows, examples=0, seed=seed, scorer=scorer, rows=rows)
    figures = [
        _img("acceptance by type", plots.acceptance_by_type(stats)),
        _img("reject reasons", plots.reject_reasons(stats)),
        _img("length distributions", plots.length_distributions(rows)) if rows.height else "",
        _img("edit positions", plots.edit_positions(rows, stats["types"])) if rows.height else "",
    ]
    title = f"neggen QA: {html.escape(str(root))}"
    pending = unfinished(root)
    note = (
        f'<p class="note">This run is not finished ({pending}): the figures cover the rows written so far.</p>'
        if pending
        else ""
    )
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{title}</title><style>{_STYLE}</style></head>'
        f"<body><h1>{title}</h1>{note}"
        f"<p>Numbers as <code>neggen stats --json</code> computes them, rounded; words as the validators count them; "
        f"edit = words between the common prefix and suffix of caption and negative. Plots decoded: "
        f'<span id="decoded">not yet</span>.</p>'
        f"<h2>Per type</h2>{_metrics_table(stats)}<h2>Reject reasons</h2>{_reasons_table(stats)}"
        f"<h2>Labelled precision</h2>{_labels_table(stats.get('labels'))}"
        f"<h2>Blind audit</h2>{_audit_table(audit)}"
        f"<h2>Examples</h2><p>Sampled as <code>neggen show --seed {seed}</code> samples them; the edited words are "
        f"marked (<del>caption</del>, <ins>negative</ins>).</p>{_examples(root, stats, examples, 2, seed)}"
        f"<h2>Plots</h2>{''.join(figures)}<script>{_SCRIPT}</script></body></html>\n"
    )


def write_report(root: Path, target: Path, **options: Any) -> Path:
    text = render_report(root, **options)
    write_atomic(target, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return target
