"""Each loss term against a direct float64 computation written with loops (no vectorised shortcuts)."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from trainer.losses import Features, LossWeights, degla_loss, distill_loss, global_loss, igc_loss, tgc_loss

B, K, D = 3, 2, 4


def unit(*rows) -> torch.Tensor:
    return F.normalize(torch.tensor(rows, dtype=torch.float64), dim=-1)


@pytest.fixture
def feats() -> Features:
    g = torch.Generator().manual_seed(0)
    make = lambda n: F.normalize(torch.randn(n, D, generator=g, dtype=torch.float64), dim=-1)  # noqa: E731
    return Features(make(B), make(B), make(B * K))


def dot(a, b) -> float:
    return sum(float(x) * float(y) for x, y in zip(a, b, strict=True))


def ce(logits: list[float], label: int) -> float:
    return -logits[label] + math.log(sum(math.exp(x) for x in logits))


def test_global_loss_hand_checkable_values():
    # Orthonormal images and positives equal to them, one negative each equal to the next image.
    image = unit([1, 0], [0, 1])
    negative = unit([0, 1], [1, 0])
    f = Features(image, image.clone(), negative)
    s = torch.tensor(2.0, dtype=torch.float64)
    # i2t: logits [2, 0 | 0, 2] for image 0 -> CE = log(2 e^2 + 2) - 2; t2i: [2, 0] -> log(e^2 + 1) - 2.
    i2t = math.log(2 * math.e**2 + 2) - 2
    t2i = math.log(math.e**2 + 1) - 2
    assert float(global_loss(f, s, "code")) == pytest.approx((i2t + t2i) / 2, abs=1e-12)


def test_global_loss_code_and_paper_denominators(feats):
    s = 5.0
    texts = torch.cat([feats.positive, feats.negative])
    i2t_code = i2t_paper = t2i = 0.0
    for i in range(B):
        all_logits = [s * dot(feats.image[i], t) for t in texts]
        i2t_code += ce(all_logits, i)
        own = [s * dot(feats.image[i], feats.positive[j]) for j in range(B)]
        own += [s * dot(feats.image[i], feats.negative[i * K + k]) for k in range(K)]
        i2t_paper += ce(own, i)
        t2i += ce([s * dot(feats.positive[i], feats.image[j]) for j in range(B)], i)
    scale = torch.tensor(s, dtype=torch.float64)
    assert float(global_loss(feats, scale, "code")) == pytest.approx((i2t_code + t2i) / (2 * B), abs=1e-10)
    assert float(global_loss(feats, scale, "paper")) == pytest.approx((i2t_paper + t2i) / (2 * B), abs=1e-10)
    assert float(global_loss(feats, scale, "code")) > float(global_loss(feats, scale, "paper"))


def test_igc_uses_only_the_images_own_captions(feats):
    s = 3.0
    expected = 0.0
    for i in range(B):
        logits = [s * dot(feats.image[i], feats.positive[i])]
        logits += [s * dot(feats.image[i], feats.negative[i * K + k]) for k in range(K)]
        expected += ce(logits, 0)
    assert float(igc_loss(feats, torch.tensor(s, dtype=torch.float64))) == pytest.approx(expected / B, abs=1e-10)


def test_tgc_paper_mask_uses_own_negatives_and_code_mask_other_captions(feats):
    teacher = F.normalize(feats.positive + 0.1, dim=-1)
    own = other = 0.0
    for i in range(B):
        pos = 10 * dot(feats.positive[i], teacher[i])
        own += ce([pos] + [10 * dot(feats.positive[i], feats.negative[i * K + k]) for k in range(K)], 0)
        # The released code's mask: columns i, i+B, ... of the sample-major negatives.
        other += ce([pos] + [10 * dot(feats.positive[i], feats.negative[i + B * k]) for k in range(K)], 0)
    assert float(tgc_loss(feats, teacher, "paper")) == pytest.approx(own / B, abs=1e-10)
    assert float(tgc_loss(feats, teacher, "code")) == pytest.approx(other / B, abs=1e-10)


def test_code_tgc_mask_selects_other_captions_negatives():
    # Caption i's negatives are exactly caption i's embedding (loss = log(1 + K) when teacher == student);
    # every other caption's negatives are orthogonal. Own-negative masking sees the ties, the code's does not.
    positive = unit([1, 0, 0], [0, 1, 0], [0, 0, 1])
    negative = positive.repeat_interleave(K, dim=0)
    f = Features(positive.clone(), positive, negative)
    assert float(tgc_loss(f, positive, "paper")) == pytest.approx(math.log(1 + K), abs=1e-12)
    # Code mask: caption 0 gets rows 0 and 3 = captions 0 and 1 -> one own, one foreign negative.
    code = float(tgc_loss(f, positive, "code"))
    assert code < math.log(1 + K) - 0.1


def test_distill_is_sum_of_squared_distances(feats):
    teacher = Features(feats.image.flip(0), feats.positive * 0.5, feats.negative.roll(1, 0))
    expected = 0.0
    for s_rows, t_rows in ((feats.image, teacher.image), (feats.positive, teacher.positive)):
        for a, b in zip(s_rows, t_rows, strict=True):
            expected += sum((float(x) - float(y)) ** 2 for x, y in zip(a, b, strict=True))
    for a, b in zip(feats.negative, teacher.negative, strict=True):
        expected += sum((float(x) - float(y)) ** 2 for x, y in zip(a, b, strict=True))
    assert float(distill_loss(feats, teacher)) == pytest.approx(expected, abs=1e-10)
    assert float(distill_loss(feats, feats)) == 0.0


def test_total_is_weighted_sum_and_zero_weights_switch_terms_off(feats):
    teacher = Features(feats.image * 0.9, feats.positive * 0.9, feats.negative * 0.9)
    s = torch.tensor(4.0, dtype=torch.float64)
    terms = degla_loss(feats, teacher, s, LossWeights())
    expected = (
        global_loss(feats, s)
        + 0.1 * igc_loss(feats, s)
        + 0.1 * tgc_loss(feats, teacher.positive)
        + 0.005 * distill_loss(feats, teacher)
    )
    assert float(terms.total) == pytest.approx(float(expected), abs=1e-12)
    negclip = degla_loss(feats, None, s, LossWeights(igc=0, tgc=0, distill=0))
    assert float(negclip.total) == pytest.approx(float(global_loss(feats, s)), abs=1e-12)
    assert negclip.igc == 0 and negclip.tgc == 0 and negclip.distill == 0
    with pytest.raises(ValueError, match="teacher"):
        degla_loss(feats, None, s, LossWeights())


def test_no_negatives_is_plain_clip_loss():
    image = unit([1, 0], [0, 1])
    f = Features(image, unit([1, 0.2], [0.1, 1]), image.new_zeros(0, 2))
    s = torch.tensor(10.0, dtype=torch.float64)
    logits = s * f.image @ f.positive.T
    labels = torch.arange(2)
    clip = (F.cross_entropy(logits, labels) + F.cross_entropy(logits.T, labels)) / 2
    assert float(degla_loss(f, None, s, LossWeights(igc=0.1, tgc=0, distill=0)).total) == pytest.approx(float(clip))


def test_gradients_reach_student_not_teacher(feats):
    student = Features(*(t.clone().requires_grad_(True) for t in (feats.image, feats.positive, feats.negative)))
    teacher = Features(*(t.clone().requires_grad_(True) for t in (feats.image, feats.positive, feats.negative)))
    scale = torch.tensor(5.0, dtype=torch.float64, requires_grad=True)
    degla_loss(student, teacher, scale, LossWeights()).total.backward()
    assert all(t.grad is not None and t.grad.abs().sum() > 0 for t in (student.image, student.positive))
    assert student.negative.grad.abs().sum() > 0 and scale.grad is not None
    assert all(t.grad is None for t in (teacher.image, teacher.positive, teacher.negative))
