"""QC of a finished video's audio: measure what the encoded file holds, then check it against what the plan asks.

``measure_audio`` decodes the MP4's audio and measures it; ``check_audio`` compares a report with
``AudioExpectations`` and returns each broken rule as a sentence naming the measured figure (QC raises
``RenderError`` with them). Voice spans come from the mix (``Mix.voice_spans``), each with the voice that is
there: QC finds how much of that voice the file holds (its projection on the voice), which neither the music
nor the loudness normalisation can fake, and compares it with the level the mix gave the voice and with the
ducked music alone there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from generator.core.errors import RenderError
from render.audio import levels
from render.audio.levels import RATE
from render.audio.mix import VoiceSpan, decode_audio

CLIP_LEVEL = 0.999  # a decoded sample this far from 0 or further (-0.009 dBFS) is at full scale: clipped
SILENCE_LEVEL = -50.0  # dBFS RMS: a window this quiet or quieter is silent
SILENCE_WINDOW = 0.02  # s: silence is measured in back-to-back 20 ms windows (both channels together)
LOUDNESS_TOLERANCE = 1.0  # LU either side of the target
VOICE_SHORTFALL = 3.0  # dB the voice found in a span may fall short of the level the mix gave it
VOICE_ABOVE_MUSIC = 6.0  # dB the voice found in a span must be above the ducked music alone there


@dataclass(frozen=True)
class SpanLevel:
    """The RMS level (dBFS, both channels) of the audio from ``start`` to ``end`` seconds, and that of the
    span's voice found in it (dBFS RMS, -inf when none is)."""

    start: float
    end: float
    level: float
    voice: float


@dataclass(frozen=True)
class AudioReport:
    """What an encoded file's audio measures: its length (s), integrated loudness (LUFS), true peak (dBTP),
    clipped samples (counted per channel), its longest silence (s) and where that starts, and each span's level."""

    duration: float
    loudness: float
    true_peak: float
    clipped: int
    longest_silence: float
    silence_at: float
    spans: tuple[SpanLevel, ...]


@dataclass(frozen=True)
class AudioExpectations:
    """What a plan asks of a video's audio: the loudness target (LUFS, ± ``LOUDNESS_TOLERANCE``), the true-peak
    ceiling (dBTP), the longest silence it allows (s) and the voice spans of its mix."""

    loudness: float
    true_peak: float
    longest_silence: float
    voices: tuple[VoiceSpan, ...] = ()


def measure_audio(path: Path, executable: str, spans: Sequence[VoiceSpan] = ()) -> AudioReport:
    """Decode the first audio stream of ``path`` at 48 kHz stereo and measure it, and each of ``spans``.

    Raises:
        RenderError: the file's audio holds no samples (``qc: ...``).
        EncodeError: ffmpeg could not decode it (or it has no audio stream).
    """
    samples = decode_audio(path, RATE, executable)
    if len(samples) == 0:
        raise RenderError("qc: the video's audio stream holds no samples", path=path)
    silence, silence_at = _longest_silence(samples)
    return AudioReport(
        duration=len(samples) / RATE,
        loudness=levels.integrated_loudness(samples),
        true_peak=levels.true_peak(samples),
        clipped=int(np.count_nonzero(np.abs(samples) >= CLIP_LEVEL)),
        longest_silence=silence,
        silence_at=silence_at,
        spans=tuple(_span_level(samples, span) for span in spans),
    )


def check_audio(report: AudioReport, expected: AudioExpectations) -> list[str]:
    """Each rule ``report`` breaks, in plain words with the measured figure; empty when the audio passes.

    Rules: integrated loudness within ``LOUDNESS_TOLERANCE`` of the target; true peak at or under the ceiling;
    no clipped sample; no silence longer than allowed; in each voice span, the voice found at most
    ``VOICE_SHORTFALL`` dB under the level the mix gave it and at least ``VOICE_ABOVE_MUSIC`` dB above the
    ducked music alone there, both moved by as much as the file's loudness is off its target (which the first
    rule reports).
    """
    failures = []
    if not abs(report.loudness - expected.loudness) <= LOUDNESS_TOLERANCE:
        failures.append(
            f"integrated loudness {report.loudness:.1f} LUFS, target {expected.loudness:g} ± {LOUDNESS_TOLERANCE:g}"
        )
    if report.true_peak > expected.true_peak:
        failures.append(f"true peak {report.true_peak:.2f} dBTP, ceiling {expected.true_peak:g} dBTP")
    if report.clipped:
        failures.append(f"{report.clipped} clipped samples (at {CLIP_LEVEL:g} of full scale or over), none allowed")
    if report.longest_silence > expected.longest_silence:
        failures.append(
            f"silence of {report.longest_silence:.2f} s from {report.silence_at:.2f} s "
            f"(under {SILENCE_LEVEL:g} dBFS), longest allowed {expected.longest_silence:g} s"
        )
    found = {(span.start, span.end): span for span in report.spans}
    offset = report.loudness - expected.loudness  # a file louder or quieter than planned has its voice so too
    for voice in expected.voices:
        where = f"voice span {voice.start:.2f}-{voice.end:.2f} s"
        span = found.get((voice.start, voice.end))
        if span is None:
            failures.append(f"{where} was not measured")
        elif not span.voice >= voice.voice + offset - VOICE_SHORTFALL:
            failures.append(
                f"{where}: its voice measures {span.voice:.1f} dBFS, the mix put it at {voice.voice:.1f} dBFS "
                f"({VOICE_SHORTFALL:g} dB less at most, allowing for the loudness); all there is {span.level:.1f} dBFS"
            )
        elif not span.voice >= voice.music + offset + VOICE_ABOVE_MUSIC:
            failures.append(
                f"{where}: its voice measures {span.voice:.1f} dBFS, {span.voice - voice.music - offset:.1f} dB above "
                f"the music alone there ({voice.music:.1f} dBFS); a voice needs {VOICE_ABOVE_MUSIC:g} dB"
            )
    return failures


def _span_level(samples: np.ndarray, span: VoiceSpan) -> SpanLevel:
    """``span``'s level in ``samples`` and its voice's: the voice's gain there is the projection of each
    channel on it (music and noise are uncorrelated with it and add next to nothing)."""
    first = round(span.start * RATE)
    there = samples[first : first + len(span.reference)].astype(np.float64)
    voice = span.reference[: len(there)].astype(np.float64)
    energy = float(np.dot(voice, voice))
    gain = float(np.sum(there.T @ voice)) / (2.0 * energy) if energy > 0.0 else 0.0
    found = levels.rms(voice) + levels.decibels(gain) if gain > 0.0 else levels.SILENT
    return SpanLevel(span.start, span.end, levels.rms(there), found)


def _longest_silence(samples: np.ndarray) -> tuple[float, float]:
    """The longest run of silent ``SILENCE_WINDOW`` windows in seconds, and where it starts (a last partial
    window, shorter than one, is left out)."""
    width = round(SILENCE_WINDOW * RATE)
    count = len(samples) // width
    power = np.mean(np.square(samples[: count * width], dtype=np.float64).reshape(count, -1), axis=1)
    silent = np.concatenate(([0], power <= levels.amplitude(SILENCE_LEVEL) ** 2, [0])).astype(np.int8)
    edges = np.flatnonzero(np.diff(silent))
    starts, ends = edges[0::2], edges[1::2]
    if len(starts) == 0:
        return 0.0, 0.0
    longest = int(np.argmax(ends - starts))
    return (ends[longest] - starts[longest]) * SILENCE_WINDOW, starts[longest] * SILENCE_WINDOW
