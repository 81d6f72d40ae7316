"""Real loaders on fixtures in each official format: tie rules, controls, a real tiny CLIP end to end."""

from __future__ import annotations

import json
import random

import pytest
import torch

from tests.trainer.eval.fixtures import SC_ROWS, write_aro, write_karpathy, write_sugarcrepe, write_valse
from trainer.eval import aro, aro_order, sugarcrepe, valse
from trainer.eval.embed import ClipEncoder, EmbeddingCache
from trainer.eval.scoring import TieRule, choose
from trainer.eval.suite import add_aro_summary, image_judge, run_suite


class ConstantEncoder:
    """Every image and every caption gets the same unit vector: all scores tie."""

    def encode_images(self, images):
        return torch.nn.functional.normalize(torch.ones(len(images), 8), dim=-1)

    def encode_texts(self, texts):
        return torch.nn.functional.normalize(torch.ones(len(texts), 8), dim=-1)


class OracleEncoder:
    """Knows which caption is right: images and right captions share a direction, wrong captions do not."""

    def __init__(self, right: set[str]) -> None:
        self.right = right

    def encode_images(self, images):
        return torch.tensor([[1.0, 0.0]] * len(images))

    def encode_texts(self, texts):
        return torch.tensor([[1.0, 0.0] if t in self.right else [0.0, 1.0] for t in texts])


@pytest.fixture()
def data_root(tmp_path, karpathy_file):
    rows = json.loads(karpathy_file.read_text())[:4]
    write_sugarcrepe(tmp_path)
    write_aro(tmp_path)
    write_karpathy(tmp_path, rows)
    write_valse(tmp_path)
    return tmp_path


def test_choose_tie_rules():
    scores = torch.tensor([[0.5, 0.5], [0.9, 0.1], [0.1, 0.9]])
    wrong = choose(scores, 0, TieRule.WRONG)
    right = choose(scores, 0, TieRule.RIGHT)
    assert wrong.correct.tolist() == [False, True, False] and wrong.n_ties == 1
    assert right.correct.tolist() == [True, True, False] and right.n_ties == 1
    five = choose(torch.tensor([[0.3, 0.3, 0.1, 0.3, 0.0]]), 0, TieRule.RIGHT)
    assert five.correct.tolist() == [True] and five.n_ties == 1


def test_constant_model_scores_zero_where_ties_are_wrong_and_100_on_order(data_root):
    cache = EmbeddingCache(ConstantEncoder())
    records, missing = run_suite(
        image_judge(cache),
        data_root,
        ("sugarcrepe", "aro", "coco_order", "flickr30k_order", "valse", "retrieval"),
        tagger=aro_order.LexiconOrderTagger(),
        cache=cache,
    )
    assert missing == {}
    by = {(r.benchmark, r.subset): r for r in records}
    for key in [("sugarcrepe", "swap_obj"), ("sugarcrepe", "add_att"), ("valse", "existence")]:
        assert by[key].metrics["acc"] == 0.0 and by[key].n_ties == by[key].n_items > 0
    assert by[("aro", "vg_relation")].metrics["acc"] == 0.0 and by[("aro", "vg_attribution")].metrics["acc"] == 0.0
    for subset in ("coco_order", "flickr30k_order"):
        order = by[("aro", subset)]
        assert order.metrics["acc"] == 100.0  # the official argmax == 0 rule: a tie is right
        assert order.n_ties == order.n_items == 20  # 4 images x 5 real captions, every one a tie
        assert order.info["tagger"] == "lexicon"
    retrieval = by[("retrieval", "coco")]
    assert retrieval.metrics["image_retrieval_recall@1"] == 0.0 and retrieval.n_ties > 0
    summary = add_aro_summary(records)
    assert summary is not None and summary.metrics["avg"] == pytest.approx(50.0)
    # Images are decoded once per distinct (file, box), captions once per distinct string.
    assert cache.encoded_images == len(cache._images)


def test_loaders_follow_the_official_rules(data_root):
    items = sugarcrepe.load_subset(data_root / "sugarcrepe", "swap_obj", data_root / "coco" / "val2017")
    assert [i.options for i in items] == list(SC_ROWS)  # sorted by integer index, not by string
    rel = aro.load_relation(data_root / "aro")
    assert rel[0].image.box == (8.0, 4.0, 40.0, 50.0) and rel[0].right == 1
    assert rel[0].options == ("the car is on the dog", "the dog is on the car")
    assert rel[0].image.load().size == (40, 50)  # cropped to the box
    valse_items = valse.load_file(data_root / "valse", "foil-it")
    assert len(valse_items) == 2  # mturk.caption >= 2 only
    assert "/images/val2014/COCO_val2014_" in valse_items[0].image.path
    assert "/images/swig/" in valse.load_file(data_root / "valse", "actant-swap")[0].image.path


def test_oracle_scores_100_and_macro_averages(data_root):
    right = {c for c, _ in SC_ROWS}
    for path in (data_root / "aro").glob("*.json"):
        right |= {row["true_caption"] for row in json.loads(path.read_text())}
    cache = EmbeddingCache(OracleEncoder(right))
    records, _ = run_suite(image_judge(cache), data_root, ("sugarcrepe", "aro", "valse"))
    by = {(r.benchmark, r.subset): r for r in records}
    assert by[("sugarcrepe", "summary")].metrics == {"micro": 100.0}  # groups need all their subsets
    assert by[("valse", "summary")].metrics["avg"] == 100.0 and by[("valse", "summary")].n_items == 22
    vgr = by[("aro", "vg_relation")]
    assert vgr.metrics["n_groups"] == 3  # on, sitting on, behind: "near" is symmetric and dropped
    vga = by[("aro", "vg_attribution")]
    assert vga.metrics["n_groups"] == 1  # black_small has 4 < 25 items
    assert vga.info["counts"] == {"red_wooden": 26}


def test_shuffled_image_control_sits_near_chance(tmp_path, tiny_model, tiny_tokenizer):
    """A model that tells images apart (here: an oracle per image) drops to chance when images are shuffled."""
    from tests.trainer.eval.conftest import colour_image
    from trainer.eval.choice import ChoiceItem
    from trainer.eval.embed import ImageRef

    n = 200
    refs = []
    for i in range(n):
        path = tmp_path / f"{i}.png"
        colour_image(i, size=16).save(path)
        refs.append(ImageRef(str(path)))
    captions = [f"caption {i}" for i in range(n)]
    rng = random.Random(0)
    items = [
        ChoiceItem(refs[i], (captions[i], captions[rng.choice([j for j in range(n) if j != i])])) for i in range(n)
    ]

    class PerImage:
        """Image i and caption i share a random direction."""

        def __init__(self):
            self.basis = torch.nn.functional.normalize(torch.randn(n, 64, generator=torch.Generator().manual_seed(0)))

        def encode_images(self, images):
            return torch.stack([self.basis[int(im.info["index"])] for im in images])

        def encode_texts(self, texts):
            return torch.stack([self.basis[int(t.split()[1])] for t in texts])

    def loader(ref):
        image = ref.load()
        image.info["index"] = ref.path.rsplit("/", 1)[1].split(".")[0]
        return image

    encoder = PerImage()
    cache = EmbeddingCache(encoder)
    cache.images(refs, loader)
    from trainer.eval.choice import run_choice

    assert run_choice(cache, items, TieRule.WRONG).accuracy == 100.0
    perm = list(range(n))
    rng.shuffle(perm)
    shuffled = [ChoiceItem(refs[perm[i]], item.options) for i, item in enumerate(items)]
    accuracy = run_choice(cache, shuffled, TieRule.WRONG).accuracy
    assert 35 <= accuracy <= 65
    # The real tiny CLIP runs through the same path: shapes, normalisation, batching, caching.
    clip_cache = EmbeddingCache(ClipEncoder(tiny_model, tiny_tokenizer, batch_size=7))
    choice = run_choice(clip_cache, items[:20], TieRule.WRONG)
    assert choice.n_items == 20 and choice.scores.abs().max() <= 1.0 + 1e-5
    assert clip_cache.encoded_images == 20 and clip_cache.encoded_texts == len(
        {t for i in items[:20] for t in i.options}
    )


def test_every_benchmark_record_names_its_evaluator_and_an_unknown_name_is_refused(tmp_path):
    import importlib

    from trainer.eval.benchmarks import BENCHMARKS

    for benchmark in BENCHMARKS.values():  # one record per benchmark; its evaluator module runs it
        assert callable(importlib.import_module(benchmark.evaluator).suite_records), benchmark.name
    records, missing = run_suite(image_judge(None), tmp_path)  # an empty data root: every one named missing
    assert records == [] and set(missing) == set(BENCHMARKS) - {"winoground", "zeroshot", "retrieval"}
    assert all("get it from" in why for why in missing.values())
    with pytest.raises(ValueError, match="unknown benchmark 'nope'"):
        run_suite(image_judge(None), tmp_path, ("nope",))
