"""Training step time of DeGLA vs NegCLIP-style vs plain fine-tuning on the same batch, and the data loader's
throughput vs what training consumes.

    .venv/bin/python bench/train_step.py [--size tiny|small|vitb32] [--batch 32] [--k 4] [--rounds 7]
    # on a GPU box, the paper's shape: --size vitb32 --batch 256 --k 4 --device cuda --precision bf16

The three variants are built from one initial model and timed in interleaved rounds (plain, negclip, degla,
plain, ...) so machine noise hits them alike; printed are median step times and the ratios (the EMA teacher's
extra forward is DeGLA's overhead over NegCLIP-style). Step = forward (+ teacher forward), loss, backward,
AdamW step, logit-scale clamp, EMA update. vitb32 is randomly initialised from CLIPConfig (no download).
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from trainer.config import TrainConfig  # noqa: E402
from trainer.distributed import Dist  # noqa: E402
from trainer.ema import EMATeacher  # noqa: E402
from trainer.encoders import DualEncoder  # noqa: E402
from trainer.loop import _optimizer_step  # noqa: E402
from trainer.optim import make_optimizer  # noqa: E402

SIZES = {
    "tiny": dict(hidden=32, layers=2, heads=2, image_size=32, patch_size=8, projection_dim=32),
    "small": dict(hidden=128, layers=4, heads=4, image_size=64, patch_size=8, projection_dim=128),
}
VARIANTS = {
    "plain": dict(negatives=False, loss=dict(igc=0, tgc=0, distill=0)),
    "negclip": dict(negatives=True, loss=dict(igc=0, tgc=0, distill=0)),
    "degla": dict(negatives=True, loss={}),
}


def build_model(size: str):
    from transformers import CLIPConfig, CLIPModel

    if size == "vitb32":
        config = CLIPConfig()  # the defaults are ViT-B/32's shapes
    else:
        from trainer.models import tiny_clip_config
        from trainer.tokenizer import train_tokenizer

        tokenizer = train_tokenizer(["a red square left of a blue circle."] * 8, 300)
        config = tiny_clip_config(tokenizer, **SIZES[size])
    torch.manual_seed(0)
    return CLIPModel(config)


def make_batch(model, batch: int, k: int, device) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    size = model.config.vision_config.image_size
    vocab = model.config.text_config.vocab_size
    ids = torch.randint(2, vocab - 1, (batch * (1 + k), 77), generator=g)
    ids[:, 20] = model.config.text_config.eos_token_id  # captions of 20 tokens, then end/padding
    return {
        "pixels": torch.randn(batch, 3, size, size, generator=g).to(device),
        "positive_ids": ids[:batch].to(device),
        "negative_ids": ids[batch:].to(device),
    }


class Variant:
    def __init__(self, name: str, base, batch: dict, args):
        spec = VARIANTS[name]
        self.config = TrainConfig(
            negatives=spec["negatives"], loss=spec["loss"], precision=args.precision, batch_size=args.batch
        )
        self.student = DualEncoder(copy.deepcopy(base)).to(args.device).train()
        self.teacher = EMATeacher(self.student, 0.9996) if self.config.loss.needs_teacher else None
        self.optimizer = make_optimizer(self.student, self.config.optim)
        self.batch = batch if spec["negatives"] else {**batch, "negative_ids": batch["negative_ids"][:0]}
        self.dist = Dist(0, 1, 0, torch.device(args.device))
        self.times: list[float] = []

    def step(self) -> None:
        sync = torch.cuda.synchronize if self.dist.device.type == "cuda" else (lambda: None)
        sync()
        started = time.perf_counter()
        _optimizer_step(
            self.student, self.student, self.teacher, self.optimizer, iter([self.batch]), self.config, self.dist
        )
        with torch.no_grad():
            self.student.clip.logit_scale.clamp_(0, 4.6052)
        if self.teacher is not None:
            self.teacher.update(self.student)
        sync()
        self.times.append(time.perf_counter() - started)


def loader_throughput(image_size: int, workers: int, images: int = 256) -> float:
    """Samples/s of the real data path (JPEG decode, RandomResizedCrop, tokenisation) on a generated run."""
    from PIL import Image

    from tests.trainer.conftest import make_shapes_run
    from trainer.config import DataSpec
    from trainer.data import PairsDataset, StepBatches, collate, load_samples
    from trainer.tokenizer import train_tokenizer

    root = Path(tempfile.mkdtemp())
    run_dir, image_root = make_shapes_run(root, images=24)
    for png in image_root.glob("*.png"):  # photo-sized JPEGs, as COCO's are
        Image.open(png).convert("RGB").resize((640, 480)).save(png, format="JPEG", quality=90)
    table = load_samples(DataSpec(run_dir=run_dir, image_root=image_root, image_template=None, missing_slot="fill"), 0)
    repeat = max(1, images // len(table))
    for column in table._columns():
        column[:] = column * repeat
    tokenizer = train_tokenizer(table.captions, 300)
    dataset = PairsDataset(table, tokenizer, image_size, train=True, seed=0)
    loader = torch.utils.data.DataLoader(
        dataset, batch_sampler=StepBatches(len(table), 32, 1, 0, 1, 0, 0, 0), collate_fn=collate, num_workers=workers
    )
    started = time.perf_counter()
    count = sum(batch["pixels"].shape[0] for batch in loader)
    return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", choices=[*SIZES, "vitb32"], default="small")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--k", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--precision", choices=["fp32", "bf16"], default="fp32")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    base = build_model(args.size)
    batch = make_batch(base, args.batch, args.k, args.device)
    variants = {name: Variant(name, base, batch, args) for name in VARIANTS}
    for variant in variants.values():  # warm-up (allocator, autotuning)
        variant.step()
        variant.times.clear()
    if args.device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()
    for _ in range(args.rounds):
        for variant in variants.values():
            variant.step()
    median = {name: statistics.median(v.times) for name, v in variants.items()}
    params = sum(p.numel() for p in base.parameters()) / 1e6
    print(
        f"size={args.size} ({params:.1f}M params) batch={args.batch} k={args.k} texts/step="
        f"{args.batch * (1 + args.k)} device={args.device} precision={args.precision} rounds={args.rounds}"
    )
    print(f"{'variant':10} {'median step s':>14} {'images/s':>10}")
    for name, seconds in median.items():
        print(f"{name:10} {seconds:14.4f} {args.batch / seconds:10.1f}")
    print(
        f"degla / negclip = {median['degla'] / median['negclip']:.2f}x   "
        f"negclip / plain = {median['negclip'] / median['plain']:.2f}x   "
        f"degla / plain = {median['degla'] / median['plain']:.2f}x"
    )
    if args.device.startswith("cuda"):
        print(f"peak GPU memory (all three variants resident): {torch.cuda.max_memory_allocated() / 2**30:.2f} GiB")
    else:
        print(f"peak RSS: {psutil.Process().memory_info().rss / 2**30:.2f} GiB")
    image_size = base.config.vision_config.image_size
    loader = loader_throughput(image_size, args.workers)
    consumed = args.batch / median["degla"]
    print(
        f"data loader ({args.workers} workers, 640x480 JPEG -> {image_size}px): {loader:.0f} samples/s vs DeGLA "
        f"training {consumed:.0f} samples/s: loader/training = {loader / consumed:.2f}x"
    )


if __name__ == "__main__":
    main()
