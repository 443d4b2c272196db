"""Planning a run: its options, and every catalog row x aspect compiled into a plan (or a failed or skipped
line for the manifest), routed to a template, its texts made legible on the draft backgrounds.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from generator.core.errors import AdgenError, CatalogError, ConfigError
from generator.core.speech import VoiceIdentity
from generator.orchestration.runs.manifest import RowResult
from generator.orchestration.stores.speech import speech_cache, voices
from generator.planning.catalog import Catalog, CatalogOptions, CatalogStream, Product, SkippedRow
from generator.planning.plan.compile import compile_plan
from generator.planning.plan.moving import with_video_model
from generator.planning.plan.sales import row_notes
from generator.planning.plan.types import ShotPlan
from generator.planning.routing import Route, RoutedBy, fallback_template, fallback_warning, route
from generator.planning.templates import Template, discover_templates
from generator.planning.templates.brand import kit_root
from render.backends import RendererSettings
from render.encode import EncodeSettings
from render.motion.service import motion_identity

log = logging.getLogger(__name__)

DEFAULT_TEMPLATES = Path(__file__).resolve().parents[3] / "templates"


@dataclass(frozen=True)
class RunOptions:
    """What to run: template (None: routed, ``generator.planning.routing``), the template for rows no rule routes
    (None: the ``general`` vertical's), aspects (None: each template's first; ``all``: every one), how many rows, the
    keyframe backend (and video model), where keyframes and voice clips are cached (None: nowhere), retries of a
    failing keyframe, the encoder's settings, whether to render stored rows again (``force``) and to delete a row's
    older outputs (``replace``), how long manifest links last (``presign`` seconds), where templates live."""

    template_id: str | None = None
    fallback_template: str | None = None
    aspects: tuple[str, ...] | Literal["all"] | None = None
    limit: int | None = None
    renderer: RendererSettings = field(default_factory=RendererSettings)
    encode: EncodeSettings | None = None
    keyframe_cache: Path | None = None
    keyframe_retries: int = 2
    force: bool = False
    replace: bool = False
    presign: int | None = None
    templates_root: Path = DEFAULT_TEMPLATES
    catalog: CatalogOptions = field(default_factory=CatalogOptions)
    render_date: dt.date | None = None  # the date templates plan for (sale ends); None: today's UTC date, read once
    brand_kit: Path | None = None  # a kit file laid over every template's own (``--brand-kit``)
    motion_strict: bool = False  # a generated clip failing its checks fails the row, not falling back to the camera


@dataclass(frozen=True)
class PlannedRow:
    product: Product
    template: Template
    plan: ShotPlan
    routed_by: RoutedBy = "template-option"
    notes: tuple[str, ...] = ()  # the row's catalog warnings, and why its sale price is not shown

    def result(self) -> RowResult:
        """This row's manifest line before rendering (status ``planned``)."""
        warnings = (
            *(
                f"shot {shot}, {layer.field}: text shortened to fit its box: {layer.text!r}"
                for shot, layer in self.plan.shortened_texts()
            ),
            *self.notes,
        )
        voice, lines = self.plan.voice, self.plan.lines()
        return RowResult(
            row=self.product.row, sku=self.product.sku, status="planned", template=self.template.id,
            template_version=self.template.spec.version, aspect=self.plan.aspect, plan_hash=self.plan.sha256,
            duration=round(self.plan.duration, 3), frames=self.plan.frames,
            warnings=len(warnings), warning_messages=warnings or None, routed_by=self.routed_by,
            voice=None if voice is None else VoiceIdentity(**voice.model_dump()).describe(),
            spoken=round(sum(line.duration for _, line in lines), 3) if lines else None,
        )  # fmt: skip


def load_templates(options: RunOptions) -> dict[str, Template]:
    """Templates under ``options.templates_root``; a broken template is logged, or fatal when it is the one asked for.

    Raises:
        ConfigError: no templates, or the requested template is missing or broken.
    """
    if not options.templates_root.is_dir():
        raise ConfigError("templates folder not found", path=options.templates_root)
    templates, errors = discover_templates(options.templates_root, options.brand_kit)
    for error in errors:
        log.warning("skipping broken template: %s", error)
    for asked in (options.template_id, options.fallback_template):
        if asked is not None and asked not in templates:
            broken = "".join(f"\n  broken: {error}" for error in errors)
            raise ConfigError(
                f"unknown template {asked!r}; available: {', '.join(sorted(templates)) or 'none'}{broken}"
            )
    if not templates:
        raise ConfigError("no usable templates", path=options.templates_root)
    return templates


def plan_rows(
    catalog: Catalog | CatalogStream, templates: dict[str, Template], options: RunOptions
) -> Iterator[PlannedRow | RowResult]:
    """Plans for each good row x aspect, a failed ``RowResult`` for each row that cannot be planned, and a
    skipped one, with its reason, for each row that is not for sale. A streamed catalog is planned as it is read.
    A row only the fallback template took, or whose category could not be read, is logged as a warning.

    Raises:
        ConfigError: ``options.fallback_template`` is not one of ``templates``.
    """
    fallback = fallback_template(templates, options.fallback_template)
    speaking = voices(speech_cache(options.keyframe_cache))
    today, video = options.render_date or dt.datetime.now(dt.UTC).date(), motion_identity(options.renderer)
    for item in itertools.islice(catalog.rows(), options.limit):
        if isinstance(item, SkippedRow):
            yield RowResult(row=item.row, sku=item.sku, status="skipped", reason=item.reason)
            continue
        if not isinstance(item, Product):
            row, sku = int(str(item.context["row"])), str(item.context.get("sku", ""))
            yield RowResult(row=row, sku=sku, status="failed", error=str(item), reason=item.message)
            continue
        try:
            chosen = _choose_template(item, templates, options, fallback)
        except CatalogError as exc:
            error = CatalogError(exc.message, file=catalog.name, **exc.context)
            yield RowResult(row=item.row, sku=item.sku, status="failed", error=str(error), reason=exc.message)
            continue
        if chosen.rule == "fallback":
            log.warning("%s", fallback_warning(item, chosen))
        elif chosen.notes:
            log.warning("row %d (sku %s): %s", item.row, item.sku, "; ".join(chosen.notes))
        template, notes = chosen.template, row_notes(item, today)
        for note in notes:
            log.warning("%s", note)
        declared = template.spec.canvas.aspects
        aspects = declared if options.aspects == "all" else (options.aspects or declared[:1])
        for aspect in aspects:
            try:
                plan = compile_plan(template, item, aspect, options.templates_root, speaking, today)
            except AdgenError as exc:
                yield RowResult(
                    row=item.row, sku=item.sku, status="failed", template=template.id,
                    template_version=template.spec.version, aspect=aspect,
                    error=f"{catalog.name} row {item.row}: {exc}", reason=exc.message,
                )  # fmt: skip
                continue
            plan = with_video_model(settle_legibility(plan, item, options.templates_root, options.brand_kit), video)
            yield PlannedRow(item, template, plan, chosen.rule, notes)


def settle_legibility(plan: ShotPlan, product: Product, templates_root: Path, kit: Path | None = None) -> ShotPlan:
    """``plan`` with the remedy of each ``auto`` text that lacks contrast on the draft backgrounds
    recorded in it; a model's keyframes are measured again when the video is rendered."""
    if not plan.auto_legibility:
        return plan
    from render.legibility_draft import image_source, remedy_on_draft  # composites frames: loaded only when asked

    return remedy_on_draft(plan, image_source(product.images, templates_root, kit_root(kit)))


def _choose_template(
    product: Product, templates: dict[str, Template], options: RunOptions, fallback: Template | None
) -> Route:
    if options.template_id is not None:
        return Route(templates[options.template_id], "template-option", "the run names it (--template)")
    return route(product, templates, fallback)
