"""The template language: pydantic models of a template file and a brand kit, every default written here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema, field_validator

Aspect = Literal["9:16", "1:1", "4:5", "16:9"]
Color = Annotated[
    str,
    Field(pattern=r"^#[0-9A-Fa-f]{6}$"),
    # A template may name a brand kit colour; it is replaced by the kit's #RRGGBB before validation (templates.brand).
    WithJsonSchema({"type": "string", "pattern": r"^(#[0-9A-Fa-f]{6}|[a-z][a-z0-9-]*)$"}),
]
Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)]
Entrance = Literal["none", "fade", "pop", "slide-left", "slide-right", "slide-up", "slide-down"]
Easing = Literal[
    "linear",
    "ease-in",
    "ease-out",
    "ease-in-out",
    "ease-in-cubic",
    "ease-out-cubic",
    "ease-in-out-cubic",
    "ease-out-back",
]
CameraMoveName = Literal[
    "none", "push-in", "pull-out", "pan-left", "pan-right", "pan-up", "pan-down", "parallax-left", "parallax-right"
]
Direction = Literal["left", "right", "up", "down"]
# What text too long for its box at the minimum size does: ``shrink`` shortens it with an ellipsis
# (recorded in the plan, warned about), ``error`` fails the row. Unset: ``shrink`` for text that
# reads a variable (a catalog value, an ``each`` item), ``error`` for literal text.
Overflow = Literal["shrink", "error"]
# What text that lacks contrast with what is behind it does: ``check`` makes it an error, ``auto``
# gives it a shadow, or if that is not enough a plate, and records the remedy in the plan.
Legibility = Literal["check", "auto"]
# A category of Google's product taxonomy: its path ("Apparel & Accessories > Shoes") or its id (187).
CategoryClaim = Annotated[
    str,
    BeforeValidator(lambda value: str(value) if isinstance(value, int) else value, json_schema_input_type=str | int),
    Field(min_length=1),
]
RelativeBox = tuple[float, float, float, float]
SingleBox = str | RelativeBox
# A box, or one per aspect: {"default": hero, "16:9": [0.05, 0.1, 0.45, 0.8]}.
BoxSpec = SingleBox | dict[Literal["default", "9:16", "1:1", "4:5", "16:9"], SingleBox]

# Named boxes, as fractions of the aspect's safe area (x, y, w, h); see generator.planning.plan.SAFE_INSETS.
NAMED_BOXES: Mapping[str, RelativeBox] = {
    "top": (0.04, 0.02, 0.92, 0.16),
    "upper": (0.04, 0.16, 0.92, 0.16),
    "center": (0.10, 0.24, 0.80, 0.44),
    "lower": (0.04, 0.66, 0.92, 0.15),
    "bottom": (0.08, 0.82, 0.84, 0.14),
    "lower-left": (0.04, 0.50, 0.44, 0.32),
    "lower-right": (0.52, 0.50, 0.44, 0.32),
    "hero": (0.08, 0.20, 0.84, 0.42),
}


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_box(value: BoxSpec) -> BoxSpec:
    if isinstance(value, dict):
        if "default" not in value:
            raise ValueError("a box per aspect needs a 'default' for the aspects it does not name")
        for box in value.values():
            _check_box(box)
        return value
    if isinstance(value, str):
        if value not in NAMED_BOXES:
            raise ValueError(f"unknown box {value!r}; use one of {', '.join(NAMED_BOXES)} or [x, y, w, h]")
        return value
    x, y, w, h = value
    if not (x >= 0 and y >= 0 and w > 0 and h > 0 and x + w <= 1.0 + 1e-9 and y + h <= 1.0 + 1e-9):
        raise ValueError(f"box {list(value)} must lie within the canvas: 0 <= x, y and x + w, y + h <= 1")
    return value


class Canvas(_Spec):
    """Frame rate and the aspects a template renders (first one is the default)."""

    fps: int = Field(30, ge=12, le=60)
    aspects: tuple[Aspect, ...] = Field(("9:16",), min_length=1)


class Palette(_Spec):
    """Colours the draft renderer and text styles draw from."""

    background: tuple[Color, Color] = ("#2E2E38", "#1C1C22")  # dark, so the default white text reads on it
    accent: Color = "#E4572E"
    text: Color = "#FFFFFF"


class TextStyle(_Spec):
    """How a text layer looks; sizes are pixels on a 1080-pixel-wide canvas."""

    font: str = "DejaVu Sans"
    fallback: tuple[str, ...] = ()
    weight: Literal["regular", "bold"] = "regular"
    size: int = Field(72, ge=8, le=400)
    min_size: int = Field(40, ge=8, le=400)
    color: Color | None = None
    align: Literal["left", "center", "right", "start", "end"] = "center"
    line_spacing: float = Field(1.15, ge=0.8, le=3.0)
    stroke: int = Field(0, ge=0, le=20)
    shadow: bool = True
    plate: Color | None = None
    overflow: Overflow | None = None
    legibility: Legibility = "check"


DEFAULT_STYLES: Mapping[str, TextStyle] = {
    "headline": TextStyle(weight="bold", size=104, min_size=56),
    "body": TextStyle(size=72, min_size=40),
    "price": TextStyle(weight="bold", size=150, min_size=72),
    "was": TextStyle(size=72, min_size=40, color="#E8E8E8"),
    "badge": TextStyle(weight="bold", size=120, min_size=64, plate="#E4572E", shadow=False),
    "cta": TextStyle(weight="bold", size=80, min_size=48, plate="#111111", shadow=False),
    "caption": TextStyle(weight="bold", size=64, min_size=40, color="#FFFFFF", plate="#111111", shadow=False),
}


class Background(_Spec):
    prompt: str = Field(min_length=1)
    negative: str = ""
    palette: tuple[Color, Color] | None = None


class Camera(_Spec):
    """A move over the whole shot. Pans and parallax travel across a view zoomed in by ``amount``;
    under parallax the product and mascot travel ``depth`` times as far as the background."""

    move: CameraMoveName = "none"
    amount: float = Field(0.06, ge=0.0, le=0.5)
    ease: Easing = "ease-in-out"
    depth: float = Field(1.6, ge=1.0, le=4.0)


class _Layer(_Spec):
    box: BoxSpec
    area: Literal["safe", "canvas"] = "safe"
    enter: Entrance = "fade"
    enter_duration: float = Field(0.5, ge=0.0, le=5.0)
    delay: float = Field(0.0, ge=0.0)
    ease: Easing | None = None
    exit: Entrance = "none"
    exit_duration: float = Field(0.4, ge=0.0, le=5.0)
    exit_ease: Easing | None = None

    _box = field_validator("box")(_check_box)


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


class ProductLayer(_Layer):
    """The product's reference image, fitted inside ``box`` and scaled by ``scale``."""

    box: BoxSpec = "hero"
    scale: float = Field(1.0, gt=0.0, le=1.0)
    enter: Entrance = "pop"
    shadow: bool = True
    image: str | None = Field(
        None,
        min_length=1,
        description=(
            "Which of the product's images to show: a Jinja expression giving one of product.images (the main image, "
            "then the feed's additional images), such as 'product.images[1]' or an each item. Default: the main image."
        ),
    )
    reflection: Reflection | None = Field(None, description="A reflection on a glossy floor. Default: none.")
    zoom: Zoom | None = Field(None, description="A zoom to a detail while the product rests. Default: none.")
    turn: Turn | None = Field(None, description="A slow turn while the product rests. Default: none.")


class MascotLayer(_Layer):
    box: BoxSpec = "lower-left"
    scale: float = Field(1.0, gt=0.0, le=1.0)
    enter: Entrance = "slide-left"


class LogoLayer(_Layer):
    """The brand kit's logo, fitted inside ``box`` and scaled by ``scale``."""

    box: BoxSpec = "top"
    scale: float = Field(0.8, gt=0.0, le=1.0, description="Share of the box the logo may fill.")


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


class TextLayer(_Layer):
    text: str
    style: str = "body"
    overflow: Overflow | None = None  # None: the style's
    box: BoxSpec = "bottom"
    animate: Animate | None = Field(None, description="Kinetic type (by word, letter or line). Default: none.")


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

    _box = field_validator("box")(_check_box)


class Transition(_Spec):
    """How a shot replaces the one before it; ``direction`` is where a slide or wipe travels."""

    type: Literal["cut", "crossfade", "slide", "wipe", "zoom"] = "crossfade"
    duration: float = Field(0.3, ge=0.0, le=2.0)
    direction: Direction = "left"
    ease: Easing = "ease-in-out"


class Shot(_Spec):
    id: Slug
    duration: float = Field(gt=0.0, le=30.0)
    max_duration: float | None = Field(
        None,
        gt=0.0,
        le=30.0,
        description="How long the shot may stretch to fit its voice line (seconds). Default: twice duration, at most 30.",
    )
    line: str | None = Field(
        None, description="What the voice says over this shot (Jinja, the same variables as texts). Default: nothing."
    )
    when: str | None = None
    each: str | None = None
    background: Background
    camera: Camera = Camera()
    product: ProductLayer | None = None
    mascot: MascotLayer | None = None
    text: tuple[TextLayer, ...] = ()
    transition: Transition | None = None
    logo: LogoLayer | None = Field(None, description="The brand kit's logo in this shot. Default: none.")
    shapes: tuple[ShapeLayer, ...] = Field((), description="Vector shapes, drawn under the texts. Default: none.")


class MediaRef(_Spec):
    ref: str


class Music(_Spec):
    ref: str
    volume: float = Field(0.8, ge=0.0, le=2.0)
    fade_out: float = Field(1.0, ge=0.0, le=10.0)


class Voice(_Spec):
    """The voice-over: which engine and voice speak the shots' ``line``s, how fast, and the pauses around them."""

    engine: Literal["espeak-ng", "piper"] = "espeak-ng"
    name: str | None = Field(
        None,
        min_length=1,
        description=(
            "The engine's voice: an espeak-ng voice ('en-us', 'de'), or for Piper a voice .onnx path or an installed "
            "voice package. Default: espeak-ng's voice for the template's locale."
        ),
    )
    rate: float = Field(1.0, ge=0.5, le=2.0, description="Speed, times the voice's normal speed.")
    lead: float = Field(0.2, ge=0.0, le=2.0, description="Silence at a shot's start before its line (seconds).")
    gap: float = Field(0.3, ge=0.0, le=2.0, description="Pause after a line before its shot may end (seconds).")
    overflow: Overflow = Field(
        "shrink",
        description="A line longer than its shot's max_duration: shrink speaks faster (up to max_rate), error fails the row.",
    )
    max_rate: float = Field(1.3, ge=1.0, le=2.0, description="The most that shrink speeds a line up, times rate.")


class Captions(_Spec):
    """Burned-in captions of what the voice says, timed to its words."""

    enabled: bool = True
    style: Literal["karaoke", "pop", "phrase"] = Field(
        "karaoke", description="karaoke: the spoken word highlighted; pop: each word pops in; phrase: subtitle-like."
    )
    position: Literal["bottom", "middle", "top"] = Field(
        "bottom", description="Where captions prefer to sit inside the area every platform leaves clear."
    )
    words: int = Field(3, ge=1, le=3, description="Words per caption for karaoke and pop (phrases fill two lines).")
    text_style: str = Field("caption", description="The text style captions are drawn in.")
    highlight: Color | None = Field(None, description="Colour of the spoken word (karaoke). Default: the accent.")


Loudness = Literal[-14, -16, -23]
EndCardLayout = Literal["centered", "stacked", "split"]


class EndCard(_Spec):
    """A last shot laid out by the brand kit: logo, call to action, the product link as short text and as a QR code."""

    id: Slug = "end-card"
    duration: float = Field(2.5, gt=0.0, le=30.0, description="Seconds the end card shows.")
    cta: str | None = Field(None, description="Call to action (Jinja). Default: the kit's cta.")
    link: str = Field("{{ product.link }}", description="What the QR code encodes and the short link shows (Jinja).")
    qr: bool = Field(
        True, description="Show the link as a QR code and as short text. A row with no link shows neither."
    )
    layout: EndCardLayout | None = Field(None, description="centered, stacked or split. Default: the kit's end_card.")
    style: str = Field("cta", description="Text style of the call to action.")
    link_style: str = Field("body", description="Text style of the short link.")
    background: Background = Background(prompt="plain studio backdrop in brand colours, soft light")
    transition: Transition | None = None


class BrandKit(_Spec):
    """Shared look for several templates: a template's own fields win; a style it writes changes only
    the style fields it names."""

    name: str = ""
    locale: str | None = None
    palette: Palette | None = None
    styles: dict[str, TextStyle] = {}
    mascot: MediaRef | None = None
    music: Music | None = None
    logo: str | None = Field(None, description="Logo file in the kit's folder: PNG, or SVG (drawn at the size shown).")
    fonts: tuple[str, ...] = Field(
        (), description="Font files (.ttf, .otf) in the kit's folder; styles name their family."
    )
    font: str | None = Field(
        None, description="Family every style that names no font is drawn in. Default: the first kit font's family."
    )
    colors: dict[Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*$")], Color] = Field(
        {}, description="Named brand colours (primary, secondary, accent, text, background, background-2, ...)."
    )
    cta: str = Field("", description="Default call to action of the end card (brand.cta in expressions).")
    end_card: EndCardLayout = Field("centered", description="End card layout: centered, stacked or split.")


class TemplateSpec(_Spec):
    """The whole template language; every field's default is written here."""

    id: Slug
    version: int = Field(ge=1)
    vertical: Slug
    name: str = ""
    description: str = ""
    brand_kit: str | None = None
    locale: str = "en_US"
    product_types: tuple[str, ...] = ()
    categories: tuple[CategoryClaim, ...] = Field(
        (),
        description=(
            "Categories of Google's product taxonomy this template is made for, as paths "
            "('Apparel & Accessories > Shoes') or ids (187). A product whose google_product_category (or Meta "
            "fb_product_category) is one of them or lies below one comes here before any template of its "
            "vertical; when several templates claim it, the most specific claim wins. Default: none."
        ),
    )
    routing: Literal["auto", "explicit"] = Field(
        "auto",
        description=(
            "auto: routing may send rows here (by category, vertical or product type); explicit: only a run or "
            "batch that names this template (--template, a batch spec) uses it. Default: auto."
        ),
    )
    prefer: str | None = Field(
        None,
        description=(
            "A Jinja expression of the product: among the templates routing could send a row to by the same rule "
            "(its vertical's, say), one whose prefer is true for the row is chosen before the others, e.g. a sale "
            "template with 'product.sale_price is not none'. Default: none."
        ),
    )
    requires: tuple[str, ...] = ()
    optional: tuple[str, ...] = Field(
        (),
        description=(
            "Catalog columns the template reads when a row has them and does without otherwise (rating, "
            "additional_image_link, sale_price_effective_date, product_detail, material, ...); a shot that needs one "
            "says so in its when. Lint warns of such a field read but neither required nor declared here. Default: none."
        ),
    )
    canvas: Canvas = Canvas()
    palette: Palette = Palette()
    styles: dict[str, TextStyle] = {}
    mascot: MediaRef | None = None
    music: Music | None = None
    voice: Voice | None = None
    captions: Captions = Captions()
    loudness: Loudness = Field(
        -14, description="Integrated loudness of the master (LUFS): -14 for social platforms, -16, or -23 (EBU R128)."
    )
    transition: Transition = Transition()
    poster: str | None = None
    shots: tuple[Shot, ...] = Field(min_length=1)
    end_card: EndCard | None = Field(
        None, description="A last shot laid out by the brand kit (logo, cta, link, QR). Default: none."
    )
