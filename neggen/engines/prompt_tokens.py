"""Chat-template token ids with each shared prefix tokenized once.

Requests of one (type, example set) differ only in the last message (the caption): the templated text before
it (system text, rule, few-shot turns) and after it (end of turn, assistant header) is tokenized once per
prefix, and per request only the caption is tokenized and spliced in. The first use of a prefix is checked
against the full template's tokenization; a tokenizer that merges across the seam falls back to the full
path for that prefix, so the ids are always exactly what `apply_chat_template` would give.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

_SEAM = "\u2063neggen-last-message\u2063"  # invisible separator: never in a caption, kept verbatim by templates


class PromptTokens:
    def __init__(self, tokenizer: Any, max_prefixes: int = 256):
        self.tokenizer = tokenizer
        self.max_prefixes = max_prefixes
        self._parts: OrderedDict[tuple, tuple[list[int], list[int]] | None] = OrderedDict()
        self.prefix_misses = 0

    def full(self, messages: list[dict[str, str]]) -> list[int]:
        text = self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        return list(self.tokenizer.encode(text, add_special_tokens=False))

    def _encode(self, text: str) -> list[int]:
        return list(self.tokenizer.encode(text, add_special_tokens=False))

    def __call__(self, messages: list[dict[str, str]]) -> list[int]:
        last = messages[-1]
        key = (*((m["role"], m["content"]) for m in messages[:-1]), last["role"])
        if key in self._parts:
            self._parts.move_to_end(key)
            parts = self._parts[key]
            if parts is None:
                return self.full(messages)
            return parts[0] + self._encode(last["content"]) + parts[1]
        self.prefix_misses += 1
        full = self.full(messages)
        self._parts[key] = self._split(messages, full)
        while len(self._parts) > self.max_prefixes:
            self._parts.popitem(last=False)
        return full

    def _split(self, messages: list[dict[str, str]], full: list[int]) -> tuple[list[int], list[int]] | None:
        marked = [*messages[:-1], {"role": messages[-1]["role"], "content": _SEAM}]
        text = self.tokenizer.apply_chat_template(marked, add_generation_prompt=True, tokenize=False)
        if text.count(_SEAM) != 1:
            return None
        head, tail = text.split(_SEAM)
        parts = (self._encode(head), self._encode(tail))
        if parts[0] + self._encode(messages[-1]["content"]) + parts[1] != full:
            return None  # the tokenizer merges across the seam: keep the exact full path for this prefix
        return parts
