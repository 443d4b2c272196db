"""Caption sidecars: WebVTT (with each word's time inline) and SRT, written from the plan's captions.

A cue runs from the frame its caption appears to the frame it goes; times are those frames'
starts, to the millisecond, so a player shows each cue on the frames the video burns it into.
"""

from __future__ import annotations

from generator.planning.plan.types import ShotPlan, TextPlacement

VTT_TYPE = "text/vtt"
SRT_TYPE = "application/x-subrip"


def caption_cues(plan: ShotPlan) -> list[tuple[int, int, TextPlacement]]:
    """(first frame, end frame, caption) of every caption in ``plan``, in time order; frames are the video's."""
    cues = []
    for shot in plan.shots:
        for layer in shot.layers:
            if isinstance(layer, TextPlacement) and layer.caption is not None:
                end = min(layer.motion.leaves(shot.frames), shot.frames)
                cues.append((shot.start + layer.motion.start, shot.start + end, layer))
    return sorted(cues, key=lambda cue: cue[0])


def _clock(frame: int, fps: int, mark: str) -> str:
    ms = round(frame * 1000 / fps)
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{mark}{millis:03d}"


def _escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def webvtt(plan: ShotPlan) -> str:
    """The plan's captions as WebVTT; each word after a cue's first carries its start (``<00:00:01.200>``)."""
    blocks = ["WEBVTT"]
    for number, (start, end, layer) in enumerate(caption_cues(plan), start=1):
        assert layer.caption is not None
        shift = start - layer.motion.start  # the shot's first frame
        words = []
        for k, word in enumerate(layer.caption.words):
            at = shift + word.start
            stamp = f"<{_clock(at, plan.fps, '.')}>" if k > 0 and start < at < end else ""
            words.append(stamp + _escaped(word.text))
        text = _broken(words, layer.lines)
        blocks.append(f"{number}\n{_clock(start, plan.fps, '.')} --> {_clock(end, plan.fps, '.')}\n{text}")
    return "\n\n".join(blocks) + "\n"


def srt(plan: ShotPlan) -> str:
    """The plan's captions as SRT, one cue per caption, broken into lines as the video shows them."""
    blocks = []
    for number, (start, end, layer) in enumerate(caption_cues(plan), start=1):
        text = "\n".join(layer.lines)
        blocks.append(f"{number}\n{_clock(start, plan.fps, ',')} --> {_clock(end, plan.fps, ',')}\n{text}")
    return "\n\n".join(blocks) + ("\n" if blocks else "")


def _broken(words: list[str], lines: tuple[str, ...]) -> str:
    """``words`` (marked up) joined with spaces, with a line break where the caption's lines break."""
    counts = [len(line.split()) for line in lines]
    out, k = [], 0
    for count in counts:
        out.append(" ".join(words[k : k + count]))
        k += count
    if k < len(words):
        out.append(" ".join(words[k:]))
    return "\n".join(part for part in out if part)
