"""Tiny Stable Diffusion pipelines built offline from local configs, saved like a real checkpoint.

The components follow diffusers' own test recipe (``get_dummy_components``): a two-block UNet,
a four-block VAE (latents at 1/8 of the image side, as in SD), a two-layer CLIP text encoder and a character-level tokenizer written to
``vocab.json`` and ``merges.txt``. ``build_tiny_sdxl`` gives SDXL's shape: two text encoders (the
second with a projection), a UNet conditioned on pooled text and size ids, an Euler scheduler.
Weights are random but seeded, so every build is the same.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import torch
from diffusers import (
    AutoencoderKL,
    DDIMScheduler,
    EulerDiscreteScheduler,
    StableDiffusionInpaintPipeline,
    StableDiffusionPipeline,
    StableDiffusionXLPipeline,
    UNet2DConditionModel,
)
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection, CLIPTokenizer


def _tokenizer(folder: Path) -> CLIPTokenizer:
    """A character-level CLIP tokenizer: every printable ASCII character and its end-of-word form."""
    characters = [chr(c) for c in range(33, 127)]
    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for char in characters:
        vocab.setdefault(char, len(vocab))
        vocab.setdefault(f"{char}</w>", len(vocab))
    (folder / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    (folder / "merges.txt").write_text("#version: 0.2\n", encoding="utf-8")
    return CLIPTokenizer(str(folder / "vocab.json"), str(folder / "merges.txt"), model_max_length=32)


def build_tiny_sd(folder: Path, *, inpainting: bool = False) -> Path:
    """Save a tiny pipeline to ``folder`` with ``save_pretrained``; returns ``folder``.

    ``inpainting`` makes an inpainting checkpoint: a UNet taking latents, mask and masked image (9
    channels), saved as ``StableDiffusionInpaintPipeline``.
    """
    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        block_out_channels=(8, 16),
        layers_per_block=1,
        sample_size=16,
        in_channels=9 if inpainting else 4,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=16,
        norm_num_groups=4,
        attention_head_dim=2,
    )
    vae = _vae()
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as source:
        tokenizer = _tokenizer(Path(source))
    text_encoder = CLIPTextModel(_text_config(len(tokenizer)))
    scheduler = DDIMScheduler(
        beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", clip_sample=False,
        set_alpha_to_one=False, steps_offset=1,
    )  # fmt: skip
    pipeline_class = StableDiffusionInpaintPipeline if inpainting else StableDiffusionPipeline
    pipeline = pipeline_class(
        unet=unet, vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, scheduler=scheduler,
        safety_checker=None, feature_extractor=None, requires_safety_checker=False,
    )  # fmt: skip
    pipeline.save_pretrained(folder)
    return folder


def _vae() -> AutoencoderKL:
    torch.manual_seed(0)
    return AutoencoderKL(  # four blocks: latents are 1/8 of the image side, as in real SD checkpoints
        block_out_channels=(8, 8, 16, 16),
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        latent_channels=4,
        norm_num_groups=4,
        sample_size=128,
    )


def _text_config(vocab_size: int, projection_dim: int = 512) -> CLIPTextConfig:
    return CLIPTextConfig(
        bos_token_id=0, eos_token_id=1, pad_token_id=1, hidden_size=16, intermediate_size=32, num_attention_heads=2,
        num_hidden_layers=2, vocab_size=vocab_size, max_position_embeddings=32, projection_dim=projection_dim,
    )  # fmt: skip


def build_tiny_sdxl(folder: Path) -> Path:
    """Save a tiny SDXL-shaped text-to-image pipeline to ``folder`` with ``save_pretrained``; returns ``folder``."""
    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        block_out_channels=(8, 16), layers_per_block=1, sample_size=16, in_channels=4, out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"), up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=32, norm_num_groups=4, attention_head_dim=2, use_linear_projection=True,
        addition_embed_type="text_time", addition_time_embed_dim=8, transformer_layers_per_block=(1, 2),
        projection_class_embeddings_input_dim=6 * 8 + 16,  # six size ids of 8, then the pooled text of 16
    )  # fmt: skip
    vae = _vae()
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as source:
        tokenizer, tokenizer_2 = _tokenizer(Path(source)), _tokenizer(Path(source))
    text_encoder = CLIPTextModel(_text_config(len(tokenizer)))
    text_encoder_2 = CLIPTextModelWithProjection(_text_config(len(tokenizer), projection_dim=16))
    scheduler = EulerDiscreteScheduler(
        beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", steps_offset=1, timestep_spacing="leading"
    )
    pipeline = StableDiffusionXLPipeline(
        unet=unet, vae=vae, text_encoder=text_encoder, text_encoder_2=text_encoder_2, tokenizer=tokenizer,
        tokenizer_2=tokenizer_2, scheduler=scheduler,
    )  # fmt: skip
    pipeline.save_pretrained(folder)
    return folder
