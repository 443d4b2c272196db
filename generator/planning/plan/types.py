"""Shot plans: a template applied to one product and aspect, fully resolved and frame-exact.

A plan holds no expression and no default left to resolve: integer frame counts that add up to
``frames``, pixel boxes, wrapped text lines with their font size, seeds and content hashes of every
reference. Every name in it (aspect, layer kind, camera move, entrance, exit, easing, transition,
cutout, alignment) is one of a closed set, checked when a plan is built or loaded. Its canonical
JSON (sorted keys, no whitespace) is the same bytes on every machine, and its sha256 is the plan's
identity, used for output keys, caching and resume. The catalog row number is deliberately not
part of a plan: moving a row must not re-render it.
"""

from __future__ import annotations

import functools
import hashlib
import json
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from generator.core.geometry import Aspect, Rect
from generator.planning.plan.camera import CameraMove
from generator.planning.plan.effects import Motion
from generator.planning.plan.kinetic import Kinetic
from generator.planning.plan.shapes import ShapePlacement
from generator.planning.plan.transitions import Transition
from generator.planning.plan.treatments import Treatment

# Part of every output's key; raised when the same plan gives other pixels or sound. 5: frames composited in
# the video's colour and their chroma averaged 4:2:0 in-process (``render.colour``), not by ffmpeg's scaler.
# 6: the master audio is mixed in-process and loudness-normalised (``render.audio``); voice and captions.
# 7: brand kits: logo layers (PNG, or SVG drawn at ``AssetRef.raster``) and end cards with a QR code; kinetic
# type (texts entering piece by piece, highlight bars, strike-throughs, counting prices) and shape layers;
# product treatments (reflection, zoom to a detail, turn; ``plan.treatments``). 8: backgrounds that move
# (``BackgroundSpec.motion``: a video model's clip, or the camera move when none is loaded).
PLAN_VERSION = 8
Color = Annotated[str, Field(pattern=r"^#[0-9A-Fa-f]{6}$")]
# ``check``: failing contrast is an error; ``auto``: the text gets a remedy (a shadow, or a plate).
Legibility = Literal["check", "auto"]


class _Plan(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AssetRef(_Plan):
    """A file by machine-independent source and content hash, with how its alpha is made."""

    source: str
    sha256: str
    cutout: Literal["alpha", "light-background", "opaque"] = "alpha"
    cutout_background: tuple[int, int, int] | None = None
    raster: tuple[int, int] | None = None  # an SVG: the pixel size it is drawn at (``generator.core.svg``)


class QrCode(_Plan):
    """A QR code as data: the text it encodes, its error correction level and its modules, one string
    of ``0`` (light) and ``1`` (dark) per row, without the quiet zone of ``quiet`` light modules around
    them; it is drawn ``module`` pixels per module."""

    text: str
    error: Literal["L", "M", "Q", "H"]
    version: int
    modules: tuple[str, ...]
    quiet: int = 4
    module: int = 1


class ImagePlacement(_Plan):
    """A product, mascot or logo image, or a QR code: ``crop`` (source pixels) drawn into ``box`` (x, y, w, h
    canvas pixels). A QR code's source is drawn from ``qr``, one whole number of pixels per module.

    ``field`` names the template field it comes from (``shots[1].product``), for messages."""

    kind: Literal["product", "mascot", "logo", "qr"]
    field: str
    ref: AssetRef
    crop: tuple[int, int, int, int]
    box: Rect
    shadow: bool
    motion: Motion
    qr: QrCode | None = None
    treatment: Treatment | None = None  # a product's reflection, zoom or turn


class TextPlacement(_Plan):
    """Resolved text: its lines as wrapped at ``font_size``, centred vertically in ``box``.

    ``text`` is what is shown; when the overflow policy had to shorten it (with an ellipsis) to fit
    at the minimum size, ``shortened_from`` holds the whole text."""

    kind: Literal["text"] = "text"
    field: str
    text: str
    lines: tuple[str, ...]
    fonts: tuple[str, ...]
    lang: str
    weight: Literal["regular", "bold"]
    font_size: int
    line_height: int
    color: Color
    align: Literal["left", "center", "right", "start", "end"]
    stroke: int
    shadow: bool
    plate: Color | None
    box: Rect
    motion: Motion
    shortened_from: str | None = None
    # ``auto`` texts that lack contrast get ``remedy``, whose result ``shadow`` and ``plate`` hold (render.legibility).
    legibility: Legibility = "check"
    remedy: Literal["shadow", "plate"] | None = None
    caption: Caption | None = None
    kinetic: Kinetic | None = None  # enters piece by piece (``plan.kinetic``)


class CaptionWord(_Plan):
    """A word as captions show it (written form), and the shot-local frames while it is spoken: [start, end).
    ``glued``: it follows the word before it with no space (a word of Japanese, Chinese or Thai)."""

    text: str
    start: int
    end: int
    glued: bool = False


class Caption(_Plan):
    """What makes a text layer a caption: its words' timing and how they are shown. The layer's own
    motion shows it from its first word to the next caption (or the end of its line)."""

    style: Literal["karaoke", "pop", "phrase"]
    highlight: Color
    words: tuple[CaptionWord, ...]


Layer = Annotated[ImagePlacement | TextPlacement | ShapePlacement, Field(discriminator="kind")]


class SceneSpec(_Plan):
    """A still scene. It is composed for ``scene_size`` (the template's first aspect); a plan for
    another aspect shows that same scene, extended to its own canvas."""

    prompt: str
    negative: str
    palette: tuple[Color, Color]
    accent: Color
    seed: int
    scene_size: tuple[int, int]


class PlannedMotion(_Plan):
    """A background that moves: a clip of the shot's ``frames`` at the plan's fps, which a video model
    makes from the shot's keyframe (towards ``to``'s, if any) from ``seed``. ``model`` is the video
    model's identity, set by the run (None: none is loaded, and the shot keeps its camera move)."""

    prompt: str
    strength: float
    seed: int
    frames: int
    fps: int
    to: SceneSpec | None = None
    model: str | None = None


class BackgroundSpec(SceneSpec):
    """A shot's scene, and how it moves (``motion``; None: it is still, seen through the camera)."""

    motion: PlannedMotion | None = None


class LineWord(_Plan):
    """A written word of a voice line and when the engine says it: seconds from the clip's start, [start, end).
    ``glued``: it follows the word before it with no space (see ``CaptionWord``)."""

    text: str
    start: float
    end: float
    glued: bool = False


class VoiceLine(_Plan):
    """A shot's voice-over: the clip (by content hash, ``samples`` long at ``rate`` Hz) starting at
    shot-local frame ``start``, spoken at ``speed`` times the voice's normal speed. ``written`` is what
    captions show, ``spoken`` what the engine was given (prices, units and numbers spelled out)."""

    field: str
    written: str
    spoken: str
    start: int
    speed: float
    clip: str
    samples: int
    rate: int
    words: tuple[LineWord, ...]

    @property
    def duration(self) -> float:
        return self.samples / self.rate


class PlannedShot(_Plan):
    id: str
    start: int
    frames: int
    seed: int
    background: BackgroundSpec
    camera: CameraMove
    layers: tuple[Layer, ...]
    transition_in: Transition | None
    line: VoiceLine | None = None


class Audio(_Plan):
    ref: AssetRef
    volume: float
    fade_out: float


class PlannedVoice(_Plan):
    """The voice every line of the plan was spoken with (``generator.core.speech.VoiceIdentity``)."""

    engine: str
    version: str
    voice: str
    voice_sha256: str


class ShotPlan(_Plan):
    """The contract between planning and rendering; see the module docstring."""

    plan_version: int
    template: dict[str, str | int]
    product: dict[str, str]
    aspect: Aspect
    size: tuple[int, int]
    safe_area: Rect
    fps: int
    frames: int
    poster_frame: int
    shots: tuple[PlannedShot, ...]
    audio: Audio | None
    voice: PlannedVoice | None = None
    loudness: int = -14  # integrated LUFS of the master audio

    def canonical_json(self) -> str:
        """Sorted keys, no whitespace, UTF-8 text: identical bytes for identical plans."""
        return json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    @functools.cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()

    @property
    def duration(self) -> float:
        return self.frames / self.fps

    @property
    def moving(self) -> bool:
        """Whether a shot's background is a generated clip (``BackgroundSpec.motion``)."""
        return any(shot.background.motion is not None for shot in self.shots)

    @property
    def auto_legibility(self) -> bool:
        """Whether a text asks for a remedy when it lacks contrast (``legibility: auto``): deciding
        which needs the backgrounds, so it happens after planning (``generator.orchestration.runs.rows.settle_legibility``)."""
        return any(
            isinstance(layer, TextPlacement) and layer.legibility == "auto"
            for shot in self.shots
            for layer in shot.layers
        )

    def shortened_texts(self) -> tuple[tuple[str, TextPlacement], ...]:
        """(shot id, layer) of every text the overflow policy shortened to fit, in plan order."""
        return tuple(
            (shot.id, layer) for shot in self.shots for layer in shot.layers
            if isinstance(layer, TextPlacement) and layer.shortened_from is not None
        )  # fmt: skip

    def lines(self) -> tuple[tuple[PlannedShot, VoiceLine], ...]:
        """(shot, line) of every voiced shot, in plan order."""
        return tuple((shot, shot.line) for shot in self.shots if shot.line is not None)

    @classmethod
    def from_json(cls, text: str) -> ShotPlan:
        """A plan from its JSON.

        Raises:
            pydantic.ValidationError: a field is missing, has the wrong type or names something
                unknown (a camera move, entrance, easing, transition, layer kind...); its location
                is in the error.
        """
        return cls.model_validate_json(text)
