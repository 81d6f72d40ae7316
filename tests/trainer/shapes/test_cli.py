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


def test_make_twins_and_replicate_twins_reach_the_world_and_the_experiment(tmp_path: Path, monkeypatch) -> None:
    config = tmp_path / "world.config.json"
    config.write_text(json.dumps({"zeroshot_per_class": 1, "winoground_items": 4}))
    out = tmp_path / "w"
    args = ["make", "--out", str(out), "--n-train", "40", "--n-eval", "30", "--config", str(config), "--twins"]
    assert CliRunner().invoke(app, args).exit_code == 0
    assert json.loads((out / "world.json").read_text())["config"]["twins"] is True
    plain = tmp_path / "p"
    assert CliRunner().invoke(app, [*args[:2], str(plain), *args[3:-1]]).exit_code == 0
    assert json.loads((plain / "world.json").read_text())["config"]["twins"] is False
    assert json.loads((plain / "world.json").read_text())["config"]["p_where"] == 0.0
    where = tmp_path / "where"
    assert CliRunner().invoke(app, [*args[:2], str(where), *args[3:], "--where", "0.5"]).exit_code == 0
    assert json.loads((where / "world.json").read_text())["config"]["p_where"] == 0.5
    assert CliRunner().invoke(app, [*args[:2], str(tmp_path / "x"), *args[3:], "--where", "1.5"]).exit_code == 2

    seen = {}
    monkeypatch.setattr("trainer.shapes.experiment.run_experiment", lambda c, log: seen.update(config=c))
    (tmp_path / "exp").mkdir()
    (tmp_path / "exp" / "results.md").write_text("table")
    argv = ["replicate", "--out", str(tmp_path / "exp"), "--world", str(out), "--twins", "--where", "0"]
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 0, result.output
    assert seen["config"].twins is True and seen["config"].p_where == 0.0
    seen.clear()
    argv = ["replicate", "--out", str(tmp_path / "exp"), "--world", str(where), "--twins", "--where", "0.5"]
    assert CliRunner().invoke(app, argv).exit_code == 0
    assert seen["config"].twins is True and seen["config"].p_where == 0.5
    seen.clear()
    CliRunner().invoke(app, ["replicate", "--out", str(tmp_path / "exp"), "--world", str(plain), "--no-twins"])
    assert seen["config"].twins is False and seen["config"].p_where == 0.25
    # The full mode's defaults are the settings that learned relations (docs/shapes-world.md); quick stays the
    # plain pipeline check on the world `make train` shares.
    seen.clear()
    CliRunner().invoke(app, ["replicate", "--out", str(tmp_path / "exp")])
    full = seen["config"]
    assert (full.world, full.twins, full.p_where, full.stage1_steps) == (Path("data/shapes-twins"), True, 0.25, 10_000)
    seen.clear()
    CliRunner().invoke(app, ["replicate", "--out", str(tmp_path / "exp"), "--quick"])
    quick = seen["config"]
    assert (quick.world, quick.twins, quick.p_where) == (Path("data/shapes-quick"), False, 0.0)
