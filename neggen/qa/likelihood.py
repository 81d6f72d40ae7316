"""How likely a causal LM finds a text on its own: the blind "text-only judge" of `neggen audit`.

score(text) = the summed log-probability of the text's tokens, each given the tokens before it, with the
model's BOS token (or, lacking one, EOS) as the only context, so the first word is scored too. `normalize`
divides by the number of tokens (mean log-prob per token). Summed scores favour shorter texts, like a
judge that reads plausibility; the mean removes most of that length effect. Reusable: the trainer's
evaluators use it as the "blind LLM" baseline (pick the text the LM prefers, no image).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from neggen.models import resolve_model


class LikelihoodScorer:
    def __init__(self, model: str | None = None, dtype: str = "float32", device: str | None = None, batch_size=32):
        self.model_name = resolve_model(model)  # None: the bundled SmolLM2, converted on first use
        device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        tokenizer = AutoTokenizer.from_pretrained(self.model_name)
        lm = AutoModelForCausalLM.from_pretrained(self.model_name, dtype=getattr(torch, dtype))
        self._use(lm.to(device).eval(), tokenizer, device, batch_size)

    @classmethod
    def from_loaded(cls, lm, tokenizer, device: str | torch.device, batch_size: int = 32) -> LikelihoodScorer:
        """A scorer over a model already in memory (the hf engine's own)."""
        scorer = cls.__new__(cls)
        scorer.model_name = getattr(lm, "name_or_path", "")
        scorer._use(lm, tokenizer, device, batch_size)
        return scorer

    def _use(self, lm, tokenizer, device, batch_size: int) -> None:
        self.lm, self.tokenizer, self.device, self.batch_size = lm, tokenizer, device, batch_size
        start = self.tokenizer.bos_token_id
        self.start_id = start if start is not None else self.tokenizer.eos_token_id
        self.pad_id = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else self.start_id

    @torch.inference_mode()
    def score(self, texts: Sequence[str], normalize: bool = False) -> list[float]:
        """Log-probability of each text (summed over its tokens, or their mean with normalize; NaN for a text
        with no tokens)."""
        scores: list[float] = []
        for begin in range(0, len(texts), self.batch_size):
            batch = [
                [self.start_id, *self.tokenizer(t, add_special_tokens=False)["input_ids"]]
                for t in texts[begin : begin + self.batch_size]
            ]
            width = max(len(ids) for ids in batch)
            ids = torch.tensor([x + [self.pad_id] * (width - len(x)) for x in batch], device=self.device)
            mask = torch.tensor([[1] * len(x) + [0] * (width - len(x)) for x in batch], device=self.device)
            logits = self.lm(input_ids=ids, attention_mask=mask).logits.float()
            logprobs = torch.log_softmax(logits[:, :-1], dim=-1).gather(-1, ids[:, 1:, None]).squeeze(-1)
            logprobs = logprobs * mask[:, 1:]
            totals = logprobs.sum(dim=1)
            counts = mask[:, 1:].sum(dim=1)
            # The mean of no tokens is undefined: NaN, which callers treat as "could not be scored".
            means = torch.where(counts > 0, totals / counts.clamp(min=1), torch.full_like(totals, float("nan")))
            scores += (means if normalize else totals).tolist()
        return scores
