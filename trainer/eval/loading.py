"""Which model to evaluate: a trainer run / checkpoint / save_pretrained dir, a hub name, or a released `.pt`."""

from __future__ import annotations

from pathlib import Path

from transformers import CLIPModel, PreTrainedTokenizerBase

from trainer.checkpoint import resolve_model_dir
from trainer.eval.openai_checkpoint import load_openai_checkpoint
from trainer.models import check_model_matches_tokenizer, load_clip
from trainer.tokenizer import load_tokenizer

STATE_DICT_SUFFIXES = (".pt", ".pth", ".bin")


def load_model(model: str, tokenizer: str | None = None) -> tuple[CLIPModel, PreTrainedTokenizerBase]:
    path = Path(model)
    if path.is_file() and path.suffix in STATE_DICT_SUFFIXES:
        if tokenizer is None:
            raise ValueError(
                f"{model} is an OpenAI/open_clip state dict: pass --tokenizer DIR (a directory with the OpenAI "
                "CLIP vocab.json and merges.txt, e.g. a local copy of openai/clip-vit-base-patch32)"
            )
        tok = load_tokenizer(tokenizer)
        ids = {"bos_token_id": tok.bos_token_id, "eos_token_id": tok.eos_token_id}
        clip = load_openai_checkpoint(path, special_ids=ids)
        check_model_matches_tokenizer(clip, tok, model)
        return clip, tok
    if path.exists():
        clip, tok = load_clip(resolve_model_dir(path))
    else:
        clip, tok = load_clip(model)  # a hub name: needs the files in the local cache (or a network)
    if tokenizer is not None:
        tok = load_tokenizer(tokenizer)
        check_model_matches_tokenizer(clip, tok, model)
    return clip, tok


def model_tag(model: str) -> str:
    path = Path(model)
    if path.is_file():
        return path.stem
    if path.exists():
        resolved = path.resolve()
        return resolved.name if resolved.name not in ("model", "checkpoints") else resolved.parent.name
    return model.replace("/", "__")
