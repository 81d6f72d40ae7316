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

from pydantic import BaseModel, Field, ValidationError

from neggen.config import DEFAULT_PROMPTS_DIR, OutputForm, PromptLayout
from neggen.run.sharding import stable_hash
from neggen.types import NegType

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


# Edit-form instructions live in code, beside the derivation of their examples; the rule text still comes
# from the prompt file.
EDIT_SYSTEM = (
    "You edit image captions. Rewrite rule: {rule}. {task} The caption must then describe a clearly different"
    " scene; never use a synonym. Answer with the edit only: no sentence, no quotes, no explanation."
)
EDIT_TEMPLATE = (
    "Name the edit that rewrites the input caption by this rule: {rule}. {task} Here are the examples:\n"
    "{examples}\nAnswer with the edit only. Input text: {caption}"
)
_EDIT_TASKS = {
    NegType.swap_nouns: "Name two nouns of the caption to exchange, as: first <-> second.",
    NegType.swap_adjectives: "Name two adjectives of the caption to exchange, as: first <-> second.",
    NegType.replace_nouns: "Name one noun of the caption and the noun that replaces it, as: old -> new.",
    NegType.replace_adjectives: "Name one adjective of the caption and the one that replaces it, as: old -> new.",
    NegType.reshuffle: (
        "Name two noun phrases of the caption to exchange, so that who does what to whom changes,"
        " as: first phrase <-> second phrase."
    ),
}


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
    output: OutputForm = "sentence"  # "edit": the answer is an edit (see edit_form)

    # The edit form's modules load the language tools (spaCy, seconds): imported where a prompt is rendered,
    # so that planning a run and reading its status stay light.
    @property
    def form(self) -> OutputForm:
        from neggen.edits.form import form_for

        return form_for(self.spec.type, self.output)

    @cached_property
    def answers(self) -> dict[int, str]:
        """The assistant answer of each usable curated pair: its negative, or in edit form its edit."""
        if self.form == "sentence":
            return {ex.id: ex.negative for ex in self.spec.examples}
        from neggen.edits.examples import derive_edit, offered
        from neggen.edits.form import PHRASE_TYPES
        from neggen.text.pos import DEFAULT_TAGGER

        edits = {ex.id: derive_edit(self.spec.type, ex.original, ex.negative) for ex in self.spec.examples}
        if self.spec.type in PHRASE_TYPES or self.spec.type == NegType.swap_nouns:
            # Reshuffle names whole noun phrases, and both exchanges offer only things of one kind
            # (validate.kinds): an example is kept where its caption's constraint allows it, so none teaches an
            # exchange the constraint would refuse ("girl <-> suitcase").
            originals = {ex.id: ex.original for ex in self.spec.examples}
            return {
                i: str(e)
                for i, e in edits.items()
                if e is not None and offered(self.spec.type, originals[i], e, DEFAULT_TAGGER)
            }
        # Constrained answers name single-word spans (edit_form), so examples naming longer ones would teach
        # a form the model cannot then produce.
        return {i: str(e) for i, e in edits.items() if e is not None and e.single_word_spans}

    @cached_property
    def example_sets(self) -> list[list[CuratedPair]]:
        # Pairs without a derivable edit are left out of the pool in edit form; sets stay fixed per index.
        pool = [ex for ex in self.spec.examples if ex.id in self.answers]
        k = min(self.examples_per_prompt, len(pool))
        return [
            random.Random(stable_hash(self.spec.type.value, "examples", str(i))).sample(pool, k)
            for i in range(self.num_sets)
        ]

    def set_for(self, caption_id: str) -> int:
        return stable_hash("example_set", self.spec.type.value, caption_id) % self.num_sets

    def _messages(self, examples: list[CuratedPair], caption: str) -> Messages:
        edit = self.form == "edit"
        if self.layout == "paper":
            label = "Edit" if edit else "Rewritten"
            block = "\n".join(
                f"{i}. Original: {ex.original}\n   {label}: {self.answers[ex.id]}" for i, ex in enumerate(examples, 1)
            )
            template = EDIT_TEMPLATE if edit else self.spec.template
            text = template.format(rule=self.spec.rule, examples=block, caption=caption, task=self._edit_task())
            return [{"role": "user", "content": text}]
        system = EDIT_SYSTEM if edit else self.spec.system
        messages = [{"role": "system", "content": system.format(rule=self.spec.rule, task=self._edit_task())}]
        for ex in examples:
            messages += [
                {"role": "user", "content": ex.original},
                {"role": "assistant", "content": self.answers[ex.id]},
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

    def _edit_task(self) -> str:
        return _EDIT_TASKS.get(self.spec.type, "")

    def render(self, caption_id: str, caption: str) -> RenderedPrompt:
        index = self.set_for(caption_id)
        examples = self.example_sets[index]
        return RenderedPrompt(
            messages=self._messages(examples, caption),
            prompt_sha=self._set_shas[index],
            example_set=index,
            example_ids=[ex.id for ex in examples],
        )
