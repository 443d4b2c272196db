"""The ``diffusers`` backend: scene keyframes from a text-to-image diffusion pipeline.

The model is any diffusers text-to-image checkpoint (a local folder or a hub id; SD 1.5/2.1, SDXL
and their Turbo variants, FLUX where installed), loaded once through ``from_pretrained`` exactly as
a user's model is. Keyframes are generated at the model's own resolution with the canvas's aspect
(sides multiples of 8) and resized to the canvas. Each item gets its own CPU ``torch.Generator``
seeded from the plan, so a keyframe is the same whether it was rendered alone or in a batch.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from generator.errors import ConfigError
from render.backends import KeyframeRequest, RendererSettings

log = logging.getLogger(__name__)


def _pick_device(requested: str | None) -> str:
    import torch

    if requested is not None:
        return requested
    if torch.cuda.is_available():
        return "cuda"
    if torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def _model_fingerprint(model: str) -> str:
    """Identifies the weights: the hash of a local folder's configs and weight file sizes, else the id."""
    folder = Path(model)
    if not folder.is_dir():
        return model
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(folder).as_posix().encode())
            digest.update(path.read_bytes() if path.suffix == ".json" else str(path.stat().st_size).encode())
    return f"{folder.name}@{digest.hexdigest()[:16]}"


class DiffusersRenderer:
    """Scene keyframes from a diffusers text-to-image pipeline; see the module docstring."""

    name = "diffusers"
    cacheable = True

    def __init__(self, settings: RendererSettings) -> None:
        # 1. Device and dtype, explicitly: half precision on GPUs, fp32 on the CPU.
        import diffusers
        import torch

        self.settings = settings
        self.device = _pick_device(settings.device)
        if self.device == "cuda":
            self.dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        elif self.device == "mps":
            self.dtype = torch.float16
        else:
            self.dtype = torch.float32
        torch.use_deterministic_algorithms(True, warn_only=True)
        # 2. Load once, through the same from_pretrained path every user's model takes.
        diffusers.utils.logging.disable_progress_bar()
        assert settings.model is not None
        try:
            pipeline = diffusers.AutoPipelineForText2Image.from_pretrained(
                settings.model, dtype=self.dtype, local_files_only=settings.local_files_only
            )
        except (OSError, ValueError, EnvironmentError) as exc:
            raise ConfigError(f"cannot load diffusion model {settings.model!r}: {exc}") from exc
        pipeline.set_progress_bar_config(disable=True)
        self.pipeline: Any = pipeline.to(self.device)
        self.identity = (
            f"diffusers:{_model_fingerprint(settings.model)}:steps={settings.steps}:guidance={settings.guidance}"
            f":resolution={settings.resolution}"
        )
        log.info("loaded %s (%s) on %s as %s", settings.model, type(pipeline).__name__, self.device, self.dtype)

    def generation_size(self, size: tuple[int, int]) -> tuple[int, int]:
        """The size a keyframe for a ``size`` canvas is generated at: same aspect, model resolution."""
        pipeline = self.pipeline
        native = self.settings.resolution or pipeline.unet.config.sample_size * pipeline.vae_scale_factor
        width, height = size
        scale = native / min(width, height)
        return (max(8, math.floor(width * scale / 8) * 8), max(8, math.floor(height * scale / 8) * 8))

    def render_arrays(self, requests: Sequence[KeyframeRequest]) -> list[np.ndarray]:
        """Keyframes as float32 RGB arrays in [0, 1] at their generation size, in request order."""
        import torch

        out: list[np.ndarray] = []
        for start in range(0, len(requests), self.settings.batch_size):
            batch = requests[start : start + self.settings.batch_size]
            sizes = {self.generation_size(r.size) for r in batch}
            if len(sizes) > 1:  # one pipeline call takes one size
                for request in batch:
                    out.extend(self.render_arrays([request]))
                continue
            (width, height) = sizes.pop()
            generators = [torch.Generator("cpu").manual_seed(r.seed) for r in batch]
            with torch.inference_mode():
                result = self.pipeline(
                    prompt=[r.prompt for r in batch],
                    negative_prompt=[r.negative for r in batch],
                    width=width,
                    height=height,
                    num_inference_steps=self.settings.steps,
                    guidance_scale=self.settings.guidance,
                    generator=generators,
                    output_type="np",
                )
            out.extend(np.asarray(image, dtype=np.float32) for image in result.images)
        return out

    def render(self, requests: Sequence[KeyframeRequest]) -> list[Image.Image]:
        images = []
        for request, array in zip(requests, self.render_arrays(requests)):
            # NaN (an fp16 overflow, say) becomes black, which keyframe QC rejects and retries.
            pixels = (np.clip(np.nan_to_num(array, nan=0.0), 0, 1) * 255 + 0.5).astype(np.uint8)
            images.append(Image.fromarray(pixels, "RGB").resize(request.size, Image.Resampling.LANCZOS))
        return images

    def close(self) -> None:
        """Free the pipeline and, on a GPU, its memory."""
        import torch

        del self.pipeline
        gc.collect()
        if self.device == "cuda":
            torch.cuda.empty_cache()
