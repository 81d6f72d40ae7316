"""`neggen export --format hf`: a folder the Hugging Face hub serves as a dataset, with the run's recipe.

    DIR/README.md                 the dataset card (YAML header: licence, tasks, size, one config per type)
    DIR/data/<type>.parquet       that type's accepted rows, every column, under the declared schema
    DIR/prompts/<type>.toml       the prompt files the run used (their sha256 is in the card and the manifest)

Only a finished run with accepted rows is exported: a card's counts must describe the data beside it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

from neggen.prompts import DEFAULT_PROMPTS_DIR
from neggen.qa.audit import audit_run
from neggen.qa.card import MARKER, prompt_file, render_card, source_licence
from neggen.qa.completeness import unfinished
from neggen.qa.frames import check_run_dir, scan
from neggen.qa.stats import compute_stats, features
from neggen.run.atomic import write_atomic, write_parquet_atomic
from neggen.run.layout import read_manifest
from neggen.schemas import NEGATIVES
from neggen.types import resolve_types

_OWN = {"README.md", "data", "prompts"}


def _check_target(target: Path) -> None:
    """An empty or new folder, or an earlier export (replaced); never a folder holding anything else."""
    if target.exists() and not target.is_dir():
        raise NotADirectoryError(f"--out {target} is a file, not a directory")
    if not target.exists() or not any(target.iterdir()):
        return
    readme = target / "README.md"
    earlier = readme.is_file() and MARKER in readme.read_text(encoding="utf-8", errors="replace")
    if not earlier or {p.name for p in target.iterdir()} - _OWN:
        raise FileExistsError(f"--out {target} is not empty and not an earlier `neggen export --format hf`")


def _sources(root: Path) -> list[str]:
    captions = root / "captions.parquet"
    if not captions.exists():
        return []
    return sorted(set(pq.read_table(captions, columns=["source"]).column("source").to_pylist()))


def _engines(root: Path) -> list[tuple[str, str]]:
    frame = pl.concat([scan(root, k).select("engine", "model") for k in ("negatives", "rejects")])
    return sorted(frame.unique().collect().iter_rows())


def export_hub(root: Path, target: Path, types: list[str] | None = None, licence: str | None = None) -> int:
    """Write the folder; returns the number of rows exported."""
    check_run_dir(root)
    _check_target(target)
    measured = features(root, keep_words=True)  # once, for the stats and the audit
    stats = compute_stats(root, measured)
    wanted = [t.value for t in resolve_types(types)] if types else stats["types"]
    present = [t for t in stats["types"] if t in wanted]
    exported = {t: n for t in present if (n := stats["by_type"][t]["accepted"])}
    if not exported:
        rejected = sum(stats["by_type"][t]["rejected"] for t in present)
        raise ValueError(f"{root} has no accepted negatives to export ({rejected} rejected; `neggen stats` says why)")
    if not (root / "manifest.json").is_file():
        raise FileNotFoundError(f"{root} has no manifest.json, which the card's recipe is read from (jsonl needs none)")
    manifest = read_manifest(root)
    if pending := unfinished(root):
        raise ValueError(
            f"{root} is not finished ({pending}; `neggen status {root}` shows which): "
            "complete it with its `neggen generate` command, then export"
        )
    files = {t: f"data/{t}.parquet" for t in exported}
    rows = scan(root, "negatives").drop("type", "shard")
    for name, relative in files.items():
        table = rows.filter(pl.col("neg_type") == name).sort("caption_id").collect().to_arrow()
        write_parquet_atomic(target / relative, table, NEGATIVES)
    prompts_dirs = [Path(d) for d in [manifest.get("config", {}).get("prompts_dir")] if d] + [DEFAULT_PROMPTS_DIR]
    prompt_texts = {}
    for name in present:
        sha = manifest.get("prompts", {}).get(name, {}).get("file_sha256")
        if (text := prompt_file(prompts_dirs, name, sha)) is not None:
            prompt_texts[name] = text
            write_atomic(target / "prompts" / f"{name}.toml", lambda tmp, text=text: tmp.write_text(text, "utf-8"))
    audit = audit_run(root, examples=0, rows=measured)
    sources = _sources(root)
    card = render_card(
        manifest,
        stats,
        audit,
        present,
        files,
        exported,
        licence or source_licence(sources),
        sources,
        _engines(root),
        stats.get("labels"),  # `neggen label`'s precision, as `neggen stats` computes it (None: no labels)
        prompt_texts,
    )
    write_atomic(target / "README.md", lambda tmp: tmp.write_text(card, encoding="utf-8"))
    _remove_stale(target, files, present)
    return sum(exported.values())


def _remove_stale(target: Path, files: dict[str, str], types: list[str]) -> None:
    """An earlier export's files of types this one does not have (the card no longer describes them)."""
    keep = {target / p for p in files.values()} | {target / "prompts" / f"{t}.toml" for t in types}
    for folder in (target / "data", target / "prompts"):
        for path in folder.iterdir() if folder.is_dir() else []:
            if path not in keep:
                shutil.rmtree(path) if path.is_dir() else path.unlink()
