"""CLIP tokenisation: load a real CLIP tokenizer safely, or train a small one for tiny models.

Offline, `CLIPTokenizer.from_pretrained(<hub name>)` can silently return a 2-token vocabulary, and
transformers 5 ignores `vocab_file=`/`merges_file=`; so every load goes through `check_tokenizer`, and tiny
tokenizers are built from `vocab=`/`merges=` after training a CLIP-style BPE with the `tokenizers` library.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable
from pathlib import Path

import torch
from transformers import CLIPTokenizer, PreTrainedTokenizerBase

CONTEXT_LENGTH = 77
# A real CLIP vocabulary has 49,408 entries; a tokenizer this small is a broken load, not a model choice.
MIN_VOCAB = 64
_CLIP_SPLIT = r"""'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"""


class TokenizerError(RuntimeError):
    """The tokenizer cannot serve CLIP training (degenerate vocabulary, missing files)."""


def check_tokenizer(tokenizer: PreTrainedTokenizerBase, source: str) -> PreTrainedTokenizerBase:
    size = len(tokenizer)
    if size < MIN_VOCAB:
        raise TokenizerError(
            f"tokenizer from {source} has only {size} tokens: an offline from_pretrained without the vocabulary "
            "files returns a degenerate tokenizer; point at a directory holding vocab.json and merges.txt "
            "(or tokenizer.json)"
        )
    if tokenizer.eos_token_id is None or tokenizer.bos_token_id is None:
        raise TokenizerError(f"tokenizer from {source} lacks <|startoftext|> / <|endoftext|> tokens")
    tokenizer.model_max_length = CONTEXT_LENGTH
    return tokenizer


def load_tokenizer(name_or_path: str | Path) -> PreTrainedTokenizerBase:
    tokenizer = CLIPTokenizer.from_pretrained(str(name_or_path))
    return check_tokenizer(tokenizer, str(name_or_path))


def train_tokenizer(texts: Iterable[str], vocab_size: int = 2048) -> CLIPTokenizer:
    """A CLIP-style byte-level BPE (lower-case, `</w>` word ends) trained on `texts`, for tiny models."""
    from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers, trainers

    bpe = Tokenizer(models.BPE(unk_token="<|endoftext|>", end_of_word_suffix="</w>"))
    bpe.normalizer = normalizers.Sequence([normalizers.NFC(), normalizers.Lowercase()])
    bpe.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(_CLIP_SPLIT), behavior="removed", invert=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False),
        ]
    )
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=["<|startoftext|>", "<|endoftext|>"],
        end_of_word_suffix="</w>",
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator(texts, trainer)
    with tempfile.TemporaryDirectory() as tmp:
        bpe.model.save(tmp)
        vocab = json.loads(Path(tmp, "vocab.json").read_text())
        lines = Path(tmp, "merges.txt").read_text().splitlines()
    merges = [tuple(line.split()) for line in lines if line and not line.startswith("#version")]
    tokenizer = CLIPTokenizer(vocab=_canonical_vocab(vocab, merges), merges=merges)
    return check_tokenizer(tokenizer, "train_tokenizer")  # type: ignore[return-value]


def _canonical_vocab(vocab: dict[str, int], merges: list[tuple[str, ...]]) -> dict[str, int]:
    """Ids independent of the trainer's hash-map order (merges are deterministic; the alphabet's ids are not):
    special tokens, then the sorted base symbols, then merge results in merge order."""
    specials = ["<|startoftext|>", "<|endoftext|>"]
    merged = ["".join(pair) for pair in merges]
    produced = set(merged)
    base = sorted(token for token in vocab if token not in produced and token not in specials)
    ordered = list(dict.fromkeys([*specials, *base, *merged]))
    return {token: index for index, token in enumerate(ordered)}


def tokenize(tokenizer: PreTrainedTokenizerBase, texts: list[str]) -> torch.Tensor:
    """Token ids padded to the CLIP context (77), truncated with the end token kept."""
    encoded = tokenizer(texts, padding="max_length", truncation=True, max_length=CONTEXT_LENGTH, return_tensors="pt")
    return encoded["input_ids"]
