"""Speech engines behind ``generator.core.speech.SpeechEngine``: espeak-ng (default, offline) and
Piper (the optional ``voice`` extra, GPL-3.0, imported only when a Piper voice is opened)."""

from __future__ import annotations

from generator.core.errors import ConfigError
from generator.core.speech import SpeechEngine

ENGINES = ("espeak-ng", "piper")


def open_voice(engine: str, voice: str) -> SpeechEngine:
    """The voice ``voice`` of ``engine`` (one of ``ENGINES``), loaded.

    Raises:
        ConfigError: the engine is unknown or not installed, or has no such voice.
    """
    if engine == "espeak-ng":
        from render.speech.espeak import EspeakEngine

        return EspeakEngine(voice)
    if engine == "piper":
        from render.speech.piper import PiperEngine

        return PiperEngine(voice)
    raise ConfigError(f"unknown speech engine {engine!r}; use one of {', '.join(ENGINES)}", engine=engine, voice=voice)
