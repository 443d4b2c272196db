"""espeak-ng through its C library (``libespeak-ng.so.1``, Debian package ``libespeak-ng1``).

Word times are espeak's own ``espeakEVENT_WORD`` events: the ``sample`` field is the sample the word
starts at, counted from the start of the message (it lands exactly where a word after a pause turns
audible), and ``text_position`` is the word's first character, counted in code points from 1 for
UTF-8 input (umlauts and Arabic letters count one each).

Determinism: espeak keeps state between messages in static variables no call resets (the pitch
flutter index, the gain control, the echo buffer), so a second message differs from the first,
and even its length does. Each clip therefore loads the library afresh, speaks, and unloads it
(about 3 ms), after seeding libc's ``rand``, which espeak uses for breath noise. The library is
process-global: one lock serialises every use, and a library some other code holds open (so that
it would not unload) is refused rather than giving clips that depend on what was spoken before.
"""

from __future__ import annotations

import _ctypes
import ctypes
import hashlib
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from generator.core.errors import ConfigError, RenderError
from generator.core.speech import Speech, VoiceIdentity
from render.speech.words import audible_end, check_rate, spoken_words, token_at, tokens

LIBRARY = "libespeak-ng.so.1"
DEFAULT_WPM = 175  # espeak's normal speed, words per minute
WPM_RANGE = (80, 450)  # what espeak_SetParameter accepts for espeakRATE
PHONEME_FILES = ("phondata", "phonindex", "phontab", "intonations")
AUDIO_OUTPUT_SYNCHRONOUS = 2
INITIALIZE_DONT_EXIT = 0x8000
POS_CHARACTER = 1
CHARS_UTF8 = 1
EVENT_WORD = 1
PARAMETER_RATE = 1
RAND_SEED = 1

_LOCK = threading.Lock()
_LIBC = ctypes.CDLL(None)  # the C library of this process, for srand


class _Event(ctypes.Structure):
    """``espeak_EVENT`` of speak_lib.h (1.51)."""

    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", ctypes.c_char * 8),
    ]


class _Voice(ctypes.Structure):
    """``espeak_VOICE`` of speak_lib.h."""

    _fields_ = [
        ("name", ctypes.c_char_p),
        ("languages", ctypes.c_void_p),
        ("identifier", ctypes.c_char_p),
        ("gender", ctypes.c_ubyte),
        ("age", ctypes.c_ubyte),
        ("variant", ctypes.c_ubyte),
        ("xx1", ctypes.c_ubyte),
        ("score", ctypes.c_int),
        ("spare", ctypes.c_void_p),
    ]


_SynthCallback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))


@dataclass(frozen=True)
class _Loaded:
    library: ctypes.CDLL
    rate: int
    version: str
    data: Path


@contextmanager
def _espeak() -> Iterator[_Loaded]:
    """The library freshly loaded and initialised, unloaded again at the end; hold ``_LOCK``."""
    try:
        _ctypes.dlclose(ctypes.CDLL(LIBRARY, mode=os.RTLD_NOLOAD)._handle)
    except OSError:
        pass  # not loaded: the state starts clean
    else:
        raise RenderError(
            "libespeak-ng is held open by other code in this process, so its state would carry over between clips",
            library=LIBRARY,
        )
    try:
        library = ctypes.CDLL(LIBRARY)
    except OSError as error:
        raise ConfigError("espeak-ng is not installed: apt install libespeak-ng1", library=LIBRARY) from error
    try:
        library.espeak_Info.restype = ctypes.c_char_p
        library.espeak_Info.argtypes = [ctypes.POINTER(ctypes.c_char_p)]
        library.espeak_ListVoices.restype = ctypes.POINTER(ctypes.POINTER(_Voice))
        library.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        library.espeak_SetSynthCallback.argtypes = [_SynthCallback]
        rate = library.espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, None, INITIALIZE_DONT_EXIT)
        path = ctypes.c_char_p()
        version = library.espeak_Info(ctypes.byref(path)) or b""
        if rate <= 0 or not path.value:
            raise RenderError("espeak-ng could not start (is espeak-ng-data installed?)", library=LIBRARY)
        yield _Loaded(library, rate, version.decode(), Path(path.value.decode()))
    finally:
        library.espeak_Terminate()
        _ctypes.dlclose(library._handle)


def _voices(library: ctypes.CDLL) -> list[tuple[str, str, list[tuple[int, str]]]]:
    """espeak's voices as ``(identifier, name, [(priority, language), ...])``, in its order."""
    listed = library.espeak_ListVoices(None)
    voices = []
    index = 0
    while listed[index]:
        voice = listed[index].contents
        languages = []
        pointer = voice.languages
        while entry := ctypes.string_at(pointer):  # a priority byte, then the name, then a zero byte
            languages.append((entry[0], entry[1:].decode()))
            pointer += len(entry) + 1
        voices.append(((voice.identifier or b"").decode(), (voice.name or b"").decode(), languages))
        index += 1
    return voices


def _resolve(wanted: str, voices: list[tuple[str, str, list[tuple[int, str]]]]) -> str | None:
    """The identifier of the voice ``wanted`` names: an identifier (``gmw/en-US``), its last part
    (``en-us``), a name (``English (America)``) or a language (``en_US``, ``de-DE``: the region is
    dropped when espeak has no voice for it), ignoring case."""
    names: dict[str, str] = {}
    by_language: dict[str, tuple[int, str]] = {}
    for identifier, name, languages in voices:
        for key in (identifier, identifier.rsplit("/", 1)[-1]):
            names.setdefault(key.lower(), identifier)
        names.setdefault(name.lower(), identifier)
        for priority, language in languages:
            if language not in by_language or priority < by_language[language][0]:
                by_language[language] = (priority, identifier)
    key = wanted.strip().lower().replace("_", "-")
    if key in names:
        return names[key]
    while key:
        if key in by_language:
            return by_language[key][1]
        key = key.rpartition("-")[0]
    return None


def _voice_sha256(data: Path, identifier: str) -> str:
    """Hash of the data files that shape the voice: phoneme tables, intonation, dictionary, voice file."""
    voice_file = data / "lang" / identifier
    dictionary = language = None
    for line in voice_file.read_text(encoding="utf-8", errors="replace").splitlines():
        words = line.split()
        if len(words) > 1 and words[0] == "dictionary":
            dictionary = words[1]
        if len(words) > 1 and words[0] == "language" and language is None:
            language = words[1]
    dictionary = dictionary or (language or identifier.rsplit("/", 1)[-1]).split("-")[0]
    digest = hashlib.sha256()
    for path in [*(data / name for name in PHONEME_FILES), data / f"{dictionary}_dict", voice_file]:
        digest.update(f"{path.name}\0{path.stat().st_size}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


class EspeakEngine:
    """One espeak-ng voice. ``rate`` multiplies espeak's 175 words per minute, clamped to 80-450.

    Raises:
        ConfigError: espeak-ng is not installed, or has no voice ``voice``.
    """

    def __init__(self, voice: str) -> None:
        with _LOCK, _espeak() as espeak:
            voices = _voices(espeak.library)
            identifier = _resolve(voice, voices)
            if identifier is None:
                some = ", ".join(sorted({ident.rsplit("/", 1)[-1].lower() for ident, _, _ in voices})[:40])
                raise ConfigError(f"espeak-ng has no voice {voice!r}", voice=voice, available=f"{some}, ...")
            self._identity = VoiceIdentity(
                "espeak-ng", espeak.version, identifier, _voice_sha256(espeak.data, identifier)
            )

    @property
    def identity(self) -> VoiceIdentity:
        return self._identity

    def speak(self, text: str, rate: float) -> Speech:
        check_rate(rate)
        words_per_minute = min(max(round(DEFAULT_WPM * rate), WPM_RANGE[0]), WPM_RANGE[1])
        chunks: list[bytes] = []
        marks: list[tuple[int, int]] = []  # (code point, sample) of each word event

        def collect(wave: ctypes._Pointer[ctypes.c_short], count: int, events: ctypes._Pointer[_Event]) -> int:
            if wave and count > 0:
                chunks.append(ctypes.string_at(wave, count * 2))
            index = 0
            while events[index].type != 0:
                event = events[index]
                if event.type == EVENT_WORD:  # length may be 0 (a word after “), its position is right
                    marks.append((event.text_position - 1, event.sample))
                index += 1
            return 0

        callback = _SynthCallback(collect)
        encoded = text.encode("utf-8") + b"\0"
        with _LOCK, _espeak() as espeak:
            library = espeak.library
            library.espeak_SetSynthCallback(callback)
            if library.espeak_SetVoiceByName(self._identity.voice.encode()) != 0:
                raise RenderError("espeak-ng could not load its voice", voice=self._identity.voice)
            library.espeak_SetParameter(PARAMETER_RATE, words_per_minute, 0)
            _LIBC.srand(RAND_SEED)
            status = library.espeak_Synth(encoded, len(encoded), 0, POS_CHARACTER, 0, CHARS_UTF8, None, None)
            if status != 0:
                raise RenderError("espeak-ng failed to speak", status=status, voice=self._identity.voice, text=text)
            sample_rate = espeak.rate
        samples = b"".join(chunks)
        words = tokens(text)
        heard = (  # espeak may end a message with a word event: no sound follows it
            (token_at(words, position), sample / sample_rate)
            for position, sample in marks
            if sample < len(samples) // 2
        )
        return Speech(samples, sample_rate, spoken_words(words, heard, audible_end(samples, sample_rate)))

    def close(self) -> None:
        """Nothing to release: the library is loaded only while a clip is spoken."""
