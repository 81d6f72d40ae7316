"""Generation settings: one pydantic model, loadable from TOML/YAML/JSON, overridden by `--set a.b=value`.

The override syntax is shared with `python -m trainer train` (trainer/config.py uses `apply_overrides`).
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from neggen.engines.base import SamplingParams
from neggen.errors import one_line, validation_message
from neggen.resources import shipped_dir

EngineName = Literal["hf", "vllm", "openai"]
OutputForm = Literal["sentence", "edit"]
# What the right side of a replace may be: words of the same kind (neggen.edits.replacements), or any words.
ReplaceChoices = Literal["same_kind", "free"]
PromptLayout = Literal["chat", "paper"]
# prompts/ of the checkout, or the copy a wheel ships as the package `neggen.prompt_files`.
DEFAULT_PROMPTS_DIR = shipped_dir("prompts", "neggen.prompt_files")

SCORER_ENV = "NEGGEN_SCORER"
RELATIONS_ENV = "NEGGEN_RELATIONS"
ENGINE_SCORER = "engine"
CALIBRATION_PAIRS = 200  # a kind, in neggen/data/sugarcrepe.json


class PlausibilityConfig(BaseModel):
    """The plausibility filter (neggen/plausibility.py)."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    # The scorer: a hub name or local folder; "default" the bundled model; "engine" the run's own model through
    # its engine (vLLM prompt logprobs, an hf forward pass, a server's echoed logprobs: no second model in
    # memory); "constant" turns the filter into a no-op. NEGGEN_SCORER sets the default (the test suite sets
    # "constant"; tests of the filter name a model).
    model: str = Field(default_factory=lambda: os.environ.get(SCORER_ENV, "default"))
    # Of SugarCrepe's gaps, the threshold per type. 0.4 was chosen on the quality set's tune part (precision of
    # the edit form's kept rows 62% at 0.25, 70% at 0.4, 75% at 0.5, with yield falling; docs/negatives.md).
    quantile: float = Field(0.4, ge=0, le=1)
    caption_margin: float = Field(1.0, ge=0, description="below the worst calibration caption: unreadable")
    dtype: str = "float32"
    batch_size: int = Field(32, ge=1)
    # SugarCrepe pairs a kind scored to calibrate (1,600 texts at 200): fewer calibrate a new scorer faster,
    # with coarser thresholds. The shipped bundled calibration is for all 200.
    calibration_pairs: int = Field(CALIBRATION_PAIRS, ge=2, le=CALIBRATION_PAIRS)


class HFOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    dtype: str = "auto"  # bf16 on CUDA and on CPUs with avx512_bf16/AMX, else float32
    batch_size: int = Field(32, ge=1)
    device: str | None = None
    prefix_caching: bool = True  # reuse the KV cache of the shared system + few-shot prefix


class VLLMOptions(BaseModel):
    """Passed to vllm.LLM; see neggen/engines/vllm_adapter.py for the CPU defaults."""

    model_config = ConfigDict(extra="forbid")
    dtype: str = "auto"  # bfloat16 on CPU
    max_model_len: int = Field(4096, ge=256)
    gpu_memory_utilization: float = Field(0.90, gt=0, le=1)
    tensor_parallel_size: int = Field(1, ge=1)
    max_num_seqs: int | None = Field(None, ge=1, description="None: vLLM's own default (1,024 on an H100/H200)")
    enable_prefix_caching: bool = True
    # KV block size in tokens; only full blocks are reused, so on CPU (default 128) a ~300-token few-shot
    # prefix would barely be cached: None means 32 on CPU and vLLM's own default on GPU.
    block_size: int | None = None
    # Any other vllm.LLM / EngineArgs argument (quantization, kv_cache_dtype, max_num_batched_tokens, ...);
    # it overrides what neggen would set.
    engine_args: dict[str, Any] = Field(default_factory=dict)


class OpenAIOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    base_url: str = "http://127.0.0.1:8000/v1"
    api_key_env: str = "OPENAI_API_KEY"
    concurrency: int = Field(256, ge=1, description="requests in flight over one keep-alive connection pool")
    timeout_s: float = Field(120.0, gt=0)
    max_retries: int = Field(6, ge=1)


class GenerateConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    engine: EngineName = "hf"
    model: str = "default"  # the bundled SmolLM2-135M-Instruct, converted by `neggen models`
    prompt_layout: PromptLayout = "chat"
    # "edit": the model names the edit (a swap, a replacement, an exchange of two phrases for reshuffle) and
    # neggen applies it (edit_form.py).
    output: OutputForm = "edit"
    # Edit form, replace types: the model chooses the new word among words of the old one's kind (a colour for
    # a colour, a sister noun for a noun: neggen/edits/replacements.py), or, "free", writes any short words.
    replace_choices: ReplaceChoices = "same_kind"
    prompts_dir: Path = DEFAULT_PROMPTS_DIR
    example_sets: int = Field(4, ge=1, description="fixed few-shot sets per type; a caption's id picks one")
    examples_per_prompt: int = Field(5, ge=1)
    sampling: SamplingParams = SamplingParams()
    seed: int = 0
    max_attempts: int = Field(3, ge=1, description="content failures are retried with a new seed this often")
    chunk_size: int = Field(4096, ge=1, description="most rows per part file; a part is the unit of durability")
    part_seconds: float = Field(60.0, gt=0, description="commit finished rows at least this often")
    max_in_flight: int | None = Field(
        None, ge=1, description="requests in the engine at once; None: the engine's own (vLLM 4x max_num_seqs)"
    )
    per_request_seeds: bool = True  # off: vLLM keeps its faster batched sampler; rows record seed as null
    max_caption_words: int = Field(80, ge=1)
    engine_retries: int = Field(
        3, ge=1, description="tries of a failing batch call before the shard fails (engines make_engine wraps: hf)"
    )
    # Reject edits that keep the meaning (synonyms, hypernyms, binding-preserving reorders); off for ablations.
    meaning_checks: bool = True
    # An exchange (swap_nouns, reshuffle) may not trade a relation reference captions show for one they never show
    # ("wearing a coat" -> "wearing a suitcase"; neggen/validate/relations.py): "bundled" the table neggen ships, a
    # path to one `neggen relations` built, or "off" (also for ablations: meaning_checks does not turn it off).
    # NEGGEN_RELATIONS sets the default (the test suite sets "off").
    relations: str = Field(default_factory=lambda: os.environ.get(RELATIONS_ENV, "bundled"))
    # Reject candidates a language model finds far less likely than their caption; the best-scoring valid one of
    # a request's candidates is kept (neggen/plausibility.py).
    plausibility: PlausibilityConfig = Field(default_factory=PlausibilityConfig)
    tagger_workers: int | None = Field(
        None, ge=0, description="processes that parse for the validators; None: a quarter of the cores, at most 8"
    )
    structured_output: bool = False  # sentence form: JSON {"negative": ...} enforced by the engine
    hf: HFOptions = HFOptions()
    vllm: VLLMOptions = VLLMOptions()
    openai: OpenAIOptions = OpenAIOptions()


def read_config_file(path: Path) -> dict:
    """A TOML, YAML or JSON config file as a dict; the one reader both the generator and trainer use."""
    text = path.read_text(encoding="utf-8")
    if path.suffix in (".yaml", ".yml"):
        import yaml  # transformers depends on PyYAML

        return yaml.safe_load(text) or {}
    if path.suffix == ".json":
        return json.loads(text)
    return tomllib.loads(text)


def set_key(tree: dict[str, Any], dotted: str, value: Any) -> None:
    """Set `a.b.c` in a nested dict, creating sections; refuses to descend into a non-section."""
    keys = dotted.split(".")
    if not all(keys):
        raise ValueError(f"--set {dotted}: empty key")
    node = tree
    for key in keys[:-1]:
        node = node.setdefault(key, {})
        if not isinstance(node, dict):
            raise ValueError(f"--set {dotted}: {key} is not a section")
    node[keys[-1]] = value


def parse_override(item: str) -> tuple[str, Any]:
    """`a.b=value`: the value parses as JSON (numbers, true, lists, objects), else stays a string (paths, names)."""
    if "=" not in item:
        raise ValueError(f"--set expects key=value, got {item!r}")
    key, raw = item.split("=", 1)
    try:
        value: Any = json.loads(raw.strip())
    except json.JSONDecodeError:
        value = raw.strip()
    return key.strip(), value


def apply_overrides(
    tree: dict[str, Any], overrides: Sequence[str] = (), shorthands: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """`--set` items in order, then the named flags (`shorthands`: dotted key -> typed value, None = not given)."""
    for item in overrides:
        set_key(tree, *parse_override(item))
    for key, value in (shorthands or {}).items():
        if value is not None:
            set_key(tree, key, value)
    return tree


def load_config(
    path: Path | None,
    overrides: Sequence[str] = (),
    shorthands: Mapping[str, Any] | None = None,
    flags: Mapping[str, str] | None = None,
) -> GenerateConfig:
    """The config file (if any), then `--set a.b=value` overrides, then the named flags.

    Errors are one line naming the flag (`flags`: dotted key -> flag, for the shorthands given) or the key."""
    tree: Any = {}
    if path is not None:
        try:
            tree = read_config_file(path)
        except Exception as exc:  # noqa: BLE001 - OSError, tomllib/json ValueErrors, PyYAML's own YAMLError
            raise ValueError(f"{path}: cannot read config ({one_line(exc)})") from None
        if not isinstance(tree, dict):
            raise ValueError(f"{path}: the top level must be a table of keys, not a {type(tree).__name__}")
    try:
        return GenerateConfig.model_validate(apply_overrides(tree, overrides, shorthands))
    except ValidationError as exc:
        given = {k: v for k, v in (flags or {}).items() if (shorthands or {}).get(k) is not None}
        where = f"{path}: " if path is not None else ""
        message = validation_message(exc, given)
        raise ValueError(message if message.startswith("--") else where + message) from None
