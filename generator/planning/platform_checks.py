"""A plan measured against a platform's rules (``generator.planning.platforms``): every rule it breaks.

What is measured, on the plan (times are the video's, from its first frame):

* a layer is *shown* from the frame its entrance ends (and its shot's transition in has finished) until it
  begins to leave (``Motion.shown``);
* a text's area is its *drawn extent* at rest: its lines as the renderer places them, with its plate's padding
  when it has one, not its layout box (a box is where a text may go, not what it covers);
* captions (text layers with ``caption``) are judged for the UI zones and the type size but not for the text
  area: they transcribe the voice, and every platform asks advertisers to caption sound-off viewers.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bidi import get_base_level

from generator.core.geometry import Rect
from generator.core.shaping import em_width
from generator.planning.plan.shapes import ShapePlacement
from generator.planning.plan.timeline import layer_rect
from generator.planning.plan.types import ImagePlacement, PlannedShot, ShotPlan, TextPlacement
from generator.planning.platforms import PHONE_WIDTH_PT, Platform, Rule

if TYPE_CHECKING:
    from generator.planning.templates import TemplateSpec


@dataclass(frozen=True)
class Violation:
    """A rule a plan breaks: ``field`` is the template field to point at (``shots[1].product``, ``shots[0]``),
    ``measured`` the value in the rule's unit, ``excess`` how far past the limit (to keep the worst row)."""

    rule: Rule
    field: str
    measured: str
    limit: str
    excess: float


def check_plan(plan: ShotPlan, platform: Platform, spec: TemplateSpec, brands: Sequence[str]) -> list[Violation]:
    """Every rule of ``platform`` that ``plan`` breaks. ``brands``: names that count as the brand when a text
    shows them (the product's brand); a layer of kind ``logo`` counts too."""
    rules, fps = platform.rules, plan.fps
    found: list[Violation] = []
    first = plan.shots[0]

    product = _first_shown(plan, lambda layer: isinstance(layer, ImagePlacement) and _kind(layer) == "product")
    found += _late(rules["opening.product"], product, _shot_field(spec, first), fps, "the product first shows")

    wanted = [" ".join(name.split()).casefold() for name in brands if name.strip()]
    brand = _first_shown(plan, lambda layer: _kind(layer) == "logo" or _shows(layer, wanted))
    if wanted or brand is not None:  # a product without a brand can show it only as a logo
        found += _late(rules["opening.brand"], brand, _shot_field(spec, first), fps, "the brand first shows")

    hook, limit = first.frames / fps, rules["opening.hook"].value[0]
    if hook > limit + 1e-9:
        found.append(Violation(rules["opening.hook"], _shot_field(spec, first), f"the first shot lasts {hook:.2f} s",
                               f"at most {limit:g} s", hook - limit))  # fmt: skip

    last = plan.shots[-1]
    if not any(
        isinstance(layer, TextPlacement) and layer.caption is None and _style(spec, layer.field) == "cta"
        and len(layer.motion.shown(last.frames)) > 0
        for layer in last.layers
    ):  # fmt: skip
        found.append(Violation(rules["ending.cta"], _shot_field(spec, last), "the last shot has no 'cta' text",
                               "a 'cta' text", 1.0))  # fmt: skip

    found += _text_area(rules["legibility.text-area"], plan, spec)
    found += _ui_zone(rules["legibility.ui-zone"], plan)
    found += _type_size(rules["legibility.type-size"], plan)

    low, high = rules["length"].value
    if not low <= plan.duration <= high:
        found.append(Violation(rules["length"], "shots", f"the ad lasts {plan.duration:.2f} s",
                               f"{low:g} to {high:g} s", max(low - plan.duration, plan.duration - high)))  # fmt: skip
    return found


def _kind(layer: ImagePlacement | TextPlacement) -> str:
    """A layer's kind as a plain string, so kinds added later (``logo``) compare without a type error."""
    return str(layer.kind)


def _shows(layer: ImagePlacement | TextPlacement, names: Sequence[str]) -> bool:
    if not isinstance(layer, TextPlacement) or layer.caption is not None:
        return False
    shown = " ".join(layer.text.split()).casefold()
    return any(name in shown for name in names)


def _first_shown(plan: ShotPlan, wanted: Callable[[ImagePlacement | TextPlacement], bool]) -> tuple[float, str] | None:
    """(frame of the video, field) where the first layer ``wanted`` accepts is fully shown, past its shot's
    transition in; None if none is."""
    best: tuple[float, str] | None = None
    for shot in plan.shots:
        blend = shot.transition_in.frames if shot.transition_in is not None else 0
        for layer in shot.layers:
            if isinstance(layer, ShapePlacement):
                continue
            shown = layer.motion.shown(shot.frames)
            if wanted(layer) and len(shown) > 0 and max(shown.start, blend) < shown.stop:
                frame = shot.start + max(shown.start, blend)
                if best is None or frame < best[0]:
                    best = (frame, layer.field)
        if best is not None:
            return best
    return best


def _late(rule: Rule, shown: tuple[float, str] | None, fallback: str, fps: int, what: str) -> list[Violation]:
    limit = rule.value[0]
    if shown is None:
        return [Violation(rule, fallback, f"{what.replace(' first shows', '')} never shows", f"by {limit:g} s", 1e6)]
    seconds = shown[0] / fps
    if seconds <= limit + 1e-9:
        return []
    return [Violation(rule, shown[1], f"{what} at {seconds:.2f} s", f"by {limit:g} s", seconds - limit)]


def _template_index(spec: TemplateSpec, shot: PlannedShot) -> int:
    """The template shot a planned shot comes from (``hero-2`` of an ``each`` shot is ``hero``'s)."""
    for index, candidate in enumerate(spec.shots):
        if shot.id == candidate.id or (candidate.each is not None and shot.id.startswith(f"{candidate.id}-")):
            return index
    return 0


def _shot_field(spec: TemplateSpec, shot: PlannedShot) -> str:
    return f"shots[{_template_index(spec, shot)}]"


def _style(spec: TemplateSpec, field: str) -> str | None:
    """The ``style`` of the template layer at ``field`` (``shots[4].text[1]``), walking the spec by its path."""
    if field.startswith("end_card.") and spec.end_card is not None:  # laid out by the kit, styled by the card
        return {"end_card.cta": spec.end_card.style, "end_card.link": spec.end_card.link_style}.get(field)
    node: object = spec
    for part in field.replace("[", ".").replace("]", "").split("."):
        if not part:
            continue
        try:
            node = node[int(part)] if part.isdigit() and isinstance(node, Sequence) else getattr(node, part)
        except (AttributeError, IndexError):
            return None
    style = getattr(node, "style", None)
    return style if isinstance(style, str) else None


def text_extent(layer: TextPlacement) -> Rect:
    """Where a text is drawn at rest: its lines as the renderer places them in its box, its plate's padding
    included (``render.text.draw_text``), clipped to the box."""
    x, y, w, h = layer.box
    size = layer.font_size
    block = layer.line_height * (len(layer.lines) - 1) + size
    top = y + (h - block) / 2
    lefts, rights = [], []
    for line in layer.lines:
        width = em_width(line, layer.fonts, layer.weight, layer.lang) * size
        rtl = get_base_level(line) == 1 if line else False
        align = {"start": "right" if rtl else "left", "end": "left" if rtl else "right"}.get(layer.align, layer.align)
        left = x if align == "left" else x + w - width if align == "right" else x + (w - width) / 2
        lefts.append(left)
        rights.append(left + width)
    if not lefts:
        return (x, top, 0.0, 0.0)
    pad_x, pad_y = (0.45 * size, 0.22 * size) if layer.plate is not None else (0.0, 0.0)
    left, right = max(x, min(lefts) - pad_x), min(x + w, max(rights) + pad_x)
    upper, lower = max(y, top - pad_y), min(y + h, top + block + pad_y)
    return (left, upper, max(0.0, right - left), max(0.0, lower - upper))


def _union_area(rects: Sequence[Rect]) -> float:
    """The area the rectangles cover together (overlaps counted once), by slabs between their x edges."""
    xs = sorted({edge for x, _, w, _ in rects for edge in (x, x + w)})
    area = 0.0
    for left, right in itertools.pairwise(xs):
        spans = sorted((y, y + h) for x, y, w, h in rects if x <= left and x + w >= right and h > 0)
        covered, reach = 0.0, float("-inf")
        for top, bottom in spans:
            if bottom > reach:
                covered += bottom - max(top, reach)
                reach = bottom
        area += covered * (right - left)
    return area


def _text_area(rule: Rule, plan: ShotPlan, spec: TemplateSpec) -> list[Violation]:
    """The largest share of the frame texts (not captions) cover together at rest, in any shot."""
    width, height = plan.size
    worst: tuple[float, PlannedShot] | None = None
    for shot in plan.shots:
        texts = [
            (layer.motion.shown(shot.frames), text_extent(layer))
            for layer in shot.layers
            if isinstance(layer, TextPlacement) and layer.caption is None
        ]
        for moment in sorted({shown.start for shown, _ in texts if len(shown) > 0}):
            share = _union_area([rect for shown, rect in texts if moment in shown]) / (width * height)
            if worst is None or share > worst[0]:
                worst = (share, shot)
    limit = rule.value[0]
    if worst is None or worst[0] <= limit:
        return []
    share, shot = worst
    return [Violation(rule, _shot_field(spec, shot), f"texts cover {share:.0%} of the frame in shot {shot.id}",
                      f"at most {limit:.0%}", share - limit)]  # fmt: skip


def _resting_rects(plan: ShotPlan, shot: PlannedShot, layer: ImagePlacement | TextPlacement) -> Iterator[Rect]:
    """A text's drawn extent; a product's box at the first, middle and last frames it rests (camera moves are
    monotonic eases, so these bound it)."""
    shown = layer.motion.shown(shot.frames)
    if len(shown) == 0:
        return
    if isinstance(layer, TextPlacement):
        yield text_extent(layer)
        return
    for frame in sorted({shown.start, shown.start + len(shown) // 2, shown.stop - 1}):
        yield layer_rect(shot, layer, frame, plan.size)[0]


def _ui_zone(rule: Rule, plan: ShotPlan) -> list[Violation]:
    """Texts (captions included), products and logos that rest in a covered area, each by how far it reaches in."""
    if not any(rule.value):
        return []
    width, height = plan.size
    top, right, bottom, left = rule.value
    clear = (left * width, top * height, (1 - right) * width, (1 - bottom) * height)
    found = []
    for shot in plan.shots:
        for layer in shot.layers:
            if isinstance(layer, ShapePlacement):
                continue  # decoration, not judged (docs/platforms.md)
            if isinstance(layer, ImagePlacement) and _kind(layer) not in ("product", "logo"):
                continue
            over = [0.0, 0.0, 0.0, 0.0]
            for x, y, w, h in _resting_rects(plan, shot, layer):
                if w <= 0 or h <= 0:
                    continue
                reach = (clear[1] - y, x + w - clear[2], y + h - clear[3], clear[0] - x)
                over = [max(a, b) for a, b in zip(over, reach)]
            if max(over) > 0.5:
                sides = [f"{px:.0f} px into the {side}" for px, side in zip(over, ("top", "right", "bottom", "left"))
                         if px > 0.5]  # fmt: skip
                found.append(Violation(
                    rule, layer.field, f"{_kind(layer)} in shot {shot.id} reaches {', '.join(sides)}",
                    "0 px into them", max(over),
                ))  # fmt: skip
    return found


def _type_size(rule: Rule, plan: ShotPlan) -> list[Violation]:
    """Texts whose font size is under the rule's points on a phone showing the video full width."""
    points = rule.value[0]
    minimum = points * plan.size[0] / PHONE_WIDTH_PT
    found = []
    for shot in plan.shots:
        for layer in shot.layers:
            if isinstance(layer, TextPlacement) and layer.font_size < minimum - 1e-9:
                shown_pt = layer.font_size * PHONE_WIDTH_PT / plan.size[0]
                found.append(Violation(
                    rule, layer.field, f"{layer.font_size} px type ({shown_pt:.1f} pt on a phone) in shot {shot.id}",
                    f"at least {minimum:.0f} px ({points:g} pt)", minimum - layer.font_size,
                ))  # fmt: skip
    return found
