"""SugarCrepe add subsets are length-balanced: "the shorter caption wins" is a coin flip, not 99%."""

from __future__ import annotations

from trainer.shapes.build_sugarcrepe import sugarcrepe_sets
from trainer.shapes.config import WorldConfig
from trainer.shapes.world import make_heldout, sample_scene


def _shorter_wins(items: dict, unit) -> float:
    wins = sum(len(unit(i["caption"])) < len(unit(i["negative_caption"])) for i in items.values())
    return wins / len(items)


def test_shorter_caption_wins_about_half_on_add_subsets() -> None:
    config = WorldConfig(n_eval=800)
    heldout = make_heldout(config)
    for version in ("in_distribution", "heldout"):
        scenes = [(f"{i:06d}.png", sample_scene(config, heldout, version, i)) for i in range(config.n_eval)]
        sets = sugarcrepe_sets(scenes, config, heldout, version)
        for subset in ("add_att", "add_obj"):
            items = sets[subset]
            assert len(items) > 300, (version, subset, len(items))
            by_words = _shorter_wins(items, str.split)
            by_chars = _shorter_wins(items, str)
            print(version, subset, len(items), f"shorter wins: words {by_words:.1%}, characters {by_chars:.1%}")
            assert by_words == 0.5  # balanced by construction in words
            assert 0.4 <= by_chars <= 0.6
