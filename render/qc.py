"""Checks of an encoded video against its plan, read from the MP4's own boxes (no decoding).

Run on every render before it is stored: a video that fails a check is reported, never shipped.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from generator.errors import RenderError
from generator.plan import ShotPlan

_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl"}


@dataclass(frozen=True)
class Mp4Track:
    handler: str  # "vide" or "soun"
    samples: int
    width: int
    height: int


@dataclass(frozen=True)
class Mp4Layout:
    top_level: tuple[str, ...]  # box types in file order
    tracks: tuple[Mp4Track, ...]


def _boxes(data: bytes, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """(type, payload start, box end) of each box in ``data[start:end]``."""
    offset = start
    while offset + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, offset)
        header = 8
        if size == 1:
            size = struct.unpack_from(">Q", data, offset + 8)[0]
            header = 16
        elif size == 0:
            size = end - offset
        if size < header or offset + size > end:
            raise ValueError(f"corrupt box {kind!r} at byte {offset}")
        yield kind, offset + header, offset + size
        offset += size


def read_layout(path: Path) -> Mp4Layout:
    """Top-level box order and, per track, its handler, sample count and video size."""
    data = path.read_bytes()
    top = []
    tracks: list[Mp4Track] = []
    for kind, payload, end in _boxes(data, 0, len(data)):
        top.append(kind.decode("latin-1"))
        if kind == b"moov":
            for sub, sub_payload, sub_end in _boxes(data, payload, end):
                if sub == b"trak":
                    tracks.append(_track(data, sub_payload, sub_end))
    return Mp4Layout(tuple(top), tuple(tracks))


def _track(data: bytes, start: int, end: int) -> Mp4Track:
    found: dict[bytes, int] = {}

    def walk(begin: int, stop: int) -> None:
        for kind, payload, box_end in _boxes(data, begin, stop):
            if kind in _CONTAINERS:
                walk(payload, box_end)
            elif kind == b"hdlr":
                found[b"hdlr"] = payload
            elif kind == b"stsz":
                found[b"stsz"] = payload
            elif kind == b"tkhd":
                found[b"tkhd"] = box_end

    walk(start, end)
    handler = data[found[b"hdlr"] + 8 : found[b"hdlr"] + 12].decode("latin-1")
    samples = struct.unpack_from(">I", data, found[b"stsz"] + 8)[0]
    width, height = struct.unpack_from(">II", data, found[b"tkhd"] - 8)  # 16.16 fixed point, last 8 bytes
    return Mp4Track(handler, samples, width >> 16, height >> 16)


def check_video(path: Path, plan: ShotPlan) -> None:
    """Verify an encoded file matches its plan.

    Raises:
        RenderError: naming the failed check (``qc: ...``).
    """
    try:
        layout = read_layout(path)
    except (OSError, ValueError, KeyError, struct.error) as exc:
        raise RenderError(f"qc: unreadable MP4: {exc}") from exc
    if "moov" not in layout.top_level or "mdat" not in layout.top_level:
        raise RenderError(f"qc: MP4 lacks moov or mdat (boxes: {', '.join(layout.top_level)})")
    if layout.top_level.index("moov") > layout.top_level.index("mdat"):
        raise RenderError("qc: moov after mdat; the file would not start playing before it is fully downloaded")
    video = [t for t in layout.tracks if t.handler == "vide"]
    if len(video) != 1:
        raise RenderError(f"qc: expected one video track, found {len(video)}")
    if video[0].samples != plan.frames:
        raise RenderError(f"qc: video has {video[0].samples} frames, the plan {plan.frames}")
    if (video[0].width, video[0].height) != tuple(plan.size):
        raise RenderError(f"qc: video is {video[0].width}x{video[0].height}, the plan {plan.size[0]}x{plan.size[1]}")
    audio = [t for t in layout.tracks if t.handler == "soun"]
    if plan.audio is not None and len(audio) != 1:
        raise RenderError(f"qc: expected one audio track, found {len(audio)}")
