"""Constrained decoding for the `hf` engine: one xgrammar matcher per row, following the batch.

xgrammar (installed with vLLM, the same library vLLM uses) compiles a regex or JSON schema against the
tokenizer; each step the matcher masks the tokens that would leave the language, and once the answer is
complete only the stop token is allowed. Its own transformers processor (`xgrammar.contrib.hf`) cannot follow
rows that leave the batch or mix constrained and free rows, which the hf decode loop needs, hence this one.
"""

from __future__ import annotations

import json
from typing import Any

import torch
from transformers import LogitsProcessor

from neggen.engines.base import EngineError


def _xgrammar():
    try:
        import xgrammar
    except ImportError as exc:
        raise EngineError("constrained decoding on the hf engine needs xgrammar (`pip install xgrammar`)") from exc
    return xgrammar


class GrammarCompiler:
    """Compiles constraints for one tokenizer (xgrammar caches compiled grammars by their text)."""

    def __init__(self, tokenizer: Any, vocab_size: int):
        xgr = _xgrammar()
        info = xgr.TokenizerInfo.from_huggingface(tokenizer, vocab_size=vocab_size)
        self.vocab_size = vocab_size
        self._compiler = xgr.GrammarCompiler(info, max_threads=1)

    def _compile(self, kind: str, text: str):
        try:
            if kind == "regex":
                return self._compiler.compile_regex(text)
            return self._compiler.compile_json_schema(text)
        except Exception as exc:  # xgrammar raises RuntimeError/ValueError on a pattern it cannot compile
            raise EngineError(f"cannot compile the {kind} constraint: {exc}") from exc

    def compile(self, regex: str | None, json_schema: dict[str, Any] | None):
        if regex is not None:
            return self._compile("regex", regex)
        if json_schema is not None:
            return self._compile("json", json.dumps(json_schema, sort_keys=True))
        return None


class GrammarMask(LogitsProcessor):
    """Masks each constrained row's logits to its grammar; rows with grammar None are left free.

    Called once per step with the logits of the rows still active; the token a row chose at the previous
    step is the last column of input_ids (the hf loop feeds exactly that token back), so it is accepted
    first, except by rows still `fresh`: just started or just joined, with no token chosen yet.
    """

    def __init__(self, grammars: list[Any], vocab_size: int):
        self.matchers = [_xgrammar().GrammarMatcher(g) if g is not None else None for g in grammars]
        self.vocab_size = vocab_size
        self.fresh = [True] * len(grammars)  # no token chosen yet: nothing to accept on the next call

    def select(self, keep: list[int]) -> None:
        """Follow the batch when finished rows leave it."""
        self.matchers = [self.matchers[k] for k in keep]
        self.fresh = [self.fresh[k] for k in keep]

    def extend(self, other: GrammarMask) -> None:
        """Follow the batch when rows join it (rows that have chosen no token yet)."""
        self.matchers += other.matchers
        self.fresh += other.fresh

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        chosen = input_ids[:, -1].tolist()
        for matcher, token, fresh in zip(self.matchers, chosen, self.fresh, strict=True):
            if matcher is not None and not fresh and not matcher.is_terminated() and not matcher.accept_token(token):
                raise EngineError(f"grammar rejected token {token} that it allowed")
        self.fresh = [False] * len(self.matchers)
        rows = [i for i, m in enumerate(self.matchers) if m is not None]
        if not rows:
            return scores
        xgr = _xgrammar()
        bitmask = xgr.allocate_token_bitmask(len(self.matchers), self.vocab_size)
        for i in rows:
            self.matchers[i].fill_next_token_bitmask(bitmask, i)
        device = scores.device
        scores = scores.float().cpu()
        # A free row keeps all tokens: apply the mask to constrained rows only.
        xgr.apply_token_bitmask_inplace(scores, bitmask, indices=rows)
        return scores.to(device)
