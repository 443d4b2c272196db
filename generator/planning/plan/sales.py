"""A product as of the render date: a sale that has not started or has ended by then has no sale price.

The render date is given to planning (``compile_plan``'s ``today``), never read from a clock here.
A sale runs on the calendar days of its ``sale_price_effective_date``, each end in its own offset
(``generator.planning.catalog.dates``). Without a render date, or without a sale period, the sale
price stands as the feed gives it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from generator.planning.catalog import Product


def sale_note(product: Product, today: dt.date | None) -> str | None:
    """Why ``product``'s sale price is not shown on ``today``, or None when it is (or there is none)."""
    sale = product.sale
    if today is None or sale is None or product.sale_price is None or sale.runs_on(today):
        return None
    if today < sale.start.date():
        return f"the sale starts on {sale.start.date().isoformat()}, after the render date {today.isoformat()}: no sale price shown"
    return f"the sale ended on {sale.end.date().isoformat()}, before the render date {today.isoformat()}: no sale price shown"


def on_date(product: Product, today: dt.date | None) -> Product:
    """``product`` as templates see it on ``today``: without its sale when the sale does not run then."""
    if sale_note(product, today) is None:
        return product
    return dataclasses.replace(product, sale_price=None, sale=None)


def row_notes(product: Product, today: dt.date | None) -> tuple[str, ...]:
    """What a run reports of ``product`` besides its plan: its catalog warnings, then why its sale is not shown."""
    note = sale_note(product, today)
    sale = (f"row {product.row} (sku {product.sku}): {note}",) if note is not None else ()
    return (*(str(warning) for warning in product.warnings), *sale)
