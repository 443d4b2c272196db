"""The studio end to end in headless Chromium (Debian's, driven by Playwright) against uvicorn on 127.0.0.1.

One scenario, in the order a template author works: open a shipped template and see its voice lines
beside an unmuted draft, type a schema error and see its marker, fix it and see the storyboard change,
change a text and the caption position in form mode and see the YAML change, render the row and play
it, and find its poster on the runs page. Waits are on the
page's own state (an attribute set, an element shown), never on time. A failing test leaves a
screenshot in ``$ADGEN_TEST_ARTIFACTS`` (default ``test-artifacts/``); with
``ADGEN_STUDIO_SCREENSHOTS`` set, the three main screens are saved there (as in ``docs/studio/``).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from generator.orchestration.studio.server import StudioSettings, build_app, serving
from render.encode import EncodeSettings
from tests.conftest import REPO, sample_subset

CHROMIUM = Path(os.environ.get("ADGEN_CHROMIUM", "/usr/bin/chromium"))
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]  # fmt: skip
WAIT_MS = 240_000  # a safety net for a page state that never comes, never a pace the test relies on
TEMPLATE = "beauty-launch"


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The studio on a free 127.0.0.1 port, over a copy of the shipped templates and two sample rows."""
    folder = tmp_path_factory.mktemp("studio")
    shutil.copytree(REPO / "templates", folder / "templates")
    catalog = sample_subset(folder, ["BEA-001", "BEA-002"])
    settings = StudioSettings(folder / "templates", catalog, folder / "work", encode=EncodeSettings(preset="ultrafast"))
    with serving(build_app(settings)) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        message = f"Chromium not installed at {CHROMIUM}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    opened = context.new_page()
    opened.set_default_timeout(WAIT_MS)
    yield opened
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        artifacts = Path(os.environ.get("ADGEN_TEST_ARTIFACTS", REPO / "test-artifacts"))
        artifacts.mkdir(parents=True, exist_ok=True)
        opened.screenshot(path=str(artifacts / f"{request.node.name}.png"), full_page=True)
    context.close()


def screen(page: Any, name: str) -> None:
    """Save a screenshot of the page for the docs, when asked to."""
    folder = os.environ.get("ADGEN_STUDIO_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"))


def select_in_editor(page: Any, needle: str, occurrence_of: str) -> int:
    """Select ``needle`` in the first line containing ``occurrence_of``; returns that line's number."""
    return int(
        page.evaluate(
            """([needle, anchor]) => {
                const editor = window.studioEditor, text = editor.getText();
                const start = text.indexOf(anchor) + anchor.indexOf(needle);
                editor.view.dispatch({ selection: { anchor: start, head: start + needle.length } });
                editor.view.focus();
                return text.slice(0, start).split("\\n").length;
            }""",
            [needle, occurrence_of],
        )
    )


def storyboard_after(page: Any, previous: str | None) -> str:
    """Wait for a storyboard of another plan than ``previous`` to be shown and loaded; its plan hash."""
    page.wait_for_function(
        """(previous) => { const img = document.querySelector('#storyboard');
            return img && img.dataset.planHash && img.dataset.planHash !== previous && img.complete && img.naturalWidth > 0; }""",
        arg=previous,
    )
    return str(page.get_attribute("#storyboard", "data-plan-hash"))


def test_author_a_template_preview_it_render_a_row_and_find_the_run(studio: str, page: Any) -> None:
    # 1. Open a shipped template from the list.
    page.goto(studio + "/")
    page.wait_for_selector(f"tr[data-id='{TEMPLATE}']")
    screen(page, "templates")
    page.click(f"tr[data-id='{TEMPLATE}']")
    page.wait_for_selector(".cm-content")
    first = storyboard_after(page, None)
    shipped = float(page.get_attribute("#draft", "data-duration") or 0)
    page.wait_for_function("document.querySelector('#draft').readyState >= 2")  # then the draft video plays
    assert page.evaluate("document.querySelector('#draft').muted") is False  # with its voice
    assert page.inner_text("#lines li[data-shot='hook']").startswith("♪ hook · 0.20 s: “Meet the Velvet Matte")
    page.evaluate("""() => new Promise((seeked) => { const video = document.querySelector('#draft');
        video.addEventListener('seeked', seeked, { once: true }); video.currentTime = 3; })""")  # past the fade-in
    screen(page, "editor")

    # 2. Type a schema error: a marker appears at its line.
    line = select_in_editor(page, "2.5", "duration: 2.5")
    page.keyboard.type("fast")
    page.wait_for_selector(f"#problems li.error[data-line='{line}']")
    assert page.evaluate("window.studioEditor.diagnosticLines()") == [line]
    marker = page.locator(".cm-lint-marker-error").first.bounding_box()
    row = page.locator(".cm-line").nth(line - 1).bounding_box()
    assert marker is not None and row is not None and abs(marker["y"] - row["y"]) < row["height"]
    assert "duration" in page.inner_text(f"#problems li[data-line='{line}']")

    # 3. Fix it (with another duration, up to the shot's max_duration of 3 s): the markers go and the storyboard changes.
    select_in_editor(page, "fast", "duration: fast")
    page.keyboard.type("3.0")
    second = storyboard_after(page, first)
    assert line not in page.evaluate("window.studioEditor.diagnosticLines()")  # what stays: the lost-shot warning
    assert page.locator("#problems li.error").count() == 0
    duration = float(page.get_attribute("#draft", "data-duration") or 0)
    assert duration == pytest.approx(shipped + 0.5)  # the hook shot is half a second longer

    # 4. Change a text in form mode: the YAML shows it.
    page.click("#tab-form")
    field = page.locator("input[data-path='shots.0.text.0.text']")
    field.fill("Just in from {{ product.brand }}")
    field.press("Tab")
    page.wait_for_function("window.studioEditor.getText().includes('Just in from {{ product.brand }}')")
    third = storyboard_after(page, second)
    position = page.locator("select[data-path='captions.position']")  # not in the YAML: offered at its default
    assert position.input_value() == "bottom"
    position.select_option("top")
    page.wait_for_function("window.studioEditor.getText().includes('captions: {style: karaoke, position: top,')")
    storyboard_after(page, third)
    screen(page, "form-mode")
    page.click("#tab-yaml")

    # 5. Render the row: the video plays, as long as the plan.
    page.click("#render-row")
    page.wait_for_function("document.querySelector('#rendered').readyState >= 2")
    assert page.evaluate("document.querySelector('#rendered').duration") == pytest.approx(duration, abs=0.05)

    # 6. The runs page shows its poster.
    page.click("#render-status a")
    page.wait_for_function(
        "[...document.querySelectorAll('.tile img')].some((img) => img.complete && img.naturalWidth > 0)"
    )
    assert page.get_attribute(".tile", "data-sku") == "BEA-001"
    screen(page, "runs")
