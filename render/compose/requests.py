"""Keyframe requests: what each shot of a plan asks its backend for, using only the roles it has."""

from __future__ import annotations

import functools
from dataclasses import replace

from PIL import Image

from generator.core.identity import stable_seed
from generator.core.images import AssetResolver, Cutout
from generator.core.svg import rasterize_svg
from generator.planning.plan.timeline import is_pinnable
from generator.planning.plan.types import ImagePlacement, ShotPlan
from render.backends import Capability, KeyframeRequest, Reference
from render.compose.qr import qr_image
from render.compose.sprites import layer_at_rest


def keyframe_requests(plan: ShotPlan, assets: AssetResolver, roles: frozenset[Capability]) -> list[KeyframeRequest]:
    """The keyframe each shot of ``plan`` needs, in shot order, using only the backend's ``roles``.

    A scene is made at the plan's ``scene_size``; at another size it is extended to the plan's
    canvas. Layers that rest through the whole shot are then pinned into it, and a backend that can
    condition on a subject is given the mascot's reference in shots that show the mascot.
    """
    requests = []
    for shot in plan.shots:
        background = shot.background
        images = [layer for layer in shot.layers if isinstance(layer, ImagePlacement)]
        subject = None
        mascot = next((layer for layer in images if layer.kind == "mascot"), None)
        if "subject" in roles and mascot is not None:
            load = functools.partial(_reference, mascot, assets)
            subject = Reference("mascot", f"{mascot.ref.sha256}:{mascot.crop}:{mascot.ref.cutout}", load)
        scene_size = background.scene_size if "extend" in roles else plan.size
        request = KeyframeRequest(
            prompt=background.prompt, negative=background.negative, size=scene_size, seed=background.seed,
            palette=background.palette, accent=background.accent, subject=subject,
        )  # fmt: skip
        if request.size != plan.size:
            request = replace(request, size=plan.size, seed=stable_seed(background.seed, "extend"), base=request)
        pinned = tuple(
            Reference(
                layer.kind,
                f"{layer.ref.sha256}:{layer.crop}:{layer.ref.cutout}:{layer.box}"
                + (f":{layer.treatment.reflection}" if layer.treatment and layer.treatment.reflection else ""),
                functools.partial(_pinned, layer, assets, plan.size),
            )
            for layer in images
            if "pin" in roles and is_pinnable(shot, layer)
        )
        if pinned:
            request = replace(request, seed=stable_seed(background.seed, "pin"), base=request, pinned=pinned)
        requests.append(request)
    return requests


def _pinned(layer: ImagePlacement, assets: AssetResolver, canvas: tuple[int, int]) -> Image.Image:
    return layer_at_rest(layer, layer_source(layer, assets), canvas)


def _reference(layer: ImagePlacement, assets: AssetResolver) -> Image.Image:
    return layer_source(layer, assets).crop(layer.crop)


def layer_source(layer: ImagePlacement, assets: AssetResolver) -> Image.Image:
    """The reference image of an image layer, its cutout applied (RGBA); a QR code drawn from its modules, an
    SVG drawn at its planned size."""
    if layer.qr is not None:
        return qr_image(layer.qr)
    if layer.ref.raster is not None:
        return rasterize_svg(assets.path(layer.ref.source, layer.ref.sha256), layer.ref.sha256, layer.ref.raster)
    return assets.image(layer.ref.source, layer.ref.sha256, Cutout(layer.ref.cutout, layer.ref.cutout_background))
