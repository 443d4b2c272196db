"""Lint of the feed fields a row may lack: what a template declares, and, with a catalog, what rows lose.

* A template that reads a field many rows lack (``product.rating``, ``product.images``,
  ``product.sale_ends``, ...; ``generator.planning.catalog.feed.OPTIONAL_ATTRIBUTES``) names it in
  ``requires`` or ``optional``, or gets a warning at the line that reads it. A name in ``optional`` that
  is no catalog column or product field is a warning.
* With a catalog: the catalog's row warnings (an additional image left out, a link that is no web
  address), and for each shot with a ``when``, one warning at its ``when`` line saying how many rows lose
  that shot and which (the first few), on the render date ``today``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from generator.core.errors import AdgenError
from generator.planning.catalog import CANONICAL_COLUMNS, Catalog
from generator.planning.catalog.feed import OPTIONAL_ATTRIBUTES
from generator.planning.lint import ATTRIBUTE_COLUMNS, Finding
from generator.planning.plan.sales import on_date
from generator.planning.template_reads import expression_fields, product_reads
from generator.planning.templates import Template

ROWS_NAMED = 5  # rows named in a lost-shot warning; the rest are counted


def feed_findings(template: Template, catalog: Catalog | None, today: dt.date | None) -> list[Finding]:
    """Every finding of this module's rules for ``template`` (and ``catalog``, planned on ``today``)."""
    findings = _declared(template)
    if catalog is not None:
        findings += [_catalog_warning(warning, catalog) for warning in catalog.warnings]
        findings += _lost_shots(template, catalog, today)
    return findings


def _declared(template: Template) -> list[Finding]:
    spec = template.spec
    declared = set(spec.requires) | set(spec.optional)
    findings = []
    for index, name in enumerate(spec.optional):
        if name not in CANONICAL_COLUMNS and name not in ATTRIBUTE_COLUMNS:
            message = f"optional names {name!r}, which is no catalog column or product field"
            findings.append(Finding.of(template.error(message, ("optional", index)), severity="warning"))
    warned: set[tuple[str, str]] = set()
    for path, source, expression in expression_fields(template):
        for attribute, _ in product_reads(template.env, source, expression):
            column = OPTIONAL_ATTRIBUTES.get(attribute)
            if column is None or {column, attribute} & declared or (column, str(path[:2])) in warned:
                continue
            warned.add((column, str(path[:2])))
            message = (
                f"'product.{attribute}' is empty for rows without {column}: add {column} to optional (and give "
                f"the shot a when that checks it) or to requires"
            )
            findings.append(Finding.of(template.error(message, path), severity="warning"))
    return findings


def _catalog_warning(warning: AdgenError, catalog: Catalog) -> Finding:
    where = ", ".join(f"{key} {warning.context[key]}" for key in ("row", "sku", "column") if key in warning.context)
    return Finding("warning", f"{where}: {warning.message}", Path(catalog.name))


def _lost_shots(template: Template, catalog: Catalog, today: dt.date | None) -> list[Finding]:
    findings = []
    dated = {"today": today} if today is not None else {}
    variables = [(p.row, {"product": on_date(p, today), **dated}) for p in catalog.products]
    for index, shot in enumerate(template.spec.shots):
        if shot.when is None:
            continue
        path = ("shots", index, "when")
        lost = []
        for row, values in variables:
            try:
                if not template.evaluate(shot.when, path, values):
                    lost.append(row)
            except AdgenError:
                continue  # reported by the plans, with the row
        if lost:
            named = ", ".join(str(row) for row in lost[:ROWS_NAMED]) + (", ..." if len(lost) > ROWS_NAMED else "")
            message = f"{len(lost)} of {len(variables)} row(s) lose shot '{shot.id}' (its when is false): rows {named}"
            findings.append(Finding.of(template.error(message, path), severity="warning"))
    return findings
