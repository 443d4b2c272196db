"""The ``diffusers`` backend: keyframes from diffusers pipelines, in every role of ``render.backends``.

The model is any diffusers checkpoint (a local folder or a hub id; SD 1.5/2.1, SDXL and their Turbo
variants, FLUX where installed), loaded once through ``from_pretrained`` exactly as a user's model
is. The roles come from what was given:

- ``scene``: the text-to-image pipeline; an inpainting checkpoint given as the model makes scenes
  by inpainting a blank canvas whole.
- ``extend`` and ``pin``: the inpainting pipeline of ``inpaint_model`` if given, of the model if it
  is an inpainting checkpoint, else the text-to-image pipeline's own components reused for
  inpainting (``AutoPipelineForInpainting.from_pipe``, latent blending). What a request keeps (the
  base scene it extends, the layers it pins) is pasted back exactly at canvas resolution after
  generation, so only the feathered rim around it is ever changed.
- ``subject``: with an IP-Adapter configured, the mascot's reference conditions the shots that show it.

Keyframes are generated at the model's own resolution with the canvas's aspect (sides multiples of
8) and resized to the canvas. A keyframe's pixels depend only on its request and the renderer's
identity, by construction: each request is one pipeline call with its own CPU ``torch.Generator``
seeded from the plan, never a batch (batched numerics differ from single ones by a few 1e-6, which a
random or few-step model turns into whole levels), and on the CPU the pipelines run a fixed number of
threads (their sums are split by thread, so the pixels follow the thread count). The device, its
dtype and that thread count are part of the identity.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import logging
import math
from collections.abc import Iterator, Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageChops, ImageFilter, ImageOps

from generator.core.errors import ConfigError
from render.backends import Capability, KeyframeRequest, RendererSettings

log = logging.getLogger(__name__)

_FEATHER = 0.02  # width of the regenerated rim around what a request keeps, as a fraction of the short side


def pick_device(requested: str | None) -> tuple[str, Any]:
    """The device ``requested`` names, or the best available, and the dtype used there: half
    precision on GPUs (bfloat16 where supported), float32 on the CPU."""
    import torch

    device = requested
    if device is None:
        device = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
    if device.startswith("cuda"):
        return device, torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return device, torch.float16 if device == "mps" else torch.float32


@contextlib.contextmanager
def torch_threads(device: str, count: int) -> Iterator[None]:
    """Run torch's CPU kernels on ``count`` threads (on the CPU only), as before afterwards."""
    import torch

    if device != "cpu":
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def model_fingerprint(model: str) -> str:
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


def _is_inpainting(model: str, local_files_only: bool) -> bool:
    """Whether ``model`` is an inpainting checkpoint: its UNet takes image and mask channels (9)."""
    from diffusers import UNet2DConditionModel

    try:
        config = UNet2DConditionModel.load_config(model, subfolder="unet", local_files_only=local_files_only)
    except (OSError, ValueError):
        return False  # no UNet (a transformer model such as FLUX): not an SD inpainting checkpoint
    return int(config.get("in_channels", 4)) == 9


def _load(auto: Any, model: str, settings: RendererSettings, device: str, dtype: Any) -> Any:
    try:
        pipeline = auto.from_pretrained(model, dtype=dtype, local_files_only=settings.local_files_only)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot load diffusion model {model!r}: {exc}") from exc
    pipeline.set_progress_bar_config(disable=True)
    log.info("loaded %s (%s) on %s as %s", model, type(pipeline).__name__, device, dtype)
    return pipeline.to(device)


def _load_ip_adapter(pipeline: Any, settings: RendererSettings, device: str) -> None:
    try:
        pipeline.load_ip_adapter(
            settings.ip_adapter, subfolder=settings.ip_adapter_subfolder, weight_name=settings.ip_adapter_weight,
            image_encoder_folder=settings.ip_adapter_encoder, local_files_only=settings.local_files_only,
        )  # fmt: skip
    except (OSError, ValueError, KeyError) as exc:
        raise ConfigError(f"cannot load IP-Adapter {settings.ip_adapter!r}: {exc}") from exc
    pipeline.to(device)


def diffusers_identity(settings: RendererSettings) -> str:
    """Everything besides the request that decides a keyframe's pixels: library versions, weights, steps,
    the device and its dtype (and on the CPU the thread count), one keyframe per pipeline call, ..."""
    fingerprints = [model_fingerprint(m) for m in (settings.model, settings.inpaint_model, settings.ip_adapter) if m]
    versions = f"diffusers-{version('diffusers')}/torch-{version('torch')}"
    device, dtype = pick_device(settings.device)
    where = f"{device}/{str(dtype).removeprefix('torch.')}" + (
        f"/threads={settings.threads}" if device == "cpu" else ""
    )
    identity = (
        f"diffusers:{versions}:{'+'.join(fingerprints)}:steps={settings.steps}:guidance={settings.guidance}"
        f":resolution={settings.resolution}:pin={settings.pin_strength}:on={where}:batch=1"
    )
    if settings.ip_adapter:
        identity += f":ip={settings.ip_adapter_subfolder}/{settings.ip_adapter_weight}@{settings.ip_adapter_scale}"
    return identity


class DiffusersRenderer:
    """Keyframes from diffusers pipelines; see the module docstring.

    The pipelines are passed in, loaded and on ``device``; ``load`` loads them as ``settings`` say.

    Args:
        settings: what the pipelines were loaded from, and how to call them.
        pipeline: text to image; None when the model is an inpainting checkpoint.
        inpaint: inpainting, for ``extend`` and ``pin`` (and scenes without ``pipeline``); it may
            share ``pipeline``'s components.
        device: where the pipelines are.
    """

    name = "diffusers"
    cacheable = True

    def __init__(self, settings: RendererSettings, pipeline: Any, inpaint: Any, device: str) -> None:
        self.settings = settings
        self.pipeline = pipeline
        self.inpaint = inpaint
        self.device = device
        roles: set[Capability] = (
            {"scene", "extend", "pin", "subject"} if settings.ip_adapter else {"scene", "extend", "pin"}
        )
        self.roles = frozenset(roles)
        self.identity = diffusers_identity(settings)

    @classmethod
    def load(cls, settings: RendererSettings) -> DiffusersRenderer:
        """Load the pipelines ``settings`` name onto their device.

        Raises:
            ConfigError: no model, steps × pin_strength under 1, or a model or IP-Adapter that cannot be loaded.
        """
        import diffusers
        import torch

        if not settings.model:
            raise ConfigError("the diffusers renderer needs --model (a local folder or a hub id)")
        if settings.steps * settings.pin_strength < 1:
            raise ConfigError(
                f"steps × pin_strength must be at least 1 (steps {settings.steps}, pin_strength {settings.pin_strength})"
            )
        # 1. Device and dtype, explicitly: half precision on GPUs, fp32 on the CPU.
        device, dtype = pick_device(settings.device)
        torch.use_deterministic_algorithms(True, warn_only=True)
        diffusers.utils.logging.disable_progress_bar()
        # 2. Each pipeline loaded once, through the same from_pretrained path every user's model takes.
        pipeline: Any = None
        inpaint: Any = None
        if _is_inpainting(settings.model, settings.local_files_only):
            inpaint = _load(diffusers.AutoPipelineForInpainting, settings.model, settings, device, dtype)
        else:
            pipeline = _load(diffusers.AutoPipelineForText2Image, settings.model, settings, device, dtype)
        if settings.inpaint_model:
            inpaint = _load(diffusers.AutoPipelineForInpainting, settings.inpaint_model, settings, device, dtype)
        if settings.ip_adapter:
            for loaded in {id(p): p for p in (pipeline, inpaint) if p is not None}.values():
                _load_ip_adapter(loaded, settings, device)
        # 3. Without an inpainting checkpoint, inpaint with the text-to-image weights (shared, not copied).
        if inpaint is None:
            inpaint = diffusers.AutoPipelineForInpainting.from_pipe(pipeline)
        inpaint.set_progress_bar_config(disable=True)
        return cls(settings, pipeline, inpaint, device)

    @property
    def _any_pipeline(self) -> Any:
        return self.pipeline if self.pipeline is not None else self.inpaint

    def generation_size(self, size: tuple[int, int]) -> tuple[int, int]:
        """The size a keyframe for a ``size`` canvas is generated at: same aspect, model resolution."""
        pipeline = self._any_pipeline
        unet = getattr(pipeline, "unet", None)
        # UNet models give their sample size; transformer ones (FLUX, SD3) a default, with sides multiples of 16.
        sample, multiple = (unet.config.sample_size, 8) if unet is not None else (pipeline.default_sample_size, 16)
        native = self.settings.resolution or sample * pipeline.vae_scale_factor
        width, height = size
        scale = native / min(width, height)
        return (
            max(multiple, math.floor(width * scale / multiple) * multiple),
            max(multiple, math.floor(height * scale / multiple) * multiple),
        )

    def render_arrays(self, requests: Sequence[KeyframeRequest]) -> list[np.ndarray]:
        """Keyframes as float32 RGB arrays in [0, 1] at their generation size, in request order, one
        pipeline call each: what a keyframe is never depends on the requests it came with."""
        return [self._call(request) for request in requests]

    def _call(self, request: KeyframeRequest) -> np.ndarray:
        import torch

        width, height = size = self.generation_size(request.size)
        kwargs: dict[str, Any] = {
            "prompt": [request.prompt], "negative_prompt": [request.negative], "width": width, "height": height,
            "num_inference_steps": self.settings.steps, "guidance_scale": self.settings.guidance,
            "generator": [torch.Generator("cpu").manual_seed(request.seed)], "output_type": "np",
        }  # fmt: skip
        if "subject" in self.roles:
            kwargs.update(self._conditioning(request))
        if request.role == "scene" and self.pipeline is not None:
            pipeline = self.pipeline
        else:
            pipeline = self.inpaint
            init, keep = _inpaint_inputs(request)
            kwargs.update(
                image=[init.resize(size, Image.Resampling.LANCZOS)],
                mask_image=[ImageOps.invert(keep).resize(size, Image.Resampling.BILINEAR)],
                strength=self.settings.pin_strength if request.role == "pin" else 1.0,
            )
        with torch.inference_mode(), torch_threads(self.device, self.settings.threads):
            result = pipeline(**kwargs)
        return np.asarray(result.images[0], dtype=np.float32)

    def _conditioning(self, request: KeyframeRequest) -> dict[str, Any]:
        """IP-Adapter inputs: the subject on white at the configured scale, or no effect (scale 0) without one."""
        scale = self.settings.ip_adapter_scale if request.subject is not None else 0.0
        for pipeline in (self.pipeline, self.inpaint):
            if pipeline is not None:
                pipeline.set_ip_adapter_scale(scale)
        if request.subject is None:
            return {"ip_adapter_image": Image.new("RGB", (224, 224), "white")}
        subject = request.subject.image.convert("RGBA")
        plate = Image.new("RGBA", subject.size, "white")
        return {"ip_adapter_image": Image.alpha_composite(plate, subject).convert("RGB")}

    def render(self, requests: Sequence[KeyframeRequest]) -> list[Image.Image]:
        images = []
        for request, array in zip(requests, self.render_arrays(requests)):
            # NaN (an fp16 overflow, say) becomes black, which keyframe QC rejects and retries.
            pixels = (np.clip(np.nan_to_num(array, nan=0.0), 0, 1) * 255 + 0.5).astype(np.uint8)
            image = Image.fromarray(pixels, "RGB").resize(request.size, Image.Resampling.LANCZOS)
            if request.role == "extend":  # the base scene returns exactly, inside the feathered rim
                init, keep = _inpaint_inputs(request)
                image = Image.composite(init, image, keep)
            elif request.role == "pin":  # the pinned layers return exactly, their soft edges over the new rim
                restored = image.convert("RGBA")
                for layer in request.pinned:
                    restored.alpha_composite(layer.image)
                image = restored.convert("RGB")
            images.append(image)
        return images

    def close(self) -> None:
        """Free the pipelines and, on a GPU, their memory."""
        import torch

        self.pipeline = self.inpaint = None
        gc.collect()
        if self.device == "cuda":
            torch.cuda.empty_cache()


def _feather(size: tuple[int, int]) -> int:
    return max(2, round(min(size) * _FEATHER))


def _inpaint_inputs(request: KeyframeRequest) -> tuple[Image.Image, Image.Image]:
    """(init image, keep mask) at canvas size: what an inpainting call starts from and what it keeps.

    ``extend``: the base scene whole and centred, on a blurred cover-fit copy of itself; the mask
    keeps the base, less a feathered rim. ``pin``: the base scene with the pinned layers on it;
    the mask keeps the layers' opaque inside, less a feathered rim.
    """
    if request.role == "scene":  # an inpainting checkpoint making a scene: a blank canvas, all of it generated
        return Image.new("RGB", request.size, request.palette[0]), Image.new("L", request.size, 0)
    assert request.base_image is not None, "the keyframe service supplies base_image"
    width, height = request.size
    base = request.base_image.convert("RGB")
    feather = _feather(request.size)
    if request.role == "extend":
        fit = min(width / base.width, height / base.height)
        placed = (max(1, round(base.width * fit)), max(1, round(base.height * fit)))
        origin = ((width - placed[0]) // 2, (height - placed[1]) // 2)
        init = ImageOps.fit(base, request.size, Image.Resampling.BILINEAR).filter(ImageFilter.GaussianBlur(feather * 2))
        init.paste(base.resize(placed, Image.Resampling.LANCZOS), origin)
        keep = Image.new("L", request.size, 0)
        keep.paste(
            255,
            (
                origin[0] + feather,
                origin[1] + feather,
                origin[0] + placed[0] - feather,
                origin[1] + placed[1] - feather,
            ),
        )
        return init, keep.filter(ImageFilter.BoxBlur(feather / 2))
    init = base.resize(request.size, Image.Resampling.LANCZOS).convert("RGBA")
    alpha = Image.new("L", request.size, 0)
    for layer in request.pinned:
        image = layer.image
        init.alpha_composite(image)
        alpha = ImageChops.lighter(alpha, image.getchannel("A"))
    # Eroded by half the rim (a box blur is 255 only where its whole window is), then feathered.
    inner = (
        alpha.point(lambda v: 255 if v == 255 else 0)
        .filter(ImageFilter.BoxBlur(feather / 2))
        .point(lambda v: 255 if v == 255 else 0)
    )
    return init.convert("RGB"), inner.filter(ImageFilter.BoxBlur(feather / 2))
