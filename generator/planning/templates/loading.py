"""Loading templates: one file (YAML, brand kit, schema, rules) and a whole folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from generator.core.errors import TemplateError
from generator.planning.templates.brand import NO_BRAND, Kit, layered, read_kit, with_kit_look
from generator.planning.templates.expressions import make_environment
from generator.planning.templates.kits import KITS_FOLDER, load_brand_kit, rebased, with_brand_kit
from generator.planning.templates.rules import template_problems
from generator.planning.templates.schema import validate
from generator.planning.templates.source import Lines, Mark, parse_yaml
from generator.planning.templates.spec import TemplateSpec
from generator.planning.templates.template import Template


def load_template(path: Path, text: str | None = None, brand_kit: Path | None = None) -> Template:
    """Parse, validate and syntax-check one template file (or ``text``, as if it were that file's);
    ``brand_kit``: a kit file laid over the template's own ``brand_kit:`` (``templates.brand``).

    Raises:
        TemplateError: naming the file, line and field of the first problem found.
    """
    data, lines, kit = read_template_and_kit(path, text, brand_kit)
    template = make_template(validate(TemplateSpec, data, path, lines), path, lines, kit)
    for problem in template_problems(template):
        raise problem
    return template


def read_template_data(
    path: Path, text: str | None = None, brand_kit: Path | None = None
) -> tuple[dict[str, Any], dict[tuple[str | int, ...], Mark]]:
    """A template file's mapping, its brand kit merged in, and the (line, column) of each field.

    ``text``: the file's content as an editor holds it, unsaved (None: read the file). Relative
    references (brand kit, assets) resolve against ``path`` either way. ``brand_kit``: a kit file
    laid over the template's own ``brand_kit:``.

    Raises:
        TemplateError: unreadable file, invalid YAML, not a mapping, or a bad brand kit.
    """
    data, lines, _ = read_template_and_kit(path, text, brand_kit)
    return data, lines


def make_template(spec: TemplateSpec, path: Path, lines: Lines, kit: Kit | None) -> Template:
    """The template of a validated ``spec``, its expressions seeing ``brand`` (the kit's name, cta and colours)."""
    env = make_environment(spec.locale)
    env.globals["brand"] = kit.variables() if kit is not None else NO_BRAND
    return Template(spec=spec, path=path, lines=lines, env=env, kit=kit)


def read_template_and_kit(
    path: Path, text: str | None = None, brand_kit: Path | None = None
) -> tuple[dict[str, Any], dict[tuple[str | int, ...], Mark], Kit | None]:
    """``read_template_data``, and the brand kit merged in (None: none)."""
    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise TemplateError(f"cannot read template: {exc}", file=path) from exc
    data, lines = parse_yaml(text, path)
    if not isinstance(data, dict):
        raise TemplateError("a template is a YAML mapping (id, version, shots, ...)", file=path, line=1)
    kit_ref = data.get("brand_kit")
    own = load_brand_kit(kit_ref, path, lines) if isinstance(kit_ref, str) else None
    kit = read_kit(brand_kit) if brand_kit is not None else own
    if kit is not None:
        merged = rebased(kit, path) if own is None or own is kit else layered(rebased(own, path), rebased(kit, path))
        data = with_kit_look(data, with_brand_kit(data, merged), kit, path, lines)
    return data, lines, kit


def discover_templates(root: Path, brand_kit: Path | None = None) -> tuple[dict[str, Template], list[TemplateError]]:
    """Load every ``<root>/<vertical>/*.yaml`` (with the run-time ``brand_kit``, if given); broken files are
    returned as errors, not raised."""
    templates: dict[str, Template] = {}
    errors: list[TemplateError] = []
    for path in sorted(root.glob("*/*.yaml")):
        if path.parent.name == KITS_FOLDER:
            continue
        try:
            template = load_template(path, brand_kit=brand_kit)
        except TemplateError as exc:
            errors.append(exc)
            continue
        if template.id in templates:
            errors.append(
                TemplateError(
                    f"duplicate template id {template.id!r} (also in {templates[template.id].path})", file=path
                )
            )
            continue
        templates[template.id] = template
    return templates, errors
