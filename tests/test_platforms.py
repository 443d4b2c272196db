"""Platform creative checks in lint: each rule broken on purpose is found with its source; shipped templates pass."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.orchestration.cli import main
from generator.orchestration.stores.speech import voices
from generator.planning.catalog import load_catalog
from generator.planning.catalog.source import CatalogOptions
from generator.planning.lint import Finding, lint_template
from generator.planning.platforms import DOC, PLATFORMS, PlatformCheck, platform_names
from tests.conftest import DRAFT_LEGIBILITY, REPO, SAMPLE_CATALOG

# Passes every Reels and TikTok rule on the sample product: the product and the brand at once, a 2 s hook,
# a call to action at the end, little text, all of it clear of both apps' buttons, 4 s in all.
BASE = """\
id: platforms
version: 1
vertical: test
canvas: {fps: 30, aspects: ["9:16"]}
shots:
  - id: hook
    duration: 2.0
    background: {prompt: "studio"}
    product: {box: [0.2, 0.25, 0.6, 0.4], enter: none}
    text:
      - {text: "{{ product.brand }}", style: body, box: [0.1, 0.05, 0.8, 0.12], enter: none}
  - id: end
    duration: 4.0
    background: {prompt: "studio"}
    product: {box: [0.2, 0.25, 0.6, 0.4], enter: none}
    text:
      - {text: "Shop now", style: cta, box: [0.2, 0.62, 0.6, 0.1], enter: none}
"""
WORDY = "Big bold news for you today only"
# (platform, rule, what to replace in BASE, its replacement, the text on the line the finding points at)
BROKEN = [
    ("reels", "opening.product", "product: {box: [0.2, 0.25, 0.6, 0.4], enter: none}\n    text:\n      - {text: \"{{",
     "product: {box: [0.2, 0.25, 0.6, 0.4], enter: none, delay: 1.2}\n    text:\n      - {text: \"{{",
     "delay: 1.2"),
    ("reels", "opening.brand", '"{{ product.brand }}"', '"Hello"', "- id: hook"),
    ("tiktok", "opening.hook", "duration: 2.0", "duration: 3.5", "- id: hook"),
    ("reels", "ending.cta", "style: cta", "style: body", "- id: end"),
    ("tiktok", "legibility.text-area", "      - {text: \"Shop now\"",
     f"      - {{text: \"{WORDY}\", style: headline, box: [0.04, 0.03, 0.84, 0.22], enter: none}}\n"
     f"      - {{text: \"{WORDY}\", style: headline, box: [0.04, 0.27, 0.84, 0.4], enter: none}}\n"
     "      - {text: \"Shop now\"", "- id: end"),
    ("reels", "legibility.ui-zone", "box: [0.2, 0.62, 0.6, 0.1]", "box: [0.2, 0.86, 0.6, 0.1]", "Shop now"),
    ("tiktok", "legibility.type-size", "canvas:", "styles: {body: {size: 24, min_size: 20}}\ncanvas:", "product.brand"),
    ("reels", "length", "duration: 4.0", "duration: 14.0", "shots:"),
    ("tiktok", "length", "duration: 4.0", "duration: 2.0", "shots:"),
]  # fmt: skip


def _lint(path: Path, platforms: tuple[str, ...], catalog: Path | None = None) -> list[Finding]:
    loaded = load_catalog(catalog, CatalogOptions()) if catalog is not None else None
    return lint_template(
        path, loaded, path.parent.parent, legibility=DRAFT_LEGIBILITY, voices=voices(),
        platforms=PlatformCheck(platforms),
    )  # fmt: skip


def _platform_findings(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if DOC in f.message]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "templates" / "test" / "platforms.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_the_base_template_passes_every_platform_rule(tmp_path: Path) -> None:
    assert _platform_findings(_lint(_write(tmp_path, BASE), ("reels", "tiktok", "shorts"))) == []


@pytest.mark.parametrize(("platform", "rule", "old", "new", "marker"), BROKEN, ids=[f"{p}-{r}" for p, r, *_ in BROKEN])
def test_a_template_that_breaks_a_rule_is_warned_with_the_rule_and_its_source(
    tmp_path: Path, platform: str, rule: str, old: str, new: str, marker: str
) -> None:
    assert BASE.count(old) == 1
    text = BASE.replace(old, new)
    findings = _platform_findings(_lint(_write(tmp_path, text), (platform,)))
    source = PLATFORMS[platform].rules[rule].source
    title = PLATFORMS[platform].title
    found = [f for f in findings if f"{title} {rule}:" in f.message]
    assert len(found) == 1, findings
    finding = found[0]
    line = next(i for i, row in enumerate(text.splitlines(), start=1) if marker in row)
    assert finding.severity == "warning" and finding.line == line and finding.file.name == "platforms.yaml"
    assert "the sample product in 9:16" in finding.message and "(limit: " in finding.message
    assert source.url in finding.message and f"{DOC}#{platform}" in finding.message
    assert [f for f in findings if f is not finding] == [], "only the broken rule is reported"


def test_the_cli_takes_platforms_as_a_list_and_fails_on_them_only_when_strict(tmp_path: Path) -> None:
    path = _write(tmp_path, BASE.replace("style: cta", "style: body"))
    loose = CliRunner().invoke(main, ["templates", "lint", str(path), "--platform", "reels,tiktok"])
    assert loose.exit_code == 0
    assert "Reels ending.cta" in loose.output and "TikTok ending.cta" in loose.output
    strict = CliRunner().invoke(main, ["templates", "lint", str(path), "--platform", "reels", "--strict-platform"])
    assert strict.exit_code == 1 and ": error: " in strict.output and "Reels ending.cta" in strict.output
    unknown = CliRunner().invoke(main, ["templates", "lint", str(path), "--platform", "reelz"])
    assert unknown.exit_code == 2 and "unknown platform 'reelz'" in unknown.output
    assert platform_names(["reels, tiktok", "reels"]) == ("reels", "tiktok")


def test_a_template_without_the_platforms_aspect_is_told_so(tmp_path: Path) -> None:
    path = _write(tmp_path, BASE.replace('aspects: ["9:16"]', 'aspects: ["1:1"]'))
    findings = _platform_findings(_lint(path, ("reels",))) + [
        f for f in _lint(path, ("reels",)) if "makes no 9:16 video" in f.message
    ]
    assert [(f.severity, f.line) for f in findings] == [("warning", 4)]


SHIPPED = sorted(
    p.relative_to(REPO / "templates") for p in (REPO / "templates").glob("*/*.yaml") if p.parent.name != "kits"
)


# Why shipped templates fail today, on both catalogs (the lead's report has every template, line and value): none
# shows its product within 1 s (it first rests in the second shot: 2.7-3.3 s, up to 6.9 s where a voice line
# stretches the hook to 6 s, which also breaks the 3 s hook), Reels' 35 % bottom and TikTok's right 150 px
# cover texts and products, and with voice lines the ads run 21-29 s, past Reels' 15 s.
@pytest.fixture(scope="module")
def vertical_templates(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped templates, each making only its 9:16 video (the only aspect Reels and TikTok show, and each
    template's first, so its plans are the same), to lint them four times faster."""
    root = tmp_path_factory.mktemp("shipped") / "templates"
    shutil.copytree(REPO / "templates", root)
    for name in SHIPPED:
        path = root / name
        text, count = re.subn(r'aspects: \[("9:16")[^\]]*\]', r"aspects: [\1]", path.read_text(encoding="utf-8"))
        assert count == 1, f"{name}: its aspects are not a one-line list starting with 9:16"
        path.write_text(text, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def stress_catalog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("stress")
    subprocess.run([sys.executable, str(REPO / "catalogs" / "make_stress.py"), str(folder)], check=True)
    return folder / "stress.csv"


@pytest.mark.parametrize("name", SHIPPED, ids=[p.stem for p in SHIPPED])
@pytest.mark.parametrize("catalog", ["sample", "stress"])
def test_every_shipped_template_passes_reels_and_tiktok(
    vertical_templates: Path, stress_catalog: Path, name: Path, catalog: str
) -> None:
    findings = _lint(
        vertical_templates / name, ("reels", "tiktok"), SAMPLE_CATALOG if catalog == "sample" else stress_catalog
    )
    assert [str(f) for f in _platform_findings(findings)] == []


@pytest.mark.parametrize("layout", ["centered", "stacked", "split"])
def test_an_end_card_is_a_call_to_action_clear_of_every_apps_buttons_in_each_layout(
    tmp_path: Path, layout: str
) -> None:
    # The end shot's own "Shop now" is gone: the end card after it is the last shot, laid out by the kit.
    end = '    text:\n      - {text: "Shop now", style: cta, box: [0.2, 0.62, 0.6, 0.1], enter: none}\n'
    text = BASE.replace(end, "")
    assert "Shop now" not in text
    text += f'end_card: {{duration: 2.0, cta: "Get yours", layout: {layout}}}\n'
    without = _platform_findings(_lint(_write(tmp_path, BASE.replace("style: cta", "style: body")), ("reels",)))
    assert [f.message.split(":")[0] for f in without] != []  # no cta at all: the rule bites
    findings = _lint(_write(tmp_path, text), ("reels", "tiktok", "shorts"))
    assert not [f for f in findings if f.severity == "error"] and _platform_findings(findings) == []
