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
        from neggen.engines.hf import HFEngine

        return HFEngine(resolve_model(config.model), **config.hf.model_dump())
    raise EngineError(f"engine {config.engine!r} is not available in this build; use --engine hf")
