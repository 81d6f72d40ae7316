"""`python -m trainer train|export`: config file + overrides, one-sentence errors, exported model loads."""

from __future__ import annotations

import json
import subprocess
import sys

from transformers import CLIPModel
from typer.testing import CliRunner

from trainer.cli import app


def write_config(tmp_path, shapes_run) -> str:
    run_dir, images = shapes_run
    path = tmp_path / "tiny.toml"
    path.write_text(
        f"""
out = "{tmp_path / "run"}"
batch_size = 16
max_steps = 2
precision = "fp32"
[model.tiny]
hidden = 32
[data]
run_dir = "{run_dir}"
image_root = "{images}"
image_template = ""
missing_slot = "fill"
num_workers = 0
"""
    )
    return str(path)


def test_train_from_a_config_file_with_overrides_then_export(shapes_run, tmp_path):
    config = write_config(tmp_path, shapes_run)
    result = CliRunner().invoke(app, ["train", "--config", config, "--set", "loss.igc=0.3", "--set", "optim.lr=1e-3"])
    assert result.exit_code == 0, result.output
    saved = json.loads((tmp_path / "run" / "config.json").read_text())
    assert saved["loss"]["igc"] == 0.3 and saved["optim"]["lr"] == 1e-3 and saved["max_steps"] == 2
    exported = tmp_path / "hf"
    assert CliRunner().invoke(app, ["export", str(tmp_path / "run"), str(exported)]).exit_code == 0
    assert CLIPModel.from_pretrained(exported).config.text_config.hidden_size == 32


def test_user_mistakes_are_one_sentence(shapes_run, tmp_path):
    config = write_config(tmp_path, shapes_run)
    cases = [
        (["train", "--config", config, "--set", "loss.nope=1"], "loss.nope"),
        (["train", "--config", config, "--data", str(tmp_path / "missing")], "is not a directory"),
        (["train", "--config", config, "--set", "batch_size=4096"], "fewer than batch_size"),
        (["export", str(tmp_path / "nothing"), str(tmp_path / "x")], "holds no CLIP model"),
    ]
    for args, expected in cases:
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 1, (args, result.output)
        assert "trainer: error:" in result.output and expected in result.output, result.output
        assert "Traceback" not in result.output


def test_module_entry_point_shows_the_commands():
    out = subprocess.run([sys.executable, "-m", "trainer", "--help"], capture_output=True, text=True, check=True)
    assert "train" in out.stdout and "export" in out.stdout
