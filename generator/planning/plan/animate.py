"""A text layer's ``animate`` resolved for the plan: its pieces timed to the frame (``plan.kinetic``).

The layer's own motion is stretched to end when its last piece and extra are in, so everything that
asks when a layer has entered (the settled frame, legibility, safe zones, QC) sees the whole entrance.
"""

from __future__ import annotations

from collections.abc import Callable

from generator.core.errors import TemplateError
from generator.planning.plan.kinetic import Bar, Count, Kinetic, KineticUnit, Strike, parse_number, pieces, words_of
from generator.planning.plan.types import TextPlacement
from generator.planning.templates.spec import Animate

Fail = Callable[[str, tuple[str | int, ...]], TemplateError]  # a message at a path of the template


def animated(
    layer: TextPlacement,
    animate: Animate,
    shot_frames: int,
    fps: int,
    accent: str,
    path: tuple[str | int, ...],
    fail: Fail,
) -> TextPlacement:
    """``layer`` with its kinetic entrance (``animate``, a template field at ``path``) and the motion that spans it.

    Raises:
        TemplateError: a highlighted word past the text's words, a count on a text with no number, or an
            entrance that does not finish within its shot of ``shot_frames``.
    """
    motion = layer.motion
    start = motion.start
    frames = max(1, round(animate.duration * fps))
    count = None
    if animate.count_from is not None:
        count = _count(layer, animate.count_from, start, max(1, motion.frames), (*path, "animate", "count_from"), fail)
    units: tuple[KineticUnit, ...] = ()
    if animate.by != "none" and count is None:
        found = pieces(layer.lines, animate.by, layer.fonts, layer.weight, layer.lang)
        units = tuple(
            KineticUnit(text=text, line=line, start=start + round(k * animate.stagger * fps))
            for k, (line, text) in enumerate(found)
        )
    entered = max((unit.start + frames for unit in units), default=start + motion.frames)
    highlight = None
    if animate.highlight is not None:
        words = [(i, line[a:b]) for i, line in enumerate(layer.lines) for a, b in words_of(line, layer.lang)]
        spec = animate.highlight
        lit = (len(words),) if spec.words == "last" else spec.words
        if not words or any(not 1 <= n <= len(words) for n in lit):
            raise fail(
                f"highlight words {list(lit)} are not all among the text's {len(words)} words "
                f"(counted from 1: {', '.join(text for _, text in words)})",
                (*path, "animate", "highlight", "words"),
            )
        highlight = Bar(
            words=tuple(text for _, text in words), lines=tuple(i for i, _ in words),
            lit=tuple(sorted({n - 1 for n in lit})), color=spec.color or accent,
            start=entered, frames=max(1, round(spec.duration * fps)),
        )  # fmt: skip
    strike = None
    if animate.strike is not None:
        spec_strike = animate.strike
        strike = Strike(
            color=spec_strike.color or accent,
            start=entered + round(spec_strike.delay * fps),
            frames=max(1, round(spec_strike.duration * fps)),
        )
    kinetic = Kinetic(  # a text entering whole keeps its own entrance's length
        by=animate.by if count is None else "none", style=animate.style, frames=frames if units else motion.frames,
        units=units,
        highlight=highlight, strike=strike, count=count,
    )  # fmt: skip
    end = kinetic.entered if units else max(kinetic.entered, start + motion.frames)  # pieces replace its entrance
    if end > shot_frames:
        raise fail(
            f"animate: {len(units) or 1} piece(s) of {layer.text!r} are not all in until {end / fps:g} s, after "
            f"the shot's {shot_frames / fps:g} s end; shorten stagger, duration or delay, or lengthen the shot",
            (*path, "animate"),
        )
    return layer.model_copy(update={"kinetic": kinetic, "motion": motion.model_copy(update={"frames": end - start})})


def _count(
    layer: TextPlacement, start_value: float, start: int, frames: int, path: tuple[str | int, ...], fail: Fail
) -> Count:
    for index, line in enumerate(layer.lines):
        parsed = parse_number(line)
        if parsed is not None:
            prefix, suffix, value, group, decimal, decimals = parsed
            return Count(
                line=index, prefix=prefix, suffix=suffix, start_value=start_value, end_value=value,
                group=group, decimal=decimal, decimals=decimals, start=start, frames=frames,
            )  # fmt: skip
    raise fail(f"count_from needs a number in the text to count to, and {layer.text!r} has none", path)
