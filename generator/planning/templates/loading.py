"""Loading templates: one file (YAML, brand kit, schema, rules) and a whole folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from generator.core.errors import TemplateError
from generator.planning.templates.expressions import make_environment
from generator.planning.templates.kits import KITS_FOLDER, load_brand_kit, with_brand_kit
from generator.planning.templates.rules import template_problems
from generator.planning.templates.schema import validate
from generator.planning.templates.source import Mark, parse_yaml
from generator.planning.templates.spec import TemplateSpec
from generator.planning.templates.template import Template


def load_template(path: Path, text: str | None = None) -> Template:
    """Parse, validate and syntax-check one template file (or ``text``, as if it were that file's).

    Raises:
        TemplateError: naming the file, line and field of the first problem found.
    """
    data, lines = read_template_data(path, text)
    spec = validate(TemplateSpec, data, path, lines)
    template = Template(spec=spec, path=path, lines=lines, env=make_environment(spec.locale))
    for problem in template_problems(template):
        raise problem
    return template


def read_template_data(path: Path, text: str | None = None) -> tuple[dict[str, Any], dict[tuple[str | int, ...], Mark]]:
    """A template file's mapping, its brand kit merged in, and the (line, column) of each field.

    ``text``: the file's content as an editor holds it, unsaved (None: read the file). Relative
    references (brand kit, assets) resolve against ``path`` either way.

    Raises:
        TemplateError: unreadable file, invalid YAML, not a mapping, or a bad brand kit.
    """
    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise TemplateError(f"cannot read template: {exc}", file=path) from exc
    data, lines = parse_yaml(text, path)
    if not isinstance(data, dict):
        raise TemplateError("a template is a YAML mapping (id, version, shots, ...)", file=path, line=1)
    kit_ref = data.get("brand_kit")
    if isinstance(kit_ref, str):
        data = with_brand_kit(data, load_brand_kit(kit_ref, path, lines))
    return data, lines


def discover_templates(root: Path) -> tuple[dict[str, Template], list[TemplateError]]:
    """Load every ``<root>/<vertical>/*.yaml``; broken files are returned as errors, not raised."""
    templates: dict[str, Template] = {}
    errors: list[TemplateError] = []
    for path in sorted(root.glob("*/*.yaml")):
        if path.parent.name == KITS_FOLDER:
            continue
        try:
            template = load_template(path)
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
