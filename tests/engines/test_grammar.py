"""The hf engine's grammar mask alone: the bundled tokenizer, random logits, rows leaving the batch."""

from __future__ import annotations

import re

import pytest
import torch

from neggen.engines.grammar import GrammarCompiler, GrammarMask


@pytest.fixture(scope="module")
def tokenizer(bundled_model_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(bundled_model_dir)


def test_masked_random_decoding_full_matches_each_rows_regex_while_rows_leave(tokenizer):
    vocab = len(tokenizer)
    compiler = GrammarCompiler(tokenizer, vocab)
    regexes = ["(man|moped|road) -> [a-z]{1,15}", None, "(red <-> blue|blue <-> red)", "(dog|cat) -> [a-z]{1,3}"]
    mask = GrammarMask([compiler.compile(r, None) for r in regexes], vocab)
    generator = torch.Generator().manual_seed(0)
    active, tokens = list(range(len(regexes))), [[] for _ in regexes]
    ids = torch.zeros(len(regexes), 1, dtype=torch.long)
    for step in range(40):
        scores = mask(ids, torch.randn(len(active), vocab, generator=generator))
        chosen = scores.argmax(-1).tolist()
        keep = []
        for slot, (row, token) in enumerate(zip(active, chosen, strict=True)):
            tokens[row].append(token)
            finished = token == tokenizer.eos_token_id or (regexes[row] is None and step == 2)
            if not finished:
                keep.append(slot)
        if not keep:
            break
        if len(keep) < len(active):
            mask.select(keep)  # finished rows leave, as in the hf decode loop
            active = [active[k] for k in keep]
        ids = torch.tensor([[chosen[k]] for k in keep])
    for regex, row in zip(regexes, tokens, strict=True):
        if regex is None:
            assert len(row) == 3  # left free, not forced to end
            continue
        assert row[-1] == tokenizer.eos_token_id, "a complete answer is followed by the stop token only"
        assert re.fullmatch(regex, tokenizer.decode(row[:-1])), tokenizer.decode(row)


def test_a_constraint_it_cannot_compile_is_a_clear_engine_error(tokenizer):
    from neggen.engines.base import EngineError

    with pytest.raises(EngineError, match="cannot compile the regex constraint"):
        GrammarCompiler(tokenizer, len(tokenizer)).compile("(unclosed", None)
