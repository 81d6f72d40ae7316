"""Prefix tokenized once: the spliced ids equal the chat template's own tokenization, with the real tokenizer."""

from __future__ import annotations

import pytest
from transformers import AutoTokenizer

from neggen.engines.prompt_tokens import PromptTokens
from neggen.prompts import PromptBuilder, load_prompt
from neggen.types import NegType

CAPTIONS = [
    "A man riding a horse on a beach.",
    "Two dogs playing with a frisbee in the grass.",
    "  a red bus, parked next to a tall building!",
    "A woman's umbrella in the rain ",
    "Ein Hund läuft über die Straße.",
]


@pytest.fixture(scope="module")
def tokenizer(bundled_model_dir):
    return AutoTokenizer.from_pretrained(str(bundled_model_dir))


@pytest.mark.parametrize("layout", ["chat", "paper"])
def test_spliced_ids_equal_the_full_template(tokenizer, layout):
    tokens = PromptTokens(tokenizer, verify=2)
    for neg_type in NegType:
        builder = PromptBuilder(load_prompt(neg_type), layout, num_sets=2)
        for round_ in range(3):  # the first uses of a prefix are checked against the full path, later ones not
            for i, caption in enumerate(CAPTIONS):
                messages = builder.render(f"{i:016x}", caption).messages
                assert tokens(messages) == tokens.full(messages), (neg_type, layout, round_, caption)
    assert tokens.prefix_misses <= len(NegType) * 2
    assert sum(parts is not None for parts in tokens._parts.values()) == len(tokens._parts)  # all spliced


class MergingTokenizer:
    """Characters as tokens, except that "ab" is one token: a merge across the seam when a caption ends in "a"."""

    def apply_chat_template(self, messages, add_generation_prompt, tokenize):
        return "".join(f"[{m['content']}]" for m in messages[:-1]) + messages[-1]["content"] + "b>"

    def encode(self, text, add_special_tokens=False):
        ids, i = [], 0
        while i < len(text):
            if text.startswith("ab", i):
                ids.append(1000)
                i += 2
            else:
                ids.append(ord(text[i]))
                i += 1
        return ids


def test_a_seam_the_tokenizer_merges_across_falls_back_to_the_full_path():
    tokens = PromptTokens(MergingTokenizer(), verify=1)
    merged = [{"role": "system", "content": "rule"}, {"role": "user", "content": "a cat on a sofa"}]
    clean = [{"role": "system", "content": "other rule"}, {"role": "user", "content": "a cat on a mat."}]
    for _ in range(2):
        assert tokens(merged) == tokens.full(merged) and 1000 in tokens(merged)
        assert tokens(clean) == tokens.full(clean)
    kept = list(tokens._parts.values())
    assert kept[0] is None and kept[1] is not None  # only the merging prefix lost its split
