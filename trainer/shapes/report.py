"""Aggregate the replication's runs over seeds and write results.json, results.md and plots/*.png.

Confidence intervals: 95%, Student t over seeds (mean ± t_{0.975, n-1} · s / √n, s the sample standard
deviation across fine-tuning seeds). They cover seed-to-seed variation of fine-tuning only: stage 1 and the
evaluation sets are shared by all seeds. Stage 1 and the blind baselines are single deterministic runs (no CI).
Retention = the model's mean zero-shot accuracy over the three `_outside` sets (classes outside the fine-tuning
slice) minus stage 1's, per seed; "compositional avg" = the mean of the COMPOSITIONAL metrics, per run.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from neggen.run.atomic import write_atomic, write_json_atomic
from trainer.shapes.config import VERSIONS

METRICS: dict[str, str] = {
    "sc_replace": "SugarCrepe replace",
    "sc_swap": "SugarCrepe swap",
    "sc_add": "SugarCrepe add",
    "vg_r": "ARO VG-R",
    "vg_a": "ARO VG-A",
    "valse": "VALSE avg",
    "wino_text": "Winoground text",
    "wino_image": "Winoground image",
    "wino_group": "Winoground group",
    "zs_object": "zero-shot object",
    "zs_shape": "zero-shot shape",
    "zs_colour": "zero-shot colour",
    "zs_avg": "zero-shot avg",
    "zs_object_outside": "zero-shot object, outside slice",
    "zs_shape_outside": "zero-shot shape, outside slice",
    "zs_colour_outside": "zero-shot colour, outside slice",
    "zs_outside_avg": "zero-shot avg, outside slice",
    "comp_avg": "compositional avg",
    "retention": "retention (Δ zero-shot avg outside slice vs stage 1)",
}
RETAINED = "zs_outside_avg"
COMPOSITIONAL = ("sc_replace", "sc_swap", "sc_add", "vg_r", "vg_a", "valse", "wino_group")
VERSION_TITLES = {"in_distribution": "In-distribution", "heldout": "Held-out (unseen colour-shape pairs and triples)"}
CI_METHOD = "95% CI, Student t over fine-tuning seeds: mean ± t(0.975, n-1)·s/√n"


def t_interval(values: list[float]) -> dict[str, Any]:
    from scipy import stats

    finite = [v for v in values if v == v]
    n = len(finite)
    mean = sum(finite) / n if n else math.nan
    if n < 2:
        return {"mean": mean, "low": math.nan, "high": math.nan, "half_width": math.nan, "n": n, "values": values}
    sd = math.sqrt(sum((v - mean) ** 2 for v in finite) / (n - 1))
    half = float(stats.t.ppf(0.975, n - 1)) * sd / math.sqrt(n)
    return {"mean": mean, "low": mean - half, "high": mean + half, "half_width": half, "n": n, "values": values}


def cell(stat: dict[str, Any] | None) -> str:
    if stat is None or stat["mean"] != stat["mean"]:
        return "—"
    if stat["n"] < 2:
        return f"{stat['mean']:.1f}"
    return f"{stat['mean']:.1f} ± {stat['half_width']:.1f}"


def aggregate(runs: dict[str, dict[str, Any]], versions: tuple[str, ...]) -> tuple[list[str], dict[str, dict]]:
    """Add per-run retention, then {model: {"<version>/<metric>": t_interval}} in table order."""
    stage1 = runs["stage1"]["metrics"]
    for run in runs.values():
        if run["variant"].startswith("blind_"):
            continue
        for version in versions:
            comp = [run["metrics"].get(f"{version}/{m}") for m in COMPOSITIONAL]
            if all(c is not None for c in comp):
                run["metrics"][f"{version}/comp_avg"] = sum(comp) / len(comp)  # type: ignore[arg-type]
            key = f"{version}/{RETAINED}"
            if key in run["metrics"] and key in stage1:
                run["metrics"][f"{version}/retention"] = run["metrics"][key] - stage1[key]
    models = list(dict.fromkeys(run["variant"] for run in runs.values()))
    summary: dict[str, dict] = {}
    for model in models:
        members = [run["metrics"] for run in runs.values() if run["variant"] == model]
        keys = sorted({k for m in members for k in m})
        summary[model] = {k: t_interval([m.get(k, math.nan) for m in members]) for k in keys}
    return models, summary


def markdown(models: list[str], summary: dict, chance: dict[str, float], versions: tuple[str, ...]) -> str:
    lines = [
        "# Shapes-world replication",
        "",
        f"Accuracy in percent. Cells: mean ± half-width of the {CI_METHOD}; no ± = a single run.",
        "Stage 1 = plain contrastive pretraining (the stand-in for OpenAI CLIP); every other model is fine-tuned",
        "from it. blind_* never see the image (— = not applicable).",
        "",
    ]
    for version in versions:
        lines += [f"## {VERSION_TITLES[version]}", ""]
        lines.append("| metric | chance | " + " | ".join(models) + " |")
        lines.append("|---|---|" + "---|" * len(models))
        for metric, label in METRICS.items():
            key = f"{version}/{metric}"
            if not any(key in summary[m] for m in models):
                continue
            base = chance.get(key)
            row = [label, "—" if base is None else f"{base:.1f}"]
            row += [cell(summary[m].get(key)) for m in models]
            lines.append("| " + " | ".join(row) + " |")
        lines.append("")
    return "\n".join(lines)


def plots(
    out: Path, models: list[str], summary: dict, chance: dict[str, float], versions: tuple[str, ...]
) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    trained = [m for m in models if not m.startswith("blind_")]
    out.mkdir(parents=True, exist_ok=True)
    written = []

    def bars(ax, metrics: tuple[str, ...], version: str, names: list[str]) -> None:
        width = 0.8 / len(names)
        for i, model in enumerate(names):
            stats = [summary[model].get(f"{version}/{m}") for m in metrics]
            means = [s["mean"] if s else math.nan for s in stats]
            errors = [s["half_width"] if s and s["half_width"] == s["half_width"] else 0.0 for s in stats]
            xs = [j + (i - (len(names) - 1) / 2) * width for j in range(len(metrics))]
            ax.bar(xs, means, width, yerr=errors, capsize=2, label=model)
        for j, m in enumerate(metrics):
            if f"{version}/{m}" in chance:
                ax.hlines(chance[f"{version}/{m}"], j - 0.45, j + 0.45, colors="k", linestyles=":", linewidth=1)
        ax.set_xticks(range(len(metrics)), [METRICS[m].replace(" ", "\n", 1) for m in metrics], fontsize=7)
        ax.set_title(VERSION_TITLES[version], fontsize=9)
        ax.set_ylabel("accuracy (%)")

    fig, axes = plt.subplots(len(versions), 1, figsize=(11, 4 * len(versions)), squeeze=False)
    for ax, version in zip(axes[:, 0], versions, strict=True):
        bars(ax, COMPOSITIONAL, version, models)
    axes[0, 0].legend(fontsize=7, ncol=4)
    fig.suptitle("Compositional accuracy (95% t CI over seeds; dotted = chance)")
    fig.tight_layout()
    written.append(out / "compositional.png")
    fig.savefig(written[-1], dpi=110)
    plt.close(fig)

    zs = ("zs_avg", "zs_object_outside", "zs_shape_outside", "zs_colour_outside", "zs_outside_avg")
    fig, axes = plt.subplots(1, len(versions), figsize=(11, 4), squeeze=False)
    for ax, version in zip(axes[0], versions, strict=True):
        bars(ax, zs, version, trained)
    axes[0, 0].legend(fontsize=7)
    fig.suptitle("Zero-shot classification (retention = each model minus stage 1)")
    fig.tight_layout()
    written.append(out / "zeroshot.png")
    fig.savefig(written[-1], dpi=110)
    plt.close(fig)

    # Retention exists only where the version has zero-shot sets outside the fine-tuning slice.
    with_retention = [v for v in versions if any(f"{v}/retention" in summary[m] for m in trained)] or list(versions)
    fig, axes = plt.subplots(1, len(with_retention), figsize=(5.5 * len(with_retention) + 1, 4.5), squeeze=False)
    for ax, version in zip(axes[0], with_retention, strict=True):
        for model in trained:
            comp, ret = (summary[model].get(f"{version}/{m}") for m in ("comp_avg", "retention"))
            if comp is None or ret is None:
                continue
            xerr, yerr = (s["half_width"] if s["half_width"] == s["half_width"] else 0.0 for s in (ret, comp))
            ax.errorbar(ret["mean"], comp["mean"], xerr=xerr, yerr=yerr, fmt="o", capsize=3, label=model)
        ax.axvline(0, color="k", linewidth=0.5)
        ax.set_xlabel("zero-shot retention outside the slice (points)")
        ax.set_ylabel("mean compositional accuracy (%)")
        ax.set_title(VERSION_TITLES[version], fontsize=9)
    axes[0, 0].legend(fontsize=7)
    fig.tight_layout()
    written.append(out / "tradeoff.png")
    fig.savefig(written[-1], dpi=110)
    written.append(out / "tradeoff.svg")  # small and diffable (text kept as text): the copy docs/ can hold
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "shapes"}):
        fig.savefig(written[-1], metadata={"Date": None})
    plt.close(fig)
    return written


def write_report(config, runs: dict[str, dict[str, Any]], timings: dict[str, float], chance: dict[str, float]) -> dict:
    out = Path(config.out)
    models, summary = aggregate(runs, VERSIONS)
    text = markdown(models, summary, chance, VERSIONS)
    write_atomic(out / "results.md", lambda tmp: tmp.write_text(text + "\n", encoding="utf-8"))
    pngs = plots(out / "plots", models, summary, chance, VERSIONS)
    results = {
        "config": config.model_dump(mode="json"),
        "ci_method": CI_METHOD,
        "timings_s": timings,
        "models": models,
        "metrics": {f"{v}/{m}": label for v in VERSIONS for m, label in METRICS.items()},
        "chance": chance,
        "summary": summary,
        "runs": runs,
        "plots": [str(p.relative_to(out)) for p in pngs],
    }
    write_json_atomic(out / "results.json", results)
    return results
