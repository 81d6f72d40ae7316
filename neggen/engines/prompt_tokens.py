"""Chat-template token ids with each shared prefix tokenized once.

Requests of one (type, example set) differ only in the last message (the caption): the templated text before
it (system text, rule, few-shot turns) and after it (end of turn, assistant header) is tokenized once per
prefix, and per request only the caption is tokenized and spliced in. A byte-level BPE never merges across
the seam when the caption neither starts nor ends with whitespace (its pre-tokenizer splits there), so such
captions are spliced; others take the full path. The first `verify` captions of each prefix are checked against
the full template's tokenization, and a prefix whose tokenizer merges across the seam anyway falls back to the
full path for good: the ids are what `apply_chat_template` would give.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

_SEAM = "\u2063neggen-last-message\u2063"  # invisible separator: never in a caption, kept verbatim by templates


class PromptTokens:
    def __init__(self, tokenizer: Any, max_prefixes: int = 256, verify: int = 8):
        self.tokenizer = tokenizer
        self.max_prefixes = max_prefixes
        self.verify = verify
        self._parts: OrderedDict[tuple, tuple[list[int], list[int]] | None] = OrderedDict()
        self._checked: dict[tuple, int] = {}
        self.prefix_misses = 0
        # A fast tokenizer's Rust backend skips transformers' Python wrapper (most of the per-caption cost).
        self._backend = getattr(tokenizer, "backend_tokenizer", None)

    def full(self, messages: list[dict[str, str]]) -> list[int]:
        text = self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        return list(self.tokenizer.encode(text, add_special_tokens=False))

    def _encode(self, text: str) -> list[int]:
        if self._backend is not None:
            return self._backend.encode(text, add_special_tokens=False).ids
        return list(self.tokenizer.encode(text, add_special_tokens=False))

    def __call__(self, messages: list[dict[str, str]]) -> list[int]:
        last = messages[-1]
        content = last["content"]
        if not content or content[0].isspace() or content[-1].isspace():
            return self.full(messages)
        key = (*((m["role"], m["content"]) for m in messages[:-1]), last["role"])
        if key not in self._parts:
            self.prefix_misses += 1
            self._parts[key] = self._split(messages)
            self._checked[key] = 0
            while len(self._parts) > self.max_prefixes:
                self._checked.pop(self._parts.popitem(last=False)[0], None)
        self._parts.move_to_end(key)
        parts = self._parts[key]
        if parts is None:
            return self.full(messages)
        ids = parts[0] + self._encode(content) + parts[1]
        if self._checked[key] < self.verify:
            self._checked[key] += 1
            full = self.full(messages)
            if ids != full:
                self._parts[key] = None  # the tokenizer merges across the seam: exact full path from now on
                return full
        return ids

    def _split(self, messages: list[dict[str, str]]) -> tuple[list[int], list[int]] | None:
        marked = [*messages[:-1], {"role": messages[-1]["role"], "content": _SEAM}]
        text = self.tokenizer.apply_chat_template(marked, add_generation_prompt=True, tokenize=False)
        if text.count(_SEAM) != 1:
            return None
        head, tail = text.split(_SEAM)
        return self._encode(head), self._encode(tail)
