"""Voice clips for a run: one clip source per cache folder, shared by planning (which times each line) and
rendering (which fetches the same clip by its hash), and the ``Voices`` planning is handed."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

from generator.core.speech import Speech, SpeechEngine, VoiceIdentity, Voices

if TYPE_CHECKING:
    from render.speech.clips import ClipSource

SPEECH_FOLDER = "speech"  # beside the keyframes in a keyframe cache


def speech_cache(keyframe_cache: Path | None) -> Path | None:
    """Where a run keeps voice clips: beside its cached keyframes (None: in memory only)."""
    return keyframe_cache / SPEECH_FOLDER if keyframe_cache is not None else None


@functools.lru_cache(maxsize=8)
def clip_source(cache: Path | None) -> ClipSource:
    """The clip source of ``cache`` for this process (clips made once per process, kept in ``cache`` when given)."""
    from render.speech.clips import ClipSource

    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
    return ClipSource(cache)


class _KeptVoice:
    """A voice whose every clip its clip source keeps, for rendering to find by hash."""

    def __init__(self, clips: ClipSource, engine: str, voice: str) -> None:
        self._clips, self._engine, self._voice = clips, engine, voice

    @property
    def identity(self) -> VoiceIdentity:
        return self._clips.engine(self._engine, self._voice).identity

    def speak(self, text: str, rate: float) -> Speech:
        return self._clips.synthesize(self._engine, self._voice, text, rate)

    def close(self) -> None:
        """The clip source owns the engine."""


def voices(cache: Path | None = None) -> Voices:
    """Opens voices for planning; their clips are kept by ``clip_source(cache)``.

    Raises (when a voice is opened):
        ConfigError: unknown engine or voice, or an engine that is not installed.
    """
    clips = clip_source(cache)

    def opened(engine: str, voice: str) -> SpeechEngine:
        clips.engine(engine, voice)  # fails now, naming the voice, if it cannot be opened
        return _KeptVoice(clips, engine, voice)

    return opened
