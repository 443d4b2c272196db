"""A batch's filter applied to catalog products: pure, one pass, every test prepared once."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal

from generator.planning.batches.spec import Condition, Filter, PriceRange
from generator.planning.catalog import Product

Test = Callable[[Product], bool]


def select_products(rules: Filter, products: Iterable[Product]) -> tuple[Product, ...]:
    """The products every condition of ``rules`` holds for, in catalog order."""
    tests = _tests(rules)
    return tuple(product for product in products if all(test(product) for test in tests))


def _tests(rules: Filter) -> list[Test]:
    """One predicate per condition ``rules`` gives; a product is selected when all of them hold."""
    tests: list[Test] = [_condition(condition) for condition in rules.where]
    if rules.price is not None:
        tests.append(_price(rules.price))
    if rules.availability is not None:
        accepted = {_availability(value) for value in rules.availability}
        tests.append(lambda product: _availability(product.availability or "in stock") in accepted)
    for index in range(5):
        labels = getattr(rules, f"custom_label_{index}")
        if labels is not None:
            tests.append(_label(index, {label.casefold() for label in labels}))
    if rules.product_types is not None:
        keywords = [keyword.casefold() for keyword in rules.product_types]
        tests.append(lambda product: any(keyword in product.product_type.casefold() for keyword in keywords))
    return tests


def _texts(product: Product, name: str) -> tuple[str, ...]:
    """The text of column ``name`` for ``product``: tidied text, each item of a list column, and the
    value as written for prices and image links."""
    value = product.field_value(name)
    if isinstance(value, str):
        return (value,)
    if isinstance(value, tuple):
        return tuple(str(item) for item in value)
    return (product.raw.get(name, ""),)


def _condition(condition: Condition) -> Test:
    name = condition.field
    if condition.matches is not None:
        pattern = condition.matches
        return lambda product: any(pattern.search(text) for text in _texts(product, name))
    if condition.contains is not None:
        part = condition.contains.casefold()
        return lambda product: any(part in text.casefold() for text in _texts(product, name))
    values = condition.one_of if condition.one_of is not None else (condition.equals or "",)
    accepted = {value.casefold() for value in values}
    return lambda product: any(text.casefold() in accepted for text in _texts(product, name))


def _price(bounds: PriceRange) -> Test:
    low = bounds.min if bounds.min is not None else Decimal(0)
    high = bounds.max

    def test(product: Product) -> bool:
        paid = product.sale_price or product.price
        return paid.currency == bounds.currency and low <= paid.amount and (high is None or paid.amount <= high)

    return test


def _label(index: int, accepted: set[str]) -> Test:
    return lambda product: product.custom_labels[index].casefold() in accepted


def _availability(value: str) -> str:
    """``In_Stock`` and ``in stock`` alike, as the catalog reads availability."""
    return " ".join(value.casefold().replace("_", " ").split())
