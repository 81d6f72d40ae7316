"""Winoground's text / image / group scores, per the paper's definitions, on hand-built score matrices."""

from __future__ import annotations

import json

import torch

from tests.trainer.eval.conftest import colour_image
from trainer.eval import winoground
from trainer.eval.embed import EmbeddingCache


def test_text_image_and_group_scores_follow_the_definitions():
    # [item, caption, image]
    sim = torch.tensor(
        [
            [[0.9, 0.1], [0.2, 0.8]],  # everything right
            [[0.9, 0.8], [0.2, 0.1]],  # image 1 prefers c0 (text wrong); each caption prefers image 0... image wrong
            [[0.9, 0.1], [0.95, 0.8]],  # image 0 prefers c1: text wrong; c0->i0, c1->i0: image wrong
            [[0.9, 0.7], [0.8, 0.95]],  # text right; c1 prefers i1, c0 prefers i0: image right
            [[0.6, 0.5], [0.1, 0.55]],  # text: c0i0 .6 > c1i0 .1, c1i1 .55 > c0i1 .5 -> right; image: .6>.5, .55>.1
            [[0.5, 0.5], [0.1, 0.9]],  # a tie (c0 scores both images alike): image wrong, text right
        ]
    )
    out = winoground.scores_from_similarity(sim)
    assert out["text"].tolist() == [True, False, False, True, True, True]
    assert out["image"].tolist() == [True, False, False, True, True, False]
    assert out["group"].tolist() == [True, False, False, True, True, False]
    # text right but image wrong: both captions are closer to image 1, yet each image picks its caption.
    odd = winoground.scores_from_similarity(torch.tensor([[[0.5, 0.6], [0.1, 0.9]]]))
    assert odd["text"].tolist() == [True] and odd["image"].tolist() == [False] and odd["group"].tolist() == [False]


class OracleEncoder:
    """Image k of item i and caption k of item i share a direction; everything else is orthogonal."""

    def __init__(self, images: dict[int, int], texts: dict[str, int]) -> None:
        self.images, self.text_ids = images, texts

    def encode_images(self, images):
        return torch.nn.functional.one_hot(torch.tensor([self.images[im.size[0]] for im in images]), 8).float()

    def encode_texts(self, texts):
        return torch.nn.functional.one_hot(torch.tensor([self.text_ids[t] for t in texts]), 8).float()


def test_evaluate_reads_examples_and_reports_percentages(tmp_path):
    rows, sizes, texts = [], {}, {}
    (tmp_path / "images").mkdir()
    for i in range(2):
        for k in range(2):
            size = 40 + 8 * (2 * i + k)  # the fake encoder recognises an image by its size
            colour_image(i * 2 + k, size=size).save(tmp_path / "images" / f"ex_{i}_img_{k}.png")
            sizes[size] = 2 * i + k
            texts[f"caption {k} of {i}"] = 2 * i + k if i == 0 else 2 * i + (1 - k)  # item 1: captions crossed
        rows.append(
            {
                "id": i,
                "image_0": f"ex_{i}_img_0",
                "image_1": f"ex_{i}_img_1",
                "caption_0": f"caption 0 of {i}",
                "caption_1": f"caption 1 of {i}",
                "tag": "Relation" if i == 0 else "Object",
            }
        )
    (tmp_path / "examples.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    cache = EmbeddingCache(OracleEncoder(sizes, texts))
    record = winoground.evaluate(cache, tmp_path / "examples.jsonl", tmp_path / "images")
    assert record.n_items == 2 and record.benchmark == "winoground"
    assert record.metrics == {"text": 50.0, "image": 50.0, "group": 50.0}
    assert record.info["per_tag"]["Relation"]["group"] == 100.0 and record.info["per_tag"]["Object"]["group"] == 0.0
