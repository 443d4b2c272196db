"""Checks of an encoded video against its plan, run on every render before it is stored.

``check_video`` reads the MP4's own boxes (layout, frame count, size, tracks). ``check_pictures``
decodes frames the way players show HD video (BT.709) and checks that every product and mascot
equals its reference under the plan's transform (within compression error, with no colour cast)
in the last frame it rests in or, over a generated clip, in every one, and that shots whose plan
moves something are not frozen. A video that fails a check is reported, never shipped.
"""

from __future__ import annotations

import struct
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import ffmpeg
import numpy as np
from PIL import Image

from generator.core.errors import EncodeError, RenderError
from generator.planning.plan.shapes import ShapePlacement
from generator.planning.plan.timeline import layer_rect, settled_frame
from generator.planning.plan.types import ImagePlacement, PlannedShot, ShotPlan, TextPlacement
from render.compose import layer_pixels_at

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


FIDELITY_ERROR = 6.0  # largest mean absolute difference (8-bit levels) of a product or mascot from its reference
FIDELITY_CAST = 3.0  # largest mean difference of one colour channel: a colour cast, even a faint one
FROZEN_LEVEL = 6  # a shot whose first and last frames differ by no more than this (but in 0.1% of pixels) did not move
_RIM = 3  # pixels at the edge of a layer's opaque inside left out (resampling and chroma blur them)


@dataclass(frozen=True)
class LayerCheck:
    """One product or mascot in one decoded frame, against its reference under the plan's transform."""

    kind: str
    shot: str
    frame: int
    error: float  # mean absolute difference, 8-bit levels
    cast: float  # largest mean difference of one channel

    @property
    def passed(self) -> bool:
        return self.error <= FIDELITY_ERROR and self.cast <= FIDELITY_CAST


def decode_argv(path: Path, frames: Sequence[int], executable: str = "ffmpeg") -> list[str]:
    """The ffmpeg command writing frames ``frames`` (sorted, 0-based) of ``path`` as raw RGB24, read as BT.709.

    Runs of consecutive frames are selected as one range: ffmpeg parses no more than 100 terms.
    """
    runs: list[list[int]] = []
    for n in frames:
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    select = "+".join(f"eq(n,{a})" if a == b else f"between(n,{a},{b})" for a, b in runs)
    stream = (
        ffmpeg.input(str(path))
        .video.filter("select", select)
        # swscale's default fast path is off by up to 3 levels on saturated colours; these flags make it exact
        .filter("scale", in_color_matrix="bt709", in_range="tv", flags="accurate_rnd+full_chroma_int")
        .output("pipe:", format="rawvideo", pix_fmt="rgb24", fps_mode="passthrough")
        .global_args("-hide_banner", "-nostdin", "-loglevel", "error")
    )
    return list(stream.compile(cmd=executable))


def decode_frames(path: Path, frames: Sequence[int], size: tuple[int, int], executable: str) -> dict[int, np.ndarray]:
    """Frames ``frames`` of ``path`` as RGB arrays, in one pass.

    Raises:
        EncodeError: ffmpeg failed or gave fewer frames than asked.
    """
    return dict(decoded_frames(path, frames, size, executable))


def decoded_frames(
    path: Path, frames: Sequence[int], size: tuple[int, int], executable: str
) -> Iterator[tuple[int, np.ndarray]]:
    """(number, RGB array) for each of ``frames`` of ``path`` in order, in one pass, each read as ffmpeg gives it.

    Raises:
        EncodeError: ffmpeg failed or gave fewer frames than asked.
    """
    wanted = sorted(set(frames))
    argv = decode_argv(path, wanted, executable)
    width, height = size
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=stderr)
        assert process.stdout is not None
        try:
            given = 0
            for number in wanted:
                frame = np.empty((height, width, 3), np.uint8)
                if not _read_into(process.stdout, frame.data.cast("B")):
                    break
                given += 1
                yield number, frame
            if process.wait() == 0 and given == len(wanted):
                return
            stderr.seek(0)
            raise EncodeError(f"qc: decoding {len(wanted)} frames for checking failed", argv=argv,
                              stderr=stderr.read().decode("utf-8", "replace"))  # fmt: skip
        finally:
            process.kill()
            process.stdout.close()
            process.wait()


def _read_into(stream: IO[bytes], buffer: memoryview) -> bool:
    """Fill ``buffer`` from ``stream``; False when the stream ends first."""
    filled = 0
    while filled < len(buffer):
        count = stream.readinto(buffer[filled:])  # type: ignore[attr-defined]
        if not count:
            return False
        filled += count
    return True


def _moves(shot: PlannedShot) -> bool:
    """Whether the plan changes anything between the shot's settled frame and its last: a camera
    move, an exit, a zoom, a turn or a filling progress bar (every entrance is over by the settled frame);
    captions come and go with the voice."""
    if settled_frame(shot) >= shot.frames - 1:
        return False
    return (
        shot.camera.moves
        or any(
            (layer.motion.exits and layer.motion.exit_frames > 0)
            or (isinstance(layer, ImagePlacement) and layer.treatment is not None and layer.treatment.moves)
            for layer in shot.layers
            if not (isinstance(layer, TextPlacement) and layer.caption is not None)
        )
        or any(isinstance(layer, ShapePlacement) and layer.animation == "fill" for layer in shot.layers)
    )


def _sampled(shot: PlannedShot, layer: ImagePlacement, moving: bool, canvas: tuple[int, int]) -> list[int]:
    """Shot-local frames where ``layer`` is checked, fully opaque, until it begins to leave: when the shot shows
    a generated clip (``moving``), each from the end of its blend with the shot before (entrances are drawn as
    the compositor draws them), else the last one, if the shot has settled by then."""
    last = layer.motion.leaves(shot.frames) - 1
    blend = shot.transition_in.frames if shot.transition_in is not None else 0
    first = blend if moving else max(last, settled_frame(shot))
    return [frame for frame in range(first, last + 1) if layer_rect(shot, layer, frame, canvas)[1] == 1.0]


def check_pictures(
    path: Path,
    plan: ShotPlan,
    source: Callable[[ImagePlacement], Image.Image],
    executable: str,
    moving: frozenset[str] = frozenset(),
) -> list[LayerCheck]:
    """Decode the frames that show each product and mascot at rest and each moving shot's settled and last
    frames (``plan.timeline.settled_frame``), and check them.

    A product or mascot is sampled in the last frame before it leaves, when its shot has settled by then; in a
    shot of ``moving`` (ids of shots showing a generated clip, which may change any frame) it is sampled on
    every frame until then, past the blend with the shot before. Only frames where it is fully opaque count.

    ``source`` gives a layer's reference image (RGBA, cutout applied). Returns every layer check made.

    Raises:
        RenderError: a product or mascot differs from its reference, or a moving shot is frozen (``qc: ...``).
    """
    samples: list[tuple[int, PlannedShot, ImagePlacement]] = []
    frozen_pairs: list[tuple[PlannedShot, int, int]] = []
    for shot in plan.shots:
        for layer in shot.layers:
            if isinstance(layer, ImagePlacement):
                frames = _sampled(shot, layer, shot.id in moving, plan.size)
                samples += [(shot.start + frame, shot, layer) for frame in frames]
        if _moves(shot):
            frozen_pairs.append((shot, shot.start + settled_frame(shot), shot.start + shot.frames - 1))
    wanted = [n for n, _, _ in samples] + [n for _, a, b in frozen_pairs for n in (a, b)]
    if not wanted:
        return []
    # One decoded frame is held at a time: what the checks need of it is taken as it comes.
    paired = {n for _, a, b in frozen_pairs for n in (a, b)}
    thumbnails: dict[int, np.ndarray] = {}
    found: dict[tuple[int, int], LayerCheck | None] = {}
    for number, frame in decoded_frames(path, wanted, plan.size, executable):
        if number in paired:
            thumbnails[number] = frame[::4, ::4].astype(np.int16)
        for index, (at, shot, layer) in enumerate(samples):
            if at == number:
                found[number, index] = _layer_check(frame, plan, shot, layer, source(layer), number - shot.start)
    for shot, first, last in frozen_pairs:
        if float(np.percentile(np.abs(thumbnails[first] - thumbnails[last]), 99.9)) <= FROZEN_LEVEL:
            raise RenderError(  # compression noise aside, nothing changed
                f"qc: the shot is frozen: frames {first} and {last} are the same, yet its plan moves", shot=shot.id
            )
    checks = []
    for index, (number, shot, layer) in enumerate(samples):
        check = found[number, index]
        if check is None:
            continue
        checks.append(check)
        if not check.passed:
            what = "mascot similarity" if layer.kind == "mascot" else f"{layer.kind} fidelity"
            raise RenderError(
                f"qc: {what} failed: mean difference {check.error:.1f}/255 (limit {FIDELITY_ERROR:g}), "
                f"colour cast {check.cast:.1f}/255 (limit {FIDELITY_CAST:g})",
                shot=shot.id,
                frame=number,
            )
    return checks


def _layer_check(
    frame: np.ndarray, plan: ShotPlan, shot: PlannedShot, layer: ImagePlacement, source: Image.Image, local: int
) -> LayerCheck | None:
    """``layer`` in ``frame`` (shot-local frame ``local``) against its reference; None when nothing of it can be compared."""
    drawn = layer_pixels_at(shot, layer, source, local, plan.size)  # under its zoom or turn, if any
    if drawn is None:
        return None
    image, (x0, y0) = drawn
    expected = np.asarray(image, dtype=np.int16)
    height, width = expected.shape[:2]
    opaque = expected[..., 3] == 255
    inside = opaque.copy()
    for axis in (0, 1):
        for shift in range(1, _RIM + 1):
            inside &= np.roll(opaque, shift, axis) & np.roll(opaque, -shift, axis)
    inside[:_RIM] = inside[-_RIM:] = inside[:, :_RIM] = inside[:, -_RIM:] = False  # a zoom's window cuts it square
    # Whatever the plan draws over the layer (text, later image layers) is not the layer.
    above = shot.layers[shot.layers.index(layer) + 1 :]
    for other in above:
        (ox, oy, ow, oh), opacity = layer_rect(shot, other, local, plan.size)
        if opacity == 0.0:
            continue
        inside[
            max(0, int(oy) - y0) : max(0, int(oy + oh) + 1 - y0), max(0, int(ox) - x0) : max(0, int(ox + ow) + 1 - x0)
        ] = False
    if inside.sum() < 64:
        return None
    region = frame[y0 : y0 + height, x0 : x0 + width].astype(np.int16)
    difference = (region - expected[..., :3])[inside]
    return LayerCheck(
        kind=layer.kind, shot=shot.id, frame=shot.start + local,
        error=round(float(np.abs(difference).mean()), 2), cast=round(float(np.abs(difference.mean(axis=0)).max()), 2),
    )  # fmt: skip
