"""The template language: pydantic models of a template file and a brand kit, every default written here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from generator.planning.templates.spec_base import (
    NAMED_BOXES,
    Aspect,
    BoxSpec,
    CameraMoveName,
    CategoryClaim,
    Color,
    Direction,
    Easing,
    Entrance,
    Legibility,
    Overflow,
    RelativeBox,
    SingleBox,
    Slug,
    check_box,
)
from generator.planning.templates.spec_design import (
    Animate,
    GeneratedMotion,
    Highlight,
    Kinetic,
    Reflection,
    ShapeAnimation,
    ShapeKind,
    ShapeLayer,
    Strike,
    Turn,
    Zoom,
)

# Re-exported: the whole template language is importable from here.
__all__ = [
    "NAMED_BOXES",
    "Animate",
    "Aspect",
    "BoxSpec",
    "CameraMoveName",
    "CategoryClaim",
    "Color",
    "Direction",
    "Easing",
    "Entrance",
    "GeneratedMotion",
    "Highlight",
    "Kinetic",
    "Legibility",
    "Overflow",
    "Reflection",
    "RelativeBox",
    "ShapeAnimation",
    "ShapeKind",
    "ShapeLayer",
    "SingleBox",
    "Slug",
    "Strike",
    "Turn",
    "Zoom",
]


class _Spec(BaseModel):  # a pydantic model here too, so linters see the mutable-looking defaults are copied
    model_config = ConfigDict(extra="forbid", frozen=True)


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
    motion: GeneratedMotion | Literal["generated"] | None = Field(
        None, description="Whether the scene itself moves (``generated``, or its settings). Default: it is still."
    )

    @property
    def generated(self) -> GeneratedMotion | None:
        """The motion's settings, ``generated`` alone standing for the defaults."""
        if self.motion == "generated":
            return GeneratedMotion()
        return self.motion if isinstance(self.motion, GeneratedMotion) else None


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

    _box = field_validator("box")(check_box)


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


class TextLayer(_Layer):
    text: str
    style: str = "body"
    overflow: Overflow | None = None  # None: the style's
    box: BoxSpec = "bottom"
    animate: Animate | None = Field(None, description="Kinetic type (by word, letter or line). Default: none.")


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
