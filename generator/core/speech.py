"""The speech swap point: spoken text and voice settings in, PCM and the time of every word out.

Planning asks an engine for each voice line (to learn its duration and word times, recorded in the
plan); rendering asks again only for the samples, and checks they hash to what the plan recorded.
Engines (``render.speech``): espeak-ng (default, offline), Piper (optional extra). A hosted voice
is another class with these methods; nothing in planning names an engine's module.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class SpokenWord:
    """One word of a clip: where it is in the spoken text (code points, end exclusive) and when it is
    heard (seconds from the clip's first sample; ``end`` is where the next word starts, or the speech ends)."""

    text_start: int
    text_end: int
    start: float
    end: float


@dataclass(frozen=True)
class Speech:
    """A synthesised clip: mono signed 16-bit little-endian ``samples`` at ``rate`` Hz, and its words in order."""

    samples: bytes
    rate: int
    words: tuple[SpokenWord, ...]

    @property
    def duration(self) -> float:
        return len(self.samples) / 2 / self.rate

    @property
    def sha256(self) -> str:
        """The clip's content hash: its rate and samples (word times follow from them and the engine)."""
        return hashlib.sha256(self.rate.to_bytes(4, "big") + self.samples).hexdigest()


@dataclass(frozen=True)
class VoiceIdentity:
    """What makes an engine's voice sound as it does: the engine and its version, the voice's name
    and the hash of its files. Part of every voiced output's key."""

    engine: str
    version: str
    voice: str
    voice_sha256: str

    def describe(self) -> str:
        return f"{self.engine} {self.version} voice={self.voice}@{self.voice_sha256[:12]}"


class SpeechEngine(Protocol):
    """One loaded voice. ``speak`` is deterministic: the same text and rate give the same samples."""

    @property
    def identity(self) -> VoiceIdentity: ...

    def speak(self, text: str, rate: float) -> Speech:
        """``text`` spoken at ``rate`` times the voice's normal speed.

        Raises:
            RenderError: the engine failed; the message says why.
        """
        ...

    def close(self) -> None: ...


class Voices(Protocol):
    """Opens an engine's voice by name (``"espeak-ng"``, ``"en-us"``); planning is handed one, never an engine module.

    Raises:
        ConfigError: unknown engine, a voice it does not have, or an engine that is not installed.
    """

    def __call__(self, engine: str, voice: str) -> SpeechEngine: ...
