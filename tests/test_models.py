"""`neggen models`: the bundled GGUF becomes a safetensors folder that transformers loads."""

from __future__ import annotations

import json

from transformers import AutoConfig, AutoTokenizer

from neggen.models import bundled_gguf, convert_bundled_model, resolve_model


def test_conversion_produces_a_loadable_folder(bundled_model_dir):
    assert bundled_gguf().name.endswith(".gguf")
    config = json.loads((bundled_model_dir / "config.json").read_text())
    assert "quantization_config" not in config and config["model_type"] == "llama"
    assert list(bundled_model_dir.glob("*.safetensors"))
    assert AutoConfig.from_pretrained(bundled_model_dir).num_hidden_layers == 30
    tokenizer = AutoTokenizer.from_pretrained(bundled_model_dir)
    assert len(tokenizer) > 40000 and tokenizer.chat_template


def test_conversion_is_done_once(bundled_model_dir):
    before = {p.name: p.stat().st_mtime_ns for p in bundled_model_dir.iterdir()}
    assert convert_bundled_model() == bundled_model_dir
    assert {p.name: p.stat().st_mtime_ns for p in bundled_model_dir.iterdir()} == before
    assert resolve_model("default") == str(bundled_model_dir)
    assert resolve_model("meta-llama/Llama-3.1-8B-Instruct") == "meta-llama/Llama-3.1-8B-Instruct"
