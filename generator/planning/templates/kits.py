"""Brand kits: ``<templates>/kits/*.yaml``, a look several templates share, merged under a template's own fields."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from generator.core.errors import TemplateError
from generator.planning.templates.brand import Kit, read_kit
from generator.planning.templates.source import Lines
from generator.planning.templates.spec import BrandKit

KITS_FOLDER = "kits"  # <templates>/kits/*.yaml are brand kits, not templates


def load_brand_kit(ref: str, template_path: Path, template_lines: Lines) -> Kit:
    """The kit file ``ref`` names, relative to the template; it must lie inside the templates folder."""
    root = template_path.parent.parent.resolve()
    kit_path = (template_path.parent / ref).resolve()
    if not kit_path.is_relative_to(root) or not kit_path.is_file():
        problem = "is outside the templates folder" if not kit_path.is_relative_to(root) else "does not exist"
        line, column = template_lines.get(("brand_kit",), (None, None))
        raise TemplateError(
            f"brand kit {ref!r} {problem}", file=template_path, line=line, column=column, field="brand_kit"
        )
    kit = read_kit(kit_path, root)
    if kit.spec.fonts:
        raise kit.error("a kit a template names cannot bring fonts; give this kit with --brand-kit", ("fonts",))
    return kit


def rebased(kit: Kit, template_path: Path) -> BrandKit:
    """The kit's fields with its files named relative to the template, which reads them relative to itself."""
    return kit.spec.model_copy(
        update={
            name: media.model_copy(
                update={"ref": os.path.relpath(kit.folder / media.ref, template_path.parent.resolve())}
            )
            for name in ("mascot", "music")
            if (media := getattr(kit.spec, name)) is not None
        }
    )


def with_brand_kit(data: dict[str, Any], kit: BrandKit) -> dict[str, Any]:
    """Template ``data`` with the kit's fields where the template has none, and the kit's styles under its own."""
    merged = dict(data)
    for name in ("locale", "palette", "mascot", "music"):
        value = getattr(kit, name)
        if name not in merged and value is not None:
            merged[name] = value.model_dump() if isinstance(value, BaseModel) else value
    own_styles = data.get("styles") or {}
    if kit.styles and isinstance(own_styles, dict):
        styles: dict[str, Any] = {name: style.model_dump(exclude_defaults=True) for name, style in kit.styles.items()}
        for name, own in own_styles.items():  # a template's style changes only the fields it writes
            styles[name] = {**styles.get(name, {}), **own} if isinstance(own, dict) else own
        merged["styles"] = styles
    return merged
