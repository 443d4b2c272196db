"""The ``diffusers`` video model: background clips from image-to-video pipelines, loaded as a user's model is.

The checkpoint (a local folder or a hub id) is loaded once with ``DiffusionPipeline.from_pretrained``; its
class names the family, which fixes the clip's shape and the call:

- LTX-Video (``LTXImageToVideoPipeline``, ``LTXConditionPipeline``): 8k+1 frames at the request's frame
  rate (passed as ``frame_rate``), sides in multiples of 32, 704x512 native; ``LTXConditionPipeline``
  also ends on ``last`` (an image condition on the last frame).
- Wan (``WanImageToVideoPipeline``): 4k+1 frames at 16 fps, multiples of 16, 832x480 native; ``last`` is
  passed as ``last_image`` where the checkpoint takes one (Wan 2.2 A14B, Wan 2.1 first-last-frame, which
  needs it) and left out where it does not (Wan 2.1 I2V).
- Stable Video Diffusion (``StableVideoDiffusionPipeline``): any frame count up to the checkpoint's
  ``num_frames`` at 7 fps (passed as ``fps``), multiples of 64, 1024x576 native; no prompt.

A request's clip is generated at the family's native area in the canvas's aspect (or ``VideoSettings.size``),
from its keyframes cropped to that aspect (pipelines stretch what they are given), with its own CPU
``torch.Generator`` seeded from the request, one pipeline call per request, on a fixed number of CPU
threads (as the keyframe backend, for the same reasons). The clip comes back as the model made it, at
the generation size and frame count: that is what is stored, and ``render.motion.timing.Clip`` retimes it
to the request's frame count by blending neighbouring frames and fits it to its size as it is shown.

``strength`` (0 to 1) scales how much the clip moves. LTX and Wan have no motion input, so it scales the
clip's model time: the model makes ``strength`` x the clip's duration of video (at least its smallest frame
count), which retiming stretches over the whole clip, so motion plays at ``strength`` x its natural speed.
Stable Video Diffusion has one: ``motion_bucket_id`` is ``255 x strength`` (its default 127 is 0.5).
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any

import numpy as np
from PIL import Image

from generator.core.errors import ConfigError, RenderError
from render.backends.diffusion import model_fingerprint, pick_device, torch_threads
from render.motion import ClipRequest
from render.motion.timing import FrameRule, fit, generation_frames, generation_size

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VideoSettings:
    """How to load and call an image-to-video checkpoint.

    ``size`` is the generation size (width, height), sides multiples of the family's; None: the family's
    native area in the canvas's aspect. ``guidance`` None: the family's default. ``threads``: CPU threads.
    """

    model: str
    size: tuple[int, int] | None = None
    steps: int = 25
    guidance: float | None = None
    device: str | None = None
    threads: int = 2
    local_files_only: bool = False


@dataclass(frozen=True)
class _Family:
    name: str
    rule: FrameRule
    multiple: int
    native: tuple[int, int]
    fps: int | None  # None: the request's, passed to the model
    limit: int | None  # the most frames it makes; None: the checkpoint's UNet ``num_frames``
    guidance: float


_LTX = _Family("LTX-Video", "8k+1", 32, (704, 512), None, 257, 3.0)
_WAN = _Family("Wan", "4k+1", 16, (832, 480), 16, 81, 5.0)
_SVD = _Family("Stable Video Diffusion", "any", 64, (1024, 576), 7, None, 3.0)
_FAMILIES = {
    "LTXImageToVideoPipeline": _LTX,
    "LTXConditionPipeline": _LTX,
    "WanImageToVideoPipeline": _WAN,
    "StableVideoDiffusionPipeline": _SVD,
}
_SVD_DECODE_CHUNK = 8  # frames the temporal VAE decodes at once (the output depends on it; SVD's documented value)


def _family(class_name: str, model: str) -> _Family:
    try:
        return _FAMILIES[class_name]
    except KeyError:
        raise ConfigError(
            f"{class_name} is not an image-to-video pipeline this renderer can drive; it takes " + ", ".join(_FAMILIES),
            model=model,
        ) from None


def _strength(request: ClipRequest) -> float:
    return min(max(request.strength, 0.0), 1.0)


def _pipeline_class(settings: VideoSettings) -> str:
    """The pipeline class a checkpoint names in its ``model_index.json``, read without loading weights."""
    from diffusers import DiffusionPipeline

    try:
        config = DiffusionPipeline.load_config(settings.model, local_files_only=settings.local_files_only)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read video model {settings.model!r}: {exc}") from exc
    return str(config.get("_class_name"))


def video_identity(settings: VideoSettings) -> str:
    """Everything besides the request that decides a clip's frames: library versions, the pipeline class and
    weights, steps, guidance, size, the device and its dtype (on the CPU the thread count), one clip a call."""
    class_name = _pipeline_class(settings)
    family = _family(class_name, settings.model)
    guidance = family.guidance if settings.guidance is None else settings.guidance
    size = "native" if settings.size is None else "x".join(map(str, settings.size))
    device, dtype = pick_device(settings.device)
    where = f"{device}/{str(dtype).removeprefix('torch.')}" + (
        f"/threads={settings.threads}" if device == "cpu" else ""
    )
    return (
        f"diffusers-video:diffusers-{version('diffusers')}/torch-{version('torch')}:{class_name}"
        f":{model_fingerprint(settings.model)}:steps={settings.steps}:guidance={guidance}:size={size}"
        f":on={where}:batch=1"
    )


class DiffusersVideoModel:
    """Background clips from a loaded image-to-video pipeline; see the module docstring.

    Args:
        settings: what the pipeline was loaded from, and how to call it.
        pipeline: the loaded pipeline, on ``device``.
        device: where it is.
    """

    name = "diffusers"

    def __init__(self, settings: VideoSettings, pipeline: Any, device: str) -> None:
        self.settings = settings
        self.pipeline = pipeline
        self.device = device
        self.family = _family(type(pipeline).__name__, settings.model)
        self.guidance = self.family.guidance if settings.guidance is None else settings.guidance
        self.identity = video_identity(settings)

    @classmethod
    def load(cls, settings: VideoSettings) -> DiffusersVideoModel:
        """Load the pipeline ``settings`` name onto its device.

        Raises:
            ConfigError: steps or threads under 1, a size off the family's multiple, a checkpoint that cannot
                be loaded or is not a supported image-to-video pipeline.
        """
        import diffusers
        import torch

        if settings.steps < 1 or settings.threads < 1:
            raise ConfigError(
                f"steps and threads must be at least 1 (steps {settings.steps}, threads {settings.threads})"
            )
        family = _family(_pipeline_class(settings), settings.model)
        if settings.size is not None and any(side <= 0 or side % family.multiple for side in settings.size):
            raise ConfigError(
                f"{family.name} generates at sides in multiples of {family.multiple}, not {settings.size}",
                model=settings.model,
            )
        device, dtype = pick_device(settings.device)
        torch.use_deterministic_algorithms(True, warn_only=True)
        diffusers.utils.logging.disable_progress_bar()
        loader: Any = diffusers.DiffusionPipeline  # untyped in diffusers
        try:
            pipeline = loader.from_pretrained(settings.model, dtype=dtype, local_files_only=settings.local_files_only)
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot load video model {settings.model!r}: {exc}") from exc
        pipeline.set_progress_bar_config(disable=True)
        log.info("loaded %s (%s) on %s as %s", settings.model, type(pipeline).__name__, device, dtype)
        return cls(settings, pipeline.to(device), device)

    def generation_size(self, canvas: tuple[int, int]) -> tuple[int, int]:
        """The size a clip for a ``canvas`` is generated at: ``settings.size``, else native in its aspect."""
        if self.settings.size is not None:
            return self.settings.size
        return generation_size(canvas, self.family.native, self.family.multiple)

    def generation_frames(self, request: ClipRequest) -> int:
        """The frame count the model makes for ``request``: its duration at the model's frame rate, scaled by
        ``strength`` for LTX and Wan (see the module docstring), made valid for the model."""
        fps = self.family.fps or request.fps
        scale = 1.0 if self.family is _SVD else _strength(request)
        limit = self.family.limit or int(self.pipeline.unet.config.num_frames)
        return generation_frames(round(request.frames / request.fps * fps * scale), self.family.rule, limit)

    def generate(self, requests: Sequence[ClipRequest]) -> list[list[Image.Image]]:
        return [self._clip(request) for request in requests]

    def _clip(self, request: ClipRequest) -> list[Image.Image]:
        import torch

        kwargs = self._kwargs(request)
        kwargs["generator"] = torch.Generator("cpu").manual_seed(request.seed)
        try:
            with torch.inference_mode(), torch_threads(self.device, self.settings.threads):
                result = self.pipeline(**kwargs)
        except (RuntimeError, ValueError) as exc:  # out of device memory, inputs the checkpoint refuses, ...
            raise RenderError(f"the video model failed: {exc}", model=self.settings.model, seed=request.seed) from exc
        # NaN (an fp16 overflow, say) becomes black, which the clip checks reject.
        made = np.clip(np.nan_to_num(np.asarray(result.frames[0], dtype=np.float32), nan=0.0), 0, 1)
        return [Image.fromarray((frame * 255 + 0.5).astype(np.uint8), "RGB") for frame in made]

    def _kwargs(self, request: ClipRequest) -> dict[str, Any]:
        """The pipeline call for ``request``, less its generator."""
        width, height = size = self.generation_size(request.size)
        frames = self.generation_frames(request)
        first = fit(request.first.convert("RGB"), size)
        last = None if request.last is None else fit(request.last.convert("RGB"), size)
        kwargs: dict[str, Any] = {
            "image": first, "width": width, "height": height, "num_frames": frames,
            "num_inference_steps": self.settings.steps, "output_type": "np",
        }  # fmt: skip
        if self.family is _SVD:
            kwargs.update(
                max_guidance_scale=self.guidance, fps=self.family.fps, decode_chunk_size=_SVD_DECODE_CHUNK,
                motion_bucket_id=max(1, round(255 * _strength(request))),
            )  # fmt: skip
            return kwargs
        kwargs.update(prompt=request.prompt, negative_prompt=request.negative, guidance_scale=self.guidance)
        if self.family is _LTX:
            kwargs["frame_rate"] = request.fps
            if type(self.pipeline).__name__ == "LTXConditionPipeline":
                images, indices = ([first], [0]) if last is None else ([first, last], [0, frames - 1])
                kwargs.update(image=images, frame_index=indices)
            return kwargs
        takes_last, needs_last = self._wan_last()
        if needs_last and last is None:
            raise RenderError(
                "this Wan checkpoint makes clips between two keyframes and the shot gives only its first",
                model=self.settings.model, rule="give the shot a keyframe to move towards, or use a Wan I2V model",
            )  # fmt: skip
        if last is not None and takes_last:
            kwargs["last_image"] = last
        elif last is not None:
            log.info("%s takes no last image; the clip ends where the model takes it", self.settings.model)
        return kwargs

    def _wan_last(self) -> tuple[bool, bool]:
        """Whether the Wan checkpoint takes a last image, and whether it needs one: Wan 2.2 (no image encoder)
        takes one, Wan 2.1 first-last-frame (CLIP tokens of two images with position embeddings) needs one,
        Wan 2.1 I2V (CLIP tokens of one image) and Wan 2.2 5B (first-frame-only latents) take none."""
        transformer = self.pipeline.transformer or self.pipeline.transformer_2
        if self.pipeline.config.get("expand_timesteps", False):
            return False, False
        if transformer.config.image_dim is None:
            return True, False
        needs = transformer.config.pos_embed_seq_len is not None
        return needs, needs

    def close(self) -> None:
        """Free the pipeline and, on a GPU, its memory."""
        import torch

        self.pipeline = None
        gc.collect()
        if self.device.startswith("cuda"):
            torch.cuda.empty_cache()
