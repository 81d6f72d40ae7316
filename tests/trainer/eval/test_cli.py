"""`python -m trainer eval run | blind | build` end to end on a saved tiny model and official-format fixtures."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from tests.trainer.eval.fixtures import write_karpathy, write_sugarcrepe
from trainer.cli import app


def test_run_blind_build(tmp_path, tiny_model, tiny_tokenizer, karpathy_file, sugarcrepe_dir):
    model_dir = tmp_path / "run" / "model"
    tiny_model.save_pretrained(model_dir)
    tiny_tokenizer.save_pretrained(model_dir)
    root = tmp_path / "benchmarks"
    write_sugarcrepe(root)
    write_karpathy(root, json.loads(karpathy_file.read_text())[:3])
    out = tmp_path / "results"
    runner = CliRunner()
    args = [
        "eval",
        "run",
        "--model",
        str(model_dir),
        "--data-root",
        str(root),
        "--out",
        str(out),
        "--tagger",
        "lexicon",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "skipped aro:" in result.output and "mertyg/vision-language-models-are-bows" in result.output
    assert "skipped valse:" in result.output and "skipped zeroshot:" in result.output
    files = sorted(p.name for p in (out / "run").glob("*.json"))
    assert "sugarcrepe__swap_obj__image_caption_selection.json" in files
    assert "sugarcrepe__add_att__image_caption_selection.json" in files
    assert "aro__coco_order__image_caption_selection.json" in files
    assert "retrieval__flickr30k__zeroshot_retrieval.json" in files
    record = json.loads((out / "run" / "sugarcrepe__swap_obj__image_caption_selection.json").read_text())
    assert {"dataset", "model", "pretrained", "task", "metrics", "language", "run_id", "n_items", "n_ties"} <= set(
        record
    )
    assert record["dataset"] == "sugarcrepe/swap_obj" and record["n_items"] == 4

    blind = ["eval", "blind", "--data-root", str(root), "--out", str(out), "--sugarcrepe-dir", str(sugarcrepe_dir)]
    result = runner.invoke(app, [*blind, "--tagger", "lexicon", "--benchmarks", "sugarcrepe"])
    assert result.exit_code == 0, result.output
    assert (out / "blind" / "sugarcrepe__add_att__blind_shorter.json").exists()

    result = runner.invoke(app, ["eval", "build", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "paper: DeGLA" in result.output and "blind (blind_shorter)" in result.output
    markdown = (out / "results.md").read_text()
    assert "paper: CLIP" in markdown and "| run |" in markdown
    assert (out / "results.csv").read_text().startswith("model,benchmark,subset,task,metric,value")


def test_state_dict_needs_a_tokenizer(tmp_path):
    path = tmp_path / "negclip.pt"
    path.write_bytes(b"")
    result = CliRunner().invoke(app, ["eval", "run", "--model", str(path), "--data-root", str(tmp_path)])
    assert result.exit_code == 1 and "--tokenizer" in result.output
