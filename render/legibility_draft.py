"""Legibility while planning and linting: texts measured on draft backgrounds (``render.legibility``).

Frames are composited at ``CHECK_SHORT_SIDE`` pixels on the short side, on draft keyframes that
stand for every scene drawing the same backdrop. Draft keyframes, reduced references, measurements
and settled shots repeat across rows and are cached, each in a bounded cache.
"""

from __future__ import annotations

import collections
import functools
import logging
import operator
from collections.abc import Hashable, Mapping, Sequence
from pathlib import Path
from typing import Protocol

from PIL import Image

from generator.core.images import AssetResolver, Cutout, apply_cutout, open_image
from generator.core.svg import rasterize_svg
from generator.planning.plan.types import ImagePlacement, Layer, PlannedShot, ShotPlan, TextPlacement
from render.backends import KeyframeRequest
from render.backends.draft import DraftRenderer
from render.compose import keyframe_requests
from render.compose.qr import qr_image
from render.legibility import CHECK_SHORT_SIDE, Contrast, Measure, Source, settle
from render.scale import scale_plan

log = logging.getLogger(__name__)


@functools.lru_cache(maxsize=64)
def _draft_keyframe(request: KeyframeRequest) -> Image.Image:
    (image,) = DraftRenderer().render([request])
    return image.convert("RGB")


def _thumbnails(plan: ShotPlan, source: Source) -> tuple[ShotPlan, Source]:
    """``plan`` with its image layers cropped from references reduced towards their drawn size, and
    the source of those: a reference many times larger than where it is drawn is first reduced by a
    whole factor (box filter), so resampling it costs what its drawn size does. Crops move by less
    than half a drawn pixel."""
    factors: dict[ImagePlacement, int] = {}

    def thumbnail(layer: ImagePlacement) -> ImagePlacement:
        left, top, right, bottom = layer.crop
        factor = max(1, int(min((right - left) / layer.box[2], (bottom - top) / layer.box[3]) / 2))
        if factor == 1:
            return layer
        reduced = layer.model_copy(
            update={"crop": (left // factor, top // factor, -(-right // factor), -(-bottom // factor))}
        )
        factors[reduced] = factor
        return reduced

    shots = tuple(
        shot.model_copy(
            update={
                "layers": tuple(thumbnail(item) if isinstance(item, ImagePlacement) else item for item in shot.layers)
            }
        )
        for shot in plan.shots
    )

    def reduced_source(layer: ImagePlacement) -> Image.Image | None:
        factor = factors.get(layer, 1)
        key = (layer.ref, factor)
        if key not in _THUMBNAILS:
            image = source(layer)
            if image is None:
                return None
            _THUMBNAILS[key] = image if factor == 1 else image.reduce(factor)
            while len(_THUMBNAILS) > 32:
                _THUMBNAILS.popitem(last=False)
        _THUMBNAILS.move_to_end(key)
        return _THUMBNAILS[key]

    return plan.model_copy(update={"shots": shots}), reduced_source


_THUMBNAILS: collections.OrderedDict[tuple[Hashable, int], Image.Image] = collections.OrderedDict()


def _on_draft(plan: ShotPlan, source: Source) -> Measure:
    scaled, source = _thumbnails(scale_plan(plan, CHECK_SHORT_SIDE / min(plan.size)), source)
    # Scenes only, so no reference is read; each stands for every scene that draws the same backdrop.
    requests = [
        DraftRenderer.lookalike(request)
        for request in keyframe_requests(scaled, AssetResolver({}), DraftRenderer.roles)
    ]
    return Measure(plan, scaled, lambda index: _draft_keyframe(requests[index]), source, pinning=False, keys=requests)


def check_on_draft(plan: ShotPlan, source: Source) -> list[Contrast]:
    """Every text's contrast in ``plan`` on draft backgrounds, at the checking scale, in plan order."""
    measure = _on_draft(plan, source)
    return [measure.contrast(index, position) for index, position in measure.texts()]


def remedy_on_draft(plan: ShotPlan, source: Source) -> ShotPlan:
    """``plan`` with the remedy of each ``auto`` text that fails on draft backgrounds recorded in it.

    A shot's remedies depend on the canvas and the shot alone, less its start and its own seed (the
    backdrop has a seed of its own): a shot that repeats across rows, as most do in a catalog, is
    settled once.
    """
    auto = [
        index
        for index, shot in enumerate(plan.shots)
        if any(isinstance(layer, TextPlacement) and layer.legibility == "auto" for layer in shot.layers)
    ]
    if not auto:
        return plan
    known = {index: _settled(plan.size, plan.shots[index]) for index in auto}
    if all(layers is not None for layers in known.values()):
        shots = list(plan.shots)
        for index, layers in known.items():
            if layers is not None and layers is not shots[index].layers:
                shots[index] = shots[index].model_copy(update={"layers": layers})
        return plan.model_copy(update={"shots": tuple(shots)})
    settled, _, remedied = settle(_on_draft(plan, source), only_auto=True)
    for index in (index for index, layers in known.items() if layers is None):
        shot = plan.shots[index]
        seen = _SETTLED.setdefault(_key(plan.size, shot), [])
        seen.append((shot, settled.shots[index].layers))
        del seen[:-_PER_SCENE]
    while len(_SETTLED) > _SETTLED_KEPT:
        _SETTLED.popitem(last=False)
    for item in remedied:
        log.debug(
            "shot %s %s: contrast %.2f:1 on the draft, needs %g:1; remedy: %s",
            item.shot, item.field, item.ratio, item.needed, item.remedy,
        )  # fmt: skip
    return settled


def _settled(size: tuple[int, int], shot: PlannedShot) -> tuple[Layer, ...] | None:
    """The layers ``shot`` settled to on a canvas of ``size`` before, or None. Shots are found by
    cheap fields first, then compared field by field (shared layers compare by identity)."""
    key = _key(size, shot)
    scene = _scene(shot)
    for seen, layers in reversed(_SETTLED.get(key, ())):
        if _scene(seen) == scene:  # tuples compare items by identity first
            _SETTLED.move_to_end(key)
            return layers
    return None


def _key(size: tuple[int, int], shot: PlannedShot) -> Hashable:
    """Cheap fields that tell most shots apart: its id, backdrop, texts and images."""
    tags = tuple(
        layer.text
        if isinstance(layer, TextPlacement)
        else layer.ref.sha256
        if isinstance(layer, ImagePlacement)
        else layer.field
        for layer in shot.layers
    )
    return (size, shot.id, shot.background.seed, tags)


_scene = operator.attrgetter(*(name for name in PlannedShot.model_fields if name not in ("start", "seed")))
_SETTLED: collections.OrderedDict[Hashable, list[tuple[PlannedShot, tuple[Layer, ...]]]]
_SETTLED = collections.OrderedDict()  # shots settled before, and their layers after, most recent last
_SETTLED_KEPT = 1024  # keys
_PER_SCENE = 4  # shots kept per key (styles may differ)


class _Image(Protocol):
    """A product's image as planning found it (``generator.planning.assets.ImageAsset``)."""

    @property
    def path(self) -> Path: ...

    @property
    def source(self) -> str: ...


def image_source(images: Sequence[_Image], templates_root: Path, roots: Mapping[str, Path] | None = None) -> Source:
    """References of a plan's image layers while planning: ``images`` (a product's) by source, template
    files under ``templates_root`` and files under other ``roots`` by name (a run-time brand kit's); a
    reference that is not there (lint's sample product) is left out."""
    known = {image.source: image.path for image in images}

    def source(layer: ImagePlacement) -> Image.Image | None:
        if layer.qr is not None:
            return qr_image(layer.qr)
        root, _, relative = layer.ref.source.partition(":")
        path = known.get(layer.ref.source) or (templates_root / relative if root == "templates" else None)
        path = roots[root] / relative if roots and root in roots else path
        if path is None or not path.is_absolute() or not path.is_file():
            return None
        if layer.ref.raster is not None:
            return rasterize_svg(path, layer.ref.sha256, layer.ref.raster)
        return _reference(
            path, layer.ref.source, layer.ref.sha256, Cutout(layer.ref.cutout, layer.ref.cutout_background)
        )

    return source


@functools.lru_cache(maxsize=32)
def _reference(path: Path, source: str, sha256: str, cutout: Cutout) -> Image.Image:
    return apply_cutout(open_image(path, source), cutout)
