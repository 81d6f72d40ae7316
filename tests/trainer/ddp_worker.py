"""Entry points for the 2-process (gloo) tests; spawned processes import this module by name."""

from __future__ import annotations

import os

import torch
import torch.distributed as dist


def _join(rank: int, world: int, port: int) -> None:
    os.environ.update(
        MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE=str(world), LOCAL_RANK=str(rank)
    )
    dist.init_process_group("gloo", rank=rank, world_size=world)


def gathered_loss(rank: int, world: int, port: int, features, weights, out_dir: str) -> None:
    """Each rank holds its slice of one global batch; save the loss and this rank's feature gradients."""
    from trainer.losses import Features, degla_loss

    _join(rank, world, port)
    student, teacher = features
    b = student.image.shape[0] // world
    k = student.k
    local = Features(
        student.image[rank * b : (rank + 1) * b].clone().requires_grad_(True),
        student.positive[rank * b : (rank + 1) * b].clone().requires_grad_(True),
        student.negative[rank * b * k : (rank + 1) * b * k].clone().requires_grad_(True),
    )
    local_teacher = Features(
        teacher.image[rank * b : (rank + 1) * b],
        teacher.positive[rank * b : (rank + 1) * b],
        teacher.negative[rank * b * k : (rank + 1) * b * k],
    )
    scale = torch.tensor(5.0, dtype=student.image.dtype)
    terms = degla_loss(local.gathered(), local_teacher.gathered(), scale, weights)
    (terms.total * world).backward()
    grads = [t.grad for t in (local.image, local.positive, local.negative)]
    # DDP would average parameter gradients over ranks; here the feature gradients are per-rank rows.
    torch.save({"loss": terms.total.detach(), "grads": grads}, os.path.join(out_dir, f"rank{rank}.pt"))
    dist.destroy_process_group()


def train_rank(rank: int, world: int, port: int, config) -> None:
    from trainer.distributed import teardown
    from trainer.loop import train

    os.environ.update(
        MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE=str(world), LOCAL_RANK=str(rank)
    )
    train(config)
    teardown()
