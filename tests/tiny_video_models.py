"""Tiny image-to-video pipelines (LTX-Video, Wan, Stable Video Diffusion) built offline from local configs, saved
like real checkpoints.

The components follow diffusers' own tests (``get_dummy_components``) with everything local: a character-level
T5 tokenizer (a ``tokenizers`` Unigram model saved as ``tokenizer.json``), one-layer T5 / UMT5 text encoders,
one- or two-layer transformers and VAEs that compress like the real ones (LTX: 32x in space, 8x in time; Wan: 8x in
space, 4x in time; SVD: 8x in space), so the real models' size and frame-count rules hold. Weights are random but seeded, so every
build is the same.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import torch
from diffusers import (
    AutoencoderKLLTXVideo,
    AutoencoderKLTemporalDecoder,
    AutoencoderKLWan,
    EulerDiscreteScheduler,
    FlowMatchEulerDiscreteScheduler,
    LTXConditionPipeline,
    LTXImageToVideoPipeline,
    LTXVideoTransformer3DModel,
    StableVideoDiffusionPipeline,
    UNetSpatioTemporalConditionModel,
    UniPCMultistepScheduler,
    WanImageToVideoPipeline,
    WanTransformer3DModel,
)
from transformers import (
    CLIPImageProcessor,
    CLIPVisionConfig,
    CLIPVisionModel,
    CLIPVisionModelWithProjection,
    T5Config,
    T5EncoderModel,
    T5TokenizerFast,
    UMT5Config,
    UMT5EncoderModel,
)

WanVariant = Literal["2.2", "2.1", "flf2v"]


def _t5_tokenizer(max_length: int) -> T5TokenizerFast:
    """A character-level T5 tokenizer: ``<pad>``, ``</s>``, ``<unk>``, then every printable ASCII character alone
    and after the word-start mark ``▁`` (a Unigram model, as in T5's SentencePiece vocabulary)."""
    vocab = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("▁", -2.0)]
    for char in (chr(c) for c in range(33, 127)):
        vocab += [(f"▁{char}", -1.0), (char, -1.0)]
    return T5TokenizerFast(vocab=vocab, extra_ids=0, model_max_length=max_length)


def _t5_config(config_class: type[T5Config] | type[UMT5Config], vocab_size: int, width: int) -> T5Config | UMT5Config:
    return config_class(
        vocab_size=vocab_size, d_model=width, d_kv=8, d_ff=2 * width, num_layers=1, num_heads=2,
        relative_attention_num_buckets=8, relative_attention_max_distance=32, pad_token_id=0, eos_token_id=1,
        decoder_start_token_id=0,
    )  # fmt: skip


def build_tiny_ltx(folder: Path, *, condition: bool = False) -> Path:
    """Save a tiny ``LTXImageToVideoPipeline`` to ``folder`` with ``save_pretrained``; returns ``folder``.

    Shaped like LTX-Video 0.9.1: a VAE patchifying by 4 then scaling three times (32x in space, 8x in time) with a
    timestep-conditioned decoder, a one-layer transformer, a one-layer T5 encoder, the real checkpoint's
    dynamically shifted flow-matching scheduler. ``condition`` saves the same weights as LTX-Video 0.9.5's
    ``LTXConditionPipeline`` (image conditions at any frame, such as the first and the last), with its scheduler:
    fixed shift, as that pipeline passes its own timesteps.
    """
    torch.manual_seed(0)
    vae = AutoencoderKLLTXVideo(
        in_channels=3, out_channels=3, latent_channels=8, block_out_channels=(8, 8, 8, 8),
        decoder_block_out_channels=(8, 16, 32), layers_per_block=(1, 1, 1, 1, 1), decoder_layers_per_block=(1, 1, 1, 1),
        spatio_temporal_scaling=(True, True, True, False), decoder_spatio_temporal_scaling=(True, True, True),
        decoder_inject_noise=(True, True, True, False), upsample_residual=(True, True, True), upsample_factor=(2, 2, 2),
        timestep_conditioning=True,
        patch_size=4, patch_size_t=1, encoder_causal=True, decoder_causal=False,
    )  # fmt: skip
    torch.manual_seed(0)
    transformer = LTXVideoTransformer3DModel(
        in_channels=8, out_channels=8, patch_size=1, patch_size_t=1, num_attention_heads=2, attention_head_dim=8,
        cross_attention_dim=16, num_layers=1, caption_channels=16,
    )  # fmt: skip
    tokenizer = _t5_tokenizer(128)
    torch.manual_seed(0)
    text_encoder = T5EncoderModel(_t5_config(T5Config, len(tokenizer), 16))
    scheduler = FlowMatchEulerDiscreteScheduler(
        use_dynamic_shifting=not condition, base_shift=0.95, max_shift=2.05, base_image_seq_len=1024,
        max_image_seq_len=4096, shift_terminal=0.1,
    )  # fmt: skip
    pipeline_class = LTXConditionPipeline if condition else LTXImageToVideoPipeline
    pipeline = pipeline_class(
        scheduler=scheduler, vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, transformer=transformer
    )
    pipeline.save_pretrained(folder)
    return folder


def _wan_transformer(*, image_dim: int | None = None, pos_embed_seq_len: int | None = None) -> WanTransformer3DModel:
    """A two-layer Wan transformer on 16 noise + 4 mask + 16 condition channels; with ``image_dim`` it also attends
    to CLIP image tokens through its own key/value projections, as Wan 2.1's image-to-video models do."""
    heads, head_dim = 2, 12
    return WanTransformer3DModel(
        patch_size=(1, 2, 2), num_attention_heads=heads, attention_head_dim=head_dim, in_channels=36, out_channels=16,
        text_dim=16, freq_dim=32, ffn_dim=32, num_layers=2, cross_attn_norm=True, qk_norm="rms_norm_across_heads",
        rope_max_seq_len=32, image_dim=image_dim, added_kv_proj_dim=heads * head_dim if image_dim else None,
        pos_embed_seq_len=pos_embed_seq_len,
    )  # fmt: skip


def build_tiny_wan(folder: Path, *, variant: WanVariant = "2.2") -> Path:
    """Save a tiny ``WanImageToVideoPipeline`` to ``folder`` with ``save_pretrained``; returns ``folder``.

    ``variant``: ``"2.2"`` (Wan 2.2 A14B: no image encoder, a high-noise ``transformer`` and a low-noise
    ``transformer_2`` switched at ``boundary_ratio``; ``last_image`` optional), ``"2.1"`` (Wan 2.1 I2V: a CLIP
    vision ``image_encoder`` and ``image_processor``; first image only) or ``"flf2v"`` (Wan 2.1 first-last-frame:
    the CLIP tokens of both images get a position embedding, so ``last_image`` is required). The default needs no
    image encoder and takes a first image with or without a last one. With CLIP, keep ``max_sequence_length`` at
    its 512: the transformer takes the context tokens before the last 512 as the image's.
    """
    torch.manual_seed(0)
    vae = AutoencoderKLWan(base_dim=3, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=1)
    tokenizer = _t5_tokenizer(512)
    torch.manual_seed(0)
    text_encoder = UMT5EncoderModel(_t5_config(UMT5Config, len(tokenizer), 16))
    scheduler = UniPCMultistepScheduler(prediction_type="flow_prediction", use_flow_sigmas=True, flow_shift=5.0)
    if variant == "2.2":
        torch.manual_seed(0)
        transformer = _wan_transformer()
        torch.manual_seed(1)
        transformer_2 = _wan_transformer()
        pipeline = WanImageToVideoPipeline(
            tokenizer=tokenizer, text_encoder=text_encoder, vae=vae, scheduler=scheduler, transformer=transformer,
            transformer_2=transformer_2, boundary_ratio=0.9,
        )  # fmt: skip
    else:
        image_size, patch = 32, 8
        tokens = (image_size // patch) ** 2 + 1  # patches and the class token
        torch.manual_seed(0)
        image_encoder = CLIPVisionModel(
            CLIPVisionConfig(
                hidden_size=8, num_hidden_layers=2, num_attention_heads=2, intermediate_size=16,
                image_size=image_size, patch_size=patch,
            )
        )  # fmt: skip
        image_processor = CLIPImageProcessor(crop_size=image_size, size={"shortest_edge": image_size})
        torch.manual_seed(0)
        transformer = _wan_transformer(image_dim=8, pos_embed_seq_len=2 * tokens if variant == "flf2v" else None)
        pipeline = WanImageToVideoPipeline(
            tokenizer=tokenizer, text_encoder=text_encoder, vae=vae, scheduler=scheduler, transformer=transformer,
            image_encoder=image_encoder, image_processor=image_processor,
        )  # fmt: skip
    pipeline.save_pretrained(folder)
    return folder


def build_tiny_svd(folder: Path) -> Path:
    """Save a tiny ``StableVideoDiffusionPipeline`` to ``folder`` with ``save_pretrained``; returns ``folder``.

    Shaped like Stable Video Diffusion (14 frames): a spatio-temporal UNet conditioned on fps, motion bucket and
    noise augmentation (three 8-wide time embeddings), a four-block VAE with a temporal decoder (8x in space), a
    one-layer CLIP vision encoder with projection on 224x224 inputs (the pipeline resizes to that itself), the
    real checkpoint's v-prediction Karras Euler scheduler. Channels are multiples of 32: these blocks norm in 32
    groups.
    """
    torch.manual_seed(0)
    unet = UNetSpatioTemporalConditionModel(
        sample_size=16, in_channels=8, out_channels=4, block_out_channels=(32, 64), layers_per_block=1,
        down_block_types=("CrossAttnDownBlockSpatioTemporal", "DownBlockSpatioTemporal"),
        up_block_types=("UpBlockSpatioTemporal", "CrossAttnUpBlockSpatioTemporal"), cross_attention_dim=16,
        num_attention_heads=2, addition_time_embed_dim=8, projection_class_embeddings_input_dim=3 * 8, num_frames=14,
    )  # fmt: skip
    torch.manual_seed(0)
    vae = AutoencoderKLTemporalDecoder(
        block_out_channels=(32, 32, 32, 32), down_block_types=("DownEncoderBlock2D",) * 4, latent_channels=4,
        layers_per_block=1,
    )  # fmt: skip
    torch.manual_seed(0)
    image_encoder = CLIPVisionModelWithProjection(
        CLIPVisionConfig(
            hidden_size=16, projection_dim=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=16,
            image_size=224, patch_size=32,
        )
    )  # fmt: skip
    scheduler = EulerDiscreteScheduler(
        beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", interpolation_type="linear",
        prediction_type="v_prediction", sigma_max=700.0, sigma_min=0.002, steps_offset=1, timestep_spacing="leading",
        timestep_type="continuous", use_karras_sigmas=True,
    )  # fmt: skip
    pipeline = StableVideoDiffusionPipeline(
        vae=vae, image_encoder=image_encoder, unet=unet, scheduler=scheduler,
        feature_extractor=CLIPImageProcessor(crop_size=224, size={"shortest_edge": 224}),
    )  # fmt: skip
    pipeline.save_pretrained(folder)
    return folder
