"""EMA teacher, optimizer groups, schedule, tokenizer guard, transforms and checkpoint publication."""

from __future__ import annotations

import math

import pytest
import torch
from PIL import Image
from transformers import CLIPModel, CLIPTokenizer

from trainer.checkpoint import latest_checkpoint, save_checkpoint
from trainer.config import OptimSpec
from trainer.ema import EMATeacher
from trainer.encoders import DualEncoder
from trainer.models import tiny_clip_config
from trainer.optim import cosine_with_warmup, make_optimizer, no_decay
from trainer.tokenizer import TokenizerError, check_tokenizer, train_tokenizer
from trainer.transforms import OPENAI_MEAN, OPENAI_STD, eval_transform, random_resized_box, train_transform


@pytest.fixture(scope="module")
def tiny():
    tokenizer = train_tokenizer(["a red square left of a blue circle.", "two dogs on a green couch."] * 4, 300)
    torch.manual_seed(0)
    return DualEncoder(CLIPModel(tiny_clip_config(tokenizer))), tokenizer


def test_ema_update_rule_and_frozen_teacher(tiny):
    student, _ = tiny
    teacher = EMATeacher(student, decay=0.9)
    before = {n: p.detach().clone().double() for n, p in teacher.module.named_parameters()}
    with torch.no_grad():
        for p in student.parameters():
            p.add_(0.5)
    teacher.update(student)
    for name, p in teacher.module.named_parameters():
        expected = 0.9 * before[name] + 0.1 * dict(student.named_parameters())[name].detach().double()
        torch.testing.assert_close(p.double(), expected, atol=1e-6, rtol=0)
        assert not p.requires_grad
    assert not teacher.module.training
    # The teacher gets no gradient from a student loss.
    ids = torch.zeros(2, 77, dtype=torch.long)
    features, scale = student(torch.zeros(2, 3, 32, 32), ids, ids[:0])
    (features.image.sum() + scale).backward()
    assert all(p.grad is None for p in teacher.module.parameters())
    student.zero_grad()


def test_parameter_groups_exclude_gains_biases_and_logit_scale(tiny):
    student, _ = tiny
    optimizer = make_optimizer(student, OptimSpec())
    decayed, plain = optimizer.param_groups
    names = {id(p): n for n, p in student.named_parameters()}
    plain_names = {names[id(p)] for p in plain["params"]}
    assert decayed["weight_decay"] == 0.1 and plain["weight_decay"] == 0.0
    assert "clip.logit_scale" in plain_names
    assert any(n.endswith("layer_norm1.weight") for n in plain_names) and any(n.endswith(".bias") for n in plain_names)
    assert all(p.ndim >= 2 for p in decayed["params"])
    assert optimizer.defaults["betas"] == (0.9, 0.98) and optimizer.defaults["eps"] == 1e-6
    assert no_decay("x.logit_scale", torch.nn.Parameter(torch.zeros(3, 3)))


def test_cosine_schedule_with_linear_warmup():
    assert [cosine_with_warmup(s, 4, 20) for s in range(4)] == [0.25, 0.5, 0.75, 1.0]
    assert cosine_with_warmup(12, 4, 20) == pytest.approx(0.5)
    assert cosine_with_warmup(19, 4, 20) == pytest.approx(0.5 * (1 + math.cos(math.pi * 15 / 16)))


def test_degenerate_tokenizer_is_refused():
    broken = CLIPTokenizer(vocab={"<|startoftext|>": 0, "<|endoftext|>": 1}, merges=[])
    with pytest.raises(TokenizerError, match="only 2 tokens"):
        check_tokenizer(broken, "openai/clip-vit-base-patch32")


def test_tiny_tokenizer_is_clip_like(tiny):
    _, tokenizer = tiny
    ids = tokenizer("A RED square.")["input_ids"]
    assert ids[0] == tokenizer.bos_token_id and ids[-1] == tokenizer.eos_token_id
    assert ids == tokenizer("a red square.")["input_ids"]  # lower-cased like CLIP
    assert tokenizer.model_max_length == 77


def test_transforms_normalise_and_crop_within_the_paper_ranges():
    image = Image.new("RGB", (80, 60), (255, 0, 0))
    out = eval_transform(image, 32)
    assert out.shape == (3, 32, 32)
    assert float(out[0, 0, 0]) == pytest.approx((1 - OPENAI_MEAN[0]) / OPENAI_STD[0], abs=1e-5)
    g = torch.Generator().manual_seed(0)
    for _ in range(50):
        left, top, w, h = random_resized_box(80, 60, g)
        assert 0.9 * 80 * 60 * 0.98 <= w * h <= 80 * 60 and left + w <= 80 and top + h <= 60
    a = train_transform(image, 32, torch.Generator().manual_seed(1))
    b = train_transform(image, 32, torch.Generator().manual_seed(1))
    assert torch.equal(a, b) and a.shape == (3, 32, 32)


def test_checkpoint_is_published_only_when_complete(tiny, tmp_path):
    student, tokenizer = tiny
    save_checkpoint(tmp_path, 2, student.clip, tokenizer, {"x": 1}, {"seed": 1})
    # A save killed half-way leaves a hidden temporary that is never picked up.
    (tmp_path / "checkpoints" / ".step-000004.tmp-999" / "model").mkdir(parents=True)
    assert latest_checkpoint(tmp_path).name == "step-000002"
    save_checkpoint(tmp_path, 4, student.clip, tokenizer, {"x": 2}, {"seed": 1})
    assert latest_checkpoint(tmp_path).name == "step-000004"
    assert not list((tmp_path / "checkpoints").glob(".*"))  # the killed save's leftovers are gone
    assert CLIPModel.from_pretrained(latest_checkpoint(tmp_path) / "model").config.projection_dim == 32


def test_trimming_padding_leaves_text_features_unchanged(tiny):
    from trainer.encoders import trim_padding
    from trainer.tokenizer import tokenize

    student, tokenizer = tiny
    ids = tokenize(tokenizer, ["a red square left of a blue circle.", "two dogs.", "a green couch"])
    trimmed = trim_padding(ids, tokenizer.eos_token_id)
    longest = max(len(tokenizer(t)["input_ids"]) for t in ["a red square left of a blue circle."])
    assert trimmed.shape == (3, longest)
    with torch.no_grad():
        full = student.clip.get_text_features(input_ids=ids).pooler_output
        short = student.clip.get_text_features(input_ids=trimmed).pooler_output
    # Equal up to float32 rounding (the softmax runs over fewer masked columns).
    torch.testing.assert_close(short, full, atol=0, rtol=1e-4)
    # The legacy OpenAI pooling flag (eos_token_id == 2): the end token (49407) is the largest id.
    openai_ids = torch.tensor([[49406, 320, 1929, 49407, 0, 0], [49406, 320, 49407, 0, 0, 0]])
    assert trim_padding(openai_ids, 2).tolist() == openai_ids[:, :4].tolist()
