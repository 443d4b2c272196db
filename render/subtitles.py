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
        shown = "\n".join(layer.lines)
        text, at = "", 0
        for k, word in enumerate(layer.caption.words):
            found = shown.find(word.text, at)
            if found < 0:
                raise ValueError(f"caption word {word.text!r} is not in its lines {layer.lines}")
            time = shift + word.start
            stamp = f"<{_clock(time, plan.fps, '.')}>" if k > 0 and start < time < end else ""
            text += _escaped(shown[at:found]) + stamp + _escaped(word.text)
            at = found + len(word.text)
        text += _escaped(shown[at:])
        blocks.append(f"{number}\n{_clock(start, plan.fps, '.')} --> {_clock(end, plan.fps, '.')}\n{text}")
    return "\n\n".join(blocks) + "\n"


def srt(plan: ShotPlan) -> str:
    """The plan's captions as SRT, one cue per caption, broken into lines as the video shows them."""
    blocks = []
    for number, (start, end, layer) in enumerate(caption_cues(plan), start=1):
        text = "\n".join(layer.lines)
        blocks.append(f"{number}\n{_clock(start, plan.fps, ',')} --> {_clock(end, plan.fps, ',')}\n{text}")
    return "\n\n".join(blocks) + ("\n" if blocks else "")
