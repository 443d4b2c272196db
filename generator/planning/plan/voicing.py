"""Voice lines in a plan: a shot's line spoken by the template's voice, timed, and the shot stretched to fit it.

The line is written text; the engine is given its spoken form (``generator.planning.voice``). Its
clip is synthesised here, once per distinct line, so the plan can record its hash, length and the
time of every written word; rendering fetches the same clip by hash and never re-times it.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass

from icu4py.breakers import WordBreaker

from generator.core.errors import ConfigError, PlanError
from generator.core.shaping import segments
from generator.core.speech import Speech, SpeechEngine, VoiceIdentity, Voices
from generator.planning.plan.types import LineWord, PlannedVoice, VoiceLine
from generator.planning.templates import Shot, Template, Voice
from generator.planning.voice.spoken import SpokenLine, spoken_line

_ESPEAK_VOICES = {"en_US": "en-us", "en_GB": "en-gb", "pt_BR": "pt-br", "es_MX": "es-419", "fr_FR": "fr-fr"}
_UNSPACED = re.compile("[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uff66-\uff9f]")
_SHRINK_MARGIN = 1.02  # a line sped up to fit is asked for this much more speed, so rounding never spills it over


def voice_name(voice: Voice, locale: str) -> str:
    """The voice ``voice`` names, or espeak-ng's voice for ``locale`` (``en_US`` -> ``en-us``, ``de_DE`` -> ``de``).

    Raises:
        ConfigError: Piper without a voice name (it has no voice of its own).
    """
    if voice.name is not None:
        return voice.name
    if voice.engine != "espeak-ng":
        raise ConfigError(f"voice: engine {voice.engine} needs a voice name (a voice .onnx path or package)")
    return _ESPEAK_VOICES.get(locale, locale.split("_")[0].lower())


@dataclass(frozen=True)
class Timed:
    """A shot's line as planned, and how many frames the shot takes for it."""

    line: VoiceLine
    frames: int


class Speaking:
    """The template's voice, opened through ``voices`` on first use, with each distinct (text, speed)
    synthesised once per run (a line that reads no product field is the same clip for every row)."""

    def __init__(self, voice: Voice, locale: str, voices: Voices) -> None:
        self.voice = voice
        self.locale = locale
        self.voices = voices

    @functools.cached_property
    def engine(self) -> SpeechEngine:
        return self.voices(self.voice.engine, voice_name(self.voice, self.locale))

    @property
    def identity(self) -> VoiceIdentity:
        return self.engine.identity

    def planned(self) -> PlannedVoice:
        found = self.identity
        return PlannedVoice(
            engine=found.engine, version=found.version, voice=found.voice, voice_sha256=found.voice_sha256
        )

    @functools.lru_cache(maxsize=1024)  # noqa: B019 (one Speaking per template and run)
    def speak(self, text: str, speed: float) -> Speech:
        return self.engine.speak(text, speed)

    def time_line(self, shot: Shot, field: str, written: str, currency: str | None, fps: int) -> Timed:
        """``written`` as the voice says it over ``shot``, and the shot's length in frames.

        The shot lasts ``lead`` + the clip + ``gap``, within [duration, max_duration]. A clip that
        cannot fit is spoken faster under ``overflow: shrink`` (up to ``max_rate``), else fails.

        Raises:
            PlanError: the line is too long for the shot (shot, line, measured length).
        """
        voice = self.voice
        spoken = spoken_line(written, self.locale, currency)
        shortest = round(shot.duration * fps)
        longest = round(max_duration(shot) * fps)
        lead = round(voice.lead * fps)
        speed = voice.rate
        speech = self.speak(spoken.spoken, speed)
        room = (longest - lead) / fps
        if speech.duration > room and voice.overflow == "shrink":
            speed = round(min(voice.rate * voice.max_rate, speed * speech.duration / room * _SHRINK_MARGIN), 3)
            speech = self.speak(spoken.spoken, speed)
        if speech.duration > room:
            how = f" even at {speed:g}x speed" if speed != voice.rate else ""
            raise PlanError(
                f"the voice line takes {speech.duration:.2f} s{how}, but the shot allows {room:.2f} s "
                f"(max_duration {max_duration(shot):g} s less the {voice.lead:g} s lead): {written!r}; "
                f"shorten the line, raise max_duration or use voice overflow: shrink",
                shot=shot.id,
                field=field,
                spoken=round(speech.duration, 3),
            )
        needed = lead + math.ceil((speech.duration + voice.gap) * fps)
        frames = min(longest, max(shortest, needed))
        return Timed(_line(field, spoken, speech, lead, speed, self.locale), frames)


def max_duration(shot: Shot) -> float:
    """How long a shot may stretch for its line: its ``max_duration``, else twice its duration (at most 30 s)."""
    return shot.max_duration if shot.max_duration is not None else min(30.0, 2 * shot.duration)


def _line(field: str, spoken: SpokenLine, speech: Speech, lead: int, speed: float, lang: str) -> VoiceLine:
    return VoiceLine(
        field=field,
        written=spoken.written,
        spoken=spoken.spoken,
        start=lead,
        speed=speed,
        clip=speech.sha256,
        samples=len(speech.samples) // 2,
        rate=speech.rate,
        words=word_times(spoken, speech, lang),
    )


def word_times(spoken: SpokenLine, speech: Speech, lang: str) -> tuple[LineWord, ...]:
    """Each written word's time: from the first to the last engine word inside its spoken span.

    A written word in a script without spaces (Japanese, Chinese, Thai) that the voice reads as written
    is split into its ICU words, each timed on its own and glued to the one before. A written word the
    voice does not say (an emoji, a dash) takes the moment the word before it ends (or the first
    word's start), so captions still show it in order.
    """
    words: list[LineWord] = []
    for text, (start, end) in zip(spoken.words, spoken.spans):
        pieces = _pieces(text, lang) if spoken.spoken[start:end] == text else [(0, len(text))]
        for k, (a, b) in enumerate(pieces):
            low, high = (start + a, start + b) if len(pieces) > 1 else (start, end)
            heard = [w for w in speech.words if w.text_start < high and w.text_end > low] if high > low else []
            if heard:
                timed = (round(heard[0].start, 4), round(heard[-1].end, 4))
            else:
                at = words[-1].end if words else round(speech.words[0].start if speech.words else 0.0, 4)
                timed = (at, at)
            words.append(LineWord(text=text[a:b], start=timed[0], end=timed[1], glued=k > 0))
    return tuple(words)


def _pieces(word: str, lang: str) -> list[tuple[int, int]]:
    """``word`` split into ICU words when its script is written without spaces (punctuation stays with the
    piece before it); else the whole word."""
    if not _UNSPACED.search(word):
        return [(0, len(word))]
    pieces: list[tuple[int, int]] = []
    for a, b in segments(WordBreaker, word, lang):
        if pieces and not any(ch.isalnum() for ch in word[a:b]):
            pieces[-1] = (pieces[-1][0], b)
        else:
            pieces.append((a, b))
    return pieces


def speaking_for(template: Template, voices: Voices | None) -> Speaking | None:
    """The template's voice, one per template and ``voices`` (its clips are remembered across rows)."""
    voice = template.spec.voice
    if voice is None or not any(shot.line for shot in template.spec.shots):
        return None
    if voices is None:
        raise ConfigError(f"template {template.id} has voice lines, and no speech engine was given to speak them")
    key = ("speaking", id(voices))
    found: Speaking | None = template.recall(key)
    if found is None or found.voices is not voices:
        found = Speaking(voice, template.spec.locale.replace("-", "_"), voices)
        template.remember(key, found)
    return found
