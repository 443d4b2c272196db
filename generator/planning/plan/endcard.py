"""End cards: a last shot laid out by the brand kit's ``end_card`` layout, showing the logo, the call to
action, the product's link as short text, and the link's QR code.

A row whose link is empty gets the end card without QR code and short link (its logo and call to
action move to the middle); a template can leave the end card out with ``when``-like logic of its
own by making ``end_card.link`` empty.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from generator.core.geometry import Aspect, caption_area, safe_area
from generator.core.identity import stable_seed
from generator.planning.plan.camera import camera_move
from generator.planning.plan.qr import qr_code, qr_placement
from generator.planning.plan.transitions import transition
from generator.planning.plan.types import ImagePlacement, PlannedShot, TextPlacement
from generator.planning.templates.spec import EndCardLayout, LogoLayer, RelativeBox, TextLayer

if TYPE_CHECKING:
    from generator.planning.plan.compile import _PlanBuilder

# Boxes of each layout as fractions of the area every platform leaves clear (x, y, w, h; ``caption_area``: on
# 9:16 clear of Reels', TikTok's and Shorts' buttons, elsewhere the safe area): with a link, and without one.
LAYOUTS: Mapping[EndCardLayout, tuple[Mapping[str, RelativeBox], Mapping[str, RelativeBox]]] = {
    "centered": (
        {"logo": (0.15, 0.04, 0.70, 0.16), "cta": (0.06, 0.22, 0.88, 0.14),
         "qr": (0.20, 0.40, 0.60, 0.40), "link": (0.06, 0.82, 0.88, 0.10)},
        {"logo": (0.15, 0.20, 0.70, 0.22), "cta": (0.06, 0.48, 0.88, 0.18)},
    ),
    "stacked": (
        {"logo": (0.06, 0.06, 0.50, 0.14), "cta": (0.06, 0.24, 0.88, 0.16),
         "link": (0.06, 0.42, 0.88, 0.08), "qr": (0.06, 0.54, 0.50, 0.42)},
        {"logo": (0.06, 0.10, 0.50, 0.20), "cta": (0.06, 0.36, 0.88, 0.24)},
    ),
    "split": (
        {"logo": (0.04, 0.08, 0.50, 0.26), "cta": (0.04, 0.38, 0.50, 0.26),
         "link": (0.04, 0.68, 0.50, 0.14), "qr": (0.58, 0.06, 0.38, 0.88)},
        {"logo": (0.04, 0.10, 0.92, 0.30), "cta": (0.04, 0.46, 0.92, 0.30)},
    ),
}  # fmt: skip
_SHORT = 32  # characters a short link may have


def short_link(link: str, limit: int = _SHORT) -> str:
    """``link`` as a viewer reads it: host (without ``www.``) and path, no scheme, query or fragment; a long path
    keeps its first segment and an ellipsis."""
    parts = urlsplit(link if "://" in link else f"//{link}")
    host = (parts.hostname or "").removeprefix("www.")
    segments = [s for s in parts.path.split("/") if s]
    whole = "/".join([host, *segments])
    if len(whole) <= limit:
        return whole
    first = f"{host}/{segments[0]}/…" if segments else host
    if len(first) <= limit:
        return first
    return f"{host}/…" if len(host) + 2 <= limit else host[: limit - 1] + "…"


def _clear(box: RelativeBox, aspect: Aspect) -> RelativeBox:
    """``box``, a fraction of the platform-clear area, as a fraction of the safe area (which holds it)."""
    cx, cy, cw, ch = caption_area(aspect)
    sx, sy, sw, sh = safe_area(aspect)
    x, y, w, h = box
    return (
        round((cx + x * cw - sx) / sw, 6), round((cy + y * ch - sy) / sh, 6), round(w * cw / sw, 6),
        round(h * ch / sh, 6),
    )  # fmt: skip


def end_card_shot(builder: _PlanBuilder, start: int, first: bool) -> PlannedShot:
    """The template's end card for the builder's product and aspect, from frame ``start``.

    Raises:
        TemplateError: an expression failed, text cannot fit, or the kit's logo cannot be read.
    """
    from generator.planning.plan.compile import box_pixels
    from generator.planning.plan.logo import logo_placement

    spec, template = builder.spec, builder.template
    card = spec.end_card
    assert card is not None
    kit = template.kit.spec if template.kit is not None else None
    path: tuple[str | int, ...] = ("end_card",)
    variables = {"product": builder.product}
    link = template.render_text(card.link, (*path, "link"), variables).strip() if card.qr else ""
    cta = template.render_text(card.cta, (*path, "cta"), variables).strip() if card.cta is not None else ""
    cta = cta or (kit.cta if kit is not None else "")
    layout = card.layout or (kit.end_card if kit is not None else "centered")
    boxes = {name: _clear(box, builder.aspect) for name, box in LAYOUTS[layout][0 if link else 1].items()}
    frames = round(card.duration * builder.fps)
    if abs(card.duration * builder.fps - frames) > 1e-6 or frames < 1:
        raise template.error(
            f"{card.duration:g} s is not a whole number of frames at {builder.fps} fps", (*path, "duration")
        )
    layers: list[ImagePlacement | TextPlacement] = []
    if kit is not None and kit.logo is not None:
        logo = LogoLayer(box=boxes["logo"], scale=1.0)
        layers.append(logo_placement(builder, logo, (*path, "logo"), frames))
    if cta:
        layer = TextLayer(text=cta, style=card.style, box=boxes["cta"], overflow="shrink")
        layers.append(builder._text(cta, layer, (*path, "cta"), frames))
    if link:
        text = short_link(link)
        layer = TextLayer(text=text, style=card.link_style, box=boxes["link"], overflow="shrink")
        layers.append(builder._text(text, layer, (*path, "link"), frames))
        qr_box = box_pixels(boxes["qr"], "safe", builder.aspect)
        code = qr_placement(qr_code(link), qr_box, "end_card.qr", builder._motion(TextLayer(text=""), frames))
        if code is None:
            raise template.error(f"the QR code of {link!r} is too dense to draw in the {layout} layout", path)
        layers.append(code)
    joining = card.transition or spec.transition
    transition_in = None
    if not first and joining.type != "cut" and joining.duration > 0:
        transition_in = transition(joining.type, builder._frames(joining.duration), joining.direction, joining.ease)
    palette = card.background.palette or spec.palette.background
    return PlannedShot(
        id=card.id, start=start, frames=frames,
        seed=stable_seed(spec.id, spec.version, card.id, builder.product.sku),
        background=builder._background(card.id, card.background, path, variables, palette, frames),
        camera=camera_move("none", 0.0, "linear", 1.0), layers=tuple(layers), transition_in=transition_in,
    )  # fmt: skip
