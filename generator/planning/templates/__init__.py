"""Templates: YAML specs with Jinja2 expressions, validated with line numbers, evaluated in a sandbox.

YAML is parsed and validated *before* any expression runs, and expressions are evaluated one
field at a time, so catalog values can never change a template's structure; what an expression
returns is text, never evaluated again (a title ``{{ 7*7 }}`` stays literal).

Expression fields: ``shots[].when`` and ``shots[].each`` (Jinja expressions),
``shots[].background.prompt|negative`` and ``shots[].text[].text`` (Jinja templates).

::

    file ─► source (YAML, the line and column of every field) ─► kits (brand kit merged in)
         ─► schema (pydantic models of spec; violations at their lines) ─► rules (beyond the schema)
         ─► Template (template: spec + lines + the sandbox of expressions) ◄── loading drives it all
"""

from __future__ import annotations

from generator.planning.templates.expressions import make_environment
from generator.planning.templates.loading import (
    discover_templates,
    load_template,
    read_template_data,
)
from generator.planning.templates.rules import template_problems
from generator.planning.templates.schema import schema_errors, template_schema
from generator.planning.templates.source import dotted
from generator.planning.templates.spec import (
    DEFAULT_STYLES,
    NAMED_BOXES,
    Background,
    BoxSpec,
    BrandKit,
    Camera,
    Canvas,
    Captions,
    Legibility,
    Loudness,
    MascotLayer,
    Music,
    Overflow,
    Palette,
    ProductLayer,
    Shot,
    SingleBox,
    TemplateSpec,
    TextLayer,
    TextStyle,
    Transition,
    Voice,
)
from generator.planning.templates.template import Template

__all__ = [
    "DEFAULT_STYLES",
    "NAMED_BOXES",
    "Background",
    "BoxSpec",
    "BrandKit",
    "Camera",
    "Canvas",
    "Captions",
    "Legibility",
    "Loudness",
    "MascotLayer",
    "Music",
    "Overflow",
    "Palette",
    "ProductLayer",
    "Shot",
    "SingleBox",
    "Template",
    "TemplateSpec",
    "TextLayer",
    "TextStyle",
    "Transition",
    "Voice",
    "discover_templates",
    "dotted",
    "load_template",
    "make_environment",
    "read_template_data",
    "schema_errors",
    "template_problems",
    "template_schema",
]
