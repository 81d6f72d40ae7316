"""The dataset card (README.md) of a hub export: a Hugging Face YAML header and the recipe that made the data.

Everything comes from the run directory: the manifest (config, model, prompt files' sha256, plausibility
calibration, versions, the commands run), the rows (engine and model really used), `neggen stats`, the blind
audit's length judge and, where the run was labelled, the labelled precision.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import yaml

from neggen.qa.display import display
from neggen.qa.precision import wilson_interval
from neggen.qa.stats import OVERALL

# A caption source's licence, from its file name: COCO captions (coco_karpathy_*.json, captions_val2014.json)
# are CC BY 4.0, the COCO annotations' terms; Flickr30k's are Flickr's own; the rest is the exporter's to state.
_LICENCES = ((re.compile(r"coco|^captions_(train|val)20\d\d"), "cc-by-4.0"), (re.compile("flickr"), "other"))
UNKNOWN_LICENCE = "unknown"
MARKER = "<!-- written by `neggen export --format hf`; exporting again into this folder replaces it -->"
ALL_CONFIG = "all"
_SIZES = [(1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")]
_SIZES += [(10_000_000, "1M<n<10M"), (100_000_000, "10M<n<100M"), (1_000_000_000, "100M<n<1B")]


def source_licence(sources: list[str]) -> str:
    """The Hugging Face licence id of the captions, when every source file names a known dataset."""
    found = set()
    for name in sources:
        found.add(next((lic for pattern, lic in _LICENCES if pattern.search(name.lower())), UNKNOWN_LICENCE))
    return found.pop() if len(found) == 1 else UNKNOWN_LICENCE


def size_category(rows: int) -> str:
    return next((label for bound, label in _SIZES if rows < bound), "n>1B")


def header(files: dict[str, str], rows: int, licence: str, run_id: str) -> dict[str, Any]:
    """The YAML front matter: one config per type and `all` (the default) over every file."""
    configs = [
        {"config_name": ALL_CONFIG, "default": True, "data_files": [{"split": "train", "path": list(files.values())}]}
    ]
    configs += [{"config_name": t, "data_files": [{"split": "train", "path": p}]} for t, p in files.items()]
    return {
        "license": licence,
        "language": ["en"],
        "pretty_name": f"neggen hard negatives ({run_id})",
        "task_categories": ["zero-shot-image-classification", "image-to-text", "text-to-image"],
        "tags": ["hard-negatives", "compositionality", "clip", "synthetic", "neggen"],
        "size_categories": [size_category(rows)],
        "configs": configs,
    }


def prompt_file(prompts_dirs: list[Path], name: str, sha256: str | None) -> str | None:
    """The text of the prompt file the run used: the first <name>.toml in these folders whose bytes hash to the
    recorded sha."""
    for folder in prompts_dirs:
        path = folder / f"{name}.toml"
        if path.is_file() and (sha256 is None or hashlib.sha256(path.read_bytes()).hexdigest() == sha256):
            return path.read_text(encoding="utf-8")
    return None


def _table(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def _settings(values: dict[str, Any]) -> str:
    return "\n".join(f"- `{k}`: `{json.dumps(v)}`" for k, v in values.items())


_COUNT_COLUMNS = [("captions", "count"), ("accepted", "count"), ("rejected", "count"), ("acceptance_rate", "share")]
_AUDIT_COLUMNS = [
    ("pairs", "count"),
    ("negative_longer", "count"),
    ("negative_shorter", "count"),
    ("length_judge_accuracy", "share"),
]


def _shown(entry: dict[str, Any], columns: list[tuple[str, str]]) -> list[str]:
    return [display(entry[key], kind) for key, kind in columns]


def _counts(stats: dict[str, Any], types: list[str], exported: dict[str, int]) -> str:
    rows = []
    for name in types:
        figures = _shown(stats["by_type"][name], _COUNT_COLUMNS)
        rows.append([name, *figures, display(exported.get(name, 0), "count")])
    return _table(["type", "captions", "accepted", "rejected", "acceptance", "rows here"], rows)


def _reasons(stats: dict[str, Any], types: list[str]) -> str:
    reasons = sorted({r for t in types for r in stats["by_type"][t]["reject_reasons"]})
    if not reasons:
        return "No row was rejected."
    rows = [[r, *(display(stats["by_type"][t]["reject_reasons"].get(r, 0), "count") for t in types)] for r in reasons]
    return _table(["reason", *types], rows)


def _audit(audit: dict[str, Any], types: list[str]) -> str:
    rows = []
    for name in [*types, OVERALL]:
        e = audit["by_type"].get(name)
        if e is None:
            continue
        rows.append([name, *_shown(e, _AUDIT_COLUMNS)])
    table = _table(["type", "pairs", "negative longer", "negative shorter", "length judge"], rows)
    return (
        "How often a judge that never sees the image picks the real caption over its negative, reading only "
        "lengths (the shorter text is the caption; ties count one half). 50% is chance; far from it is a "
        "shortcut a model can learn instead of looking at the image (`neggen audit`).\n\n" + table
    )


def _precision(labels: dict[str, Any] | None, types: list[str]) -> str:
    """The labelled precision as `neggen stats` reports it (neggen/qa/precision.py): per type the labelled rows,
    the good ones, the precision and its 95% Wilson interval."""
    by_type = (labels or {}).get("by_type", {})
    if not by_type:
        return (
            "No labels: these negatives have not been read against the quality rubric (`neggen label RUN`). "
            "Acceptance above is by neggen's own validators and is not precision: read blind against the "
            "rubric, accepted rows are good far less often than the validators suggest."
        )
    rows = []
    whole = set(by_type) - {OVERALL} <= set(types)  # the overall row only when every labelled type is here
    for name in [t for t in [*types, *([OVERALL] if whole else [])] if t in by_type]:
        k, n = by_type[name]["good"], by_type[name]["labelled"]
        low, high = wilson_interval(k, n)  # from the counts: the stored 4-place figures would round twice
        interval = f"{display(low, 'share')} - {display(high, 'share')}"
        rows.append([name, display(k / n, "share"), interval, display(n, "count")])
    labellers = ", ".join(labels.get("labellers", [])) or "-"
    stale = labels.get("stale") or 0
    note = f" {stale} label(s) of rows a re-run moved aside are not counted." if stale else ""
    return (
        "Share of accepted rows labelled good against the rubric (right type, fluent, changed, plausible: all "
        f"four), with its 95% Wilson interval and the rows it rests on; labelled by {labellers}.{note}\n\n"
        + _table(["type", "precision", "95% interval", "labelled rows"], rows)
    )


def _prompts(manifest: dict[str, Any], types: list[str], texts: dict[str, str], output: str | None) -> str:
    parts = []
    for name in types:
        sha = manifest.get("prompts", {}).get(name, {}).get("file_sha256")
        text = texts.get(name)
        if text is None:
            parts.append(f"- `{name}.toml` (sha256 `{sha}`): not found beside this export's run, not included")
            continue
        parts.append(
            f"<details><summary><code>prompts/{name}.toml</code> (sha256 <code>{sha}</code>)</summary>\n\n"
            f"```toml\n{text.rstrip()}\n```\n\n</details>"
        )
    if output == "edit":
        from neggen.prompts import EDIT_SYSTEM, EDIT_TEMPLATE

        parts.append(
            "Edit form (`--output edit`): the model is asked for an edit, not a sentence, with these "
            f"instructions (`rule` from the prompt file):\n\n```text\n{EDIT_SYSTEM}\n\n{EDIT_TEMPLATE}\n```"
        )
    return "\n\n".join(parts)


def render_card(
    manifest: dict[str, Any],
    stats: dict[str, Any],
    audit: dict[str, Any],
    types: list[str],
    files: dict[str, str],
    exported: dict[str, int],
    licence: str,
    sources: list[str],
    engines: list[tuple[str, str]],
    labels: dict[str, Any] | None,
    prompt_texts: dict[str, str],  # each type's prompt file as the run used it (prompt_file), when found
) -> str:
    config = manifest.get("config", {})
    total = sum(exported.values())
    empty = [t for t in types if t not in exported]
    done = max(stats["by_type"][t]["captions"] for t in types)  # a run with --limit did not read the whole file
    run_id = manifest["run_id"]
    front = yaml.safe_dump(header(files, total, licence, run_id), sort_keys=False, allow_unicode=True)
    models = ", ".join(f"`{model}` ({engine})" for engine, model in engines) or "-"
    captions = manifest.get("captions", {})
    plausibility = manifest.get("plausibility")
    argv = [" ".join(["neggen", *inv.get("argv", [])]) for inv in manifest.get("invocations", [])]
    licence_note = {
        "cc-by-4.0": "CC BY 4.0, the licence of the COCO captions the negatives are written from",
        UNKNOWN_LICENCE: "unknown: the source captions' licence is not known; state it before publishing "
        "(`neggen export --license ID`)",
    }.get(licence, licence)
    sampling = config.get("sampling", {})
    generation = {
        "output": config.get("output"),
        "prompt_layout": config.get("prompt_layout"),
        **{f"sampling.{k}": v for k, v in sampling.items()},
        "seed": config.get("seed"),
        "per_request_seeds": config.get("per_request_seeds"),
        "max_attempts": config.get("max_attempts"),
        "example_sets": config.get("example_sets"),
        "examples_per_prompt": config.get("examples_per_prompt"),
        "structured_output": config.get("structured_output"),
        "replace_choices": config.get("replace_choices"),
    }
    validators = {
        "meaning_checks": config.get("meaning_checks"),
        "max_caption_words": config.get("max_caption_words"),
        "tagger": manifest.get("tagger"),
        "plausibility (config)": config.get("plausibility"),
    }
    sections = [
        f"---\n{front}---\n{MARKER}\n",
        f"# Hard-negative captions (neggen run `{run_id}`)\n",
        f"{display(total, 'count')} validated hard-negative captions of {len(exported)} type(s) "
        f"({', '.join(exported)}), written from {display(done, 'count')} source captions by "
        f"{models} with neggen {manifest.get('versions', {}).get('neggen', '')}. Each row pairs a real caption "
        "(`caption`, with `image_id` / `image_path` of its image) with a negative (`negative`) that changes its "
        "meaning by the edit its type names, and carries its provenance (model, prompt sha, seed, sampling).\n",
        "## Load\n\n```python\nfrom datasets import load_dataset\n\n"
        f'every_type = load_dataset("REPO_ID")  # config "{ALL_CONFIG}"\n'
        f'one_type = load_dataset("REPO_ID", "{next(iter(exported))}")\n```\n',
        f"Types with no accepted row (counted below, no config): {', '.join(empty)}.\n" if empty else "",
        f"## Counts\n\n{_counts(stats, types, exported)}\n",
        f"### Reject reasons\n\n{_reasons(stats, types)}\n",
        f"## Quality\n\n### Labelled precision\n\n{_precision(labels, types)}\n",
        f"### Blind audit\n\n{_audit(audit, types)}\n",
        "## Recipe\n",
        "### Source captions\n\n"
        f"- files: {', '.join(f'`{s}`' for s in sources) or '-'} ({display(captions.get('rows'), 'count')} "
        f"captions, caption-id set sha256 `{captions.get('sha256')}`), of which {display(done, 'count')} were "
        f"read\n- licence: {licence_note}\n",
        f"### Model and engine\n\n- rows written by: {models}\n\n{_settings(generation)}\n",
        f"### Validators\n\n{_settings(validators)}\n",
        "### Plausibility filter\n\n"
        + (_settings(plausibility) if plausibility else "Not recorded (off, or a run from before it existed).")
        + "\n",
        f"### Prompt files\n\n{_prompts(manifest, types, prompt_texts, config.get('output'))}\n",
        f"### Versions\n\n{_settings(manifest.get('versions', {}))}\n",
        "### Commands run\n\n```bash\n" + "\n".join(argv) + "\n```\n",
    ]
    return "\n".join(sections)
