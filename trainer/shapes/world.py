"""Scene graphs of the shapes world: objects on a grid, relations from geometry, the held-out split, sampling.

Objects sit in distinct cells of a grid with a little jitter; every shape fits in its bounding circle, and
radii and jitter are chosen so that two objects in different columns have disjoint x-extents (and likewise
rows and y). So for any pair, "left of" holds when the x-extents are disjoint in that order, and when it does
not hold the objects are either the other way round or clearly level with each other: no borderline cases.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, replace
from itertools import combinations, permutations
from typing import Any

from trainer.shapes.config import RELATIONS, WorldConfig

Pair = tuple[str, str]  # (colour, shape)
Triple = tuple[str, str, str]  # (shape, "left of" | "above", shape): canonical direction

RADIUS = {"small": 0.24, "large": 0.38}  # of the cell size
JITTER = 0.06  # of the cell size, each axis


@dataclass(frozen=True)
class Obj:
    shape: str
    colour: str
    size: str
    row: int
    col: int
    x: float  # centre, pixels
    y: float
    r: float  # bounding-circle radius, pixels

    @property
    def pair(self) -> Pair:
        return (self.colour, self.shape)


@dataclass(frozen=True)
class Scene:
    objects: tuple[Obj, ...]
    size: int  # image side, pixels

    def to_dict(self) -> dict[str, Any]:
        return {"size": self.size, "objects": [asdict(o) for o in self.objects]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Scene:
        return cls(tuple(Obj(**o) for o in data["objects"]), data["size"])


def holds(rel: str, a: Obj, b: Obj) -> bool:
    """Whether "a <rel> b" is true, from the geometry alone (strictly disjoint extents)."""
    if rel == "left of":
        return a.x + a.r < b.x - b.r
    if rel == "right of":
        return holds("left of", b, a)
    if rel == "above":
        return a.y + a.r < b.y - b.r
    if rel == "below":
        return holds("above", b, a)
    raise ValueError(f"unknown relation {rel!r}")


def true_relations(a: Obj, b: Obj) -> list[str]:
    return [rel for rel in RELATIONS if holds(rel, a, b)]


def canonical_triple(a_shape: str, rel: str, b_shape: str) -> Triple:
    """ "B right of A" and "A left of B" are the same fact: (A, left of, B)."""
    if rel == "right of":
        return (b_shape, "left of", a_shape)
    if rel == "below":
        return (b_shape, "above", a_shape)
    return (a_shape, rel, b_shape)


def scene_triples(scene: Scene) -> set[Triple]:
    found = set()
    for a, b in permutations(scene.objects, 2):
        for rel in ("left of", "above"):
            if holds(rel, a, b):
                found.add((a.shape, rel, b.shape))
    return found


@dataclass(frozen=True)
class Heldout:
    """(colour, shape) pairs and relation triples that never occur in the training split."""

    pairs: frozenset[Pair]
    triples: frozenset[Triple]

    def in_scene(self, scene: Scene) -> bool:
        return any(o.pair in self.pairs for o in scene.objects) or bool(scene_triples(scene) & self.triples)

    def to_dict(self) -> dict[str, Any]:
        return {"pairs": sorted(map(list, self.pairs)), "triples": sorted(map(list, self.triples))}


def make_heldout(config: WorldConfig) -> Heldout:
    """A diagonal of (colour, shape) pairs, so every colour and every shape keeps most of its pairs in training
    and the held-out zero-shot sets cover every colour and shape; and a sample of cross-shape triples."""
    rng = random.Random(f"{config.seed}/heldout")
    colours, shapes = list(config.colours), list(config.shapes)
    rng.shuffle(colours)
    rng.shuffle(shapes)
    n = config.heldout_pairs
    pairs = frozenset((colours[i % len(colours)], shapes[(i + i // len(colours)) % len(shapes)]) for i in range(n))
    candidates = [(a, rel, b) for a, b in permutations(sorted(config.shapes), 2) for rel in ("left of", "above")]
    triples = frozenset(rng.sample(candidates, min(config.heldout_triples, len(candidates))))
    return Heldout(pairs, triples)


def place(rng: random.Random, config: WorldConfig, shape: str, colour: str, size: str, row: int, col: int) -> Obj:
    side = config.image_size / config.grid
    jitter = JITTER * side
    x = (col + 0.5) * side + rng.uniform(-jitter, jitter)
    y = (row + 0.5) * side + rng.uniform(-jitter, jitter)
    return Obj(shape, colour, size, row, col, round(x, 2), round(y, 2), round(RADIUS[size] * side, 2))


def random_scene(rng: random.Random, config: WorldConfig, n_objects: int | None = None) -> Scene:
    """Objects in distinct cells with distinct (colour, shape) pairs."""
    n = n_objects if n_objects is not None else rng.randint(config.min_objects, config.max_objects)
    cells = rng.sample(range(config.grid * config.grid), n)
    pairs: list[Pair] = []
    while len(pairs) < n:
        pair = (rng.choice(config.colours), rng.choice(config.shapes))
        if pair not in pairs:
            pairs.append(pair)
    objects = tuple(
        place(rng, config, shape, colour, rng.choice(config.sizes), cell // config.grid, cell % config.grid)
        for cell, (colour, shape) in zip(cells, pairs, strict=True)
    )
    return Scene(objects, config.image_size)


def exchange(scene: Scene, a: int, b: int) -> Scene:
    """The scene with objects a and b in each other's places; each keeps its size (any size fits any cell)."""
    objects = list(scene.objects)
    first, second = objects[a], objects[b]
    objects[a] = replace(first, row=second.row, col=second.col, x=second.x, y=second.y)
    objects[b] = replace(second, row=first.row, col=first.col, x=first.x, y=first.y)
    return Scene(tuple(objects), scene.size)


def exchanged_pair(base: Scene, scene: Scene) -> tuple[Obj, Obj] | None:
    """(a, b) of `base` when `scene` is `base` with exactly objects a and b exchanged, else None."""
    if len(base.objects) != len(scene.objects) or any(
        o.pair != p.pair for o, p in zip(base.objects, scene.objects, strict=True)
    ):
        return None
    moved = [i for i, (o, p) in enumerate(zip(base.objects, scene.objects, strict=True)) if o != p]
    if len(moved) != 2 or exchange(base, *moved) != scene:
        return None
    return base.objects[moved[0]], base.objects[moved[1]]


def twin_scene(config: WorldConfig, heldout: Heldout, base: Scene, key: str) -> Scene | None:
    """`base` with two of its objects exchanged (a random pair whose result holds no held-out triple), or None
    when it has one object or every exchange would show a held-out triple."""
    rng = random.Random(f"{config.seed}/{key}/twin")
    pairs = list(combinations(range(len(base.objects)), 2))
    rng.shuffle(pairs)
    for a, b in pairs:
        twin = exchange(base, a, b)
        if not heldout.in_scene(twin):
            return twin
    return None


def sample_scene(config: WorldConfig, heldout: Heldout, split: str, index: int, n_objects: int | None = None) -> Scene:
    """Scene `index` of `split`, independent of every other index, except that with `config.twins` an odd
    training scene is the twin of the one before it (when it has one; else an independent scene). Training
    and in-distribution scenes hold no held-out pair or triple; "heldout" scenes hold at least one."""
    if config.twins and split == "train" and index % 2 and n_objects is None:
        twin = twin_scene(config, heldout, sample_scene(config, heldout, split, index - 1), f"{split}/{index}")
        if twin is not None:
            return twin
    rng = random.Random(f"{config.seed}/{split}/{index}/scene")
    want_heldout = split.startswith("heldout")
    # The object count is drawn first, so rejection below does not skew the count distribution.
    n = n_objects if n_objects is not None else rng.randint(config.min_objects, config.max_objects)
    for _ in range(10_000):
        scene = random_scene(rng, config, n)
        if heldout.in_scene(scene) == want_heldout:
            return scene
    raise RuntimeError(f"could not sample a {split} scene: the held-out definition leaves nothing to draw")
