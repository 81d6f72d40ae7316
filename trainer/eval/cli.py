"""`python -m trainer eval run|blind|build`: evaluate a model or a blind baseline, then gather the table."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from trainer.cli_errors import fail as _fail
from trainer.eval.benchmarks import BENCHMARKS

if TYPE_CHECKING:
    from trainer.eval.results import Record

# The evaluators import torch and the language tools (seconds): each command imports them when it runs.

eval_app = typer.Typer(add_completion=False, no_args_is_help=True, help="Evaluate CLIP models on the benchmarks.")


def _benchmarks(text: str) -> tuple[str, ...]:
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        raise _fail(f"unknown benchmark(s) {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
    return names


def _show(record: Record) -> None:
    main = {k: round(v, 2) for k, v in record.metrics.items() if isinstance(v, float)}
    typer.echo(f"  {record.benchmark}/{record.subset} [{record.task}] n={record.n_items} ties={record.n_ties} {main}")


def _report_missing(missing: dict[str, str]) -> None:
    for name, why in missing.items():
        typer.echo(f"  skipped {name}: {why}")


def _finish(records: list[Record], out: Path, tag: str, model: str, run_id: str, task: str) -> None:
    from trainer.eval.results import safe_tag, write_record
    from trainer.eval.suite import add_aro_summary

    summary = add_aro_summary(records, task)
    if summary is not None:
        _show(summary)
        records.append(summary)
    for record in records:
        record.model = record.model or model
        record.run_id = run_id
        write_record(out, tag, record)
    typer.echo(f"{len(records)} result files in {out / safe_tag(tag)}")


@eval_app.command("run")
def run(
    model: Annotated[str, typer.Option(help="trainer run/checkpoint/model dir, hub name, or OpenAI/open_clip .pt")],
    data_root: Annotated[Path, typer.Option(help="root of the benchmark downloads (see docs/evaluation.md)")] = Path(
        "data/benchmarks"
    ),
    out: Annotated[Path, typer.Option(help="results dir: <out>/<tag>/<benchmark>__<subset>__<task>.json")] = Path(
        "runs/eval"
    ),
    tokenizer: Annotated[
        str | None, typer.Option(help="dir with vocab.json + merges.txt (required for .pt files)")
    ] = None,
    tag: Annotated[str | None, typer.Option(help="name of this model's results folder (default: from --model)")] = None,
    benchmarks: str = typer.Option(",".join(BENCHMARKS), help="comma-separated subset of the benchmarks"),
    tagger: Annotated[str, typer.Option(help="ARO-Order tagger: spacy (official), lexicon (offline), auto")] = "auto",
    seed: Annotated[int, typer.Option(help="seed of the ARO-Order shuffles")] = 0,
    batch_size: Annotated[int, typer.Option()] = 64,
    device: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Evaluate one model on every selected benchmark whose data is present under --data-root."""
    from trainer.eval import aro_order
    from trainer.eval.embed import ClipEncoder, EmbeddingCache
    from trainer.eval.loading import load_model, model_tag
    from trainer.eval.suite import image_judge, run_suite
    from trainer.tokenizer import TokenizerError

    selected = _benchmarks(benchmarks)
    try:
        clip, tok = load_model(model, tokenizer)
    except (FileNotFoundError, ValueError, TokenizerError, OSError) as error:
        raise _fail(str(error)) from error
    cache = EmbeddingCache(ClipEncoder(clip, tok, batch_size=batch_size, device=device))
    order_tagger = aro_order.make_tagger(tagger)
    run_id = f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
    tag = tag or model_tag(model)
    typer.echo(f"evaluating {model} as {tag} (run {run_id}, ARO-Order tagger: {order_tagger.name})")
    records, missing = run_suite(
        image_judge(cache), data_root, selected, tagger=order_tagger, seed=seed, cache=cache, on_record=_show
    )
    _report_missing(missing)
    _finish(records, out, tag, model, run_id, "image_caption_selection")


@eval_app.command("blind")
def blind(
    data_root: Annotated[Path, typer.Option(help="root of the benchmark downloads")] = Path("data/benchmarks"),
    out: Annotated[Path, typer.Option()] = Path("runs/eval"),
    scorers: Annotated[str, typer.Option(help="comma-separated: shorter, larger_number, lm")] = "shorter,larger_number",
    sugarcrepe_dir: Annotated[
        Path | None, typer.Option(help="SugarCrepe annotation dir (default: <data-root>/sugarcrepe)")
    ] = None,
    benchmarks: Annotated[str, typer.Option()] = "sugarcrepe,aro,coco_order,flickr30k_order,valse",
    tagger: Annotated[str, typer.Option(help="ARO-Order tagger: spacy, lexicon, auto")] = "auto",
    seed: Annotated[int, typer.Option()] = 0,
    lm: Annotated[str | None, typer.Option(help="causal LM dir for the lm scorer (default: the bundled model)")] = None,
) -> None:
    """Text-only baselines (no images needed): the artefacts a benchmark leaves for a blind scorer."""
    from trainer.eval import aro_order
    from trainer.eval.blind import BLIND_SCORERS, LMScorer
    from trainer.eval.suite import blind_judge, run_suite

    selected = tuple(b for b in _benchmarks(benchmarks) if not BENCHMARKS[b].image_only)
    order_tagger = aro_order.make_tagger(tagger)
    run_id = f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
    for name in (s.strip() for s in scorers.split(",") if s.strip()):
        if name not in BLIND_SCORERS:
            raise _fail(f"unknown scorer {name!r}; known: {', '.join(BLIND_SCORERS)}")
        scorer = LMScorer(lm) if name == "lm" else BLIND_SCORERS[name]()
        typer.echo(f"blind baseline {scorer.name}")
        records, missing = run_suite(
            blind_judge(scorer),
            data_root,
            selected,
            task=scorer.name,
            tagger=order_tagger,
            seed=seed,
            sugarcrepe_dir=sugarcrepe_dir,
            on_record=_show,
        )
        _report_missing(missing)
        _finish(records, out, "blind", scorer.name, run_id, scorer.name)


@eval_app.command("build")
def build_cmd(
    out: Annotated[Path, typer.Option(help="the results dir given to run/blind")] = Path("runs/eval"),
) -> None:
    """Gather every result JSON under --out into results.csv and results.md (with the paper's rows) and print."""
    import polars as pl

    from trainer.eval.results import build

    if not out.exists():
        raise _fail(f"{out} does not exist: run `python -m trainer eval run` or `eval blind` first")
    long, headline, blind_rows = build(out)
    with pl.Config(tbl_rows=200, tbl_cols=20, tbl_width_chars=200, fmt_str_lengths=60):
        typer.echo("Headline (rows 'paper: ...' are the DeGLA paper's numbers; compare deltas, not raw values):")
        typer.echo(headline)
        if not blind_rows.is_empty():
            typer.echo("Per subset, beside the blind baselines:")
            typer.echo(blind_rows)
    typer.echo(f"{long.height} metrics -> {out / 'results.csv'}, {out / 'results.md'}")
