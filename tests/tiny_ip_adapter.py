"""A tiny IP-Adapter built offline, saved in the layout diffusers' ``load_ip_adapter`` reads from a local folder.

``folder/image_encoder/`` holds a two-layer CLIP vision model with projection and its image processor;
``folder/ip-adapter.safetensors`` holds the original (pre-diffusers) IP-Adapter keys: ``image_proj.*`` for the plain
IP-Adapter image projection (4 image tokens) and ``ip_adapter.<n>.to_k_ip/to_v_ip.weight`` for every cross-attention
layer of the UNet, numbered as diffusers converts them. Weights are random but seeded, so every build is the same.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import torch
from diffusers import UNet2DConditionModel
from safetensors.torch import save_file
from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModelWithProjection

from tests.tiny_models import build_tiny_sd

WEIGHT_NAME = "ip-adapter.safetensors"
IMAGE_ENCODER_FOLDER = "image_encoder"
NUM_IMAGE_TOKENS = 4  # the plain IP-Adapter ``ImageProjection``
IMAGE_EMBED_DIM = 16  # CLIP projection width, the input of ``image_proj.proj``
IMAGE_SIZE = 32


def _random(*shape: int) -> torch.Tensor:
    """Seeded-normal weights scaled like a default ``nn.Linear`` (std ~ 1/sqrt(fan_in))."""
    return torch.randn(*shape) / shape[-1] ** 0.5


def _cross_attention_shapes(unet_folder: Path) -> list[tuple[int, int]]:
    """``(hidden_size, cross_attention_dim)`` of each cross-attention layer, in ``unet.attn_processors`` order.

    The order and the "not ``attn1``" rule are those of diffusers' ``_convert_ip_adapter_attn_to_diffusers``.
    """
    unet = UNet2DConditionModel.from_config(UNet2DConditionModel.load_config(unet_folder))
    shapes = []
    for name in unet.attn_processors:
        if name.endswith("attn1.processor") or "motion_modules" in name:
            continue
        to_k = unet.get_submodule(name.removesuffix(".processor")).to_k
        shapes.append((to_k.out_features, to_k.in_features))
    return shapes


def _state_dict(shapes: list[tuple[int, int]], cross_attention_dim: int) -> dict[str, torch.Tensor]:
    """Flat original-format IP-Adapter weights: ``image_proj.*`` plus ``ip_adapter.<1, 3, 5...>.to_{k,v}_ip.weight``.

    The original numbering counts self- and cross-attention layers alike, so cross-attention layer ``i`` is ``2 i + 1``.
    """
    state = {
        "image_proj.proj.weight": _random(NUM_IMAGE_TOKENS * cross_attention_dim, IMAGE_EMBED_DIM),
        "image_proj.proj.bias": torch.zeros(NUM_IMAGE_TOKENS * cross_attention_dim),
        "image_proj.norm.weight": torch.ones(cross_attention_dim),
        "image_proj.norm.bias": torch.zeros(cross_attention_dim),
    }
    for index, (hidden_size, width) in enumerate(shapes):
        if width != cross_attention_dim:
            raise ValueError(
                f"the UNet's cross-attention width is {width}, not cross_attention_dim={cross_attention_dim}"
            )
        state[f"ip_adapter.{2 * index + 1}.to_k_ip.weight"] = _random(hidden_size, width)
        state[f"ip_adapter.{2 * index + 1}.to_v_ip.weight"] = _random(hidden_size, width)
    return state


def _save_image_encoder(folder: Path) -> None:
    """Save a tiny ``CLIPVisionModelWithProjection`` and a matching ``CLIPImageProcessor`` (32 px) to ``folder``."""
    config = CLIPVisionConfig(
        hidden_size=16, intermediate_size=32, projection_dim=IMAGE_EMBED_DIM, num_hidden_layers=2, num_attention_heads=2,
        image_size=IMAGE_SIZE, patch_size=8,
    )  # fmt: skip
    CLIPVisionModelWithProjection(config).save_pretrained(folder)
    processor = CLIPImageProcessor(
        size={"shortest_edge": IMAGE_SIZE}, crop_size={"height": IMAGE_SIZE, "width": IMAGE_SIZE}
    )
    processor.save_pretrained(folder)


def build_tiny_ip_adapter(folder: Path, cross_attention_dim: int = 16, unet_folder: Path | None = None) -> Path:
    """Save a tiny IP-Adapter to ``folder`` for the UNet whose ``config.json`` is in ``unet_folder``; returns ``folder``.

    Without ``unet_folder`` the adapter fits the UNet of ``build_tiny_sd``. ``cross_attention_dim`` is the UNet's text
    embedding width, which the image tokens are projected to; a UNet with another width raises ``ValueError``.
    Load it with ``pipe.load_ip_adapter(str(folder), subfolder="", weight_name=WEIGHT_NAME,
    image_encoder_folder=IMAGE_ENCODER_FOLDER, local_files_only=True)``.
    """
    if unet_folder is None:
        with tempfile.TemporaryDirectory() as source:
            shapes = _cross_attention_shapes(build_tiny_sd(Path(source) / "sd") / "unet")
    else:
        shapes = _cross_attention_shapes(unet_folder)
    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    _save_image_encoder(folder / IMAGE_ENCODER_FOLDER)
    torch.manual_seed(0)
    save_file(_state_dict(shapes, cross_attention_dim), folder / WEIGHT_NAME, metadata={"format": "pt"})
    return folder
