"""Where a template reads the product: every Jinja field, and the ``product.X`` attributes each one names."""

from __future__ import annotations

from collections.abc import Iterator

import jinja2
from jinja2 import nodes

from generator.planning.templates import Template


def expression_fields(template: Template) -> Iterator[tuple[tuple[str | int, ...], str, bool]]:
    """(field path, source, is an expression) of every Jinja field."""
    for i, shot in enumerate(template.spec.shots):
        for name in ("when", "each"):
            source = getattr(shot, name)
            if source is not None:
                yield ("shots", i, name), source.partition(" in ")[2] if name == "each" else source, True
        if shot.line is not None:
            yield ("shots", i, "line"), shot.line, False
        yield ("shots", i, "background", "prompt"), shot.background.prompt, False
        yield ("shots", i, "background", "negative"), shot.background.negative, False
        if shot.background.generated is not None:
            yield ("shots", i, "background", "motion", "prompt"), shot.background.generated.prompt, False
        for j, text in enumerate(shot.text):
            yield ("shots", i, "text", j, "text"), text.text, False
        for j, shape in enumerate(shot.shapes):
            if shape.text is not None:
                yield ("shots", i, "shapes", j, "text"), shape.text, False
        if shot.product is not None and shot.product.image is not None:
            yield ("shots", i, "product", "image"), shot.product.image, True
    card = template.spec.end_card
    if card is not None:
        if card.cta is not None:
            yield ("end_card", "cta"), card.cta, False
        yield ("end_card", "link"), card.link, False


def product_reads(env: jinja2.Environment, source: str, expression: bool) -> Iterator[tuple[str, str | None]]:
    """(attribute, extra column or None) for each ``product.X`` (and ``product.extra.Y``) in ``source``."""
    try:
        tree = env.parse("{{ " + source + " }}" if expression else source)
    except jinja2.TemplateSyntaxError:
        return  # reported by the rules stage
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        assert isinstance(node, (nodes.Getattr, nodes.Getitem))  # find_all is typed as yielding any node
        target = node.node
        if isinstance(target, nodes.Name) and target.name == "product" and isinstance(node, nodes.Getattr):
            yield node.attr, None
        elif (
            isinstance(target, nodes.Getattr)
            and isinstance(target.node, nodes.Name)
            and target.node.name == "product"
            and target.attr == "extra"
        ):
            key = (
                node.attr
                if isinstance(node, nodes.Getattr)
                else (node.arg.value if isinstance(node.arg, nodes.Const) else None)
            )
            yield "extra", str(key) if key is not None else None
