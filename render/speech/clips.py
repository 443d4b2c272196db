"""Voice clips by content: from memory, from a cache folder, or spoken again and checked.

Planning speaks each line once (``synthesize``: samples and word times, the times go into the plan).
Rendering asks for the samples by the hash the plan recorded (``speech``): a bounded in-memory LRU,
then ``<cache>/<sha256>.wav`` (mono 16-bit WAV, written atomically; one whose samples do not hash
to its name is ignored and written again), then the engine, whose clip must hash as planned.
Clips served by hash carry no words: the plan has them, and a cache hit and a miss must be alike.
"""

from __future__ import annotations

import io
import threading
import wave
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from generator.core.errors import RenderError
from generator.core.files import write_atomically
from generator.core.speech import Speech, SpeechEngine
from render.speech import open_voice

MEMORY_BYTES = 64 << 20  # samples kept in memory, all clips together


def wav_bytes(speech: Speech) -> bytes:
    """``speech``'s samples as a mono 16-bit WAV file."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(speech.rate)
        writer.writeframes(speech.samples)
    return buffer.getvalue()


def read_wav(path: Path) -> Speech | None:
    """The clip in ``path`` (without words), or None when it is missing or not a mono 16-bit WAV."""
    try:
        with wave.open(str(path), "rb") as reader:
            if reader.getnchannels() != 1 or reader.getsampwidth() != 2:
                return None
            return Speech(reader.readframes(reader.getnframes()), reader.getframerate(), ())
    except (OSError, EOFError, wave.Error):
        return None


class ClipSource:
    """Clips of (engine, voice, text, rate), served by content hash.

    Args:
        cache: the folder of ``<sha256>.wav`` files, or None to keep clips only in memory.
        open_engine: opens a voice (``render.speech.open_voice``); each (engine, voice) is opened once.
        memory_bytes: the most sample bytes the in-memory LRU holds.
    """

    def __init__(
        self,
        cache: Path | None = None,
        *,
        open_engine: Callable[[str, str], SpeechEngine] = open_voice,
        memory_bytes: int = MEMORY_BYTES,
    ) -> None:
        self.cache = cache
        self._open_engine = open_engine
        self._memory_bytes = memory_bytes
        self._memory: OrderedDict[str, Speech] = OrderedDict()
        self._engines: dict[tuple[str, str], SpeechEngine] = {}
        self._lock = threading.Lock()

    def engine(self, engine: str, voice: str) -> SpeechEngine:
        """The open voice, opened on first use."""
        with self._lock:
            if (engine, voice) not in self._engines:
                self._engines[engine, voice] = self._open_engine(engine, voice)
            return self._engines[engine, voice]

    def synthesize(self, engine: str, voice: str, text: str, rate: float) -> Speech:
        """``text`` spoken now, with its words (for planning); its samples are kept for ``speech``."""
        spoken = self.engine(engine, voice).speak(text, rate)
        self._remember(spoken)
        self._store(spoken)
        return spoken

    def speech(self, engine: str, voice: str, text: str, rate: float, *, sha256: str) -> Speech:
        """The clip the plan recorded as ``sha256``, without words.

        Raises:
            RenderError: the voice now gives other samples (engine version or voice files changed).
        """
        with self._lock:
            remembered = self._memory.get(sha256)
            if remembered is not None:
                self._memory.move_to_end(sha256)
                return remembered
        cached = read_wav(self.cache / f"{sha256}.wav") if self.cache is not None else None
        if cached is not None and cached.sha256 == sha256:
            self._remember(cached)
            return cached
        speaker = self.engine(engine, voice)
        spoken = speaker.speak(text, rate)
        if spoken.sha256 != sha256:
            raise RenderError(
                "the voice gives other audio than when the video was planned (engine version or voice files changed)",
                voice=speaker.identity.describe(),
                text=text,
                rate=rate,
                planned=sha256,
                now=spoken.sha256,
            )
        clip = Speech(spoken.samples, spoken.rate, ())
        self._remember(clip)
        self._store(clip)
        return clip

    def close(self) -> None:
        """Close every open voice."""
        with self._lock:
            engines, self._engines = list(self._engines.values()), {}
        for engine in engines:
            engine.close()

    def _remember(self, speech: Speech) -> None:
        clip = Speech(speech.samples, speech.rate, ())
        with self._lock:
            self._memory[clip.sha256] = clip
            self._memory.move_to_end(clip.sha256)
            total = sum(len(kept.samples) for kept in self._memory.values())
            while total > self._memory_bytes and len(self._memory) > 1:
                _, dropped = self._memory.popitem(last=False)
                total -= len(dropped.samples)

    def _store(self, speech: Speech) -> None:
        if self.cache is None:
            return
        path = self.cache / f"{speech.sha256}.wav"
        existing = read_wav(path)
        if existing is None or existing.sha256 != speech.sha256:
            write_atomically(path, wav_bytes(speech))
