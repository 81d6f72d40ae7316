"""The `neggen` command line (typer). User mistakes end in one clear sentence and a non-zero exit."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from neggen.config import ENGINE_SCORER, GenerateConfig, load_config
from neggen.engines import EngineError, make_engine
from neggen.errors import RESUME_HINT, ShardFailed, check_model_path, check_writable_dir, fail, one_line
from neggen.run.atomic import write_parquet_atomic
from neggen.run.layout import RunLayout
from neggen.run.manifest import RunMismatch
from neggen.schemas import CAPTIONS
from neggen.types import resolve_types

if TYPE_CHECKING:
    from neggen.run.runners import Runner

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Validated hard-negative captions from a local LLM.")


def _user_errors() -> tuple[type[Exception], ...]:
    """What a user's input can raise: one line, not a traceback. UnreadablePart and pydantic's ValidationError
    are ValueErrors; OSError covers pyarrow's IO errors. A function, called only in `except` clauses, so that
    the reading commands do not import polars (through neggen.ingest) to start."""
    from neggen.ingest import IngestError

    return (IngestError, RunMismatch, ValueError, OSError)


# Config keys that have a flag: a validation error names the flag the user typed.
_FLAGS = {
    "engine": "--engine",
    "model": "--model",
    "prompt_layout": "--prompt-layout",
    "output": "--output",
    "chunk_size": "--chunk-size",
    "seed": "--seed",
    "tagger_workers": "--tagger-workers",
    "openai.base_url": "--base-url",
}


# generate: every shard this process could take is done, but another process held at least one (docs/failures.md).
EXIT_BUSY = 3


def _fail(message: str, code: int = 1) -> typer.Exit:
    return fail("neggen", message, code)


def _read_errors() -> tuple[type[Exception], ...]:
    """_user_errors, and a part whose footer reads but whose pages do not: it surfaces inside polars or arrow."""
    import polars as pl
    import pyarrow as pa

    return (*_user_errors(), pl.exceptions.PolarsError, pa.ArrowException)


def _say(message: str) -> None:
    typer.echo(message, err=True)


FormatOpt = Annotated[str, typer.Option("--format", help="auto|coco|karpathy|sugarcrepe|jsonl|csv|parquet")]
CaptionCol = Annotated[str, typer.Option("--caption-col", help="caption column (jsonl/csv/parquet)")]
ImageCol = Annotated[str, typer.Option("--image-col", help="image id column (jsonl/csv/parquet)")]
ImagePathCol = Annotated[str, typer.Option("--image-path-col", help="image path column, if any")]


def _read_source(source: Path, fmt: str, caption_col: str, image_col: str, image_path_col: str):
    formats = ("auto", "coco", "karpathy", "sugarcrepe", "jsonl", "csv", "parquet")
    if fmt not in formats:
        raise ValueError(f"--format must be one of {', '.join(formats)}")
    from neggen.ingest import ColumnOptions, load_captions

    columns = ColumnOptions(caption=caption_col, image_id=image_col, image_path=image_path_col)
    table, report = load_captions(source, fmt, columns)  # type: ignore[arg-type]
    _say(report.summary())
    return table


@app.command()
def ingest(
    source: Annotated[Path, typer.Argument(help="caption file: COCO captions, Karpathy, SugarCrepe, jsonl, csv")],
    out: Annotated[Path, typer.Option("--out", help="directory for captions.parquet, or a .parquet path")],
    fmt: FormatOpt = "auto",
    caption_col: CaptionCol = "caption",
    image_col: ImageCol = "image_id",
    image_path_col: ImagePathCol = "image_path",
) -> None:
    """Read a caption source into the canonical captions table (stable caption_id, deduplicated)."""
    try:
        table = _read_source(source, fmt, caption_col, image_col, image_path_col)
        target = out if out.suffix == ".parquet" else out / "captions.parquet"
        check_writable_dir(target.parent)
        write_parquet_atomic(target, table, CAPTIONS)
    except _user_errors() as exc:
        raise _fail(one_line(exc)) from None
    typer.echo(str(target))


@app.command()
def relations(
    source: Annotated[Path, typer.Argument(help="reference captions: COCO captions, Karpathy, SugarCrepe, jsonl, csv")],
    out: Annotated[Path, typer.Option("--out", help="the table to write, a .parquet path")],
    fmt: FormatOpt = "auto",
    caption_col: CaptionCol = "caption",
    image_col: ImageCol = "image_id",
    image_path_col: ImagePathCol = "image_path",
) -> None:
    """Count the relations of reference captions (who does what, what is where) into a table that a run's
    exchanges must keep to: `generate --set relations=OUT` (docs/negatives.md)."""
    from neggen.validate.relations import RelationTable

    try:
        captions = _read_source(source, fmt, caption_col, image_col, image_path_col).column("caption").to_pylist()
        check_writable_dir(out.parent)
        built = RelationTable.build(captions, source=f"{source.name}: {len(captions)} captions")
        built.save(out)
    except _user_errors() as exc:
        raise _fail(one_line(exc)) from None
    _say(f"neggen: {len(built.counts)} relations from {len(captions)} captions")
    typer.echo(str(out))


def _report_busy(busy: list[str]) -> None:
    """The run's last lines: a busy shard was skipped, so this run alone did not complete what it was given."""
    for line in busy:
        _say(f"neggen: {line}")
    _say(
        f"neggen: {len(busy)} shard(s) were busy in another process and were not generated; "
        "re-run the same command when it has finished"
    )
    raise typer.Exit(EXIT_BUSY)


def _local_runner(config: GenerateConfig, **_ray_options: Any) -> Runner:
    from neggen.run.runners import LocalRunner

    return LocalRunner(make_engine(config))  # the engine loads here: minutes for a real model


def _ray_runner(
    config: GenerateConfig, workers: int, address: str | None, cpus_per_worker: float, gpus_per_worker: float
) -> Runner:
    from neggen.run.ray_runner import RayRunner  # each actor loads its own engine; the driver only plans

    return RayRunner(workers, address, cpus_per_worker, gpus_per_worker)


RUNNERS: dict[str, Callable[..., Runner]] = {"local": _local_runner, "ray": _ray_runner}


@app.command()
def generate(
    captions: Annotated[Path, typer.Option("--captions", help="captions.parquet from `ingest`, or any raw source")],
    out: Annotated[Path, typer.Option("--out", help="output directory; re-running resumes it")],
    neg_type: Annotated[list[str], typer.Option("--type", help="type, family (swap, replace) or all")] = ["all"],  # noqa: B006
    shards: Annotated[int, typer.Option("--shards", min=1)] = 1,
    shard_index: Annotated[list[int] | None, typer.Option("--shard-index", help="only these shards")] = None,
    engine: Annotated[str | None, typer.Option("--engine", help="hf|vllm|openai")] = None,
    model: Annotated[str | None, typer.Option("--model", help="hub name or local folder")] = None,
    config_file: Annotated[Path | None, typer.Option("--config", help="TOML/YAML/JSON GenerateConfig")] = None,
    settings: Annotated[
        list[str] | None,
        typer.Option("--set", help="override a config key: --set sampling.temperature=0.7 (repeatable, JSON values)"),
    ] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="first N captions only")] = None,
    prompt_layout: Annotated[str | None, typer.Option("--prompt-layout", help="chat|paper")] = None,
    output: Annotated[
        str | None, typer.Option("--output", help="sentence|edit: swap/replace answers as an edit (red -> blue)")
    ] = None,
    chunk_size: Annotated[int | None, typer.Option("--chunk-size", min=1)] = None,
    seed: Annotated[int | None, typer.Option("--seed")] = None,
    tagger_workers: Annotated[
        int | None,
        typer.Option(
            "--tagger-workers", min=0, help="processes parsing for the validators (default: cores/4, at most 8)"
        ),
    ] = None,
    base_url: Annotated[str | None, typer.Option("--base-url", help="openai engine: server URL (…/v1)")] = None,
    runner: Annotated[str, typer.Option("--runner", help="local|ray")] = "local",
    workers: Annotated[int, typer.Option("--workers", min=1, help="ray: engine actors")] = 2,
    ray_address: Annotated[str | None, typer.Option("--ray-address", help="ray: 'auto' or ray://host:10001")] = None,
    gpus_per_worker: Annotated[float, typer.Option("--gpus-per-worker", min=0, help="ray: GPUs per actor")] = 0.0,
    cpus_per_worker: Annotated[float, typer.Option("--cpus-per-worker", min=0, help="ray: CPUs per actor")] = 1.0,
    fmt: FormatOpt = "auto",
    caption_col: CaptionCol = "caption",
    image_col: ImageCol = "image_id",
    image_path_col: ImagePathCol = "image_path",
) -> None:
    """Write validated negatives for every caption x type; re-running the same command resumes."""
    from neggen.plausibility import load_plausibility  # the language tools (seconds): only where generation runs
    from neggen.run.plan import check_shards
    from neggen.run.runners import generate as run_generate
    from neggen.validate import require_resources
    from neggen.validate.relations import table_for

    chosen = None
    try:
        if output not in (None, "sentence", "edit"):
            raise ValueError(f"--output must be sentence or edit, not {output!r}")
        # The named flags are shorthands for --set keys, applied after the --set items.
        shorthands = {
            "engine": engine,
            "model": model,
            "prompt_layout": prompt_layout,
            "output": output,
            "chunk_size": chunk_size,
            "seed": seed,
            "tagger_workers": tagger_workers,
            "openai.base_url": base_url,
        }
        config = load_config(config_file, settings or [], shorthands, _FLAGS)
        if runner not in RUNNERS:
            raise ValueError(f"--runner must be {' or '.join(RUNNERS)}")
        types = resolve_types(neg_type)
        check_shards(shards, shard_index)
        require_resources(meaning=config.meaning_checks)
        table = _read_source(captions, fmt, caption_col, image_col, image_path_col)
        # Cheap checks before the engine loads (minutes for a real model).
        check_writable_dir(out)
        check_model_path(config.model)
        if config.plausibility.model != ENGINE_SCORER:
            check_model_path(config.plausibility.model, "--set plausibility.model")
            load_plausibility(config.plausibility)  # a scorer that cannot load is one line before the engine loads
        table_for(config.relations)
        chosen = RUNNERS[runner](
            config,
            workers=workers,
            address=ray_address,
            cpus_per_worker=cpus_per_worker,
            gpus_per_worker=gpus_per_worker,
        )
        load_plausibility(config.plausibility, chosen.engine)  # the engine scorer calibrates once the engine is up
    except (*_user_errors(), EngineError) as exc:
        if chosen is not None:
            chosen.close()
        raise _fail(one_line(exc, _FLAGS)) from None
    invocation = {
        "argv": sys.argv[1:],
        "types": [t.value for t in types],
        "shard_indices": shard_index,
        "limit": limit,
        "engine": chosen.engine.name if chosen.engine else config.engine,
        "model": chosen.engine.model if chosen.engine else config.model,
        "pid": os.getpid(),
    }
    try:
        summary = run_generate(table, out, types, shards, chosen, config, shard_index, limit, invocation=invocation)
    except (ShardFailed, OSError) as exc:
        # Generation had started (disk full, engine gone): whatever was committed is safe.
        raise _fail(f"{one_line(exc)}; {RESUME_HINT}", code=2) from None
    except _user_errors() as exc:
        raise _fail(one_line(exc)) from None
    finally:
        chosen.close()
    for path in summary.quarantined:
        _say(f"moved an unreadable part aside to {path}; its captions were generated again")
    for name in summary.accepted.keys() | summary.rejected.keys():
        _say(f"{name}: {summary.accepted[name]} accepted, {summary.rejected[name]} rejected this run")
    if summary.retried_tasks:
        _say(f"{summary.retried_tasks} task(s) were retried on a fresh worker after theirs died")
    if summary.skipped_done:
        _say(f"{summary.skipped_done} caption x type rows were already done (resumed)")
    typer.echo(str(out))
    if summary.busy:
        _report_busy(summary.busy)


@app.command()
def status(
    out: Annotated[Path, typer.Argument(help="a run directory")],
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable")] = False,
    check: Annotated[bool, typer.Option("--check", help="read every part file in full, not only its footer")] = False,
) -> None:
    """Progress per type x shard; exit 1 when a part file is unreadable (listed with the way to recover)."""
    from neggen.run.status import format_status, run_status

    try:
        report = run_status(RunLayout(out), check=check)
    except _read_errors() as exc:
        raise _fail(one_line(exc)) from None
    typer.echo(json.dumps(report, indent=2) if as_json else format_status(report))
    if report["unreadable"]:
        raise typer.Exit(1)


@app.command()
def stats(
    out: Annotated[Path, typer.Argument(help="a run directory")],
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable")] = False,
) -> None:
    """Per type and overall: acceptance, reject reasons, lengths, edit size, diversity, tokens; labelled
    precision with its 95% interval when `neggen label` saved labels."""
    from neggen.qa.stats import compute_stats, format_stats

    try:
        report = compute_stats(out)
    except _read_errors() as exc:
        raise _fail(one_line(exc)) from None
    typer.echo(json.dumps(report, indent=2) if as_json else format_stats(report))


@app.command()
def show(
    out: Annotated[Path, typer.Argument(help="a run directory")],
    neg_type: Annotated[list[str] | None, typer.Option("--type", help="type or family (repeatable)")] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="rejected rows with this reason")] = None,
    shard: Annotated[int | None, typer.Option("--shard", min=0)] = None,
    rejects: Annotated[bool, typer.Option("--rejects", help="rejected rows instead of accepted")] = False,
    n: Annotated[int, typer.Option("-n", "--n", min=1, help="rows to show")] = 10,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    color: Annotated[bool | None, typer.Option("--color/--no-color", help="default: on a terminal")] = None,
) -> None:
    """Sample rows side by side, caption over negative, with the edit highlighted."""
    from neggen.qa.show import format_rows, sample_rows

    try:
        rows = sample_rows(out, neg_type, reason, shard, rejects, n, seed)
    except _read_errors() as exc:
        raise _fail(one_line(exc)) from None
    use_color = sys.stdout.isatty() if color is None else color
    typer.echo(format_rows(rows, use_color), color=use_color)


def _login_name() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name (a container without a passwd entry): --labeller is needed
        return ""


@app.command()
def label(
    out: Annotated[Path, typer.Argument(help="a run directory")],
    sample: Annotated[int, typer.Option("--sample", min=1, help="accepted rows sampled per type")] = 50,
    neg_type: Annotated[list[str] | None, typer.Option("--type", help="type or family (repeatable)")] = None,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    labeller: Annotated[str | None, typer.Option("--labeller", help="who answers (default: the login name)")] = None,
    color: Annotated[bool | None, typer.Option("--color/--no-color", help="default: on a terminal")] = None,
) -> None:
    """Answer the quality rubric for a seeded sample of accepted rows, one key a question; saved as you go."""
    from neggen.qa.labelling import KEYS_HELP, Session, key_reader, progress_note, sample_for_labelling
    from neggen.qa.labels import read_run_labels, run_labels_path
    from neggen.qa.precision import split_stale

    try:
        name = (labeller if labeller is not None else _login_name()).strip()
        if not name or not name.isprintable():
            raise ValueError("--labeller must be a non-empty name on one line")
        labels = read_run_labels(out)  # a corrupt file stops here, before anything is appended to it
        rows = sample_for_labelling(out, neg_type, sample, seed)
        if not rows:
            which = f" of type {', '.join(neg_type)}" if neg_type else ""
            raise ValueError(f"{out} has no accepted rows{which} to label")
        _, stale = split_stale(out, labels)
        note = progress_note(out)
        check_writable_dir(run_labels_path(out).parent, "the labels folder")  # before anyone answers a row
    except _read_errors() as exc:
        raise _fail(one_line(exc)) from None
    if stale:
        _say(
            f"neggen: {len(stale)} label(s) in {run_labels_path(out)} are of rows no longer among the run's "
            "accepted rows (moved aside by a re-run): kept in the file, not counted by `neggen stats`"
        )
    if note:
        _say(f"neggen: {note}")
    done = {r.row_id for r in labels if r.label.labeller == name}
    todo = [r for r in rows if r["row_id"] not in done]
    if not todo:
        _say(f"all {len(rows)} sampled rows are labelled by {name}; a larger --sample or another --seed gives more")
        return
    use_color = sys.stdout.isatty() if color is None else color
    session = Session(out, todo, name, sys.stdout, use_color)
    typer.echo(
        f"{len(todo)} of {len(rows)} sampled rows to label as {name} ({len(rows) - len(todo)} done before); "
        f"keys: {KEYS_HELP}"
    )
    try:
        with key_reader(sys.stdin) as read_key:
            session.run(read_key)
    except KeyboardInterrupt:
        pass  # every finished row is already saved
    except OSError as exc:
        raise _fail(one_line(exc)) from None
    left = len(todo) - session.saved
    typer.echo(
        f"\n{session.saved} row(s) labelled this time"
        + (f" ({session.undone} undone)" if session.undone else "")
        + f", saved in {run_labels_path(out)}; "
        + (f"{left} sampled row(s) left: the same command resumes" if left else "the sample is done")
    )


@app.command()
def report(
    out: Annotated[Path, typer.Argument(help="a run directory")],
    target: Annotated[Path | None, typer.Option("--out", help="HTML file (default: DIR/report.html)")] = None,
    llm: Annotated[bool, typer.Option("--llm", help="the blind audit's LM judge too (bundled LLM)")] = False,
    llm_rows: Annotated[int, typer.Option("--llm-rows", min=1, help="LM judge: pairs sampled per type")] = 200,
    examples: Annotated[int, typer.Option("--examples", min=0, help="accepted rows shown per type")] = 3,
    seed: Annotated[int, typer.Option("--seed", help="which rows are sampled")] = 0,
) -> None:
    """One self-contained HTML file: stats, example rows with the edit marked, the blind audit, plots."""
    try:
        from neggen.qa.report import write_report

        options = {"llm": llm, "llm_rows": llm_rows, "examples": examples, "seed": seed}
        path = write_report(out, target or out / "report.html", **options)
    except (*_read_errors(), ImportError) as exc:
        raise _fail(one_line(exc)) from None
    typer.echo(str(path))


@app.command()
def audit(
    out: Annotated[Path, typer.Argument(help="a run directory")],
    llm: Annotated[bool, typer.Option("--llm", help="also the likelihood judge (bundled LLM)")] = False,
    llm_rows: Annotated[int, typer.Option("--llm-rows", min=1, help="llm judge: pairs sampled per type")] = 200,
    normalize: Annotated[bool, typer.Option("--normalize", help="llm judge: mean token log-prob, not sum")] = False,
    examples: Annotated[int, typer.Option("--examples", min=0, help="offending examples per type and judge")] = 3,
    rebalance_out: Annotated[
        Path | None, typer.Option("--rebalance", help="write a view where the judge is at chance here")
    ] = None,
    rebalance_judge: Annotated[
        str, typer.Option("--rebalance-judge", help="length, or llm (the plausibility scores stored on the rows)")
    ] = "length",
    seed: Annotated[int, typer.Option("--seed")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable")] = False,
) -> None:
    """How often a text-only judge (length, LLM likelihood) picks the caption over its negative, per type."""
    from neggen.qa.audit import audit_run, format_audit

    try:
        if rebalance_judge not in ("length", "llm"):
            raise ValueError(f"--rebalance-judge must be length or llm, not {rebalance_judge!r}")
        report = audit_run(out, llm, llm_rows, normalize, examples, seed)
        if rebalance_out is not None:
            from neggen.qa.rebalance import rebalance

            balanced = rebalance(out, rebalance_out, seed, rebalance_judge)  # type: ignore[arg-type]
            report["rebalance"] = balanced | {"out": str(rebalance_out)}
    except _read_errors() as exc:
        raise _fail(one_line(exc)) from None
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    typer.echo(format_audit(report))
    if rebalance_out is not None:
        judge = report["rebalance"]["judge"]
        typer.echo(f"rebalanced view in {rebalance_out} ({judge} judge accuracy before -> after, pairs kept):")
        for name, r in report["rebalance"]["by_type"].items():
            if f"{judge}_judge_before" in r:
                typer.echo(
                    f"  {name:<20}{r[f'{judge}_judge_before']} -> {r[f'{judge}_judge_after']}"
                    f"  ({r['pairs_after']}/{r['pairs_before']})"
                )


@app.command()
def export(
    out: Annotated[Path, typer.Argument(help="a run directory")],
    fmt: Annotated[str, typer.Option("--format", help="degla-json|jsonl|hf")],
    target: Annotated[Path, typer.Option("--out", help="file to write (hf: a folder)")],
    neg_type: Annotated[list[str] | None, typer.Option("--type", help="type or family (repeatable)")] = None,
    require_all: Annotated[
        bool, typer.Option("--require-all", help="degla-json: only captions with every selected type")
    ] = False,
    rejects: Annotated[bool, typer.Option("--rejects", help="jsonl: the rejected rows instead")] = False,
    licence: Annotated[
        str | None, typer.Option("--license", help="hf: the card's licence id (default: from the source captions)")
    ] = None,
) -> None:
    """Accepted negatives as DeGLA records, jsonl (every column), or a Hugging Face dataset folder with its card."""
    from neggen.qa.export import export_run

    try:
        if fmt == "hf":
            if require_all or rejects:
                raise ValueError("--require-all and --rejects do not apply to --format hf")
            from neggen.qa.hub import export_hub

            count = export_hub(out, target, neg_type, licence)
        else:
            if licence is not None:
                raise ValueError("--license only applies to --format hf")
            count = export_run(out, target, fmt, neg_type, require_all, rejects)
    except _read_errors() as exc:
        raise _fail(one_line(exc)) from None
    _say(f"{count} records")
    typer.echo(str(target))


@app.command()
def models() -> None:
    """Convert the bundled SmolLM2-135M-Instruct (GGUF) once to a safetensors folder; print its path."""
    from neggen.models import convert_bundled_model, default_model_dir, is_converted

    already = is_converted(default_model_dir())
    try:
        path = convert_bundled_model()
    except FileNotFoundError as exc:
        raise _fail(str(exc)) from None
    _say("already converted" if already else "converted the bundled GGUF")
    typer.echo(str(path))


def main() -> None:  # pragma: no cover - console entry for `python -m neggen`
    app()
