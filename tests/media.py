"""Decode and inspect real MP4 files with the same ffmpeg binary adgen uses."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from render.encode import ffmpeg_executable


@dataclass(frozen=True)
class StreamInfo:
    video_codec: str
    video_profile: str
    pix_fmt: str
    size: tuple[int, int]
    fps: float
    audio_codec: str | None


def probe(path: Path) -> StreamInfo:
    """Stream facts as ffmpeg's demuxer reports them."""
    result = subprocess.run(  # ffmpeg exits 1 without an output file: its banner is what is read
        [ffmpeg_executable(), "-hide_banner", "-i", str(path)], capture_output=True, text=True, check=False
    )
    video = re.search(
        r"Video: (\w+) \(([^)]+)\)[^,]*, (\w+)[^,]*(?:\([^)]*\))?, (\d+)x(\d+).*?, ([\d.]+) fps", result.stderr
    )
    assert video, result.stderr
    audio = re.search(r"Audio: (\w+)", result.stderr)
    return StreamInfo(
        video_codec=video.group(1),
        video_profile=video.group(2),
        pix_fmt=video.group(3),
        size=(int(video.group(4)), int(video.group(5))),
        fps=float(video.group(6)),
        audio_codec=audio.group(1) if audio else None,
    )


@dataclass(frozen=True)
class DecodedVideo:
    hashes: tuple[str, ...]  # md5 of each decoded frame
    duration: Fraction  # seconds, from the last frame's pts + duration


def decode_hashes(path: Path) -> DecodedVideo:
    """Decode every video frame; per-frame md5s and the stream's decoded duration."""
    out = subprocess.run(
        [ffmpeg_executable(), "-v", "error", "-i", str(path), "-map", "0:v", "-f", "framemd5", "-"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    timebase = Fraction(re.search(r"#tb 0: (\d+/\d+)", out).group(1))  # type: ignore[union-attr]
    rows = [line.split(",") for line in out.splitlines() if line and not line.startswith("#")]
    last = rows[-1]
    duration = (int(last[2]) + int(last[3])) * timebase
    return DecodedVideo(tuple(r[-1].strip() for r in rows), duration)


def count_frames(path: Path) -> int:
    """Video frames in the file, counted by ffmpeg from its packets (no decoding)."""
    out = subprocess.run(
        [ffmpeg_executable(), "-v", "error", "-i", str(path), "-map", "0:v", "-c", "copy", "-f", "null", "-",
         "-progress", "pipe:1", "-nostats"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return int([line for line in out.splitlines() if line.startswith("frame=")][-1].removeprefix("frame="))


def decode_frame(path: Path, index: int) -> np.ndarray:
    """Frame ``index`` (0-based) as an RGB array."""
    info = probe(path)
    data = subprocess.run(
        [ffmpeg_executable(), "-v", "error", "-i", str(path), "-vf", f"select=eq(n\\,{index})", "-fps_mode", "passthrough",
         "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    width, height = info.size
    return np.frombuffer(data, dtype=np.uint8).reshape(height, width, 3)


def top_level_boxes(path: Path) -> list[str]:
    """MP4 top-level box types in file order, read independently of adgen's own parser."""
    data = path.read_bytes()
    boxes, offset = [], 0
    while offset + 8 <= len(data):
        size = int.from_bytes(data[offset : offset + 4], "big")
        kind = data[offset + 4 : offset + 8].decode("latin-1")
        if size == 1:
            size = int.from_bytes(data[offset + 8 : offset + 16], "big")
        boxes.append(kind)
        offset += size if size else len(data)
    return boxes


def loudness(path: Path) -> tuple[float, float]:
    """Integrated loudness (LUFS) and true peak (dBTP) of ``path``'s audio, as ffmpeg's ebur128 filter measures them."""
    done = subprocess.run(
        [ffmpeg_executable(), "-nostats", "-i", str(path), "-map", "0:a", "-af", "ebur128=peak=true", "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    summary = done.stderr[done.stderr.rindex("Summary:") :]
    integrated = re.search(r"I:\s+(-?[\d.]+) LUFS", summary)
    peak = re.search(r"Peak:\s+(-?[\d.]+) dBFS", summary)
    assert integrated is not None and peak is not None, summary
    return float(integrated[1]), float(peak[1])
