"""Building and loading `CLIPModel`s: hub names, saved directories, and tiny configs for tests and CPUs."""

from __future__ import annotations

from pathlib import Path

from transformers import CLIPConfig, CLIPModel, PreTrainedTokenizerBase

from trainer.tokenizer import check_tokenizer, load_tokenizer


def tiny_clip_config(
    tokenizer: PreTrainedTokenizerBase,
    *,
    hidden: int = 32,
    layers: int = 2,
    heads: int = 2,
    image_size: int = 32,
    patch_size: int = 8,
    projection_dim: int = 32,
) -> CLIPConfig:
    """A ~1.6M-parameter CLIP (QuickGELU like OpenAI's) whose text tower matches `tokenizer`."""
    special = {
        "bos_token_id": tokenizer.bos_token_id,
        "eos_token_id": tokenizer.eos_token_id,  # pooling takes the first end token: must be the tokenizer's
        "pad_token_id": tokenizer.pad_token_id,
    }
    text = dict(
        vocab_size=len(tokenizer),
        hidden_size=hidden,
        intermediate_size=4 * hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        max_position_embeddings=77,
        hidden_act="quick_gelu",
        **special,
    )
    vision = dict(
        hidden_size=hidden,
        intermediate_size=4 * hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        image_size=image_size,
        patch_size=patch_size,
        hidden_act="quick_gelu",
    )
    return CLIPConfig(text_config=text, vision_config=vision, projection_dim=projection_dim)


def load_clip(name_or_path: str | Path) -> tuple[CLIPModel, PreTrainedTokenizerBase]:
    """A `CLIPModel` and its tokenizer from a hub name or a `save_pretrained` directory."""
    source = str(name_or_path)
    if Path(source).exists() and not (Path(source) / "config.json").exists():
        raise FileNotFoundError(f"{source} is not a saved CLIPModel directory (no config.json)")
    model = CLIPModel.from_pretrained(source)
    tokenizer = load_tokenizer(source)
    check_model_matches_tokenizer(model, tokenizer, source)
    return model, tokenizer


def check_model_matches_tokenizer(model: CLIPModel, tokenizer: PreTrainedTokenizerBase, source: str) -> None:
    text = model.config.text_config
    if len(tokenizer) > text.vocab_size:
        raise ValueError(f"{source}: tokenizer has {len(tokenizer)} tokens but the text tower {text.vocab_size}")
    if text.eos_token_id != 2 and text.eos_token_id != tokenizer.eos_token_id:
        # eos_token_id == 2 is transformers' legacy flag for argmax pooling (OpenAI checkpoints).
        raise ValueError(
            f"{source}: text tower pools at token {text.eos_token_id}, tokenizer ends with {tokenizer.eos_token_id}"
        )
    check_tokenizer(tokenizer, source)


def image_size_of(model: CLIPModel) -> int:
    return int(model.config.vision_config.image_size)
