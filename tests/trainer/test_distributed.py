"""Two CPU processes (gloo) against one: the gathered loss and the training step equal the single-process ones."""

from __future__ import annotations

import socket

import pytest
import torch
import torch.multiprocessing as mp
import torch.nn.functional as F

from tests.trainer import ddp_worker
from tests.trainer.test_loop import tiny_config
from trainer.checkpoint import resolve_model_dir
from trainer.loop import train
from trainer.losses import Features, LossWeights, degla_loss
from trainer.models import load_clip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_gathered_loss_and_gradients_equal_single_process(tmp_path):
    g = torch.Generator().manual_seed(1)
    B, K, D = 4, 3, 8
    make = lambda n: F.normalize(torch.randn(n, D, generator=g, dtype=torch.float64), dim=-1)  # noqa: E731
    student = Features(make(B), make(B), make(B * K))
    teacher = Features(make(B), make(B), make(B * K))
    weights = LossWeights(igc=0.3, tgc=0.2, distill=0.05)
    mp.spawn(ddp_worker.gathered_loss, args=(2, free_port(), (student, teacher), weights, str(tmp_path)), nprocs=2)
    ranks = [torch.load(tmp_path / f"rank{r}.pt") for r in range(2)]

    single = Features(*(t.clone().requires_grad_(True) for t in (student.image, student.positive, student.negative)))
    total = degla_loss(single, teacher, torch.tensor(5.0, dtype=torch.float64), weights).total
    total.backward()
    for r in ranks:
        assert float(r["loss"]) == pytest.approx(float(total.detach()), abs=1e-12)
    # Sample-major layout survives the gather: rank r's rows are rows r*B/2.. of the single-process batch.
    # Each rank back-propagates world x loss through its own rows only; DDP's mean over ranks then gives
    # every parameter exactly the single-process gradient.
    for index, full in enumerate((single.image.grad, single.positive.grad, single.negative.grad)):
        stitched = torch.cat([r["grads"][index] for r in ranks]) / 2
        torch.testing.assert_close(stitched, full, atol=1e-12, rtol=0)


@pytest.mark.slow
def test_ddp_training_equals_single_process_training(shapes_run, tmp_path):
    one = train(tiny_config(shapes_run, tmp_path / "one", "max_steps=2"))
    config = tiny_config(shapes_run, tmp_path / "two", "max_steps=2")
    mp.spawn(ddp_worker.train_rank, args=(2, free_port(), config), nprocs=2)
    single, _ = load_clip(resolve_model_dir(tmp_path / "one"))
    ddp, _ = load_clip(resolve_model_dir(tmp_path / "two"))
    assert one.step == 2
    for (name, a), (_, b) in zip(single.state_dict().items(), ddp.state_dict().items(), strict=True):
        torch.testing.assert_close(a, b, atol=2e-5, rtol=1e-4, msg=name)
