"""Logo layers: the brand kit's logo fitted into a box and centred there.

A PNG logo is placed like a product (its visible pixels fitted into the box); an SVG logo is drawn
at the size it is shown (recorded in the plan as ``AssetRef.raster``), and its visible pixels are placed
on whole pixels, one drawn pixel per canvas pixel, so its edges stay crisp.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

from generator.core.errors import AssetError
from generator.core.identity import file_sha256
from generator.core.svg import rasterize_svg, svg_size
from generator.planning.assets import AssetRoot, load_image_asset, resolve_ref
from generator.planning.plan.types import AssetRef, ImagePlacement
from generator.planning.templates import dotted
from generator.planning.templates.brand import KIT_ROOT
from generator.planning.templates.spec import LogoLayer
from generator.planning.templates.template import Template

if TYPE_CHECKING:
    from generator.planning.plan.compile import _PlanBuilder


def kit_roots(template: Template) -> list[AssetRoot]:
    """The root of the template's brand kit files, after the templates root (a kit inside it is found there)."""
    return [AssetRoot(KIT_ROOT, template.kit.folder)] if template.kit is not None else []


@functools.lru_cache(maxsize=32)
def _sha256(path: Path, mtime_ns: int) -> str:
    return file_sha256(path)


def logo_placement(
    builder: _PlanBuilder, layer: LogoLayer, path: tuple[str | int, ...], shot_frames: int
) -> ImagePlacement:
    """The kit's logo in ``layer``'s box for the builder's aspect.

    Raises:
        TemplateError: the template has no brand kit, its kit no logo, or the logo cannot be read.
    """
    from generator.planning.plan.compile import box_pixels

    template, kit = builder.template, builder.template.kit
    if kit is None or kit.spec.logo is None:
        raise template.error("the shot shows a logo, but the brand kit has none (logo: in the kit)", path)
    bx, by, bw, bh = box_pixels(layer.box, layer.area, builder.aspect)
    try:
        file = kit.file(kit.spec.logo, ("logo",))
        resolved, source = resolve_ref(str(file), kit.folder, builder.roots)
        sha256 = _sha256(resolved, resolved.stat().st_mtime_ns)
        if resolved.suffix.lower() == ".svg":
            own_w, own_h = svg_size(resolved, sha256)
            fit = min(bw / own_w, bh / own_h) * layer.scale
            raster = (max(1, round(own_w * fit)), max(1, round(own_h * fit)))
            drawn = rasterize_svg(resolved, sha256, raster)
            crop = drawn.getchannel("A").getbbox()
            if crop is None:
                raise AssetError("the logo is fully transparent", path=source)
            left, top, right, bottom = crop
            x0, y0 = round(bx + (bw - drawn.width) / 2), round(by + (bh - drawn.height) / 2)
            ref = AssetRef(source=source, sha256=sha256, raster=raster)
            box = (float(x0 + left), float(y0 + top), float(right - left), float(bottom - top))
        else:
            asset = load_image_asset(resolved, source)
            crop = asset.content_box
            left, top, right, bottom = crop
            scale = min(bw / (right - left), bh / (bottom - top)) * layer.scale
            w, h = (right - left) * scale, (bottom - top) * scale
            ref = AssetRef(source=source, sha256=asset.sha256, cutout=asset.cutout.method,
                           cutout_background=asset.cutout.background)  # fmt: skip
            box = (round(bx + (bw - w) / 2, 3), round(by + (bh - h) / 2, 3), round(w, 3), round(h, 3))
    except AssetError as exc:
        raise template.error(f"brand kit logo: {exc.message}", path) from exc
    return ImagePlacement(
        kind="logo", field=dotted(path), ref=ref, crop=crop, box=box, shadow=False,
        motion=builder._motion(layer, shot_frames),
    )  # fmt: skip
