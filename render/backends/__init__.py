"""The ``Renderer`` swap point: keyframe requests in, background images out.

A backend is chosen by name and loaded by ``get_renderer`` (constructors take what is already
loaded; loading models is a factory's work). Whoever loads a backend closes it when done, which
frees its models and GPU memory. Every backend must be deterministic: the same request gives the
same pixels, so a plan alone reproduces its video.

A request has one of three roles. A ``scene`` is made from its prompt alone. An ``extend`` request
shows its ``base`` scene, made for another aspect, whole and centred, with the margins generated
around it (outpainting). A ``pin`` request generates its ``base`` scene again around ``pinned``
layers (the product, a mascot) and then restores their pixels exactly. Backends list the roles
they can do in ``roles``; a backend without ``extend`` and ``pin`` only ever gets scenes.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Annotated, Any, Literal, Protocol

import yaml
from PIL import Image
from pydantic import Field, TypeAdapter, ValidationError

from generator.core.errors import ConfigError

Role = Literal["scene", "extend", "pin"]
Capability = Literal["scene", "extend", "pin", "subject"]  # the request roles, and conditioning on a subject


@dataclass(frozen=True)
class Reference:
    """A reference image a keyframe is made with, loaded only when a backend needs its pixels.

    ``ref`` identifies the pixels, so ``load`` is not compared. For a pinned layer, ``image`` is
    the layer alone at rest on a transparent canvas-size RGBA image; for a subject (IP-Adapter
    conditioning), it is the reference itself.
    """

    kind: str
    ref: str
    load: Callable[[], Image.Image] = field(compare=False, repr=False)

    @property
    def image(self) -> Image.Image:
        return self.load()


@dataclass(frozen=True)
class KeyframeRequest:
    """One background keyframe: what to show, at which size, from which seed, and from what.

    ``base`` is the keyframe this one is derived from; ``base_image`` is that keyframe's pixels,
    filled in by the keyframe service just before the backend is called.
    """

    prompt: str
    negative: str
    size: tuple[int, int]
    seed: int
    palette: tuple[str, str]
    accent: str
    base: KeyframeRequest | None = None
    pinned: tuple[Reference, ...] = ()
    subject: Reference | None = None
    base_image: Image.Image | None = field(default=None, compare=False, repr=False)

    @property
    def role(self) -> Role:
        if self.base is None:
            return "scene"
        return "pin" if self.pinned else "extend"


class Renderer(Protocol):
    """Turns keyframe requests into RGB images of the requested sizes, in order.

    ``identity`` names everything that decides the pixels besides the request (model, steps, ...);
    a backend with ``cacheable = True`` has its keyframes kept in the on-disk keyframe cache.
    """

    name: str
    identity: str
    cacheable: bool
    roles: frozenset[Capability]  # request roles it can render, and "subject" if it conditions on a subject

    def render(self, requests: Sequence[KeyframeRequest]) -> list[Image.Image]: ...

    def close(self) -> None:
        """Release models and device memory; the renderer is not used afterwards."""
        ...


@dataclass(frozen=True)
class RendererSettings:
    """Which backend renders keyframes, and how.

    Attributes:
        name: ``draft`` (procedural, no model) or ``diffusers``.
        model: diffusers only: local folder or hub id of a text-to-image or an inpainting checkpoint.
        inpaint_model: a second checkpoint for the ``extend`` and ``pin`` roles; None derives
            them from ``model``.
        ip_adapter: local folder or hub id holding IP-Adapter weights and their image encoder;
            with one, shots showing the mascot are conditioned on the mascot's reference.
        ip_adapter_subfolder, ip_adapter_weight, ip_adapter_encoder: where in ``ip_adapter`` the
            weights file and the image encoder folder are.
        ip_adapter_scale: how strongly the mascot conditions generation.
        steps: denoising steps per keyframe.
        guidance: classifier-free guidance scale (0 or 1 turns it off, as Turbo models want).
        pin_strength: how much of the scene around pinned layers is generated anew (1: all of it).
        device: ``cuda``, ``mps`` or ``cpu``; None picks the best available.
        resolution: short side of generated keyframes in pixels; None uses the model's own.
        threads: CPU threads of the pipelines on the CPU, fixed because the pixels depend on it
            (not taken from the machine's cores, so another machine gives the same keyframes).
        local_files_only: never contact a hub.
        video_model: local folder or hub id of an image-to-video checkpoint (LTX-Video, Wan, Stable
            Video Diffusion) for shots whose backgrounds move (``render.motion``); None: they keep their camera move.
        video_size: the size (width, height) clips are generated at; None: the model's native size
            nearest the canvas's aspect.
        video_steps: denoising steps per clip.
        video_checks: whether a clip must pass its checks (``render.motion.checks``) to be shown; off, its
            figures are still measured and reported (for trying a model out, never for a real run).
    """

    name: str = "draft"
    model: str | None = None
    inpaint_model: str | None = None
    ip_adapter: str | None = None
    ip_adapter_subfolder: str = "models"
    ip_adapter_weight: str = "ip-adapter_sd15.safetensors"
    ip_adapter_encoder: str = "image_encoder"
    ip_adapter_scale: float = 0.6
    steps: int = 25
    guidance: float = 7.0
    pin_strength: float = 0.8
    device: str | None = None
    resolution: int | None = None
    threads: Annotated[int, Field(ge=1)] = 2
    local_files_only: bool = False
    video_model: str | None = None
    video_size: tuple[int, int] | None = None
    video_steps: Annotated[int, Field(ge=1)] = 25
    video_checks: bool = True


def load_renderer_settings(path: Path, others: Collection[str] = (), **overrides: Any) -> RendererSettings:
    """Renderer settings from a YAML file of ``RendererSettings`` fields, then ``overrides`` on top.

    ``others``: top-level keys the file may also hold, read by the caller (``executor``), skipped here.

    Raises:
        ConfigError: unreadable file, unknown key or a value of the wrong type (names file and line).
    """
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read renderer settings: {exc}", file=path) from exc
    if root is None:
        return replace(RendererSettings(), **overrides)
    if not isinstance(root, yaml.MappingNode):
        raise ConfigError(
            "renderer settings are a mapping of setting names to values", file=path, line=root.start_mark.line + 1
        )
    known = {f.name for f in fields(RendererSettings)}
    lines = {}
    for key, _ in root.value:
        lines[key.value] = key.start_mark.line + 1
        if key.value not in known | set(others):
            raise ConfigError(
                f"unknown setting {key.value!r}; known: {', '.join(sorted(known))}", file=path, line=lines[key.value]
            )
    data = {key: value for key, value in yaml.safe_load(path.read_text(encoding="utf-8")).items() if key in known}
    try:
        settings = TypeAdapter(RendererSettings).validate_python(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        name = str(error["loc"][0]) if error["loc"] else ""
        raise ConfigError(f"{error['msg']}", file=path, line=lines.get(name), field=name) from exc
    return replace(settings, **overrides)


def get_renderer(settings: RendererSettings) -> Renderer:
    """The backend ``settings`` name, loaded (models and all); the caller closes it.

    Raises:
        ConfigError: no such backend, a diffusers backend without a model, or a model that cannot be loaded.
    """
    if settings.name == "draft":
        from render.backends.draft import DraftRenderer

        return DraftRenderer()
    if settings.name == "diffusers":
        from render.backends.diffusion import DiffusersRenderer

        return DiffusersRenderer.load(settings)
    raise ConfigError(f"unknown renderer {settings.name!r}; available: draft, diffusers")


def renderer_identity(settings: RendererSettings) -> str:
    """The ``identity`` the backend ``settings`` name has once loaded, worked out without loading a
    model, so output keys can be computed before (or without) rendering.

    Raises:
        ConfigError: no such backend.
    """
    if settings.name == "draft":
        from render.backends.draft import DraftRenderer

        return DraftRenderer.identity
    if settings.name == "diffusers":
        from render.backends.diffusion import diffusers_identity

        return diffusers_identity(settings)
    raise ConfigError(f"unknown renderer {settings.name!r}; available: draft, diffusers")
