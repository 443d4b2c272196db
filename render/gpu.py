"""The GPU path's settings: frames composited on CUDA where torch sees a device, encoded with NVENC
where the ffmpeg binary has it and it runs; the CPU path for whatever is missing.

Which path is taken is decided once, before any output key is made, so a key always names the
path that made its output.
"""

from __future__ import annotations

import dataclasses
import functools
import subprocess

from render.encode import EncodeSettings, ffmpeg_executable

_PROBE_SECONDS = 60  # a first CUDA context can take a while; a hung driver must not hang the batch


@functools.cache
def nvenc_works(executable: str) -> bool:
    """Whether ``executable`` encodes with ``h264_nvenc`` here: a binary may be built with it and still
    find no driver or GPU, so a few frames are encoded to find out (once per process)."""
    argv = [
        executable, "-hide_banner", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i",
        "color=black:size=256x256:rate=25:duration=0.2", "-c:v", "h264_nvenc", "-f", "null", "-",
    ]  # fmt: skip
    try:
        done = subprocess.run(argv, capture_output=True, timeout=_PROBE_SECONDS, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def cuda_available() -> bool:
    """Whether torch sees a CUDA device."""
    import torch

    return bool(torch.cuda.is_available())


def on_gpu(settings: EncodeSettings, executable: str | None = None) -> tuple[EncodeSettings, tuple[str, ...]]:
    """``settings`` moved to the GPU as far as this machine allows, and a note for each part that stays on the CPU.

    Compositing moves to ``cuda`` when torch sees a device; encoding to ``h264_nvenc`` when the
    ffmpeg binary (``executable``, default ``ffmpeg_executable()``) encodes with it here.

    Raises:
        ConfigError: ``$ADGEN_FFMPEG`` names no executable.
    """
    notes = []
    compositing, codec = settings.compositing, settings.codec
    if cuda_available():
        compositing = "cuda"
    else:
        notes.append("torch sees no CUDA device: frames are composited on the CPU")
    if nvenc_works(executable or ffmpeg_executable()):
        codec = "h264_nvenc"
    else:
        notes.append("ffmpeg cannot encode with h264_nvenc here (no NVENC in the binary, or no NVIDIA driver): x264")
    return dataclasses.replace(settings, compositing=compositing, codec=codec), tuple(notes)
