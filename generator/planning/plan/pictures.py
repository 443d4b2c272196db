"""Which of a product's images a product layer shows: its ``image:`` expression, or the main image."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from generator.planning.assets import ImageAsset
from generator.planning.catalog import Product
from generator.planning.templates import Template


def chosen_picture(template: Template, shot: int, product: Product, variables: Mapping[str, Any]) -> ImageAsset:
    """The image shot ``shot``'s product layer shows for ``variables`` (the product, the render date, a loop item).

    Raises:
        TemplateError: the expression fails, or gives something that is not one of ``product.images``.
    """
    layer = template.spec.shots[shot].product
    if layer is None or layer.image is None:
        return product.image
    path = ("shots", shot, "product", "image")
    value = template.evaluate(layer.image, path, variables)
    if not isinstance(value, ImageAsset) or value not in product.images:
        raise template.error(
            f"image must give one of product.images (such as product.images[1]), got {type(value).__name__}",
            path,
            sku=product.sku,
        )
    return value
