"""The OpenAI/open_clip key mapping, by a round trip on a tiny model (plain, open_clip-wrapped)."""

from __future__ import annotations

import torch

from trainer.eval.openai_checkpoint import load_openai_checkpoint, read_state_dict, to_openai_state_dict


def _same_outputs(a, b, tokenizer) -> None:
    ids = tokenizer(["a red car", "two cats sleep"], padding="max_length", max_length=77, return_tensors="pt")
    pixels = torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        out_a = a(input_ids=ids["input_ids"], pixel_values=pixels)
        out_b = b(input_ids=ids["input_ids"], pixel_values=pixels)
    assert torch.allclose(out_a.text_embeds, out_b.text_embeds, atol=1e-6)
    assert torch.allclose(out_a.image_embeds, out_b.image_embeds, atol=1e-6)
    assert torch.allclose(out_a.logits_per_image, out_b.logits_per_image, atol=1e-5)


def test_round_trip_through_openai_keys(tiny_model, tiny_tokenizer, tmp_path):
    state = to_openai_state_dict(tiny_model)
    assert {"visual.conv1.weight", "token_embedding.weight", "positional_embedding", "text_projection"} <= set(state)
    assert "visual.transformer.resblocks.1.attn.in_proj_weight" in state and "visual.proj" in state
    assert state["visual.proj"].shape == (32, 32) and state["logit_scale"].ndim == 0
    path = tmp_path / "openai.pt"
    torch.save(state, path)
    special = {k: getattr(tiny_tokenizer, k) for k in ("bos_token_id", "eos_token_id", "pad_token_id")}
    model = load_openai_checkpoint(path, vision_heads=2, text_heads=2, special_ids=special)
    assert model.config.vision_config.hidden_act == "quick_gelu" == model.config.text_config.hidden_act
    assert model.config.vision_config.image_size == 32 and model.config.vision_config.patch_size == 8
    for key, value in tiny_model.state_dict().items():
        assert torch.equal(value, model.state_dict()[key]), key
    _same_outputs(tiny_model, model, tiny_tokenizer)


def test_open_clip_wrapping_is_unwrapped(tiny_model, tiny_tokenizer, tmp_path):
    state = {f"module.{k}": v for k, v in to_openai_state_dict(tiny_model).items()}
    path = tmp_path / "epoch_5.pt"
    torch.save({"epoch": 5, "state_dict": state, "name": "negclip"}, path)
    assert set(read_state_dict(path)) == set(to_openai_state_dict(tiny_model))
    special = {k: getattr(tiny_tokenizer, k) for k in ("bos_token_id", "eos_token_id", "pad_token_id")}
    _same_outputs(
        tiny_model, load_openai_checkpoint(path, vision_heads=2, text_heads=2, special_ids=special), tiny_tokenizer
    )
