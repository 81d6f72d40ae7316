"""Blind baselines: scorers that never see the image. Printed beside model results so artefacts show.

- `ShorterWins`: the caption with fewer characters wins (SugarCrepe's ADD negatives are longer: ~99%).
- `LargerNumberWins`: the caption naming the larger number wins (VALSE counting-adversarial: 100%).
- `LMScorer`: summed token log-probability under a causal LM (default: the bundled SmolLM2), i.e. the more
  plausible sentence wins. A tie is wrong for all of them under the benchmarks' default rule.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import torch

_NUMBER_WORDS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
        "seventeen eighteen nineteen twenty".split()
    )
}
_NUMBER = re.compile(r"\d+(?:\.\d+)?|[a-z]+")


class ShorterWins:
    name = "blind_shorter"

    def score(self, options: Sequence[Sequence[str]]) -> torch.Tensor:
        return -torch.tensor([[float(len(text)) for text in row] for row in options])


def largest_number(text: str) -> float:
    """The largest number written in `text` (digits or number words up to twenty); -inf when none."""
    values = [
        float(tok) if tok[0].isdigit() else float(_NUMBER_WORDS[tok])
        for tok in _NUMBER.findall(text.lower())
        if tok[0].isdigit() or tok in _NUMBER_WORDS
    ]
    return max(values, default=float("-inf"))


class LargerNumberWins:
    name = "blind_larger_number"

    def score(self, options: Sequence[Sequence[str]]) -> torch.Tensor:
        return torch.tensor([[largest_number(text) for text in row] for row in options])


class LMScorer:
    """Summed log p(caption) under a causal LM, scored in batches (float32 on CPU)."""

    name = "blind_lm"

    def __init__(self, model_dir: str | Path | None = None, *, batch_size: int = 16, device: str | None = None) -> None:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        if model_dir is None:
            from neggen.models import convert_bundled_model

            model_dir = convert_bundled_model()
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        self.tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
        self.model = AutoModelForCausalLM.from_pretrained(str(model_dir), dtype=torch.float32).eval().to(self.device)
        self.batch_size = batch_size

    @torch.inference_mode()
    def log_probs(self, texts: Sequence[str]) -> torch.Tensor:
        out = []
        bos = self.tokenizer.bos_token_id if self.tokenizer.bos_token_id is not None else self.tokenizer.eos_token_id
        for start in range(0, len(texts), self.batch_size):
            batch = [
                [bos, *self.tokenizer(t, add_special_tokens=False)["input_ids"]]
                for t in texts[start : start + self.batch_size]
            ]
            width = max(len(ids) for ids in batch)
            ids = torch.zeros(len(batch), width, dtype=torch.long)
            mask = torch.zeros(len(batch), width, dtype=torch.long)
            for i, row in enumerate(batch):
                ids[i, : len(row)] = torch.tensor(row)
                mask[i, : len(row)] = 1
            logits = self.model(input_ids=ids.to(self.device), attention_mask=mask.to(self.device)).logits.float()
            logp = torch.log_softmax(logits[:, :-1], dim=-1).gather(-1, ids[:, 1:].to(self.device)[..., None])[..., 0]
            out.append((logp * mask[:, 1:].to(self.device)).sum(dim=1).cpu())
        return torch.cat(out) if out else torch.empty(0)

    def score(self, options: Sequence[Sequence[str]]) -> torch.Tensor:
        k = len(options[0])
        flat = [text for row in options for text in row]
        return self.log_probs(flat).view(len(options), k)


BLIND_SCORERS = {"shorter": ShorterWins, "larger_number": LargerNumberWins, "lm": LMScorer}
