"""Piper voices (``piper-tts``, GPL-3.0: the optional ``voice`` extra, imported only here and only
when a voice is opened).

Word times come from the voice's phoneme alignments (how many samples each phoneme lasts, a
graph output Piper's ``include_alignments`` exposes): a word of phonemes runs between two word-
boundary phonemes (the space), and starts where its first phoneme starts. espeak (inside Piper)
may join text words into one phoneme word ("of the" is ``ʌvðə``) or split one into several
("$19.99"); to tell which text words a phoneme word belongs to, the text is phonemized again up to
the end of each word: the words gained are that word's (``render.speech.words``).

Determinism: VITS draws random noise for the phoneme durations and the audio (``noise_w_scale``,
``noise_scale``) from onnxruntime's generator, which no seed makes repeat call after call, so
both scales are 0 (durations and timbre at the model's mean: a steadier, slightly flatter delivery
than Piper's default). onnxruntime's CPU kernels also split sums by thread count (1, 2 and 4
threads give three different clips), so the session runs on one thread: the same clip on every
machine with the same onnxruntime and instruction set. That is why the voice is not loaded with
``PiperVoice.load``, which takes no session options; it is built the same way, with them.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from generator.core.errors import ConfigError, RenderError
from generator.core.speech import Speech, VoiceIdentity
from render.speech.words import Token, audible_end, check_rate, spoken_words, tokens

NOT_INSTALLED = "Piper is not installed: pip install 'adgen[voice]'"
PAUSES = frozenset(".,:;!?")  # clause terminators Piper keeps in the phonemes; no word of their own
BOUNDARIES = frozenset(" ^$")  # the word-boundary phoneme, and the sentence's begin and end markers


def _modules() -> tuple[Any, Any, Any, Any]:
    """``piper``, ``piper.config``, ``onnx`` and ``onnxruntime``, or ConfigError when missing."""
    try:
        import onnx
        import onnxruntime
        import piper
        import piper.config
    except ImportError as error:
        raise ConfigError(NOT_INSTALLED, missing=error.name) from error
    return piper, piper.config, onnx, onnxruntime


def _voice_files(voice: str) -> tuple[Path, Path]:
    """The model and config of ``voice``: a ``.onnx`` path (config beside it), or a voice package."""
    if voice.endswith(".onnx") or "/" in voice or Path(voice).is_file():
        model = Path(voice)
        config = model.with_name(model.name + ".json")
    else:
        try:
            package = importlib.import_module(voice.replace("-", "_"))
            model, config = Path(package.model_path()), Path(package.config_path())
        except (ImportError, AttributeError, TypeError) as error:
            raise ConfigError(
                "no Piper voice file or voice package (with model_path() and config_path()) has that name",
                voice=voice,
            ) from error
    for path in (model, config):
        if not path.is_file():
            raise ConfigError("a Piper voice file is missing", voice=voice, path=path)
    return model, config


@lru_cache(maxsize=16)
def _files_sha256(*stamped: tuple[str, int, int]) -> str:
    """SHA-256 of the files' bytes in order; keyed by (path, mtime_ns, size) so a changed file is read again."""
    digest = hashlib.sha256()
    for path, _, _ in stamped:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def _stamp(path: Path) -> tuple[str, int, int]:
    status = path.stat()
    return str(path.resolve()), status.st_mtime_ns, status.st_size


def _word_count(sentences: list[list[str]]) -> int:
    """Phoneme words in Piper's phonemes (sentences of phonemes, words split by the space phoneme)."""
    return len(_word_starts([[(phoneme, 0) for phoneme in sentence] for sentence in sentences]))


def _word_starts(sentences: list[list[tuple[str, int]]]) -> list[int]:
    """The first sample of each phoneme word, from ``(phoneme, samples)`` in order (sentences back to back)."""
    starts: list[int] = []
    at = 0
    for sentence in sentences:
        in_word = False
        for phoneme, samples in sentence:
            if phoneme in BOUNDARIES:
                in_word = False
            elif phoneme not in PAUSES and not in_word:
                starts.append(at)
                in_word = True
            at += samples
    return starts


class PiperEngine:
    """One Piper voice: ``voice`` is a ``.onnx`` path (its ``.onnx.json`` beside it) or the name of a
    package shipping one (``model_path()``, ``config_path()``). ``rate`` divides the voice's length scale.

    Raises:
        ConfigError: Piper is not installed, the voice is missing, or it gives no alignments or
            does not use espeak phonemes (word times need both).
    """

    def __init__(self, voice: str) -> None:
        piper, piper_config, onnx, onnxruntime = _modules()
        from piper.patch_voice_with_alignment import add_alignment_output

        model_path, config_path = _voice_files(voice)
        config = piper_config.PiperConfig.from_dict(json.loads(config_path.read_text(encoding="utf-8")))
        if config.phoneme_type != piper_config.PhonemeType.ESPEAK:
            raise ConfigError("word times need a voice with espeak phonemes", voice=voice, phonemes=config.phoneme_type)
        model = onnx.load(str(model_path))
        try:
            add_alignment_output(model)
        except ValueError as error:
            if "already marked" not in str(error):
                raise ConfigError("the Piper voice gives no phoneme alignments", voice=voice) from error
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        session = onnxruntime.InferenceSession(
            model.SerializeToString(), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._voice = piper.PiperVoice(session=session, config=config)
        self._synthesis_config = piper_config.SynthesisConfig
        version = f"{importlib.metadata.version('piper-tts')} (onnxruntime {onnxruntime.__version__})"
        self._identity = VoiceIdentity("piper", version, voice, _files_sha256(_stamp(model_path), _stamp(config_path)))

    @property
    def identity(self) -> VoiceIdentity:
        return self._identity

    def speak(self, text: str, rate: float) -> Speech:
        check_rate(rate)
        config = self._voice.config
        settings = self._synthesis_config(length_scale=config.length_scale / rate, noise_scale=0.0, noise_w_scale=0.0)
        try:
            chunks = list(self._voice.synthesize(text, syn_config=settings, include_alignments=True))
        except Exception as error:
            raise RenderError("Piper failed to speak", voice=self._identity.voice, reason=str(error)) from error
        if any(chunk.phoneme_alignments is None for chunk in chunks):
            raise RenderError("Piper gave no phoneme alignments for the text", voice=self._identity.voice, text=text)
        samples = b"".join(chunk.audio_int16_bytes for chunk in chunks)
        sample_rate = config.sample_rate
        starts = _word_starts(
            [[(aligned.phoneme, int(aligned.num_samples)) for aligned in chunk.phoneme_alignments] for chunk in chunks]
        )
        words = tokens(text)
        marks = [
            (index, starts[first] / sample_rate) for index, first in self._first_phoneme_words(text, words, starts)
        ]
        return Speech(samples, sample_rate, spoken_words(words, marks, audible_end(samples, sample_rate)))

    def _first_phoneme_words(self, text: str, words: list[Token], starts: list[int]) -> list[tuple[int, int]]:
        """``(text word, its first phoneme word)`` for the text words that have phoneme words of their own:
        the phoneme words the text up to a word's end has, less those of the text before it."""
        found: list[tuple[int, int]] = []
        before = 0
        for index, word in enumerate(words):
            last = index == len(words) - 1
            upto = len(starts) if last else _word_count(self._voice.phonemize(text[: word.outer_end]))
            upto = min(max(upto, before), len(starts))
            if upto > before:
                found.append((index, before))
            before = upto
        return found

    def close(self) -> None:
        """Nothing to release beyond what the garbage collector frees."""
