"""The master audio mix and the QC of encoded audio, checked on the shipped music bed and a synthetic voice,
after a round trip through ffmpeg's native AAC encoder as videos get it."""

from __future__ import annotations

import dataclasses
import subprocess
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from generator.core.errors import ConfigError, EncodeError, RenderError
from generator.core.speech import Speech
from render.audio import levels
from render.audio.limiter import ATTACK, limiter_gain
from render.audio.measure import AudioExpectations, AudioReport, check_audio, measure_audio
from render.audio.mix import (
    LOUDNESS_TARGETS,
    Mix,
    MusicBed,
    VoiceClip,
    decode_argv,
    decode_audio,
    mix,
    write_wav,
)
from render.encode import ffmpeg_executable

REPO = Path(__file__).resolve().parent.parent
BED = MusicBed(REPO / "templates" / "assets" / "music" / "bed.wav", volume=0.8, fade_out=1.2)
DURATION = 10.0
STARTS = (1.0, 5.5)  # each clip speaks for 3 s


def speech(seconds: float = 3.0, level: float = 0.5, rate: int = 22050, seed: int = 0) -> Speech:
    """A speech-like clip: a gliding 12-harmonic buzz, four syllables a second, every third a noise burst
    (a fricative, 12 dB under the vowels), ``level`` its peak."""
    t = np.arange(round(seconds * rate)) / rate
    phase = 2 * np.pi * np.cumsum(140 + 20 * np.sin(2 * np.pi * 0.7 * t)) / rate
    buzz = sum(np.sin(k * phase) / k for k in range(1, 13))
    noise = np.random.default_rng(seed).standard_normal(len(t))
    syllable = np.floor(t * 4).astype(int) % 3 == 2
    voiced = np.where(syllable, 0.25 * noise / np.abs(noise).max(), buzz / np.abs(buzz).max())
    shaped = voiced * np.sqrt(np.clip(np.sin(2 * np.pi * 4 * t), 0, None))
    pcm = np.round(level * shaped / np.abs(shaped).max() * 32767).astype("<i2")
    return Speech(pcm.tobytes(), rate, ())


def clips(level: float = 0.5) -> list[VoiceClip]:
    return [VoiceClip(start, speech(level=level, seed=seed)) for seed, start in enumerate(STARTS)]


def aac_argv(source: Path, output: Path, executable: str) -> list[str]:
    """Native AAC as videos carry it: 128k, 48 kHz, stereo, nothing that varies between runs."""
    return [executable, "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-i", str(source),
            "-c:a", "aac", "-b:a", "128k", "-ar", "48000", "-ac", "2",
            "-fflags", "+bitexact", "-map_metadata", "-1", "-f", "mp4", str(output)]  # fmt: skip


def encoded(result: Mix, folder: Path, name: str, executable: str) -> Path:
    """``result`` written as WAV and encoded to an MP4's AAC."""
    wav, output = folder / f"{name}.wav", folder / f"{name}.mp4"
    write_wav(wav, result)
    subprocess.run(aac_argv(wav, output, executable), check=True)
    return output


def measured(path: Path, result: Mix, executable: str) -> AudioReport:
    return measure_audio(path, executable, result.voice_spans)


def expect(result: Mix, loudness: float = -14.0) -> AudioExpectations:
    return AudioExpectations(loudness=loudness, true_peak=-1.0, longest_silence=1.0, voices=result.voice_spans)


def with_samples(result: Mix, samples: np.ndarray) -> Mix:
    return dataclasses.replace(result, samples=samples.astype(np.float32))


@pytest.fixture(scope="module")
def executable() -> str:
    return ffmpeg_executable()


@pytest.fixture(scope="module")
def good(executable: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Mix, Path]:
    """The default mix (-14 LUFS) and its encoded file."""
    result = mix(DURATION, BED, clips(), executable=executable)
    return result, encoded(result, tmp_path_factory.mktemp("good"), "good", executable)


def test_decode_argv_reads_the_first_audio_stream_as_float_stereo() -> None:
    argv = decode_argv(Path("in.mp4"), 44100, executable="/bin/ffmpeg")
    assert argv[0] == "/bin/ffmpeg"
    assert argv[argv.index("-i") + 1] == "in.mp4"
    assert argv[argv.index("-map") + 1] == "0:a:0"
    for option, value in (("-f", "f32le"), ("-acodec", "pcm_f32le"), ("-ac", "2"), ("-ar", "44100")):
        assert argv[argv.index(option) + 1] == value
    assert "pipe:" in argv


def test_decode_audio_names_a_file_it_cannot_read(executable: str, tmp_path: Path) -> None:
    with pytest.raises(EncodeError, match="decoding audio failed"):
        decode_audio(tmp_path / "missing.wav", 48000, executable)


def test_the_default_mix_after_aac_meets_its_targets(good: tuple[Mix, Path], executable: str) -> None:
    result, path = good
    assert result.samples.dtype == np.float32 and result.samples.shape == (round(DURATION * 48000), 2)
    assert abs(result.loudness + 14.0) <= 0.5 and result.true_peak <= -1.0
    assert [(span.start, span.end) for span in result.voice_spans] == [(1.0, 4.0), (5.5, 8.5)]
    report = measured(path, result, executable)
    assert abs(report.loudness + 14.0) <= 1.0 and report.true_peak <= -1.0
    assert report.duration == DURATION and report.clipped == 0
    assert check_audio(report, expect(result)) == []


@pytest.mark.parametrize("target", [-16.0, -23.0])
def test_quieter_targets_after_aac(target: float, executable: str, tmp_path: Path) -> None:
    result = mix(DURATION, BED, clips(), loudness=target, executable=executable)
    report = measured(encoded(result, tmp_path, "quiet", executable), result, executable)
    assert abs(report.loudness - target) <= 1.0 and report.true_peak <= -1.0
    assert check_audio(report, expect(result, target)) == []


def test_a_hot_mix_is_limited_under_the_ceiling_after_aac(executable: str, tmp_path: Path) -> None:
    loud = dataclasses.replace(BED, volume=6.0)
    result = mix(DURATION, loud, clips(level=1.0), executable=executable)
    assert result.limited < -3.0  # the gain alone would put peaks 3 dB and more over the ceiling
    assert abs(result.loudness + 14.0) <= 0.5
    report = measured(encoded(result, tmp_path, "hot", executable), result, executable)
    assert abs(report.loudness + 14.0) <= 1.0 and report.true_peak <= -1.0 and report.clipped == 0


def test_the_limiter_holds_every_peak_and_moves_smoothly() -> None:
    rng = np.random.default_rng(3)
    peaks = np.abs(rng.standard_normal(48000)) * 0.1
    peaks[[1000, 1001, 20000, 30000]] = [2.0, 1.5, 4.0, 1.2]
    gain = limiter_gain(peaks, -1.0)
    assert np.all(peaks * gain <= levels.amplitude(-1.0) * (1 + 1e-9))
    steps = np.abs(np.diff(20 * np.log10(gain)))
    assert steps.max() <= ATTACK / 48000 * (1 + 1e-6)  # no step a click could come from
    assert gain[0] == 1.0 and gain[-1] == 1.0  # untouched far from the peaks
    assert np.all(limiter_gain(peaks * 0.2, 0.0) == 1.0)  # nothing over the ceiling


def test_music_under_the_voice_is_ducked(executable: str) -> None:
    """The music in the voiced mix (the mix less its voice, both undone of their gains) against the same music
    mixed with no voice: at least 8 dB lower in every voice span."""
    voiced = mix(DURATION, BED, clips(), loudness=-23.0, executable=executable)
    voice = mix(DURATION, None, clips(), loudness=-23.0, executable=executable)
    alone = mix(DURATION, BED, [], loudness=-23.0, executable=executable)
    assert voiced.limited == voice.limited == alone.limited == 0.0

    def unscaled(result: Mix) -> np.ndarray:
        return result.samples.astype(np.float64) / levels.amplitude(result.gain)

    music = unscaled(voiced) - unscaled(voice)
    for span in voiced.voice_spans:
        there = slice(round(span.start * 48000), round(span.end * 48000))
        depth = levels.rms(music[there]) - levels.rms(unscaled(alone)[there])
        assert depth <= -8.0, depth
        assert abs(depth + 12.0) < 0.1  # the envelope is flat at the ducking depth across the span
        assert abs(span.music - (levels.rms(music[there]) + voiced.gain)) < 0.01  # what the mix reports there


def test_the_same_inputs_give_the_same_bytes(good: tuple[Mix, Path], executable: str, tmp_path: Path) -> None:
    again = mix(DURATION, BED, clips(), executable=executable)
    assert again.samples.tobytes() == good[0].samples.tobytes()
    path = encoded(again, tmp_path, "again", executable)
    assert (tmp_path / "again.wav").read_bytes() == good[1].with_suffix(".wav").read_bytes()
    assert path.read_bytes() == good[1].read_bytes()


def failures(result: Mix, samples: np.ndarray, folder: Path, executable: str) -> list[str]:
    """What QC says of ``samples`` in place of ``result``'s, checked against ``result``'s plan."""
    path = encoded(with_samples(result, samples), folder, "bad", executable)
    return check_audio(measured(path, result, executable), expect(result))


def only(found: Sequence[str], rule: str) -> str:
    """The one failure naming ``rule``."""
    named = [failure for failure in found if rule in failure]
    assert len(named) == 1, found
    return named[0]


def test_qc_catches_clipping(good: tuple[Mix, Path], executable: str, tmp_path: Path) -> None:
    result = good[0]
    found = failures(result, np.clip(result.samples * 4.0, -1.0, 1.0), tmp_path, executable)
    assert "clipped samples" in only(found, "clipped")
    assert "ceiling -1 dBTP" in only(found, "true peak")


def test_qc_catches_a_quiet_file(good: tuple[Mix, Path], executable: str, tmp_path: Path) -> None:
    result = good[0]
    found = failures(result, result.samples * levels.amplitude(-3.3), tmp_path, executable)
    assert found == [only(found, "integrated loudness")]
    assert found[0].endswith("LUFS, target -14 ± 1") and found[0].startswith("integrated loudness -17.")


def test_qc_catches_a_long_silence(good: tuple[Mix, Path], executable: str, tmp_path: Path) -> None:
    result = good[0]
    samples = result.samples.copy()
    samples[round(4.2 * 48000) : round(5.5 * 48000)] = 0.0  # between the clips
    found = failures(result, samples, tmp_path, executable)
    silence = only(found, "silence")
    assert "longest allowed 1 s" in silence and " from 4.2" in silence


def test_qc_catches_a_voice_span_holding_only_music(good: tuple[Mix, Path], executable: str, tmp_path: Path) -> None:
    result = good[0]
    mute = [VoiceClip(clip.start, Speech(bytes(len(clip.speech.samples)), 22050, ())) for clip in clips()]
    unvoiced = mix(DURATION, BED, mute, executable=executable)
    found = failures(result, unvoiced.samples, tmp_path, executable)
    assert len(found) == 2, found  # loudness and peak are as they should be: only the voice is missing
    assert found[0].startswith("voice span 1.00-4.00 s: its voice measures")
    assert "the mix put it at -1" in found[0] and "3 dB less at most" in found[0]


def test_qc_catches_a_voice_buried_under_music(good: tuple[Mix, Path], executable: str) -> None:
    """The same file, against a plan whose music is as loud as the voice: the voice cannot be heard."""
    result, path = good
    report = measured(path, result, executable)
    loud = tuple(dataclasses.replace(span, music=span.voice - 3.0) for span in result.voice_spans)
    found = check_audio(report, dataclasses.replace(expect(result), voices=loud))
    assert len(found) == 2 and "a voice needs 6 dB" in found[0], found
    assert check_audio(dataclasses.replace(report, spans=()), expect(result)) == [
        "voice span 1.00-4.00 s was not measured",
        "voice span 5.50-8.50 s was not measured",
    ]


def test_mix_refuses_what_it_cannot_honour(executable: str) -> None:
    with pytest.raises(ConfigError, match="-20 LUFS is not one of"):
        mix(DURATION, BED, [], loudness=-20.0, executable=executable)
    with pytest.raises(RenderError, match="outside the video"):
        mix(DURATION, BED, [VoiceClip(DURATION, speech())], executable=executable)
    assert LOUDNESS_TARGETS == (-14.0, -16.0, -23.0)
