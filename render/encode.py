"""Encoding: ffmpeg command lines built as data, one runner that streams raw frames into them.

``encode_argv`` is pure (ffmpeg-python builds the graph, we return the argument list) and is
tested without running anything; ``encode_video`` is the only place that starts ffmpeg. The binary
is ``$ADGEN_FFMPEG`` when set, else the one shipped in the ``imageio-ffmpeg`` wheel.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import os
import queue
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import IO, Annotated, Literal

import ffmpeg
import numpy as np
from PIL import Image
from pydantic import Field

from generator.core.errors import ConfigError, EncodeError
from render.colour import VideoFrame, pack_420

_QUEUE_FRAMES = 8  # raw frames buffered between the compositor and ffmpeg (about 25 MB at 1080x1920)
_PIPE_BYTES = 1 << 20  # the pipe's buffer (Linux's default ceiling): a sixth of the wake-ups of the 64 KiB default


X264_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow")
# NVENC's presets, p1 (fastest) to p7 (best), for the x264 preset of about the same trade of speed for size
NVENC_PRESETS = MappingProxyType({
    "ultrafast": "p1", "superfast": "p2", "veryfast": "p3", "faster": "p3", "fast": "p4", "medium": "p5",
    "slow": "p6", "slower": "p7", "veryslow": "p7",
})  # fmt: skip


_NONE = object()
_EARLIER = MappingProxyType({"compositing": "cpu", "threads": 3})  # added fields, at their defaults


@dataclass(frozen=True)
class EncodeSettings:
    """How frames become the MP4: where they are composited, and the H.264/AAC settings.

    The defaults composite on the CPU and encode with x264's own balance of speed and size at high
    quality. ``compositing`` ``cuda`` draws the frames on the GPU (``render.compose.device``);
    ``h264_nvenc`` encodes on it, with ``crf`` as its constant-quality level and ``preset`` mapped
    to ``NVENC_PRESETS``. ``threads`` is x264's, fixed: its output depends on its thread count,
    which "auto" would take from the machine's cores, and with frame threads (more than one) its
    rate control also depends on which frame finishes first, so a loaded machine can give other bytes
    now and then; one thread is repeatable by construction. Every field is part of an output's key
    (``identity``): outputs made with other settings are other outputs."""

    compositing: Literal["cpu", "cuda"] = "cpu"
    codec: Literal["libx264", "h264_nvenc"] = "libx264"
    profile: Literal["high"] = "high"
    pixel_format: Literal["yuv420p"] = "yuv420p"
    crf: int = 20
    preset: str = "medium"
    threads: Annotated[int, Field(ge=1)] = 1
    audio_codec: Literal["aac"] = "aac"
    audio_bitrate: str = "128k"
    audio_rate: int = 48000

    def identity(self) -> dict[str, object]:
        """The fields as an output key hashes them. Fields added since keys were first made count only
        away from the values outputs were made with before them (x264's "auto" was 3 threads on 2 cores),
        so such outputs keep their keys; one made on one thread has a key of its own."""
        fields = dataclasses.asdict(self)
        return {name: value for name, value in fields.items() if _EARLIER.get(name, _NONE) != value}


def ffmpeg_executable() -> str:
    """``$ADGEN_FFMPEG`` or the imageio-ffmpeg binary.

    Raises:
        ConfigError: ``$ADGEN_FFMPEG`` names no executable.
    """
    configured = os.environ.get("ADGEN_FFMPEG")
    if configured:
        found = shutil.which(configured)
        if found is None:
            raise ConfigError(f"ADGEN_FFMPEG={configured!r} is not an executable")
        return found
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


def encode_argv(
    output: Path,
    *,
    size: tuple[int, int],
    fps: int,
    frames: int,
    audio: Path | None,
    settings: EncodeSettings = EncodeSettings(),
    executable: str = "ffmpeg",
    source: str = "pipe:",
    source_format: Literal["yuv420p", "rgb24"] = "yuv420p",
) -> list[str]:
    """The ffmpeg command that encodes ``frames`` raw frames read from ``source``.

        Frames are planar BT.709 limited-range 4:2:0 (``render.colour``), encoded as they are; or, as
        ``rgb24``, converted by ffmpeg with the BT.709 matrix. Output: H.264 High, yuv420p,
        ``+faststart`` MP4 at ``fps``, tagged BT.709 (players show untagged HD video as BT.709; BT.601
        would shift a saturated red by 13 to 16 levels); ``audio``, the master mixed for the video (a WAV,
    ``render.audio.mix``), encoded as AAC when given. Metadata
        that varies between runs (encoder strings, times) is left out, so equal frames give equal files.
    """
    width, height = size
    duration = frames / fps
    video = ffmpeg.input(source, format="rawvideo", pix_fmt=source_format, s=f"{width}x{height}", framerate=fps)
    if source_format == "rgb24":
        video = video.filter("scale", out_color_matrix="bt709", out_range="tv")
    else:  # already BT.709: said so, or ffmpeg would convert from what it takes untagged frames for
        video = video.filter("setparams", range="tv", colorspace="bt709", color_primaries="bt709", color_trc="bt709")
    streams = [video]
    if settings.codec == "h264_nvenc":  # constant quality at about x264's crf, no bitrate cap
        quality: dict[str, object] = {
            "preset": NVENC_PRESETS[settings.preset],
            "rc": "vbr",
            "cq": settings.crf,
            "b:v": 0,
        }
    else:
        quality = {"preset": settings.preset, "crf": settings.crf, "threads:v": settings.threads}
    options: dict[str, object] = {
        "c:v": settings.codec,
        "profile:v": settings.profile,
        **quality,
        "pix_fmt": settings.pixel_format,
        "colorspace": "bt709",
        "color_primaries": "bt709",
        "color_trc": "bt709",
        "color_range": "tv",
        "r": fps,
        "frames:v": frames,
        "movflags": "+faststart",
        "fflags": "+bitexact",
        "map_metadata": -1,
        "f": "mp4",
    }
    if audio is not None:
        streams.append(ffmpeg.input(str(audio)).audio.filter("atrim", duration=f"{duration:.6f}"))
        options.update({"c:a": settings.audio_codec, "b:a": settings.audio_bitrate, "ar": settings.audio_rate, "ac": 2})
    stream = ffmpeg.output(*streams, str(output), **options)
    stream = stream.global_args("-hide_banner", "-nostdin", "-loglevel", "error").overwrite_output()
    return list(stream.compile(cmd=executable))


def encode_video(frames: Iterable[VideoFrame], argv: list[str], *, size: tuple[int, int]) -> None:
    """Run ``argv`` (reading ``yuv420p``) and stream ``frames`` (video colour, ``render.colour``, of ``size``) to it.

    A frame is an image, packed here, or one packed already where it was drawn (on a device).

    A writer thread feeds ffmpeg while the next frames are composited (Pillow, OpenCV and pipe
    writes release the GIL), with at most ``_QUEUE_FRAMES`` frames in flight. A frame that is the
    same object as the one before is sent again without packing its pixels again.

    Raises:
        EncodeError: ffmpeg could not start, stopped early or exited non-zero; carries argv and stderr.
    """
    with tempfile.TemporaryFile() as stderr:
        try:
            process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=stderr)
        except OSError as exc:
            raise EncodeError(f"cannot start ffmpeg: {exc}", argv=argv, stderr="") from exc
        assert process.stdin is not None
        with contextlib.suppress(OSError, AttributeError):  # not Linux, or a lower pipe-max-size
            fcntl.fcntl(process.stdin.fileno(), fcntl.F_SETPIPE_SZ, _PIPE_BYTES)
        pending: queue.Queue[np.ndarray | None] = queue.Queue(maxsize=_QUEUE_FRAMES)
        writer = threading.Thread(target=_write_all, args=(pending, process.stdin), daemon=True)
        writer.start()
        try:
            if size[0] % 2 or size[1] % 2:
                raise EncodeError(f"4:2:0 video needs an even width and height, not {size}", argv=argv, stderr="")
            last: VideoFrame | None = None
            data = np.empty(0, np.uint8)
            for frame in frames:
                if frame is not last:
                    data, last = _packed(frame, size, argv), frame
                if not _put(pending, data, writer):
                    break  # ffmpeg stopped reading; its exit status and stderr say why
            _put(pending, None, writer)
        except BaseException:
            process.kill()
            _drain(pending)
            pending.put_nowait(None)  # wakes a writer waiting for work; a writing one fails on the dead pipe
            writer.join()
            process.wait()
            raise
        writer.join()
        returncode = process.wait()
        if returncode != 0:
            stderr.seek(0)
            raise EncodeError(
                f"ffmpeg exited with status {returncode}", argv=argv, stderr=stderr.read().decode("utf-8", "replace")
            )


def _packed(frame: VideoFrame, size: tuple[int, int], argv: list[str]) -> np.ndarray:
    """``frame``'s 4:2:0 bytes, checked for ``size``."""
    if not isinstance(frame, Image.Image):
        data = frame.packed()
        if data.size != size[0] * size[1] * 3 // 2:
            raise EncodeError(f"packed frame has {data.size} bytes, expected {size} 4:2:0", argv=argv, stderr="")
        return data
    if frame.size != size or frame.mode != "RGB":
        raise EncodeError(f"frame is {frame.mode} {frame.size}, expected RGB {size}", argv=argv, stderr="")
    return pack_420(frame)


def _put(pending: queue.Queue[np.ndarray | None], item: np.ndarray | None, writer: threading.Thread) -> bool:
    """Queue ``item`` for the writer; False once the writer has stopped (ffmpeg closed its input)."""
    while writer.is_alive():
        try:
            pending.put(item, timeout=0.1)
            return True
        except queue.Full:
            continue
    return False


def _write_all(pending: queue.Queue[np.ndarray | None], stdin: IO[bytes]) -> None:
    """Write queued frames to ffmpeg until ``None``; stop at a broken pipe."""
    try:
        while (data := pending.get()) is not None:
            stdin.write(data.data)
        stdin.close()
    except (BrokenPipeError, ValueError, OSError):
        pass  # ffmpeg is gone; the caller reads its status


def _drain(pending: queue.Queue[np.ndarray | None]) -> None:
    while True:
        try:
            pending.get_nowait()
        except queue.Empty:
            return
