"""A voiced video and its WebVTT in headless Chromium: the browser plays the MP4 with the captions as a
<track> and, at each cue's time, reports that cue active with the words the video burns in."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from render.subtitles import caption_cues
from tests.conftest import stored_plan
from tests.test_studio_browser import browser, page  # noqa: F401 (fixtures)

PAGE = """<!doctype html><video id="v" src="{video}" preload="auto" muted>
<track id="t" kind="captions" srclang="en" label="English" src="{vtt}" default></video>"""


@pytest.fixture
def served(tmp_path: Path, voiced_row: tuple[dict[str, Any], Path]) -> Iterator[tuple[str, Path]]:
    """The session's voiced row, its video and WebVTT copied and served on a free 127.0.0.1 port with a page
    that plays them."""
    line, _ = voiced_row
    rendered = Path(line["video"])
    video = tmp_path / rendered.name
    for source in (rendered, rendered.with_suffix(".vtt")):
        shutil.copyfile(source, tmp_path / source.name)
    (video.parent / "play.html").write_text(PAGE.format(video=video.name, vtt=video.with_suffix(".vtt").name))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(video.parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/play.html", Path(line["job"])
    finally:
        server.shutdown()
        thread.join()


PLAYED = """async () => {
  const video = document.getElementById("v"), track = document.getElementById("t");
  track.track.mode = "hidden";
  if (track.readyState !== 2) await new Promise((done) => track.addEventListener("load", done, {once: true}));
  const seen = [];
  track.track.addEventListener("cuechange", () => seen.push({
    time: video.currentTime,
    cues: Array.from(track.track.activeCues || [], (cue) => cue.getCueAsHTML().textContent),
  }));
  const ended = new Promise((done) => video.addEventListener("ended", done, {once: true}));
  await video.play();
  await ended;
  return seen;
}"""


def test_chromium_plays_the_video_with_its_webvtt_and_reports_each_cue_active(
    served: tuple[str, Path],
    page: Any,  # noqa: F811
) -> None:
    url, job = served
    plan = stored_plan(job)
    page.goto(url)
    seen = page.evaluate(PLAYED)  # every change of the active cues while the video plays through
    shown = [[text.replace("\n", " ") for text in change["cues"]] for change in seen]
    cues = caption_cues(plan)
    assert len(cues) >= 3
    assert [texts for texts in shown if texts] == [[layer.text] for _, _, layer in cues]
    for (start, end, _), change in zip(cues, (c for c in seen if c["cues"])):
        assert start / plan.fps - 0.3 <= change["time"] <= end / plan.fps  # reported while its frames show
