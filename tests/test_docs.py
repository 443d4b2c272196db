"""docs/templates.md: every example compiles, and every field of the template language is documented."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.orchestration.stores.speech import voices
from generator.planning.lint import lint_template
from generator.planning.templates import BrandKit, TemplateSpec, load_template, template_schema
from tests.conftest import DRAFT_LEGIBILITY, REPO

DOC = REPO / "docs" / "templates.md"
BLOCKS = re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
KIT = re.compile(r"^# templates/kits/([\w-]+\.yaml)\n")


@pytest.fixture(scope="module")
def docs_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A templates folder holding the shipped assets and every kit the page shows."""
    root = tmp_path_factory.mktemp("docs") / "templates"
    shutil.copytree(REPO / "templates" / "assets", root / "assets")
    shutil.copytree(REPO / "templates" / "kits", root / "kits")
    for block in BLOCKS:
        kit = KIT.match(block)
        if kit:
            (root / "kits" / kit.group(1)).write_text(block, encoding="utf-8")
    return root


def test_the_page_has_examples() -> None:
    assert len(BLOCKS) >= 7
    assert sum(bool(KIT.match(block)) for block in BLOCKS) >= 1


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_every_example_compiles_and_lints_clean(index: int, docs_root: Path) -> None:
    block = BLOCKS[index]
    kit = KIT.match(block)
    if kit:
        BrandKit.model_validate(yaml.safe_load(block))
        return
    path = docs_root / "demo" / f"example-{index}.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(block, encoding="utf-8")
    template = load_template(path)
    assert template.spec.shots
    findings = lint_template(path, legibility=DRAFT_LEGIBILITY, voices=voices())
    assert [str(f) for f in findings if f.severity == "error"] == []


def test_every_field_of_the_language_is_in_the_reference() -> None:
    text = DOC.read_text(encoding="utf-8")
    schema = template_schema()
    names = set(schema["properties"])
    for definition in schema["$defs"].values():
        names |= set(definition.get("properties", {}))
    names |= set(BrandKit.model_fields) | set(TemplateSpec.model_fields)
    missing = sorted(name for name in names if f"`{name}" not in text and f".{name}`" not in text)
    assert missing == []


def _sheets_script() -> object:
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_sheets", REPO / "docs" / "templates" / "make_sheets.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_shipped_template_and_aspect_has_a_current_contact_sheet_and_the_readme_shows_the_posters() -> None:
    from PIL import Image

    from generator.core.geometry import ASPECT_SIZES
    from generator.planning.catalog import load_catalog
    from generator.planning.plan.compile import compile_plan
    from generator.planning.templates import discover_templates

    sheets: Any = _sheets_script()
    root, folder = REPO / "templates", REPO / "docs" / "templates"
    templates, broken = discover_templates(root)
    assert broken == []
    catalog = load_catalog(REPO / "catalogs" / "sample.csv")
    expected = set()
    for template_id, template in templates.items():
        product = sheets.pick_product(template, catalog.products, templates)
        assert product is not None, template_id
        for aspect in template.spec.canvas.aspects:
            path = folder / f"{template_id}-{aspect.replace(':', 'x')}.jpg"
            expected.add(path.name)
            assert path.is_file(), f"{path.name} is missing: run python docs/templates/make_sheets.py"
            shots = len(compile_plan(template, product, aspect, root, voices()).shots)
            width, height = ASPECT_SIZES[aspect]
            still_width = max(2, round(width * 240 / min(width, height) / 2) * 2)  # scale_plan keeps sizes even
            with Image.open(path) as sheet:
                # One still per shot of the plan as the template is today: a stale sheet has another count.
                assert abs(sheet.width - (10 + shots * (still_width + 10))) <= shots, (path.name, shots)
    assert {p.name for p in folder.glob("*.jpg")} - {"posters.jpg"} == expected  # no sheet of a removed template
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "docs/templates/posters.jpg" in readme and "docs/templates/" in readme
