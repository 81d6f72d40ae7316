"""Training samples from a neggen run: each caption, its image and K negatives mapped into slots by type.

The run is read as the generator wrote it (manifest.json, captions.parquet, negatives/type=*/shard=*/*.parquet);
a directory that does not look like that is refused with the reason. Sampling is a function of
(seed, epoch, index) only, so a resumed run sees exactly the batches and augmentations of an uninterrupted one.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import torch
from torch.utils.data import Dataset, Sampler

from neggen.run import layout
from neggen.run.sharding import stable_hash
from neggen.schemas import CAPTIONS, NEGATIVES
from neggen.types import NegType
from trainer.config import DataSpec
from trainer.tokenizer import tokenize
from trainer.transforms import eval_transform, open_rgb, train_transform

log = logging.getLogger(__name__)
_NEEDED_NEGATIVE_COLUMNS = ("caption_id", "neg_type", "negative")
_NEEDED_CAPTION_COLUMNS = ("caption_id", "image_id", "image_path", "caption")


class DataError(ValueError):
    """The run directory or the images cannot serve training; the message says what is wrong."""


@dataclass
class SampleTable:
    image_paths: list[str]
    captions: list[str]
    negatives: list[list[str]]  # K per sample, in slot order
    image_ids: list[str]
    report: dict[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.captions)

    def split(self, val_fraction: float, seed: int) -> tuple[SampleTable, SampleTable]:
        """Hold out whole images (a caption never trains beside its image's held-out twin)."""
        held = [stable_hash("val", str(seed), i) % 10_000 < val_fraction * 10_000 for i in self.image_ids]
        train, val = (
            SampleTable(*[[v for v, h in zip(col, held, strict=True) if h == hold] for col in self._columns()])
            for hold in (False, True)
        )
        train.report = {**self.report, "samples": len(train), "val_samples": len(val)}
        val.report = {"samples": len(val)}
        return train, val

    def _columns(self) -> list[list]:
        return [self.image_paths, self.captions, self.negatives, self.image_ids]


def _check_columns(path: Path, schema, needed: tuple[str, ...], reference) -> None:
    for name in needed:
        if name not in schema.names:
            raise DataError(f"{path} lacks column {name!r}: not a neggen run written with this version")
        if schema.field(name).type != reference.field(name).type:
            raise DataError(
                f"{path}: column {name!r} is {schema.field(name).type}, expected {reference.field(name).type}"
            )


run_fingerprint = layout.run_fingerprint  # what the model was trained on; defined by the run contract


def _check_run(run_dir: Path) -> list[Path]:
    if not run_dir.is_dir():
        raise DataError(f"{run_dir} is not a directory")
    if not (run_dir / "manifest.json").exists():
        raise DataError(f"{run_dir} has no manifest.json: not a neggen run (neggen generate --out writes one)")
    try:
        layout.read_manifest(run_dir)
    except ValueError as exc:
        raise DataError(str(exc)) from None
    captions = layout.RunLayout(run_dir).captions
    if not captions.exists():
        raise DataError(f"{run_dir} has no captions.parquet")
    parts = layout.part_files(run_dir, "negatives")
    try:
        _check_columns(captions, _schema(captions), _NEEDED_CAPTION_COLUMNS, CAPTIONS)
        for part in parts:
            _check_columns(part, _schema(part), _NEEDED_NEGATIVE_COLUMNS, NEGATIVES)
    except layout.UnreadablePart as exc:
        raise DataError(str(exc)) from None
    return parts


def _schema(path: Path):
    layout.part_rows(path)  # names the file when its footer is unreadable
    return pq.read_schema(path)


def _image_path(row: dict, spec: DataSpec) -> str:
    if spec.image_template is None:
        if not row["image_path"]:
            raise DataError(f"caption {row['caption_id']} has no image_path; set data.image_template")
        return str(spec.image_root / row["image_path"])
    image_id = row["image_id"]
    value = int(image_id) if image_id.isdigit() else image_id
    return str(spec.image_root / spec.image_template.format(image_id=value))


def _fill_slots(negs: dict[str, str], slots: list[list[NegType]], policy: str, key: str) -> list[str] | None:
    chosen: list[str | None] = []
    for index, types in enumerate(slots):
        present = [negs[t.value] for t in types if t.value in negs]
        # Several valid types for one slot (swap_nouns / swap_adjectives): a seeded, per-caption choice.
        chosen.append(present[stable_hash(key, str(index)) % len(present)] if present else None)
    if all(c is not None for c in chosen):
        return chosen  # type: ignore[return-value]
    if policy == "drop" or not negs:
        return None
    spare = sorted(set(negs.values()))
    return [c if c is not None else spare[stable_hash(key, "fill", str(i)) % len(spare)] for i, c in enumerate(chosen)]


def load_samples(spec: DataSpec, seed: int, with_negatives: bool = True) -> SampleTable:
    """Join accepted negatives to their captions; apply the slot, missing-slot and missing-image policies."""
    if spec.run_dir is None:
        raise DataError("data.run_dir is not set: point it at a neggen run (neggen generate --out DIR)")
    run_dir = Path(spec.run_dir)
    parts = _check_run(run_dir)
    captions = pl.read_parquet(run_dir / "captions.parquet", columns=list(_NEEDED_CAPTION_COLUMNS))
    by_caption: dict[str, dict[str, str]] = {}
    if with_negatives:
        if not parts:
            raise DataError(f"{run_dir} has no accepted negatives yet (negatives/ is empty): run neggen generate")
        negatives = (
            pl.scan_parquet(parts, hive_partitioning=False)
            .select(_NEEDED_NEGATIVE_COLUMNS)
            .filter(pl.col("negative").is_not_null() & (pl.col("negative") != ""))
            .unique(subset=["caption_id", "neg_type"], keep="first", maintain_order=True)
            .collect()
        )
        present_types = set(negatives["neg_type"].unique().to_list())
        for index, types in enumerate(spec.slots):
            if not present_types & {t.value for t in types}:
                raise DataError(
                    f"slot {index} ({'|'.join(t.value for t in types)}) has no negatives in {run_dir}; the run "
                    f"holds {', '.join(sorted(present_types))}: generate those types or change data.slots"
                )
        for caption_id, neg_type, negative in negatives.iter_rows():
            by_caption.setdefault(caption_id, {})[neg_type] = negative
    table = SampleTable([], [], [], [])
    report = {"captions": captions.height, "missing_slot": 0, "filled_slot": 0, "missing_image": 0}
    missing_images: list[str] = []
    exists: dict[str, bool] = {}
    for row in captions.iter_rows(named=True):
        slots: list[str] = []
        if with_negatives:
            negs = by_caption.get(row["caption_id"], {})
            filled = _fill_slots(negs, spec.slots, spec.missing_slot, f"{seed}:{row['caption_id']}")
            if filled is None:
                report["missing_slot"] += 1
                continue
            report["filled_slot"] += sum(1 for i, s in enumerate(spec.slots) if not {t.value for t in s} & set(negs))
            slots = filled
        path = _image_path(row, spec)
        if path not in exists:
            exists[path] = os.path.isfile(path)
        if not exists[path]:
            report["missing_image"] += 1
            missing_images.append(path)
            continue
        table.image_paths.append(path)
        table.captions.append(row["caption"])
        table.negatives.append(slots)
        table.image_ids.append(row["image_id"])
    if missing_images and spec.missing_image == "error":
        shown = ", ".join(sorted(set(missing_images))[:3])
        raise DataError(
            f"{len(set(missing_images))} images are missing under {spec.image_root} (e.g. {shown}); fix "
            "data.image_root / data.image_template, or set data.missing_image = 'drop'"
        )
    if not len(table):
        raise DataError(f"no usable samples in {run_dir}: {report}")
    report["samples"] = len(table)
    table.report = report
    log.info("samples from %s: %s", run_dir, report)
    return table


class PairsDataset(Dataset):
    """Item i: the image (train or eval transform) and the token ids of [caption, negative_1..K]."""

    def __init__(self, table: SampleTable, tokenizer, image_size: int, train: bool, seed: int):
        self.table, self.tokenizer, self.image_size, self.train, self.seed = table, tokenizer, image_size, train, seed
        self.epoch = 0  # set before each epoch's DataLoader is built (workers get a fresh copy)

    def __len__(self) -> int:
        return len(self.table)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        image = open_rgb(self.table.image_paths[index])
        if self.train:
            generator = torch.Generator().manual_seed(stable_hash(str(self.seed), str(self.epoch), str(index)) >> 1)
            pixels = train_transform(image, self.image_size, generator)
        else:
            pixels = eval_transform(image, self.image_size)
        texts = [self.table.captions[index], *self.table.negatives[index]]
        return pixels, tokenize(self.tokenizer, texts)


def collate(items: list[tuple[torch.Tensor, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """Images (B,3,H,W); positives (B,77); negatives (B*K,77), sample-major (row i*K + k)."""
    pixels = torch.stack([p for p, _ in items])
    ids = torch.stack([t for _, t in items])
    return {"pixels": pixels, "positive_ids": ids[:, 0], "negative_ids": ids[:, 1:].reshape(-1, ids.shape[-1])}


class StepBatches(Sampler[list[int]]):
    """This rank's micro-batches for one epoch, from optimizer step `start` on.

    Step j takes samples perm[j*B:(j+1)*B] of the epoch's permutation; micro-step m, rank r gets the slice
    starting at j*B + (m*world + r)*micro: gathering the ranks of micro-step m gives the single-process batch.
    With keep_together = g > 1 the permutation moves blocks of g consecutive samples as one (a trailing partial
    block kept last), so a block always shares a micro-batch: the shapes world's counterfactual twins.
    """

    def __init__(
        self,
        n: int,
        batch: int,
        accum: int,
        rank: int,
        world: int,
        seed: int,
        epoch: int,
        start: int,
        keep_together: int = 1,
    ):
        if batch % (accum * world):
            raise ValueError(f"batch_size {batch} is not divisible by grad_accum {accum} x world size {world}")
        self.n, self.batch, self.accum, self.rank, self.world = n, batch, accum, rank, world
        self.seed, self.epoch, self.start = seed, epoch, start
        self.micro = batch // (accum * world)
        if self.micro % keep_together:
            raise ValueError(
                f"data.keep_together {keep_together} does not divide the per-rank micro-batch of {self.micro}"
                f" (batch_size {batch} / grad_accum {accum} / world size {world})"
            )
        self.keep_together = keep_together

    @property
    def steps(self) -> int:
        return self.n // self.batch

    def __len__(self) -> int:
        return max(0, self.steps - self.start) * self.accum

    def __iter__(self) -> Iterator[list[int]]:
        generator = torch.Generator().manual_seed(self.seed * 1_000_003 + self.epoch)
        g = self.keep_together
        if g == 1:
            order = torch.randperm(self.n, generator=generator)
        else:
            # Block b holds samples b*g .. b*g+g-1. Whole blocks are shuffled; a partial last block stays last,
            # so every batch boundary (a multiple of g) falls between blocks.
            blocks = torch.randperm(self.n // g, generator=generator)
            order = torch.cat(
                [(blocks[:, None] * g + torch.arange(g)).flatten(), torch.arange(self.n // g * g, self.n)]
            )
        for step in range(self.start, self.steps):
            for m in range(self.accum):
                begin = step * self.batch + (m * self.world + self.rank) * self.micro
                yield order[begin : begin + self.micro].tolist()
