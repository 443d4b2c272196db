"""Framing: in every shipped template, aspect and product shot, the product is the largest element.

Each sample catalog row is planned through each shipped template in each aspect it declares, and
every shot with a product is measured on its plan: the product's fitted box against the area each
text layer's lines cover, and against the aspect's safe area.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.core.shaping import shape_line
from generator.planning.catalog import Product, load_catalog
from generator.planning.plan.compile import compile_plan
from generator.planning.plan.types import ImagePlacement, PlannedShot, ShotPlan, TextPlacement
from generator.planning.templates import Template, discover_templates
from tests.conftest import SAMPLE_CATALOG, VOICES

SHIPPED = ("beauty-launch", "tech-spotlight", "street-drop", "fresh-market", "cozy-home")
# The product spans at least this share of the safe area's height, or of its width (whichever the
# product's own shape lets it fill): stacked above the text in portrait and square aspects, beside
# it in landscape.
FILL = {"9:16": (0.55, 0.8), "4:5": (0.55, 0.8), "1:1": (0.55, 0.8), "16:9": (0.8, 0.42)}
LARGEST_EMPTY_BAND = 0.3  # of the safe area's height: no wider strip across it is left without a layer


def _text_lines(layer: TextPlacement) -> list[tuple[float, float]]:
    """(width, height) in pixels of the strip each of the layer's lines covers."""
    return [
        (
            sum(run.width for run in shape_line(line, layer.fonts, layer.weight, layer.font_size, layer.lang)),
            layer.line_height,
        )
        for line in layer.lines
    ]


def _text_rows(layer: TextPlacement) -> tuple[float, float]:
    """Top and bottom of the layer's lines, centred vertically in its box as they are drawn."""
    block = layer.line_height * (len(layer.lines) - 1) + layer.font_size
    _, y, _, h = layer.box
    return y + (h - block) / 2, y + (h + block) / 2


def _largest_gap(spans: list[tuple[float, float]], low: float, high: float) -> float:
    """The longest stretch of [low, high] that no span covers."""
    gap, reached = 0.0, low
    for start, end in sorted(spans):
        gap = max(gap, start - reached)
        reached = max(reached, end)
    return max(gap, high - reached)


@pytest.fixture(scope="module")
def plans(templates_root: Path) -> list[tuple[Template, Product, ShotPlan]]:
    templates, errors = discover_templates(templates_root)
    assert not errors, errors
    catalog = load_catalog(SAMPLE_CATALOG)
    return [
        (templates[name], product, compile_plan(templates[name], product, aspect, templates_root, VOICES))
        for name in SHIPPED
        for aspect in templates[name].spec.canvas.aspects
        for product in catalog.products
    ]


def _product_shots(plan: ShotPlan) -> list[tuple[PlannedShot, ImagePlacement, list[TextPlacement]]]:
    found = []
    for shot in plan.shots:
        products = [layer for layer in shot.layers if isinstance(layer, ImagePlacement) and layer.kind == "product"]
        if products:
            found.append((shot, products[0], [layer for layer in shot.layers if isinstance(layer, TextPlacement)]))
    return found


def test_every_shipped_template_and_aspect_has_product_shots(plans: list[tuple[Template, Product, ShotPlan]]) -> None:
    combos = {(template.id, plan.aspect) for template, _, plan in plans if _product_shots(plan)}
    assert combos == {(name, aspect) for name in SHIPPED for aspect in FILL}


def test_the_product_is_larger_and_taller_than_any_text(plans: list[tuple[Template, Product, ShotPlan]]) -> None:
    for template, product, plan in plans:
        for shot, image, texts in _product_shots(plan):
            _, _, width, height = image.box
            for text in texts:
                lines = _text_lines(text)
                where = f"{template.id} {plan.aspect} {shot.id} {product.sku} {text.field}"
                assert width * height >= sum(w * h for w, h in lines), where
                assert height >= sum(h for _, h in lines), where


def test_the_product_fills_the_safe_area(plans: list[tuple[Template, Product, ShotPlan]]) -> None:
    for template, product, plan in plans:
        _, _, safe_width, safe_height = plan.safe_area
        tall, wide = FILL[plan.aspect]
        for shot, image, _ in _product_shots(plan):
            _, _, width, height = image.box
            where = f"{template.id} {plan.aspect} {shot.id} {product.sku}: {width:.0f}x{height:.0f} px"
            assert height >= tall * safe_height or width >= wide * safe_width, where


def test_no_wide_empty_band_across_a_product_shot(plans: list[tuple[Template, Product, ShotPlan]]) -> None:
    for template, product, plan in plans:
        _, safe_top, _, safe_height = plan.safe_area
        for shot, image, texts in _product_shots(plan):
            _, y, _, h = image.box
            spans = [(y, y + h), *(_text_rows(text) for text in texts)]
            gap = _largest_gap(spans, safe_top, safe_top + safe_height)
            assert gap <= LARGEST_EMPTY_BAND * safe_height, (
                f"{template.id} {plan.aspect} {shot.id} {product.sku}: {gap:.0f} px"
            )
