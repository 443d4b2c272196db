"""Contact sheets of the shipped templates: one JPEG per template × aspect, and the README's posters.

Each template is planned for a row of the sample catalog (the first row routed to it, else the
first row it plans, preferring one with a sale so sale shots show), in every aspect it declares,
drawn with the draft renderer at ``--short-side`` pixels: every shot's settled frame side by side,
the shot's id and timing under it. ``posters.jpg`` puts each template's 9:16 poster frame in a row.

Usage: ``python docs/templates/make_sheets.py [--out docs/templates] [--short-side 240]``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from PIL import Image  # noqa: E402

from generator.core.errors import AdgenError  # noqa: E402
from generator.core.fonts import font_chain  # noqa: E402
from generator.core.images import AssetResolver  # noqa: E402
from generator.core.shaping import TextLayout  # noqa: E402
from generator.orchestration.runs.rows import settle_legibility  # noqa: E402
from generator.orchestration.stores.speech import voices  # noqa: E402
from generator.planning.catalog import Product, load_catalog  # noqa: E402
from generator.planning.plan.compile import compile_plan  # noqa: E402
from generator.planning.plan.timeline import settled_frame  # noqa: E402
from generator.planning.plan.types import ImagePlacement, ShotPlan  # noqa: E402
from generator.planning.routing import route  # noqa: E402
from generator.planning.templates import Template, discover_templates  # noqa: E402
from render.backends.draft import DraftRenderer  # noqa: E402
from render.compose import Compositor, layer_source, shot_still  # noqa: E402
from render.scale import scale_plan  # noqa: E402
from render.text import draw_text  # noqa: E402

_GAP = 10
_INK = "#EBEBF0"
_SHEET = (24, 24, 28)


def pick_product(template: Template, products: tuple[Product, ...], templates: dict[str, Template]) -> Product | None:
    """The sample row a template is shown with: routed to it, else routed to its vertical (``routing: explicit``),
    else any row it plans; a row on sale first."""
    routed = [p for p in products if _routed(p, templates) is template]
    kin = [p for p in products if (chosen := _routed(p, templates)) and chosen.spec.vertical == template.spec.vertical]
    candidates = routed or kin or list(products)
    for product in sorted(candidates, key=lambda p: p.sale_price is None):
        try:
            compile_plan(template, product, template.spec.canvas.aspects[0], template.path.parents[1], voices())
        except AdgenError:
            continue
        return product
    return None


def _routed(product: Product, templates: dict[str, Template]) -> Template | None:
    try:
        return route(product, templates, templates.get("showcase")).template
    except AdgenError:
        return None


def frames(plan: ShotPlan, assets: AssetResolver, short_side: int) -> tuple[ShotPlan, list[Image.Image]]:
    """``plan`` scaled to ``short_side`` and each shot's settled frame on the draft backgrounds."""
    small = scale_plan(plan, short_side / min(plan.size))
    compositor = Compositor.render(small, DraftRenderer(), assets, colour="video")

    def source(layer: ImagePlacement) -> Image.Image:
        return layer_source(layer, assets)

    return small, [
        shot_still(small, shot, settled_frame(shot), background, source, compositor.pinning).convert("RGB")
        for shot, background in zip(small.shots, compositor.backgrounds, strict=True)
    ]


def label(text: str, width: int, size: int) -> Image.Image:
    """One line of ``text`` in the sheet's ink, ``width`` wide."""
    fonts = font_chain("DejaVu Sans")
    layout = TextLayout((text,), size, round(size * 1.3))
    return draw_text(layout, fonts, "regular", (width, round(size * 1.3)), color=_INK, align="left")


def contact_sheet(small: ShotPlan, stills: list[Image.Image]) -> Image.Image:
    """The shots of ``small`` side by side, each with its id and timing below."""
    width, height = small.size
    size = max(11, width // 18)
    below = round(size * 1.3) + 6
    sheet = Image.new("RGB", (_GAP + len(stills) * (width + _GAP), _GAP + height + below + _GAP), _SHEET)
    for index, (shot, still) in enumerate(zip(small.shots, stills, strict=True)):
        left = _GAP + index * (width + _GAP)
        sheet.paste(still, (left, _GAP))
        start, end = shot.start / small.fps, (shot.start + shot.frames) / small.fps
        strip = label(f"{shot.id} {start:.1f}–{end:.1f}s", width, size)
        sheet.paste(strip, (left, _GAP + height + 6), strip)
    return sheet


def poster(small: ShotPlan, stills: list[Image.Image]) -> Image.Image:
    """The still of the shot holding the plan's poster frame."""
    for shot, still in zip(small.shots, stills, strict=True):
        if shot.start <= small.poster_frame < shot.start + shot.frames:
            return still
    return stills[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "templates")
    parser.add_argument("--short-side", type=int, default=240)
    args = parser.parse_args()
    root = REPO / "templates"
    templates, broken = discover_templates(root)
    if broken:
        sys.exit("\n".join(str(error) for error in broken))
    catalog = load_catalog(REPO / "catalogs" / "sample.csv")
    assets = AssetResolver({"catalog": catalog.path.parent, "templates": root})
    posters: list[tuple[str, Image.Image]] = []
    args.out.mkdir(parents=True, exist_ok=True)
    for template_id, template in sorted(templates.items()):
        product = pick_product(template, catalog.products, templates)
        if product is None:
            sys.exit(f"{template_id}: no sample row plans through it")
        for aspect in template.spec.canvas.aspects:
            plan = settle_legibility(compile_plan(template, product, aspect, root, voices()), product, root)
            small, stills = frames(plan, assets, args.short_side)
            path = args.out / f"{template_id}-{aspect.replace(':', 'x')}.jpg"
            contact_sheet(small, stills).save(path, "JPEG", quality=82, optimize=True)
            print(f"{path.relative_to(REPO)}  {product.sku}  {len(stills)} shots")
            if aspect == "9:16":
                posters.append((template_id, poster(small, stills)))
    width, height = posters[0][1].size
    size = max(11, width // 18)
    below = round(size * 1.3) + 6
    board = Image.new("RGB", (_GAP + len(posters) * (width + _GAP), _GAP + height + below + _GAP), _SHEET)
    for index, (template_id, still) in enumerate(posters):
        left = _GAP + index * (width + _GAP)
        board.paste(still.resize((width, height)), (left, _GAP))
        strip = label(template_id, width, size)
        board.paste(strip, (left, _GAP + height + 6), strip)
    board.save(args.out / "posters.jpg", "JPEG", quality=82, optimize=True)
    print(f"{(args.out / 'posters.jpg').relative_to(REPO)}  {len(posters)} templates")


if __name__ == "__main__":
    main()
