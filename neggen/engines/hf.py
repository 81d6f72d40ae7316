"""The `hf` engine: transformers models, batched with left padding, chat template, per-request seeds.

Two things `model.generate` does not do are done here, in a small decode loop over the model's forward:
- prefix caching: requests of one type share the system text and few-shot block (about 90% of a prompt), so
  the KV cache of that prefix is computed once and reused; on a CPU prefill dominates the cost.
- per-request seeds: transformers samples a batch from one RNG, so a row would depend on its batch-mates.
  Sampling here is Gumbel-max with one generator per row: argmax of logits plus that row's own noise is an
  exact sample from the temperature/top-p distribution.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    DynamicCache,
    LogitsProcessor,
    LogitsProcessorList,
    TemperatureLogitsWarper,
    TopPLogitsWarper,
)
from transformers.cache_utils import DynamicLayer

from neggen.engines.base import Completion, EngineError, EngineTextScorer, Request, SamplingParams
from neggen.engines.grammar import GrammarCompiler, GrammarMask
from neggen.engines.prompt_tokens import PromptTokens
from neggen.models import weights_fingerprint


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

    def select(self, keep: list[int]) -> None:
        """Follow the batch when finished rows leave it."""
        self.generators = [self.generators[k] for k in keep]

    def extend(self, other: SeededGumbelNoise) -> None:
        """Follow the batch when rows join it."""
        self.generators += other.generators

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
    grammar: object | None = None  # a compiled constraint (regex or JSON schema), else free decoding


def _common_prefix(a: _Row, b: _Row) -> int:
    n = 0
    for x, y in zip(a.prompt_ids, b.prompt_ids, strict=False):
        if x != y:
            break
        n += 1
    return n


@dataclass
class _Running:
    """The rows decoding together: their KV cache, attention mask, positions, logits and logits processors."""

    active: list[int]  # indices of the rows in the batch, in cache order
    cache: DynamicCache
    mask: torch.Tensor
    last_position: torch.Tensor
    logits: torch.Tensor
    last_ids: torch.Tensor  # the tokens fed last (the grammar masks read the chosen token from it)
    processors: LogitsProcessorList
    shared: int

    @classmethod
    def start(cls, engine: HFEngine, rows: list[_Row], members: list[int], shared: int, sampling: SamplingParams):
        """Prefill `members` (indices into rows): their suffixes after the shared prefix, left-padded."""
        device = engine.device
        suffixes = [rows[i].prompt_ids[shared:] for i in members]
        width, pad = max(len(s) for s in suffixes), engine.tokenizer.pad_token_id
        ids = torch.tensor([[pad] * (width - len(s)) + s for s in suffixes], device=device)
        suffix_mask = torch.tensor([[0] * (width - len(s)) + [1] * len(s) for s in suffixes], device=device)
        mask = torch.cat([torch.ones(len(members), shared, dtype=torch.long, device=device), suffix_mask], dim=1)
        positions = (shared + suffix_mask.cumsum(-1) - 1).clamp(min=shared)
        cache = None
        if shared:
            cache = copy.deepcopy(engine._prefix_cache(tuple(rows[members[0]].prompt_ids[:shared])))
            cache.batch_repeat_interleave(len(members))
        out = engine.lm(
            input_ids=ids, attention_mask=mask, position_ids=positions, past_key_values=cache, use_cache=True
        )
        processors = engine._processors(sampling, [rows[i] for i in members])
        return cls(members, out.past_key_values, mask, positions[:, -1], out.logits[:, -1, :], ids, processors, shared)

    def keep(self, slots: list[int], tokens: list[int]) -> None:
        """Drop the finished rows; the kept ones feed their chosen token next."""
        if not slots:
            self.active = []  # the cache goes with the batch: a joining batch replaces it whole
            return
        if len(slots) < len(self.active):
            index = torch.tensor(slots, device=self.mask.device, dtype=torch.long)
            self.cache.batch_select_indices(index)
            self.mask, self.last_position = self.mask[index], self.last_position[index]
            for processor in self.processors:
                if isinstance(processor, SeededGumbelNoise | GrammarMask):
                    processor.select(slots)
            self.active = [self.active[k] for k in slots]
        self.last_ids = torch.tensor([[tokens[k]] for k in slots], device=self.mask.device, dtype=torch.long)

    def step(self, engine: HFEngine) -> None:
        """One decode forward of the active rows on the tokens they chose."""
        ones = torch.ones(len(self.active), 1, dtype=torch.long, device=self.mask.device)
        self.mask = torch.cat([self.mask, ones], dim=1)
        self.last_position = self.last_position + 1
        out = engine.lm(
            input_ids=self.last_ids,
            attention_mask=self.mask,
            position_ids=self.last_position[:, None],
            past_key_values=self.cache,
            use_cache=True,
        )
        self.cache, self.logits = out.past_key_values, out.logits[:, -1, :]

    def join(self, engine: HFEngine, other: _Running) -> None:
        """Append `other`'s rows (just prefilled, no token chosen yet) to this batch."""
        if not self.active:
            self.__dict__.update(other.__dict__)
            return
        length = max(self.mask.shape[1], other.mask.shape[1])
        self._pad_to(length)
        other._pad_to(length)
        for mine, theirs in zip(self.cache.layers, other.cache.layers, strict=True):
            mine.keys = torch.cat([mine.keys, theirs.keys], dim=0)
            mine.values = torch.cat([mine.values, theirs.values], dim=0)
        self.mask = torch.cat([self.mask, other.mask], dim=0)
        self.last_position = torch.cat([self.last_position, other.last_position])
        self.logits = torch.cat([self.logits, other.logits], dim=0)
        for processor, joining in zip(self.processors, other.processors, strict=True):
            if isinstance(processor, SeededGumbelNoise | GrammarMask):
                processor.extend(joining)
        self.active = self.active + other.active
        # last_ids is only read by the grammar masks, for rows that already chose a token (extend marks the
        # joining rows as having none), so the joining rows' entries are placeholders.
        self.last_ids = torch.cat([self.last_ids, other.last_ids[:, -1:]], dim=0)
        self._compact()

    def _compact(self) -> None:
        """Drop the cache columns no row attends to (padding, and the steps of rows that left), so the cache
        of a batch refilled for a long time stays as wide as its widest live row. Positions are explicit, so
        removing masked columns changes nothing a row computes."""
        live = self.mask.bool().any(dim=0)
        if bool(live.all()):
            return
        keep = live.nonzero().squeeze(1)
        for layer in self.cache.layers:
            layer.keys, layer.values = layer.keys[:, :, keep], layer.values[:, :, keep]
        self.mask = self.mask[:, keep]
        self.shared = int(live[: self.shared].sum())

    def _pad_to(self, length: int) -> None:
        """Insert masked positions right after the shared prefix so the cache is `length` long."""
        extra = length - self.mask.shape[1]
        if extra <= 0:
            return
        at = self.shared
        for layer in self.cache.layers:
            for name in ("keys", "values"):
                t = getattr(layer, name)
                gap = t.new_zeros(t.shape[0], t.shape[1], extra, t.shape[3])
                setattr(layer, name, torch.cat([t[:, :, :at], gap, t[:, :, at:]], dim=2))
        gap = self.mask.new_zeros(self.mask.shape[0], extra)
        self.mask = torch.cat([self.mask[:, :at], gap, self.mask[:, at:]], dim=1)


class HFEngine:
    name = "hf"

    def __init__(
        self,
        model: str,
        dtype: str = "auto",
        batch_size: int = 32,
        device: str | None = None,
        prefix_caching: bool = True,
        refill: bool = True,
    ):
        self.model = model
        self.prefix_caching = prefix_caching
        self.refill = refill  # off: a batch decodes to its last row before the next starts (bench/hf_refill.py)
        self.min_prefix_tokens = 16
        self.max_cached_prefixes = 16
        self._prefix_caches: dict[tuple[int, ...], DynamicCache] = {}
        self.prefix_stats: Counter = Counter()
        self.refill_stats: Counter = Counter()  # joined_running: rows that joined a batch as others finished
        self._grammars: GrammarCompiler | None = None
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
        self._prompt_tokens = PromptTokens(self.tokenizer)
        # The scheduler keeps this many requests in each call: captions come in example-set order, so one call
        # holds a few batches' worth per shared prefix, and rows waiting in a group join its running batch as
        # others finish.
        self.max_in_flight = 4 * batch_size

    def version(self) -> str:
        import transformers

        return f"transformers {transformers.__version__}, torch {torch.__version__}, {self.dtype}"

    def stats(self) -> dict[str, int]:
        return {f"prefix_cache_{k}": v for k, v in self.prefix_stats.items()} | {
            f"rows_{k}": v for k, v in self.refill_stats.items()
        }

    def close(self) -> None:
        self.lm = None
        if torch.cuda.is_available():
            torch.cuda.empty_cache()

    def prompt_ids(self, messages: list[dict[str, str]]) -> list[int]:
        return self._prompt_tokens(messages)

    def text_scorer(self) -> EngineTextScorer:
        """Plausibility with this engine's model: one forward pass a batch of texts (neggen.qa.likelihood)."""
        from neggen.qa.likelihood import LikelihoodScorer

        lm = LikelihoodScorer.from_loaded(self.lm, self.tokenizer, self.device, self.batch_size)
        return EngineTextScorer(
            f"hf {self.model}", f"{weights_fingerprint(self.model)} {self.dtype}", lambda t: lm.score(t, normalize=True)
        )

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
            # No per-request seed: rows draw from torch's global generator, as transformers' own sampling does.
            seed = request.seed if request.seed is not None else int(torch.randint(0, 2**62, ()).item())
            grammar = self._grammar(request)
            rows = [_Row(index, ids, seed + j, grammar) for j in range(request.sampling.n)]
            groups.setdefault(key, []).extend(rows)
        for key, rows in groups.items():
            sampling = SamplingParams(**dict(key))
            rows.sort(key=lambda row: row.prompt_ids)  # rows sharing a prefix (example set) sort together
            for batch in self._batches(rows):
                self._run_group(batch, sampling, completions)
        return completions

    def _batches(self, rows: list[_Row]) -> list[list[_Row]]:
        """Cut sorted rows into groups that share most of their prompt (one few-shot set); each group is decoded
        with at most batch_size rows at once, refilled as rows finish (_decode).

        Rows whose group is too small to be worth a cached prefix are decoded together at the end.
        """
        groups: list[list[_Row]] = []
        for row in rows:
            if groups and _common_prefix(groups[-1][0], row) * 2 >= len(row.prompt_ids):
                groups[-1].append(row)
            else:
                groups.append([row])
        leftovers = [row for group in groups if len(group) < 4 for row in group]
        return [group for group in groups if len(group) >= 4] + ([leftovers] if leftovers else [])

    def _prefix_cache(self, prefix: tuple[int, ...]) -> DynamicCache:
        """KV cache of a shared prompt prefix (system text + few-shot examples), computed once."""
        cache = self._prefix_caches.pop(prefix, None)
        if cache is None:
            ids = torch.tensor([prefix], device=self.device)
            cache = self.lm(input_ids=ids, use_cache=True).past_key_values
            self.prefix_stats["computed"] += 1
        else:
            self.prefix_stats["reused"] += 1
        self._prefix_caches[prefix] = cache  # most recently used last
        while len(self._prefix_caches) > self.max_cached_prefixes:
            self._prefix_caches.pop(next(iter(self._prefix_caches)))
        return cache

    @torch.inference_mode()
    def _run_group(self, rows: list[_Row], sampling: SamplingParams, completions: list[Completion]) -> None:
        try:
            generated = self._decode(rows, sampling)
        except (RuntimeError, ValueError) as exc:
            raise EngineError(f"transformers forward failed: {exc}") from exc
        for row, tokens in zip(rows, generated, strict=True):
            stop = next((i for i, t in enumerate(tokens) if t in self.eos_ids), None)
            kept = tokens if stop is None else tokens[:stop]
            completion = completions[row.request_index]
            completion.texts.append(self.tokenizer.decode(kept, skip_special_tokens=True).strip())
            completion.finish_reasons.append("length" if stop is None else "stop")
            completion.completion_tokens = (completion.completion_tokens or 0) + len(kept) + (stop is not None)

    def _decode(self, rows: list[_Row], sampling: SamplingParams) -> list[list[int]]:
        """Prefill (reusing the shared prefix's cache) and sample token by token with explicit positions, at
        most batch_size rows at a time: as rows finish, waiting rows are prefilled and join the running batch.

        Each row is laid out as [shared prefix][padding][own suffix][generated]; the padding is masked and
        positions skip it, so every row computes what it would alone. A row joining a batch whose cache is
        longer than its own is padded after the prefix, and the other way round.
        """
        prompts = [r.prompt_ids for r in rows]
        shared = 0
        shortest = min(len(p) for p in prompts)
        while shared < shortest - 1 and all(p[shared] == prompts[0][shared] for p in prompts):
            shared += 1
        if not self.prefix_caching or shared < self.min_prefix_tokens:
            shared = 0
        generated: list[list[int]] = [[] for _ in rows]
        waiting = list(range(len(rows)))[::-1]  # popped from the end: rows join in their sorted order
        batch = _Running.start(
            self, rows, [waiting.pop() for _ in range(min(self.batch_size, len(rows)))], shared, sampling
        )
        # Join only when a quarter of the batch is free: each join is one more prefill forward. Joining splices
        # plain KV layers; a model with sliding-window or other stateful layers runs its batches one by one.
        join_at = max(1, self.batch_size // 4)
        refill = self.refill and all(type(layer) is DynamicLayer for layer in batch.cache.layers)
        while True:
            next_tokens = batch.processors(batch.last_ids, batch.logits.float()).argmax(dim=-1).tolist()
            keep = []
            for slot, (row, token) in enumerate(zip(batch.active, next_tokens, strict=True)):
                generated[row].append(token)
                if token not in self.eos_ids and len(generated[row]) < sampling.max_tokens:
                    keep.append(slot)
            batch.keep(keep, next_tokens)
            free = self.batch_size - len(batch.active)
            if waiting and ((refill and free >= join_at) or not batch.active):
                joining = [waiting.pop() for _ in range(min(free, len(waiting)))]
                if batch.active:
                    batch.step(self)
                    self.refill_stats["joined_running"] += len(joining)
                batch.join(self, _Running.start(self, rows, joining, shared, sampling))
            elif batch.active:
                batch.step(self)
            else:
                return generated

    def _grammar(self, request: Request):
        """The request's constraint compiled for this tokenizer (None when it has none)."""
        if request.regex is None and request.json_schema is None:
            return None
        if self._grammars is None:
            self._grammars = GrammarCompiler(self.tokenizer, self.lm.config.vocab_size)
        return self._grammars.compile(request.regex, request.json_schema)

    def _processors(self, sampling: SamplingParams, rows: list[_Row]) -> LogitsProcessorList:
        # The grammar masks first, so temperature and top-p renormalise over the allowed tokens only.
        # Always present (a no-op for free rows) so that batches joining one another have the same processors.
        grammar = [GrammarMask([r.grammar for r in rows], self.lm.config.vocab_size)]
        if sampling.temperature == 0:
            return LogitsProcessorList(grammar)  # greedy
        return LogitsProcessorList(
            [
                *grammar,
                TemperatureLogitsWarper(sampling.temperature),
                TopPLogitsWarper(sampling.top_p),
                SeededGumbelNoise([r.seed for r in rows], self.device),
            ]
        )
