"""The one settings model of a shapes world: vocabulary, sizes of the splits, held-out split, caption switches."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

# Words chosen so the article is always "a" (no vowel onset) and neggen's tagger reads colours and sizes as
# adjectives and shapes as nouns (checked in the tests through neggen's own validators; "cross" and "oval"
# fail that, so the eighth shape is a crescent "moon").
SHAPES = ("circle", "square", "triangle", "star", "diamond", "heart", "moon", "hexagon")
COLOURS = ("red", "green", "blue", "yellow", "purple", "pink", "white", "gray")
SIZES = ("small", "large")
RELATIONS = ("left of", "right of", "above", "below")
# The evaluation versions every world writes: training distribution, and unseen colour-shape pairs / triples.
VERSIONS = ("in_distribution", "heldout")

RGB: dict[str, tuple[int, int, int]] = {
    "red": (220, 30, 30),
    "green": (30, 180, 40),
    "blue": (40, 70, 230),
    "yellow": (240, 220, 30),
    "purple": (140, 40, 180),
    "pink": (255, 130, 200),
    "white": (245, 245, 245),
    "gray": (130, 130, 130),
}


class FinetuneSlice(BaseModel):
    """The fine-tuning set: a narrow slice of the world with its own terse caption style ("red circle left of
    blue square": no article, size or prefix, always one relation), as COCO is to CLIP's web data. Stage 1
    pretrains on the whole world; zero-shot retention is measured on colours and shapes outside the slice."""

    model_config = ConfigDict(extra="forbid")

    shapes: list[str] = Field(default_factory=lambda: list(SHAPES[:4]), min_length=2)
    colours: list[str] = Field(default_factory=lambda: list(COLOURS[:4]), min_length=2)
    n_images: int | None = Field(None, ge=1, description="two-object training images; default n_train // 4")
    captions_per_image: int = Field(2, ge=1)


class WorldConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seed: int = 0
    n_train: int = Field(20_000, ge=1, description="training images")
    n_eval: int = Field(1_000, ge=1, description="images per evaluation version (in_distribution, heldout)")
    image_size: int = Field(64, ge=32)
    grid: int = Field(3, ge=2, description="objects sit in distinct cells of a grid x grid layout")
    min_objects: int = Field(1, ge=1)
    max_objects: int = Field(3, ge=1)
    shapes: list[str] = list(SHAPES)
    colours: list[str] = list(COLOURS)
    sizes: list[str] = list(SIZES)
    background: tuple[int, int, int] = (0, 0, 0)
    captions_per_image: int = Field(2, ge=1, description="distinct training captions per image")
    p_incomplete: float = Field(0.0, ge=0.0, le=1.0, description="chance a training caption omits one object")
    p_where: float = Field(
        0.0, ge=0.0, le=1.0, description="chance a training caption says where each object is (thirds of the image)"
    )
    twins: bool = Field(
        False,
        description="each odd training image is the even one before it with two objects' places exchanged (its"
        " captions with their noun phrases exchanged); caption rows alternate between the two, for"
        " data.keep_together = 2",
    )
    heldout_pairs: int = Field(8, ge=0, description="(colour, shape) pairs never seen in training")
    heldout_triples: int = Field(6, ge=0, description="(shape, relation, shape) triples never seen in training")
    heldout_free_negatives: bool = Field(True, description="oracle training negatives never mention held-out items")
    zeroshot_per_class: int = Field(10, ge=1)
    winoground_items: int | None = Field(None, description="2x2 items per version; default n_eval // 4")
    oracle_shards: int = Field(4, ge=1)
    oracle_chunk_size: int = Field(4096, ge=1)
    finetune: FinetuneSlice = FinetuneSlice()

    @model_validator(mode="after")
    def _check(self) -> WorldConfig:
        if self.max_objects < self.min_objects:
            raise ValueError("max_objects must be >= min_objects")
        if self.max_objects > self.grid * self.grid:
            raise ValueError("max_objects must fit in the grid")
        unknown = set(self.colours) - set(RGB)
        if unknown:
            raise ValueError(f"no RGB value for colours {sorted(unknown)}")
        if len(self.sizes) != 2:
            raise ValueError("sizes must be exactly two words (small, large)")
        for name in ("shapes", "colours"):
            extra = sorted(set(getattr(self.finetune, name)) - set(getattr(self, name)))
            if extra:
                raise ValueError(f"finetune.{name} {extra} are not in the world's {name}")
        if set(self.finetune.shapes) == set(self.shapes) or set(self.finetune.colours) == set(self.colours):
            raise ValueError("the fine-tuning slice must leave some shapes and colours outside it")
        return self

    @property
    def n_winoground(self) -> int:
        return self.winoground_items if self.winoground_items is not None else max(1, self.n_eval // 4)

    @property
    def n_finetune(self) -> int:
        return self.finetune.n_images if self.finetune.n_images is not None else max(1, self.n_train // 4)

    @classmethod
    def quick(cls, **overrides: object) -> WorldConfig:
        """Seconds to build: for smoke tests and `--quick`."""
        defaults = {"n_train": 2_000, "n_eval": 300, "zeroshot_per_class": 8, "finetune": FinetuneSlice(n_images=800)}
        return cls(**{**defaults, **overrides})
