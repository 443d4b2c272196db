"""Voice-over lines: the written words captions show and the spoken form a speech engine is given."""

from generator.planning.voice.spoken import SpokenLine, spoken_line

__all__ = ["SpokenLine", "spoken_line"]
