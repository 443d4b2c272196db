"""Motion design in the template language: product treatments, kinetic type and shape layers."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from generator.planning.templates.spec_base import BoxSpec, Color, Easing, RelativeBox, check_box
from generator.planning.templates.spec_base import Spec as _Spec


class Reflection(_Spec):
    """A mirrored copy of the product below its foot, as on a glossy floor, fading out with distance."""

    opacity: float = Field(0.35, gt=0.0, le=1.0, description="How strong the reflection is at the product's foot.")
    fade: float = Field(
        0.5, gt=0.0, le=1.0, description="How far down it fades out to nothing, as a fraction of the product's height."
    )
    gap: float = Field(
        0.0,
        ge=0.0,
        le=0.5,
        description="Space between the foot and the reflection, as a fraction of the product's height.",
    )


class Zoom(_Spec):
    """Over the shot, the view of the product narrows to a detail of its image while its box stays (or grows)."""

    to: RelativeBox = Field(
        description="The detail to end on: [x, y, w, h] as fractions of the image (its visible part, without the "
        "empty margin); widened or heightened about its centre to the box's shape."
    )
    scale: float = Field(
        1.0, ge=1.0, le=2.0, description="How much the box grows by the end, about its centre (1: it stays)."
    )
    ease: Easing = Field("ease-in-out", description="The easing of the zoom.")

    @field_validator("to")
    @classmethod
    def _inside(cls, value: RelativeBox) -> RelativeBox:
        x, y, w, h = value
        if not (x >= 0 and y >= 0 and w > 0 and h > 0 and x + w <= 1.0 + 1e-9 and y + h <= 1.0 + 1e-9):
            raise ValueError(f"detail {list(value)} must lie within the image: 0 <= x, y and x + w, y + h <= 1")
        return value


class Turn(_Spec):
    """Over the shot, the product turns slowly about its upright axis (faked by parallax of its layers)."""

    angle: float = Field(12.0, gt=0.0, le=30.0, description="How far it turns, in degrees.")
    direction: Literal["left", "right"] = Field("left", description="Where its face travels on screen.")
    ease: Easing = Field("ease-in-out", description="The easing of the turn.")


Kinetic = Literal["word", "letter", "line", "none"]


class Highlight(_Spec):
    """A bar sweeping in behind chosen words once the text is in."""

    words: tuple[int, ...] | Literal["last"] = Field(
        "last", description="Which words (counting from 1, in reading order) get the bar, or 'last'. Default: last."
    )
    color: Color | None = Field(None, description="The bar's colour. Default: the palette's accent.")
    duration: float = Field(0.3, gt=0.0, le=3.0, description="Seconds the bar takes to sweep across.")


class Strike(_Spec):
    """A line drawn across the text (an old price), from its start side, once the text is in."""

    color: Color | None = Field(None, description="The line's colour. Default: the palette's accent.")
    duration: float = Field(0.3, gt=0.0, le=3.0, description="Seconds the line takes to cross the text.")
    delay: float = Field(0.0, ge=0.0, le=10.0, description="Seconds after the text is in before the line starts.")


class Animate(_Spec):
    """Kinetic type: the text enters piece by piece (words, letters or lines), in reading order."""

    by: Kinetic = Field(
        "word",
        description=(
            "The pieces: word, letter (grapheme clusters; in Arabic and other joined scripts, words), line, "
            "or none (the text enters whole, as its enter says). Default: word."
        ),
    )
    style: Literal["stagger", "rise", "mask"] = Field(
        "stagger",
        description="stagger: each piece fades in; rise: each rises from below as it fades in; mask: each is "
        "revealed by an edge moving in reading direction.",
    )
    stagger: float = Field(0.06, ge=0.0, le=1.0, description="Seconds between one piece starting and the next.")
    duration: float = Field(0.4, gt=0.0, le=3.0, description="Seconds each piece takes to enter.")
    highlight: Highlight | None = Field(None, description="A bar behind chosen words. Default: none.")
    strike: Strike | None = Field(None, description="A line struck through the text. Default: none.")
    count_from: float | None = Field(
        None,
        description="Counts the text's number (a price) up from this value over the layer's entrance, formatted as "
        "the text is; the text then enters whole. Default: no count.",
    )


ShapeKind = Literal["line", "burst", "badge", "progress", "sticker"]
ShapeAnimation = Literal["none", "draw-on", "grow", "spin", "pop", "fill"]


class ShapeLayer(_Spec):
    """A vector shape over the shot (screen space, like text), drawn antialiased."""

    shape: ShapeKind = Field(
        description="line (across its box), burst (a sunburst star), badge (with form), progress (a bar filling "
        "over the shot), sticker (a rotated rounded label)."
    )
    box: BoxSpec
    area: Literal["safe", "canvas"] = "safe"
    form: Literal["circle", "rounded", "starburst"] = Field("circle", description="A badge's outline.")
    color: Color | None = Field(None, description="Fill (a line's colour). Default: the palette's accent.")
    stroke: Color | None = Field(None, description="Outline colour (a progress bar's track). Default: none.")
    stroke_width: float = Field(
        6.0, ge=0.0, le=60.0, description="Outline width, or a line's thickness (pixels on a 1080-pixel-wide canvas)."
    )
    corner: float = Field(0.5, ge=0.0, le=0.5, description="Corner radius, as a share of the box's shorter side.")
    points: int = Field(12, ge=3, le=64, description="Points of a burst or a starburst badge.")
    rotation: float | None = Field(
        None, ge=-180.0, le=180.0, description="Degrees, counter-clockwise. Default: -8 for a sticker, else 0."
    )
    text: str | None = Field(None, description="A short label on a badge or sticker (Jinja). Default: none.")
    style: str = Field("cta", description="The text style of the label (its font, weight, sizes and colour).")
    animate: ShapeAnimation | None = Field(
        None,
        description="draw-on (a line drawn from its start), grow (from nothing), spin (one turn into place), pop, "
        "fill (a progress bar over the rest of the shot), or none. Default: draw-on for a line, fill for progress, "
        "pop otherwise.",
    )
    delay: float = Field(0.0, ge=0.0, description="Seconds into the shot before the shape appears.")
    duration: float = Field(0.5, ge=0.0, le=5.0, description="Seconds its animation takes (but fill's).")

    _box = field_validator("box")(check_box)


class GeneratedMotion(_Spec):
    """The scene moves: an image-to-video model animates the shot's keyframe (``--video-model``); without
    one, or when the clip fails its checks, the shot keeps its camera move."""

    type: Literal["generated"] = Field("generated", description="How the background moves: generated by a video model.")
    prompt: str = Field(
        "", description="What moves, and how (Jinja, the same variables as texts). Default: the scene's prompt."
    )
    strength: float = Field(
        0.5, ge=0.0, le=1.0, description="How far the picture may move away from the keyframe (0: barely, 1: freely)."
    )
    to: str | None = Field(
        None, description="The id of another shot whose scene the clip ends on: a generated transition. Default: none."
    )
