"""A brand kit as loaded: its file, folder and lines, its files confined to its folder, its fonts made
available, and what it gives a template (colours by name, the kit's font, ``brand`` in expressions).

Precedence, from strongest: what the template writes, then the kit (one given at run time with
``--brand-kit`` is laid over the template's own ``brand_kit:``, the fields it writes winning), then
adgen's defaults. A colour field may name a kit colour (``primary``) instead of ``#RRGGBB``: it is
replaced by the kit's value before the template is validated; a hex colour is kept. A kit with ``colors`` gives the palette
(``background``/``background-2``, ``accent`` or else ``primary``, ``text``) and the plates of the
built-in ``cta`` (``primary``) and ``badge`` (``accent``) styles; a kit with ``font`` or ``fonts``
gives its family to every style that names no font.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.core.errors import TemplateError
from generator.core.fonts import find_font, font_family, use_font_folder
from generator.planning.templates.schema import validate
from generator.planning.templates.source import Lines, parse_yaml
from generator.planning.templates.spec import DEFAULT_STYLES, BrandKit

KIT_ROOT = "brand"  # the asset root of a run-time kit's files (``brand:logo.svg``)
_HEX = "#"


@dataclass(frozen=True)
class Kit:
    """A brand kit file, validated, with the (line, column) of its fields."""

    spec: BrandKit
    path: Path
    lines: Lines

    @property
    def folder(self) -> Path:
        return self.path.parent

    @property
    def family(self) -> str | None:
        """The family of every style that names no font: ``font``, else the first kit font's."""
        if self.spec.font is not None:
            return self.spec.font
        return font_family(self.folder / self.spec.fonts[0]) if self.spec.fonts else None

    def error(self, message: str, field: tuple[str | int, ...]) -> TemplateError:
        line, column = self.lines.get(field, (None, None))
        return TemplateError(message, file=self.path, line=line, column=column, field=".".join(map(str, field)))

    def file(self, ref: str, field: tuple[str | int, ...], root: Path | None = None) -> Path:
        """The kit's file ``ref``, relative to the kit and inside ``root`` (None: the kit's folder).

        Raises:
            TemplateError: the path leaves ``root`` or names no file (at the kit's line).
        """
        path = (self.folder / ref).resolve()
        if not path.is_relative_to(root or self.folder):
            where = "the brand kit's folder; keep the kit's files beside it" if root is None else "the templates folder"
            raise self.error(f"{ref!r} is outside {where}", field)
        if not path.is_file():
            raise self.error(f"file not found: {ref}", field)
        return path

    def variables(self) -> dict[str, Any]:
        """``brand`` in expressions: its name, cta and colours."""
        return {"name": self.spec.name, "cta": self.spec.cta, "colors": dict(self.spec.colors)}


NO_BRAND: dict[str, Any] = {"name": "", "cta": "", "colors": {}}


def brand_kit_schema() -> dict[str, Any]:
    """The brand kit file as a JSON Schema (draft 2020-12), for editors, as ``template_schema`` is for templates."""
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "adgen brand kit",
            **BrandKit.model_json_schema()}  # fmt: skip


def layered(own: BrandKit, given: BrandKit) -> BrandKit:
    """The template's own kit with a run-time kit over it: each field the run-time kit writes replaces the
    template kit's, and its styles replace the template kit's of the same name."""
    fields = {name: getattr(given, name) for name in given.model_fields_set if name != "styles"}
    return own.model_copy(update={**fields, "styles": {**own.styles, **given.styles}})


def kit_root(kit_file: Path | None) -> dict[str, Path]:
    """The asset root of a run-time kit's files, for a job's ``roots`` (none without a kit)."""
    return {KIT_ROOT: kit_file.resolve().parent} if kit_file is not None else {}


def use_kit_fonts(roots: Mapping[str, Path]) -> None:
    """Make the fonts of the run-time kit among a job's ``roots`` available to this process (a worker, a replay)."""
    if KIT_ROOT in roots:
        use_font_folder(Path(roots[KIT_ROOT]))


def read_kit(path: Path, root: Path | None = None) -> Kit:
    """The kit file ``path``; its files are checked to lie in ``root`` (None: its folder), and its fonts are
    made available.

    Raises:
        TemplateError: unreadable, invalid, or naming a file outside its folder (at the kit's line).
    """
    path = path.resolve()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateError(f"cannot read brand kit: {exc}", file=path) from exc
    data, lines = parse_yaml(text, path)
    kit = Kit(validate(BrandKit, data if data is not None else {}, path, lines), path, lines)
    spec = kit.spec
    for name, style in spec.styles.items():
        if style.min_size > style.size:
            raise kit.error(f"min_size {style.min_size} is above size {style.size}", ("styles", name, "min_size"))
    if spec.logo is not None:
        kit.file(spec.logo, ("logo",), root)
        if Path(spec.logo).suffix.lower() not in (".png", ".svg"):
            raise kit.error("a logo is a .png or .svg file", ("logo",))
    for name in ("mascot", "music"):
        if (media := getattr(spec, name)) is not None:
            kit.file(media.ref, (name, "ref"), root)
    for index, ref in enumerate(spec.fonts):
        try:
            font_family(kit.file(ref, ("fonts", index)))
        except LookupError as exc:
            raise kit.error(str(exc), ("fonts", index)) from exc
    if spec.fonts:
        use_font_folder(kit.folder)
    family = kit.family
    if family is not None:
        try:
            for weight in ("regular", "bold"):  # the built-in headline, price, badge and cta styles are bold
                find_font(family, weight)
        except LookupError:
            raise kit.error(f"the kit has no {weight} font of family {family!r}: add its file to fonts",
                            ("fonts",) if spec.fonts else ("font",)) from None  # fmt: skip
    return kit


def kit_palette(kit: BrandKit) -> dict[str, Any]:
    """The palette fields a kit gives: its ``palette`` as written, else those its ``colors`` name."""
    if kit.palette is not None:
        return kit.palette.model_dump()
    colors, palette = kit.colors, dict[str, Any]()
    if "background" in colors:
        palette["background"] = [colors["background"], colors.get("background-2", colors["background"])]
    accent = colors.get("accent") or colors.get("primary")
    if accent is not None:
        palette["accent"] = accent
    if "text" in colors:
        palette["text"] = colors["text"]
    return palette


def kit_styles(kit: Kit) -> dict[str, dict[str, Any]]:
    """What a kit gives the built-in styles beyond its own ``styles``: its family and brand plates."""
    family, colors = kit.family, kit.spec.colors
    if family is None and not colors:
        return {}
    given: dict[str, dict[str, Any]] = {}
    for name, style in DEFAULT_STYLES.items():
        fields = style.model_dump(exclude_defaults=True)
        if name == "cta" and "primary" in colors:
            fields["plate"] = colors["primary"]
        if name == "badge" and ("accent" in colors or "primary" in colors):
            fields["plate"] = colors.get("accent") or colors["primary"]
        given[name] = fields
    return given


def with_kit_look(
    data: dict[str, Any], merged: dict[str, Any], kit: Kit, template_path: Path, lines: Lines
) -> dict[str, Any]:
    """``merged`` (template ``data`` with the kit's fields) with the kit's palette under the palette fields the
    template writes, its built-in styles and family, and every kit colour name replaced by its value.

    Raises:
        TemplateError: a colour field names a colour the kit does not have (at the template's line).
    """
    merged = dict(merged)
    written = data.get("palette")
    merged["palette"] = {**kit_palette(kit.spec), **(written if isinstance(written, dict) else {})}
    found = merged.get("styles")
    own: dict[str, Any] = found if isinstance(found, dict) else {}
    styles = {**{n: s for n, s in kit_styles(kit).items() if n not in own}, **own}
    family = kit.family
    merged["styles"] = {
        name: ({"font": family, **style} if family is not None and isinstance(style, dict) else style)
        for name, style in styles.items()
    }
    return _named_colours(merged, kit, template_path, lines)


def _named_colours(data: dict[str, Any], kit: Kit, template_path: Path, lines: Lines) -> dict[str, Any]:
    colors = kit.spec.colors

    def value(text: Any, field: tuple[str | int, ...]) -> Any:
        if not isinstance(text, str) or text.startswith(_HEX):
            return text
        if text in colors:
            return colors[text]
        line, column = lines.get(field, (None, None))
        known = ", ".join(colors) or "none"
        raise TemplateError(f"colour {text!r} is not #RRGGBB nor a colour of the brand kit {kit.path.name} "
                            f"(its colours: {known})", file=template_path, line=line, column=column,
                            field=".".join(map(str, field)))  # fmt: skip

    def pair(item: Any, field: tuple[str | int, ...]) -> Any:
        return [value(c, (*field, i)) for i, c in enumerate(item)] if isinstance(item, list) else item

    out = dict(data)
    palette = out.get("palette")
    if isinstance(palette, dict):
        out["palette"] = {
            k: pair(v, ("palette", k)) if k == "background" else value(v, ("palette", k)) for k, v in palette.items()
        }
    if isinstance(out.get("styles"), dict):
        out["styles"] = {
            name: {k: value(v, ("styles", name, k)) if k in ("color", "plate") else v for k, v in style.items()}
            if isinstance(style, dict) else style
            for name, style in out["styles"].items()
        }  # fmt: skip
    captions = out.get("captions")
    if isinstance(captions, dict) and "highlight" in captions:
        out["captions"] = {**captions, "highlight": value(captions["highlight"], ("captions", "highlight"))}
    shots = out.get("shots")
    if isinstance(shots, list):
        out["shots"] = [_shot_colours(shot, i, pair) for i, shot in enumerate(shots)]
    end = out.get("end_card")
    if isinstance(end, dict) and isinstance(end.get("background"), dict) and "palette" in end["background"]:
        background = end["background"]
        out["end_card"] = {**end, "background": {**background, "palette": pair(background["palette"],
                                                                                ("end_card", "background", "palette"))}}  # fmt: skip
    return out


def _shot_colours(shot: Any, index: int, pair: Any) -> Any:
    if not (isinstance(shot, dict) and isinstance(shot.get("background"), dict) and "palette" in shot["background"]):
        return shot
    background = shot["background"]
    return {**shot, "background": {**background, "palette": pair(background["palette"],
                                                                 ("shots", index, "background", "palette"))}}  # fmt: skip
