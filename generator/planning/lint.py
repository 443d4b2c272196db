"""Template lint: every problem a marketer can fix, each at its file, line and column, without rendering.

Checks, in order (a stage runs only when the ones before it left a template to check):

1. YAML syntax.
2. Schema: unknown fields (with a "did you mean"), wrong types, values out of range, unknown names.
3. Rules beyond the schema: whole frames, timings inside their shots, styles, syntax of expressions.
4. Product fields: ``product.X`` that no catalog column feeds, and, with a catalog, columns the
   template reads or requires that the catalog lacks; optional feed fields and the shots rows lose
   (``lintfeed``). Routing: ``categories`` Google's taxonomy lacks, and, with a catalog, rows that no
   template but the fallback takes (among the templates beside this one, ``generator.planning.routing``).
5. Plans, in every declared aspect: with a catalog, for each of its rows (an expression that fails,
   text too long for its box even at the minimum size, a glyph no font has); without one, for a
   sample product. Each plan's text and product must stay inside the aspect's safe zone in every
   frame where they are fully shown. Text the ``shrink`` overflow policy shortened is a warning.
   Each text must contrast enough with what is behind it, on draft backgrounds: rendering measures
   that (``render.legibility_draft``), so the caller passes it in as a ``LegibilityCheck``. With ``platforms``,
   each plan is also checked against those platforms' creative guidance (``generator.planning.platform_lint``).

Errors make ``adgen templates lint`` exit 1; warnings are printed and it exits 0.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Generic, Literal, Protocol, TypeVar

from pydantic import ValidationError

from generator.core.errors import AdgenError, ConfigError, PlanError, TemplateError
from generator.core.images import Cutout
from generator.planning.assets import ImageAsset
from generator.planning.catalog import CANONICAL_COLUMNS, Catalog, Money, Product
from generator.planning.catalog.feed import FEED_ATTRIBUTES, FEED_COLUMNS
from generator.planning.kitlint import kit_contrast_problems
from generator.planning.routing import claim_warning, fallback_template, unrouted
from generator.planning.template_reads import expression_fields, product_reads
from generator.planning.templates import (
    Template,
    TemplateSpec,
    discover_templates,
    schema_errors,
    template_problems,
)
from generator.planning.templates.loading import make_template, read_template_and_kit

if TYPE_CHECKING:
    from generator.core.speech import Voices
    from generator.planning.plan.types import ShotPlan, TextPlacement
    from generator.planning.platforms import PlatformCheck

# Product attributes a template can read, and the catalog columns that feed them.
ATTRIBUTE_COLUMNS: dict[str, tuple[str, ...]] = {
    "sku": ("id",),
    "image": ("image_link",),
    "highlights": ("product_highlight",),
    "custom_labels": tuple(f"custom_label_{i}" for i in range(5)),
    "additional_images": ("additional_image_link",),
    "discount": ("sale_price",),
    "extra": (),
    "raw": (),
    "row": (),
} | {
    name: (name,)
    for name in CANONICAL_COLUMNS
    if name not in ("id", "image_link", "product_highlight", "additional_image_link")
}
ATTRIBUTE_COLUMNS = {k: v for k, v in ATTRIBUTE_COLUMNS.items() if k not in FEED_COLUMNS} | FEED_ATTRIBUTES


_Source = TypeVar("_Source")


class TextContrast(Protocol):
    """One text's contrast in one plan, as a ``LegibilityCheck`` measured it."""

    @property
    def passed(self) -> bool: ...

    @property
    def ratio(self) -> float: ...

    @property
    def layer(self) -> TextPlacement: ...

    def describe(self, *, aspect: str | None) -> str:
        """The measurement for a message: ratio, colours, the ratio needed, the text, shot and ``aspect``."""
        ...


@dataclass(frozen=True)
class LegibilityCheck(Generic[_Source]):
    """How lint measures texts' contrast on draft backgrounds; rendering implements it, and the
    caller passes it in: ``LegibilityCheck(image_source, remedy_on_draft, check_on_draft)`` of
    ``render.legibility_draft``.

    Attributes:
        source: where a plan's reference images are read: a product's ``images`` and the template
            files under the templates folder.
        remedy: ``plan`` with the remedy of each ``auto`` text that fails recorded in it.
        check: every text's contrast in ``plan``, in plan order.
    """

    source: Callable[[Sequence[ImageAsset], Path], _Source]
    remedy: Callable[[ShotPlan, _Source], ShotPlan]
    check: Callable[[ShotPlan, _Source], Sequence[TextContrast]]


@dataclass(frozen=True)
class Finding:
    """One problem: ``file:line:column: severity: message``."""

    severity: Literal["error", "warning"]
    message: str
    file: Path
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = ":".join(str(part) for part in (self.file, self.line, self.column) if part is not None)
        return f"{where}: {self.severity}: {self.message}"

    @classmethod
    def of(cls, error: AdgenError, severity: Literal["error", "warning"] = "error", prefix: str = "") -> Finding:
        context = error.context
        line, column = context.get("line"), context.get("column")
        return cls(
            severity, prefix + error.message, Path(str(context.get("file", ""))),
            line if isinstance(line, int) else None, column if isinstance(column, int) else None,
        )  # fmt: skip


def lint_template(
    path: Path,
    catalog: Catalog | None = None,
    templates_root: Path | None = None,
    *,
    legibility: LegibilityCheck[_Source],
    text: str | None = None,
    fallback: str | None = None,
    voices: Voices | None = None,
    platforms: PlatformCheck | None = None,
    today: dt.date | None = None,
    brand_kit: Path | None = None,
) -> list[Finding]:
    """All findings for the template at ``path`` (or ``text``, unsaved, as if it were that file's), errors and
    warnings, in the order of the stages above; ``fallback``: the id of the template for rows no rule routes
    (None: the ``general`` vertical's); ``voices`` speaks its voice lines, to time them against their shots;
    ``platforms``: the platforms whose creative guidance each plan is checked against (``generator.planning.platforms``);
    ``today`` is the render date plans are made for (feed fields: ``generator.planning.lintfeed``); ``brand_kit`` is
    laid over the template's own kit (``--brand-kit``)."""
    from generator.planning.lintfeed import feed_findings

    root = templates_root or path.parent.parent
    try:
        data, lines, kit = read_template_and_kit(path, text, brand_kit)
    except TemplateError as exc:
        return [Finding.of(exc)]
    try:
        spec = TemplateSpec.model_validate(data)
    except ValidationError as exc:
        return [Finding.of(error) for error in schema_errors(exc, TemplateSpec, path, lines)]
    template = make_template(spec, path, lines, kit)
    findings = [Finding.of(problem) for problem in template_problems(template)]
    findings += [Finding.of(problem) for problem in kit_contrast_problems(kit)] if kit is not None else []
    findings += _field_findings(template, catalog)
    findings += _routing_findings(template, catalog, root, fallback)
    findings += feed_findings(template, catalog, today)
    if any(f.severity == "error" for f in findings):
        return findings
    products = catalog.products if catalog is not None else (sample_product(),)
    if catalog is not None and catalog.errors:
        findings.append(
            Finding(
                "warning", f"{len(catalog.errors)} catalog row(s) cannot be used (see adgen run)", Path(catalog.name)
            )
        )
    if voices is None and spec.voice is not None and any(shot.line for shot in spec.shots):
        return [*findings, Finding("error", "the template has voice lines and no speech engine to time them", path)]
    return findings + _plan_findings(template, products, root, legibility, catalog is None, voices, platforms, today)


def _field_findings(template: Template, catalog: Catalog | None) -> list[Finding]:
    """``product.X`` that nothing feeds, and columns the template needs that ``catalog`` lacks."""
    findings = []
    columns = set(catalog.columns) if catalog is not None else None
    for field_path, source, expression in expression_fields(template):
        for attribute, extra in product_reads(template.env, source, expression):
            where = template.error("", field_path)
            if attribute not in ATTRIBUTE_COLUMNS:
                close = difflib.get_close_matches(attribute, list(ATTRIBUTE_COLUMNS), n=1, cutoff=0.6)
                hint = f" (did you mean 'product.{close[0]}'?)" if close else ""
                findings.append(Finding.of(where, prefix=f"products have no field '{attribute}'{hint}"))
                continue
            if columns is None:
                continue
            needed = (extra,) if attribute == "extra" and extra else ATTRIBUTE_COLUMNS[attribute]
            if needed and not columns.intersection(needed):
                findings.append(Finding.of(where, severity="warning", prefix=(
                    f"the catalog has no column {' or '.join(repr(c) for c in needed)}, read by 'product.{attribute}'"
                    f"{_close_column(needed[0], columns)}; it is empty for every row"
                )))  # fmt: skip
    if columns is not None:
        for index, name in enumerate(template.spec.requires):
            if name not in columns:
                error = template.error(f"the catalog has no column {name!r}, which the template requires{_close_column(name, columns)}",
                                       ("requires", index))  # fmt: skip
                findings.append(Finding.of(error))
    return findings


def _routing_findings(template: Template, catalog: Catalog | None, root: Path, fallback: str | None) -> list[Finding]:
    """``categories`` that Google's taxonomy lacks; with ``catalog``, its rows that only the fallback template
    takes (without one, ``adgen run`` and ``adgen plan`` report them as failed rows)."""
    findings = []
    for index, claim in enumerate(template.spec.categories):
        warning = claim_warning(claim)
        if warning is not None:
            findings.append(Finding.of(template.error(warning, ("categories", index)), severity="warning"))
    if catalog is None:
        return findings
    others = discover_templates(root)[0] if root.is_dir() else {}
    templates = {
        **{k: t for k, t in others.items() if t.path.resolve() != template.path.resolve()},
        template.id: template,
    }
    try:
        chosen = fallback_template(templates, fallback)
    except ConfigError as exc:
        return [*findings, Finding("error", exc.message, Path(catalog.name))]
    if chosen is None:  # without a fallback, such rows fail in adgen run and plan, each with its error
        return findings
    where = Path(catalog.name)
    return findings + [
        Finding("warning", message, where) for _, message in unrouted(catalog.products, templates, chosen)
    ]


def _close_column(name: str, columns: set[str]) -> str:
    close = difflib.get_close_matches(name, sorted(columns), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _plan_findings(
    template: Template,
    products: tuple[Product, ...],
    root: Path,
    legibility: LegibilityCheck[_Source],
    sampled: bool,
    voices: Voices | None = None,
    platforms: PlatformCheck | None = None,
    today: dt.date | None = None,
) -> list[Finding]:
    """Plan every product in every aspect; group identical problems by template line; a voice line too long
    for its shot is one error at the line, naming the row where it is longest."""
    from generator.planning.plan.compile import compile_plan
    from generator.planning.platform_lint import PlatformLint
    from generator.planning.safezone import safe_zone_violations

    grouped: dict[tuple[str | None, int | None, int | None, str], list[str]] = defaultdict(list)
    clashes: dict[tuple[str, int | None, int | None], list[tuple[TextContrast, str, str]]] = defaultdict(list)
    shortened: dict[tuple[str, int | None, int | None, str], list[str]] = defaultdict(list)
    overflows: dict[tuple[str, int | None, int | None], list[tuple[float, str, str]]] = defaultdict(list)
    checked = PlatformLint(template, platforms) if platforms is not None else None
    for product in products:
        who = "the sample product" if sampled else f"row {product.row} (sku {product.sku})"
        for aspect in template.spec.canvas.aspects:
            try:
                plan = compile_plan(template, product, aspect, root, voices, today)
            except TemplateError as exc:
                grouped[(*_at(exc), exc.message)].append(who)
                continue
            except PlanError as exc:
                if "spoken" in exc.context:  # a voice line too long for its shot
                    where = template.error("", _field_path(str(exc.context["field"])))
                    overflows[_at(where)].append((float(str(exc.context["spoken"])), f"{who} in {aspect}", exc.message))
                    continue
                grouped[(None, None, None, exc.message)].append(who)  # a required field is empty: the row fails
                continue
            source = legibility.source(product.images, root)
            plan = legibility.remedy(plan, source)
            if checked is not None:
                checked.add(plan, product, who)
            for violation in safe_zone_violations(plan):
                error = template.error(violation.describe(aspect), _field_path(violation.field))
                grouped[(*_at(error), error.message)].append(who)
            for contrast in legibility.check(plan, source):
                if not contrast.passed:
                    where = template.error("", _field_path(contrast.layer.field))
                    clashes[_at(where)].append((contrast, aspect, who))
            for _, layer in plan.shortened_texts():
                message = f"text too long for its box in {aspect} even at the minimum size {layer.font_size} px: shortened with an ellipsis"
                where = template.error(message, (*_field_path(layer.field), "text"))
                shortened[
                    (
                        str(where.context["file"]),
                        _int(where.context.get("line")),
                        _int(where.context.get("column")),
                        message,
                    )
                ].append(who)
    findings = []
    for (file, line, column, message), whos in grouped.items():
        if file is None:
            findings.append(Finding("warning", f"{_rows(whos)}: {message}", template.path))
        else:
            findings.append(Finding("error", f"{_rows(whos)}: {message}", Path(file), line, column))
    for (file, line, column), failing in clashes.items():  # one per text, naming its worst row and aspect
        worst, worst_aspect, who = min(failing, key=lambda item: item[0].ratio)
        message = f"{worst.layer.field}: {worst.describe(aspect=worst_aspect)}"
        findings.append(
            Finding("error", f"{_rows([who, *(w for _, _, w in failing)])}: {message}", Path(file), line, column)
        )
    findings += [
        Finding("warning", f"{_rows(whos)}: {message}", Path(file), line, column)
        for (file, line, column, message), whos in shortened.items()
    ]
    for (file, line, column), too_long in overflows.items():  # one per line, at its longest
        _, who, message = max(too_long, key=lambda item: item[0])
        findings.append(
            Finding("error", f"{_rows([who, *(w for _, w, _ in too_long)])}: {message}", Path(file), line, column)
        )
    return findings + (checked.findings() if checked is not None else [])


def _rows(whos: list[str]) -> str:
    """The first row of a group, and how many more: ``row 3 (sku B) (and 2 more rows)``."""
    unique = list(dict.fromkeys(whos))
    more = f" (and {len(unique) - 1} more row{'s' if len(unique) > 2 else ''})" if len(unique) > 1 else ""
    return f"{unique[0]}{more}"


def _at(error: AdgenError) -> tuple[str, int | None, int | None]:
    """Where an error points: its file, line and column."""
    return str(error.context.get("file")), _int(error.context.get("line")), _int(error.context.get("column"))


def _int(value: object) -> int | None:
    return value if isinstance(value, int) else None


def _field_path(field: str) -> tuple[str | int, ...]:
    """``shots[1].text[0]`` back to ``("shots", 1, "text", 0)``."""
    path: list[str | int] = []
    for part in field.replace("[", ".").replace("]", "").split("."):
        if part:
            path.append(int(part) if part.isdigit() else part)
    return tuple(path)


def sample_product() -> Product:
    """A typical product, to plan a template with when no catalog is given (its image is a square)."""
    image = ImageAsset(
        path=Path("sample.png"), source="lint:sample.png", sha256="0" * 64, size=(800, 800),
        content_box=(100, 100, 700, 700), cutout=Cutout("alpha"),
    )  # fmt: skip
    return Product(
        row=0, sku="SAMPLE-1", title="Sample product title", price=Money(Decimal("49.99"), "USD"),
        sale_price=Money(Decimal("39.99"), "USD"), image=image, description="A short description of the product.",
        brand="Brand", product_type="Sample", color="blue", size="M",
        highlights=("First benefit", "Second benefit", "Third benefit"),
    )  # fmt: skip
