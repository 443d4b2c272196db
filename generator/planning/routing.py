"""Which template a product goes to, and by which rule; the first rule that finds one wins:

1. ``template-option``: the template the run names (``--template``).
2. ``taxonomy``: the product's category (``google_product_category``, a path or a Google id, then a
   Meta ``fb_product_category``): the template whose ``categories`` claim it most specifically,
   else a template of its top level's vertical (``generator/planning/catalog/data/verticals.yaml``).
3. ``vertical``: a template of the vertical the row's ``vertical`` column names.

Where several templates fit by one rule, one whose ``prefer`` expression is true for the row comes
first, then those without a ``prefer``, then those whose ``prefer`` is false, each by id;
``routing: explicit`` templates are only used when a run names them.
4. ``product_type``: the first template (by id) one of whose ``product_types`` keywords the row's
   ``product_type`` contains.
5. ``fallback``: the run's fallback template: ``--fallback-template``, by default the template of
   the ``general`` vertical (when there is one).

A row no rule routes fails with a ``CatalogError`` that says what was looked at, in words.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Literal

from generator.core.errors import AdgenError, CatalogError, ConfigError
from generator.planning.catalog import Product
from generator.planning.catalog.taxonomy import Category, categories_of, claim_path, google_taxonomy
from generator.planning.templates import Template

RoutedBy = Literal["template-option", "taxonomy", "vertical", "product_type", "fallback"]
FALLBACK_VERTICAL = "general"


@dataclass(frozen=True)
class Route:
    """The template a product goes to, the rule that chose it, why (in words), and what could not be
    used on the way (an id the taxonomy does not have, a vertical no template is of)."""

    template: Template
    rule: RoutedBy
    reason: str
    notes: tuple[str, ...] = ()


def fallback_template(templates: Mapping[str, Template], template_id: str | None) -> Template | None:
    """The template for rows no rule routes: ``template_id``, or else the first (by id) of the
    ``general`` vertical; None when there is neither.

    Raises:
        ConfigError: ``template_id`` is not one of ``templates``.
    """
    if template_id is not None:
        if template_id not in templates:
            raise ConfigError(
                f"unknown fallback template {template_id!r}; available: {', '.join(sorted(templates)) or 'none'}"
            )
        return templates[template_id]
    return next((t for t in _ordered(templates, None) if t.spec.vertical == FALLBACK_VERTICAL), None)


def route(product: Product, templates: Mapping[str, Template], fallback: Template | None = None) -> Route:
    """The template ``product`` goes to among ``templates`` (rules 2 to 5 above).

    Raises:
        CatalogError: no rule routes it and there is no fallback (row, SKU and the columns looked at).
    """
    ordered = _ordered(templates, product)
    notes: list[str] = []
    categories = categories_of(product)
    for category in categories:
        if category.problem is not None:
            notes.append(category.problem)
            continue
        found = _by_category(category, ordered)
        if found is not None:
            return Route(found[0], "taxonomy", found[1], tuple(notes))
    if product.vertical:
        chosen = next((t for t in ordered if t.spec.vertical == product.vertical), None)
        if chosen is not None:
            return Route(chosen, "vertical", f"its vertical column says {product.vertical!r}", tuple(notes))
        notes.append(f"no template is of the vertical {product.vertical!r} its vertical column names")
    lowered = product.product_type.lower()
    for template in ordered if lowered else ():
        keyword = next((k for k in template.spec.product_types if k.lower() in lowered), None)
        if keyword is not None:
            reason = f"its product type {product.product_type!r} contains {keyword!r}"
            return Route(template, "product_type", reason, tuple(notes))
    unmatched = f"no template is made for {describe(product, categories)}"
    if fallback is not None:
        return Route(fallback, "fallback", unmatched, tuple(notes))
    raise CatalogError(
        f"{unmatched}{''.join(f'; {note}' for note in notes)}",
        row=product.row,
        sku=product.sku,
        column=", ".join([*(c.column for c in categories), "vertical", "product_type"]),
        rule="a row goes to a template claiming its category, of its vertical or matching its product type; "
        "give --fallback-template ID for the rest, or --template ID for all",
    )


def describe(product: Product, categories: Iterable[Category] | None = None) -> str:
    """What routing looked at, as a marketer reads it: ``its category 'A > B' and its product type 'Shirts'``."""
    parts = [f"its category {str(c)!r}" for c in (categories_of(product) if categories is None else categories)]
    if product.vertical:
        parts.append(f"its vertical {product.vertical!r}")
    parts.append(f"its product type {product.product_type!r}" if product.product_type else "no product type")
    return " and ".join(parts) if len(parts) < 3 else f"{', '.join(parts[:-1])} and {parts[-1]}"


def fallback_warning(product: Product, chosen: Route) -> str:
    """The line lint and ``adgen plan`` print for a row only the fallback took."""
    notes = "".join(f"; {note}" for note in chosen.notes)
    return (
        f"row {product.row} (sku {product.sku}): {chosen.reason}{notes}, so it gets the general-purpose template "
        f"{chosen.template.id!r}; claim its category in a template's 'categories', or add its vertical or product type"
    )


def claim_warning(claim: str) -> str | None:
    """Why a ``categories`` entry may never match, for lint; None when Google's taxonomy has it."""
    path = claim_path(claim)
    taxonomy = google_taxonomy()
    if not path or len(path) == 1 or taxonomy.spelled(path) is not None:
        return None
    return (
        f"{claim!r} is not a category of Google's product taxonomy (version {taxonomy.version}): only products "
        "whose category is written just so (such as Shopify's own categories) match it"
    )


def unrouted(
    products: Iterable[Product], templates: Mapping[str, Template], fallback: Template
) -> Iterator[tuple[Product, str]]:
    """Each of ``products`` that only the ``fallback`` template takes, and the warning to print."""
    for product in products:
        chosen = route(product, templates, fallback)
        if chosen.rule == "fallback":
            yield product, fallback_warning(product, chosen)


def _ordered(templates: Mapping[str, Template], product: Product | None) -> list[Template]:
    """The templates routing may choose (not ``routing: explicit``), those that ``prefer`` ``product`` first, then by id.

    Raises:
        TemplateError: a ``prefer`` expression failed on ``product`` (file, line, sku).
    """
    routable = [t for t in templates.values() if t.spec.routing == "auto"]
    return sorted(routable, key=lambda t: (_preference(t, product), t.id))


def _preference(template: Template, product: Product | None) -> int:
    """0: ``template`` prefers ``product``; 1: it has no preference; 2: it prefers other rows (so it comes last)."""
    if template.spec.prefer is None:
        return 1
    if product is None:
        return 2
    try:
        return 0 if template.evaluate(template.spec.prefer, ("prefer",), {"product": product}) else 2
    except AdgenError as exc:
        exc.context.setdefault("sku", product.sku)
        raise


def _by_category(category: Category, ordered: list[Template]) -> tuple[Template, str] | None:
    """The template claiming ``category`` most specifically, else the first of its vertical; with why."""
    best: tuple[int, Template, str] | None = None
    for template in ordered:
        for claim in template.spec.categories:
            path = claim_path(claim)
            if category.within(path) and (best is None or len(path) > best[0]):
                best = (len(path), template, " > ".join(path))
    if best is not None:
        return best[1], f"its category {str(category)!r} ({category.column}) is within {best[2]!r}, which it claims"
    vertical = category.vertical
    chosen = next((t for t in ordered if t.spec.vertical == vertical), None) if vertical else None
    if chosen is None:
        return None
    return chosen, f"its category {str(category)!r} ({category.column}) is of the {vertical} vertical"
