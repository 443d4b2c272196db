"""docs/templates.md: every example compiles, and every field of the template language is documented."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

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
