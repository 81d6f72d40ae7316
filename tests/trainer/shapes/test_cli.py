"""`python -m trainer.shapes make|info`."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from trainer.shapes.cli import app


def test_make_info_and_refusal(tmp_path: Path) -> None:
    config = tmp_path / "world.config.json"
    config.write_text(json.dumps({"zeroshot_per_class": 1, "winoground_items": 4}))
    out = tmp_path / "w"
    args = ["make", "--out", str(out), "--seed", "3", "--n-train", "40", "--n-eval", "30", "--config", str(config)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["counts"]["train"]["images"] == 40 and "total" in report["seconds"]
    world = json.loads((out / "world.json").read_text())
    assert world["seed"] == 3 and world["config"]["winoground_items"] == 4
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 1 and "--force" in again.output
    assert CliRunner().invoke(app, [*args, "--force"]).exit_code == 0
    info = CliRunner().invoke(app, ["info", str(out)])
    assert info.exit_code == 0 and json.loads(info.output)["seed"] == 3
    bad = CliRunner().invoke(app, ["make", "--out", str(tmp_path / "x"), "--config", str(tmp_path / "none.json")])
    assert bad.exit_code == 1 and "error" in bad.output
