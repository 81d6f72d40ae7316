"""The `hf` engine: transformers `generate`, batched with left padding, chat template, per-request seeds.

transformers samples a whole batch from one RNG, so a row's result would depend on its batch-mates. Here
sampling is Gumbel-max with one generator per row (seeded by the request): the model decodes "greedily" over
logits plus that row's own noise, which is an exact sample from the temperature/top-p distribution.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    GenerationConfig,
    LogitsProcessor,
    LogitsProcessorList,
    TemperatureLogitsWarper,
    TopPLogitsWarper,
)

from neggen.engines.base import Completion, EngineError, Request, SamplingParams


def cpu_supports_bf16() -> bool:
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def resolve_dtype(dtype: str, device: str) -> torch.dtype:
    if dtype != "auto":
        return getattr(torch, dtype)
    if device.startswith("cuda"):
        return torch.bfloat16
    return torch.bfloat16 if cpu_supports_bf16() else torch.float32


class SeededGumbelNoise(LogitsProcessor):
    """Adds Gumbel noise from one generator per row; argmax of the result samples softmax(scores)."""

    def __init__(self, seeds: list[int], device: torch.device):
        self.generators = [torch.Generator(device="cpu").manual_seed(s % (2**63)) for s in seeds]
        self.device = device

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        vocab = scores.shape[-1]
        uniform = torch.stack([torch.rand(vocab, generator=g) for g in self.generators]).to(self.device)
        gumbel = -torch.log(-torch.log(uniform.clamp_(1e-10, 1.0 - 1e-7)))
        return scores.float() + gumbel


@dataclass
class _Row:
    request_index: int
    prompt_ids: list[int]
    seed: int


class HFEngine:
    name = "hf"

    def __init__(self, model: str, dtype: str = "auto", batch_size: int = 16, device: str | None = None):
        self.model = model
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.batch_size = batch_size
        self.dtype = resolve_dtype(dtype, self.device)
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(model, padding_side="left")
            self.lm = AutoModelForCausalLM.from_pretrained(model, dtype=self.dtype).to(self.device).eval()
        except OSError as exc:
            raise EngineError(f"cannot load model {model!r}: {exc}") from exc
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.max_positions = getattr(self.lm.config, "max_position_embeddings", 8192)
        eos = self.lm.generation_config.eos_token_id
        self.eos_ids = set(eos if isinstance(eos, list) else [eos] if eos is not None else [])
        self.eos_ids.add(self.tokenizer.eos_token_id)

    def version(self) -> str:
        import transformers

        return f"transformers {transformers.__version__}, torch {torch.__version__}, {self.dtype}"

    def close(self) -> None:
        self.lm = None
        if torch.cuda.is_available():
            torch.cuda.empty_cache()

    def prompt_ids(self, messages: list[dict[str, str]]) -> list[int]:
        text = self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        return self.tokenizer(text, add_special_tokens=False)["input_ids"]

    def generate(self, requests: Sequence[Request]) -> list[Completion]:
        if self.lm is None:
            raise EngineError("engine is closed")
        completions = [Completion(r.request_id) for r in requests]
        groups: dict[tuple, list[_Row]] = {}
        for index, request in enumerate(requests):
            ids = self.prompt_ids(request.messages)
            completions[index].prompt_tokens = len(ids)
            completions[index].completion_tokens = 0
            if len(ids) + request.sampling.max_tokens > self.max_positions:
                completions[index].error = f"prompt of {len(ids)} tokens exceeds the model's {self.max_positions}"
                continue
            key = tuple(request.sampling.model_dump().items())
            rows = [_Row(index, ids, request.seed + j) for j in range(request.sampling.n)]
            groups.setdefault(key, []).extend(rows)
        for key, rows in groups.items():
            sampling = SamplingParams(**dict(key))
            rows.sort(key=lambda row: len(row.prompt_ids))  # similar lengths batch with little padding
            for start in range(0, len(rows), self.batch_size):
                self._run_batch(rows[start : start + self.batch_size], sampling, completions)
        return completions

    @torch.inference_mode()
    def _run_batch(self, rows: list[_Row], sampling: SamplingParams, completions: list[Completion]) -> None:
        batch = self.tokenizer.pad({"input_ids": [r.prompt_ids for r in rows]}, return_tensors="pt")
        batch = {k: v.to(self.device) for k, v in batch.items()}
        processors = LogitsProcessorList()
        if sampling.temperature > 0:
            processors += [
                TemperatureLogitsWarper(sampling.temperature),
                TopPLogitsWarper(sampling.top_p),
                SeededGumbelNoise([r.seed for r in rows], self.device),
            ]
        config = GenerationConfig(
            do_sample=False,
            max_new_tokens=sampling.max_tokens,
            pad_token_id=self.tokenizer.pad_token_id,
            eos_token_id=sorted(self.eos_ids),
        )
        try:
            output = self.lm.generate(**batch, generation_config=config, logits_processor=processors)
        except (RuntimeError, ValueError) as exc:
            raise EngineError(f"transformers generate failed: {exc}") from exc
        new_tokens = output[:, batch["input_ids"].shape[1] :].tolist()
        for row, tokens in zip(rows, new_tokens, strict=True):
            stop = next((i for i, t in enumerate(tokens) if t in self.eos_ids), None)
            kept = tokens if stop is None else tokens[:stop]
            completion = completions[row.request_index]
            completion.texts.append(self.tokenizer.decode(kept, skip_special_tokens=True).strip())
            completion.finish_reasons.append("length" if stop is None else "stop")
            completion.completion_tokens = (completion.completion_tokens or 0) + len(kept) + (stop is not None)
