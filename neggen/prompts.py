"""Prompt files (prompts/<type>.toml), fixed few-shot example sets, and rendering in two layouts.

The static part (rule, instructions, examples) comes first and the caption last, and each caption uses one of
a few fixed example sets chosen by its id, so thousands of requests share a prefix in the engine's cache.
"""

from __future__ import annotations

import hashlib
import json
import random
import tomllib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from neggen.resources import shipped_dir
from neggen.sharding import stable_hash
from neggen.types import NegType

PromptLayout = Literal["chat", "paper"]
# prompts/ of the checkout, or the copy a wheel ships as the package `neggen.prompt_files`.
DEFAULT_PROMPTS_DIR = shipped_dir("prompts", "neggen.prompt_files")
Messages = list[dict[str, str]]


class CuratedPair(BaseModel):
    id: int = Field(description="1-based position in the file; recorded per row in example_ids")
    original: str
    negative: str


class PromptSpec(BaseModel):
    type: NegType
    family: str
    rule: str
    template: str
    system: str
    examples: list[CuratedPair]
    file_sha: str


def load_prompt(neg_type: NegType, prompts_dir: Path = DEFAULT_PROMPTS_DIR) -> PromptSpec:
    path = prompts_dir / f"{neg_type.value}.toml"
    try:
        raw = path.read_bytes()
        data = tomllib.loads(raw.decode("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"{path}: cannot load prompt file ({exc})") from exc
    examples = [{"id": i, **pair} for i, pair in enumerate(data.pop("examples", []), start=1)]
    try:
        spec = PromptSpec(**data, examples=examples, file_sha=hashlib.sha256(raw).hexdigest())
    except ValidationError as exc:
        raise ValueError(f"{path}: invalid prompt file: {exc}") from exc
    if spec.type != neg_type:
        raise ValueError(f"{path}: declares type {spec.type.value!r}, expected {neg_type.value!r}")
    return spec


@dataclass(frozen=True)
class RenderedPrompt:
    messages: Messages
    prompt_sha: str
    example_set: int
    example_ids: list[int]


@dataclass(frozen=True)
class PromptBuilder:
    """Renders one type's prompt for a caption; example sets are fixed by (type, set index)."""

    spec: PromptSpec
    layout: PromptLayout = "chat"
    num_sets: int = 4
    examples_per_prompt: int = 5

    @cached_property
    def example_sets(self) -> list[list[CuratedPair]]:
        k = min(self.examples_per_prompt, len(self.spec.examples))
        return [
            random.Random(stable_hash(self.spec.type.value, "examples", str(i))).sample(self.spec.examples, k)
            for i in range(self.num_sets)
        ]

    def set_for(self, caption_id: str) -> int:
        return stable_hash("example_set", self.spec.type.value, caption_id) % self.num_sets

    def _messages(self, examples: list[CuratedPair], caption: str) -> Messages:
        if self.layout == "paper":
            block = "\n".join(
                f"{i}. Original: {ex.original}\n   Rewritten: {ex.negative}" for i, ex in enumerate(examples, 1)
            )
            text = self.spec.template.format(rule=self.spec.rule, examples=block, caption=caption)
            return [{"role": "user", "content": text}]
        messages = [{"role": "system", "content": self.spec.system.format(rule=self.spec.rule)}]
        for ex in examples:
            messages += [
                {"role": "user", "content": ex.original},
                {"role": "assistant", "content": ex.negative},
            ]
        return [*messages, {"role": "user", "content": caption}]

    @cached_property
    def _set_shas(self) -> list[str]:
        # The hash of everything but the caption: equal hashes mean equal shared prefixes.
        placeholder = "\u0000CAPTION\u0000"
        return [
            hashlib.sha256(json.dumps(self._messages(examples, placeholder)).encode()).hexdigest()[:16]
            for examples in self.example_sets
        ]

    def render(self, caption_id: str, caption: str) -> RenderedPrompt:
        index = self.set_for(caption_id)
        examples = self.example_sets[index]
        return RenderedPrompt(
            messages=self._messages(examples, caption),
            prompt_sha=self._set_shas[index],
            example_set=index,
            example_ids=[ex.id for ex in examples],
        )
