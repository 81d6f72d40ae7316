"""Engine implementations behind the protocol in `neggen.engines.base`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from neggen.engines.base import Completion, Engine, EngineError, Request, SamplingParams

if TYPE_CHECKING:
    from neggen.config import GenerateConfig

__all__ = ["Completion", "Engine", "EngineError", "Request", "SamplingParams", "make_engine"]


def make_engine(config: GenerateConfig) -> Engine:
    """Build the configured engine; the default model is converted from the bundled GGUF on first use."""
    from neggen.models import resolve_model

    if config.engine == "hf":
        from neggen.engines.batched import BatchedEngine
        from neggen.engines.hf import HFEngine  # constrains decoding (JSON, regex) through xgrammar

        return BatchedEngine(HFEngine(resolve_model(config.model), **config.hf.model_dump()), config.engine_retries)
    if config.engine == "vllm":
        from neggen.engines.vllm_adapter import VLLMEngine

        return VLLMEngine(resolve_model(config.model), **config.vllm.model_dump())
    if config.engine == "openai":
        import os

        from neggen.engines.openai_server import OpenAIEngine

        options = config.openai
        # The served model name is what the server was started with; "default" means the bundled model's path.
        model = resolve_model(config.model) if config.model == "default" else config.model
        return OpenAIEngine(
            model,
            base_url=options.base_url,
            api_key=os.environ.get(options.api_key_env),
            concurrency=options.concurrency,
            timeout_s=options.timeout_s,
            max_retries=options.max_retries,
        )
    raise EngineError(f"unknown engine {config.engine!r}; choose hf, vllm or openai")
