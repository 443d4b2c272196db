"""A video's master audio, computed in numpy: the music bed, voice clips over it, ducking, loudness and peak.

``mix`` lays the music (looped or cut to the video, at its volume, faded out at the end) and each voice clip
(resampled to 48 kHz, mono on both channels) at its place, ducks the music under the voices, brings the sum
to a loudness target and keeps its true peak under a ceiling, with headroom for the AAC encoder. Nothing in it
is random and every filter is fixed, so the same inputs give the same bytes. ``write_wav`` hands the result to
ffmpeg; ``decode_argv`` (pure) and ``decode_audio`` read any audio file, or a video's audio, as float samples.
"""

from __future__ import annotations

import math
import os
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import ffmpeg
import numpy as np
from scipy.io import wavfile
from scipy.signal import resample_poly

from generator.core.errors import ConfigError, EncodeError, RenderError
from generator.core.speech import Speech
from render.audio import levels
from render.audio.levels import RATE, amplitude, integrated_loudness, peaks, rms
from render.audio.limiter import limiter_gain

LOUDNESS_TARGETS = (-14.0, -16.0, -23.0)  # LUFS: streaming platforms (default), quieter platforms, EBU R128
# dB under the true-peak ceiling kept for ffmpeg's native AAC at 128k: it overshot by up to 0.4 dB on music and
# speech; only noise limited at full level overshoots more (1.4 to 1.9 dB, where its noise substitution replaces it)
AAC_MARGIN = 1.0
_TOLERANCE = 0.5  # LU: the mix must land this close to its target
DUCK_ATTACK = 0.12  # s: the music goes down over this before a voice starts
DUCK_RELEASE = 0.2  # s: and comes back over this after it ends
_ROUNDS = 6  # gain corrections at most (secant steps; two or three when the limiter works)
_CLOSE = 0.02  # LU: close enough to stop correcting


@dataclass(frozen=True)
class VoiceClip:
    """A clip of speech heard from ``start`` seconds into the video."""

    start: float
    speech: Speech


@dataclass(frozen=True)
class MusicBed:
    """Music under the video (as ``render.encode.AudioBed``): looped or cut, scaled by ``volume``, faded out."""

    path: Path
    volume: float
    fade_out: float


@dataclass(frozen=True, eq=False)
class VoiceSpan:
    """Where a voice clip is heard (seconds, cut to the video) and, in the finished mix, what is there: the
    mix's level, the ducked music's alone and the voice's alone (dBFS RMS), and the voice itself (``reference``,
    mono float32), which QC looks for in the encoded file."""

    start: float
    end: float
    level: float
    music: float
    voice: float
    reference: np.ndarray


@dataclass(frozen=True, eq=False)
class Mix:
    """The master: float32 (n, 2) ``samples`` at 48 kHz, as measured (LUFS, dBTP), the gain applied to the sum
    before the limiter (dB), the limiter's deepest gain reduction (dB, 0 when it did nothing) and the voice spans."""

    samples: np.ndarray
    loudness: float
    true_peak: float
    gain: float
    limited: float
    voice_spans: tuple[VoiceSpan, ...]


def decode_argv(path: Path, rate: int = RATE, executable: str = "ffmpeg") -> list[str]:
    """The ffmpeg command writing the first audio stream of ``path`` to stdout as float32 stereo at ``rate``."""
    stream = (
        ffmpeg.input(str(path))["a:0"]
        .output("pipe:", format="f32le", acodec="pcm_f32le", ac=2, ar=rate)
        .global_args("-hide_banner", "-nostdin", "-loglevel", "error")
    )
    return list(stream.compile(cmd=executable))


def decode_audio(path: Path, rate: int, executable: str) -> np.ndarray:
    """The first audio stream of ``path`` as float32 (n, 2) samples at ``rate`` (mono is upmixed by ffmpeg, each
    channel 3 dB down).

    Raises:
        EncodeError: ffmpeg could not start or failed (no such file, no audio stream); carries argv and stderr.
    """
    argv = decode_argv(path, rate, executable)
    try:
        done = subprocess.run(argv, capture_output=True, check=False)
    except OSError as exc:
        raise EncodeError(f"cannot start ffmpeg: {exc}", argv=argv, stderr="", path=path) from exc
    if done.returncode != 0:
        stderr = done.stderr.decode("utf-8", "replace")
        raise EncodeError(f"decoding audio failed with status {done.returncode}", argv=argv, stderr=stderr, path=path)
    return np.frombuffer(done.stdout, "<f4").reshape(-1, 2).copy()


def mix(
    duration: float,
    music: MusicBed | None,
    voices: Sequence[VoiceClip],
    *,
    loudness: float = -14.0,
    true_peak: float = -1.0,
    duck: float = -12.0,
    executable: str,
) -> Mix:
    """The master audio of a ``duration``-second video.

    The music is ducked by ``duck`` dB under every voice clip (a gain envelope with raised-cosine ramps of
    ``DUCK_ATTACK`` before and ``DUCK_RELEASE`` after each clip). The sum is scaled to ``loudness`` LUFS
    integrated (one of ``LOUDNESS_TARGETS``); where that would put a true peak above ``true_peak`` less
    ``AAC_MARGIN`` dBTP the limiter (``render.audio.limiter``) holds it down, and the gain is corrected until
    the limited sum measures within ``_CLOSE`` LU of the target. A silent sum, or one shorter than BS.1770's
    400 ms block, is returned as it is.

    Raises:
        ConfigError: ``loudness`` is not an allowed target, ``duck`` is above 0 dB or ``true_peak`` above 0 dBTP.
        RenderError: the duration is not positive, a clip starts outside the video or the mix missed its target.
        EncodeError: the music could not be decoded.
    """
    if loudness not in LOUDNESS_TARGETS:
        raise ConfigError(f"loudness target {loudness:g} LUFS is not one of {', '.join(map(str, LOUDNESS_TARGETS))}")
    if duck > 0.0 or true_peak > 0.0:
        raise ConfigError(f"ducking ({duck:g} dB) and true-peak ceiling ({true_peak:g} dBTP) must be at most 0")
    count = round(duration * RATE)
    if count <= 0:
        raise RenderError(f"an audio mix needs a positive duration, not {duration:g} s")
    spans = [_span(clip, count) for clip in voices]
    bed = np.zeros((count, 2)) if music is None else _music(music, count, executable)
    bed *= _ducking(spans, count, duck)[:, None]
    voice = _voices(voices, spans, count)
    summed = bed + voice[:, None]
    measured = integrated_loudness(summed)
    if measured == -math.inf:
        samples = summed.astype(np.float32)
        return Mix(samples, measured, levels.true_peak(samples), 0.0, 0.0, _voice_spans(spans, samples, bed, voice))
    gain, curve, samples, measured = _master(summed, loudness - measured, loudness, true_peak - AAC_MARGIN)
    if abs(measured - loudness) > _TOLERANCE:
        raise RenderError(f"the mix measures {measured:.2f} LUFS after limiting, target {loudness:g}")
    scale = amplitude(gain) * curve
    heard = _voice_spans(spans, samples, bed * scale[:, None], voice * scale)
    return Mix(samples, measured, levels.true_peak(samples), gain, 20.0 * math.log10(float(curve.min())), heard)


def write_wav(path: Path, result: Mix) -> None:
    """Write ``result`` as a 48 kHz stereo 32-bit float WAV, through a temporary file renamed into place.

    Float keeps the samples exactly as measured (16 bits would round them again, and need dither to do it
    well), so the loudness and true peak ffmpeg encodes are the ones ``mix`` reported.
    """
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False) as file:
        try:
            wavfile.write(file, RATE, result.samples)
        except BaseException:
            os.unlink(file.name)
            raise
    os.replace(file.name, path)


def _span(clip: VoiceClip, count: int) -> tuple[int, int]:
    """The samples ``clip`` covers, cut at the video's end."""
    first = round(clip.start * RATE)
    if not 0 <= first < count:
        raise RenderError(f"a voice clip starts at {clip.start:g} s, outside the video (0 to {count / RATE:g} s)")
    length = len(clip.speech.samples) // 2 * Fraction(RATE, clip.speech.rate)
    return first, min(count, first + math.ceil(length))


def _music(music: MusicBed, count: int, executable: str) -> np.ndarray:
    """The bed, looped or cut to ``count`` samples, scaled and faded out linearly (ffmpeg's ``afade``)."""
    source = decode_audio(music.path, RATE, executable).astype(np.float64)
    if len(source) == 0:
        raise RenderError("the music bed holds no audio", path=music.path)
    bed = np.tile(source, (-(-count // len(source)), 1))[:count] * music.volume
    fade = min(round(music.fade_out * RATE), count)
    if fade > 0:
        bed[count - fade :] *= np.linspace(1.0, 0.0, fade, endpoint=False)[:, None]
    return bed


def _ducking(spans: Sequence[tuple[int, int]], count: int, duck: float) -> np.ndarray:
    """The music's gain (linear): ``duck`` dB over each span, raised-cosine ramps in dB before and after."""
    depth = np.zeros(count)
    attack, release = round(DUCK_ATTACK * RATE), round(DUCK_RELEASE * RATE)
    for first, end in spans:
        depth[first:end] = 1.0
        for start, stop in ((first - attack, first), (end + release, end)):  # depth 0 at start, 1 at stop
            at = np.arange(max(0, min(start, stop)), min(count, max(start, stop)))
            fraction = 0.5 - 0.5 * np.cos(np.pi * (at - start) / (stop - start))
            depth[at] = np.maximum(depth[at], fraction)
    result: np.ndarray = 10.0 ** (duck * depth / 20.0)
    return result


def _voices(voices: Sequence[VoiceClip], spans: Sequence[tuple[int, int]], count: int) -> np.ndarray:
    """The voice track (mono, float64): each clip resampled to 48 kHz and added at its span."""
    track = np.zeros(count)
    for clip, (first, end) in zip(voices, spans):
        ratio = Fraction(RATE, clip.speech.rate)
        pcm = np.frombuffer(clip.speech.samples, "<i2") / 32768.0
        speech = resample_poly(pcm, ratio.numerator, ratio.denominator)
        track[first:end] += speech[: end - first]
    return track


def _master(
    summed: np.ndarray, gain: float, target: float, ceiling: float
) -> tuple[float, np.ndarray, np.ndarray, float]:
    """The gain (dB), limiter gain curve, float32 samples and their loudness that bring ``summed`` closest to
    ``target`` LUFS under ``ceiling`` dBTP. Loudness grows more slowly than the gain once the limiter works,
    so each correction divides by the slope the last two rounds measured (a secant step)."""
    peak = peaks(summed)  # a gain scales them
    slope, previous = 1.0, None
    for _ in range(_ROUNDS):
        applied = gain
        curve = limiter_gain(peak * amplitude(applied), ceiling)
        samples = (summed * (amplitude(applied) * curve)[:, None]).astype(np.float32)
        measured = integrated_loudness(samples)
        if abs(measured - target) <= _CLOSE:
            break
        if previous is not None:
            slope = min(1.0, max(0.1, (measured - previous[1]) / (applied - previous[0])))
        previous = applied, measured
        gain = applied + (target - measured) / slope
    return applied, curve, samples, measured


def _voice_spans(
    spans: Sequence[tuple[int, int]], samples: np.ndarray, bed: np.ndarray, voice: np.ndarray
) -> tuple[VoiceSpan, ...]:
    """Each span's figures in the finished mix, from its samples and its music and voice as they are in it."""
    return tuple(
        VoiceSpan(
            first / RATE,
            end / RATE,
            rms(samples[first:end]),
            rms(bed[first:end]),
            rms(voice[first:end]),
            voice[first:end].astype(np.float32),
        )
        for first, end in spans
    )
