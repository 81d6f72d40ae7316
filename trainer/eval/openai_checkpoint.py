"""OpenAI / open_clip state dicts (the format NegCLIP, CE-CLIP and DeGLA release) <-> Hugging Face `CLIPModel`.

OpenAI keys (`visual.conv1.weight`, `visual.transformer.resblocks.N.attn.in_proj_weight`, `token_embedding.weight`,
`positional_embedding`, `text_projection`, `visual.proj`, `logit_scale`, ...) map one-to-one onto CLIPModel's,
except that the fused attention input projection splits into q, k, v and the two projections are transposed.
The architecture is read off the tensors; both towers keep QuickGELU (OpenAI-initialised weights moved to plain
GELU lose several points on ARO). open_clip checkpoints may wrap the weights in `state_dict` with `module.`
prefixes; OpenAI's own `.pt` files are TorchScript archives. Both are handled.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import torch
from transformers import CLIPConfig, CLIPModel

_BLOCK = re.compile(r"^(visual\.)?transformer\.resblocks\.(\d+)\.(.+)$")
_BLOCK_PARTS = {
    "ln_1": "layer_norm1",
    "ln_2": "layer_norm2",
    "mlp.c_fc": "mlp.fc1",
    "mlp.c_proj": "mlp.fc2",
    "attn.out_proj": "self_attn.out_proj",
}
_PLAIN = {
    "token_embedding.weight": "text_model.embeddings.token_embedding.weight",
    "positional_embedding": "text_model.embeddings.position_embedding.weight",
    "ln_final.weight": "text_model.final_layer_norm.weight",
    "ln_final.bias": "text_model.final_layer_norm.bias",
    "logit_scale": "logit_scale",
    "visual.class_embedding": "vision_model.embeddings.class_embedding",
    "visual.positional_embedding": "vision_model.embeddings.position_embedding.weight",
    "visual.conv1.weight": "vision_model.embeddings.patch_embedding.weight",
    "visual.ln_pre.weight": "vision_model.pre_layrnorm.weight",
    "visual.ln_pre.bias": "vision_model.pre_layrnorm.bias",
    "visual.ln_post.weight": "vision_model.post_layernorm.weight",
    "visual.ln_post.bias": "vision_model.post_layernorm.bias",
}
_TRANSPOSED = {"text_projection": "text_projection.weight", "visual.proj": "visual_projection.weight"}
_IGNORED = {"input_resolution", "context_length", "vocab_size"}


def read_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """Tensors of a `.pt`/`.bin`/`.pth` file: plain, open_clip-wrapped (`state_dict`, `module.`), or TorchScript."""
    try:
        obj: Any = torch.load(str(path), map_location="cpu", weights_only=True)
    except RuntimeError as error:
        if "TorchScript" not in str(error) and "jit" not in str(error).lower():
            raise
        obj = torch.jit.load(str(path), map_location="cpu").state_dict()
    if isinstance(obj, dict) and "state_dict" in obj and isinstance(obj["state_dict"], dict):
        obj = obj["state_dict"]
    if not isinstance(obj, dict):
        raise ValueError(f"{path}: not a state dict")
    return {k.removeprefix("module."): v for k, v in obj.items() if isinstance(v, torch.Tensor)}


def _layers(state: dict[str, torch.Tensor], visual: bool) -> int:
    prefix = "visual.transformer.resblocks." if visual else "transformer.resblocks."
    return 1 + max(int(k[len(prefix) :].split(".")[0]) for k in state if k.startswith(prefix))


def config_from_state_dict(
    state: dict[str, torch.Tensor],
    *,
    vision_heads: int | None = None,
    text_heads: int | None = None,
    special_ids: dict[str, int] | None = None,
) -> CLIPConfig:
    """The CLIPConfig the tensors imply; heads default to width // 64 (OpenAI's rule)."""
    if "visual.conv1.weight" not in state:
        raise ValueError("not a ViT OpenAI/open_clip state dict (no visual.conv1.weight; ResNet towers unsupported)")
    v_width, _, patch, _ = state["visual.conv1.weight"].shape
    grid = round((state["visual.positional_embedding"].shape[0] - 1) ** 0.5)
    t_width = state["ln_final.weight"].shape[0]
    vision = dict(
        hidden_size=v_width,
        intermediate_size=state["visual.transformer.resblocks.0.mlp.c_fc.weight"].shape[0],
        num_hidden_layers=_layers(state, visual=True),
        num_attention_heads=vision_heads or max(1, v_width // 64),
        image_size=patch * grid,
        patch_size=patch,
        hidden_act="quick_gelu",
    )
    text = dict(
        vocab_size=state["token_embedding.weight"].shape[0],
        hidden_size=t_width,
        intermediate_size=state["transformer.resblocks.0.mlp.c_fc.weight"].shape[0],
        num_hidden_layers=_layers(state, visual=False),
        num_attention_heads=text_heads or max(1, t_width // 64),
        max_position_embeddings=state["positional_embedding"].shape[0],
        hidden_act="quick_gelu",
        **(special_ids or {}),
    )
    return CLIPConfig(text_config=text, vision_config=vision, projection_dim=state["text_projection"].shape[1])


def to_hf_state_dict(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    out: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        if key in _IGNORED or key.startswith("attn_mask") or key.endswith("attn_mask"):
            continue
        if key in _PLAIN:
            out[_PLAIN[key]] = value
            continue
        if key in _TRANSPOSED:
            out[_TRANSPOSED[key]] = value.t().contiguous()
            continue
        match = _BLOCK.match(key)
        if not match:
            raise KeyError(f"unexpected key in OpenAI/open_clip state dict: {key}")
        tower = "vision_model" if match.group(1) else "text_model"
        base = f"{tower}.encoder.layers.{match.group(2)}"
        rest = match.group(3)
        if rest in ("attn.in_proj_weight", "attn.in_proj_bias"):
            kind = rest.rsplit("_", 1)[1]
            for name, part in zip(("q_proj", "k_proj", "v_proj"), value.chunk(3, dim=0), strict=True):
                out[f"{base}.self_attn.{name}.{kind}"] = part.contiguous()
            continue
        module, param = rest.rsplit(".", 1)
        if module not in _BLOCK_PARTS:
            raise KeyError(f"unexpected key in OpenAI/open_clip state dict: {key}")
        out[f"{base}.{_BLOCK_PARTS[module]}.{param}"] = value
    return out


def to_openai_state_dict(model: CLIPModel) -> dict[str, torch.Tensor]:
    """The inverse mapping (for round trips and exports)."""
    hf = model.state_dict()
    out = {src: hf[dst].clone() for src, dst in _PLAIN.items()}
    out.update({src: hf[dst].t().contiguous() for src, dst in _TRANSPOSED.items()})
    inverse = {v: k for k, v in _BLOCK_PARTS.items()}
    for key, value in hf.items():
        match = re.match(r"^(text_model|vision_model)\.encoder\.layers\.(\d+)\.(.+)\.(weight|bias)$", key)
        if not match:
            continue
        tower, layer, module, param = match.groups()
        prefix = ("visual." if tower == "vision_model" else "") + f"transformer.resblocks.{layer}."
        if module in ("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj"):
            if module.endswith("q_proj"):
                base = f"{tower}.encoder.layers.{layer}.self_attn"
                parts = [hf[f"{base}.{p}.{param}"] for p in ("q_proj", "k_proj", "v_proj")]
                out[f"{prefix}attn.in_proj_{param}"] = torch.cat(parts, dim=0)
            continue
        out[f"{prefix}{inverse[module]}.{param}"] = value.clone()
    return out


def load_openai_checkpoint(
    path: str | Path,
    *,
    vision_heads: int | None = None,
    text_heads: int | None = None,
    special_ids: dict[str, int] | None = None,
) -> CLIPModel:
    """A `CLIPModel` (QuickGELU) holding an OpenAI/open_clip checkpoint's weights; every weight must map."""
    state = read_state_dict(path)
    config = config_from_state_dict(state, vision_heads=vision_heads, text_heads=text_heads, special_ids=special_ids)
    model = CLIPModel(config)
    missing, unexpected = model.load_state_dict(to_hf_state_dict(state), strict=False)
    missing = [k for k in missing if not k.endswith("position_ids")]
    if missing or unexpected:
        raise RuntimeError(
            f"{path}: state dict does not fit CLIPModel: missing {missing[:5]}, unexpected {unexpected[:5]}"
        )
    return model.eval()
