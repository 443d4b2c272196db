"""Previews for template authors: a storyboard PNG and a low-resolution draft MP4 of one plan.

The plan is scaled down as a whole (canvas, boxes, font sizes, safe area), composited with the draft
backgrounds and encoded with x264's fastest preset, so a 15-second template previews in seconds.
The storyboard shows each shot's first settled frame, the platform UI zones shaded, every text box
outlined (the caption band in blue), and under it the shot's id, timing, voice line and texts.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw

from generator.core.fonts import font_chain
from generator.core.images import AssetResolver
from generator.core.shaping import TextLayout, shape_line
from generator.planning.plan.timeline import settled_frame
from generator.planning.plan.types import ImagePlacement, PlannedShot, ShotPlan, TextPlacement
from render.backends.draft import DraftRenderer
from render.compose import Compositor, layer_source, shot_still
from render.encode import EncodeSettings, ffmpeg_executable
from render.legibility import Contrast
from render.legibility_draft import check_on_draft
from render.scale import scale_plan
from render.text import draw_text
from render.video import FrameTap, encode_plan

log = logging.getLogger(__name__)

PREVIEW_SHORT_SIDE = 360  # pixels on the preview's short side (a third of the full 1080)
PREVIEW_SETTINGS = EncodeSettings(crf=28, preset="ultrafast")
_ROWS = 5
_UI_SHADE = (255, 40, 40, 70)
_BOX_OUTLINE = (255, 220, 0, 255)
_CLASH_OUTLINE = (255, 40, 40, 255)  # a text box whose text lacks contrast
CAPTION_OUTLINE = (60, 170, 255, 255)  # the band a shot's captions are drawn in


@dataclass(frozen=True)
class Row:
    """A line written under a shot: ``text`` is shortened to fit, ``before`` and ``after`` are kept whole."""

    text: str
    before: str = ""
    after: str = ""

    def __str__(self) -> str:
        return self.before + self.text + self.after


@dataclass(frozen=True)
class Storyboard:
    """The storyboard written, the preview's size, and the texts that lack contrast on the draft backgrounds."""

    path: Path
    size: tuple[int, int]
    clashes: tuple[Contrast, ...] = ()


@dataclass(frozen=True)
class Preview:
    """The files written, and the texts that lack contrast on the draft backgrounds (``clashes``)."""

    storyboard: Path
    video: Path
    size: tuple[int, int]
    frames: int
    clashes: tuple[Contrast, ...] = ()


def render_storyboard(
    plan: ShotPlan, assets: AssetResolver, out: Path, stem: str, short_side: int = PREVIEW_SHORT_SIDE
) -> Storyboard:
    """Write ``<stem>.storyboard.png`` for ``plan`` into ``out``, without a video: each shot's settled
    frame is drawn alone, so the storyboard of a 15-second template takes a fraction of its preview."""
    small = scale_plan(plan, short_side / min(plan.size))
    compositor = Compositor.render(small, DraftRenderer(), assets, colour="video")

    def source(layer: ImagePlacement) -> Image.Image:
        return layer_source(layer, assets)

    stills = {
        shot.id: shot_still(small, shot, settled_frame(shot), background, source, compositor.pinning)
        for shot, background in zip(small.shots, compositor.backgrounds, strict=True)
    }
    out.mkdir(parents=True, exist_ok=True)
    return _storyboard(plan, small, stills, assets, out / f"{stem}.storyboard.png")


def render_preview(
    plan: ShotPlan, assets: AssetResolver, out: Path, stem: str, short_side: int = PREVIEW_SHORT_SIDE
) -> Preview:
    """Write ``<stem>.storyboard.png`` and ``<stem>.draft.mp4`` for ``plan`` into ``out``.

    Texts that lack contrast with what is behind them are logged as warnings and outlined in red.
    """
    small = scale_plan(plan, short_side / min(plan.size))
    out.mkdir(parents=True, exist_ok=True)
    video = out / f"{stem}.draft.mp4"
    stills: dict[str, Image.Image] = {}

    def keep(shot: PlannedShot) -> FrameTap:
        return lambda frame: stills.__setitem__(shot.id, frame)

    taps = {shot.start + settled_frame(shot): keep(shot) for shot in small.shots}
    compositor = Compositor.render(small, DraftRenderer(), assets, colour="video")
    encode_plan(compositor, assets, video, PREVIEW_SETTINGS, ffmpeg_executable(), taps)
    board = _storyboard(plan, small, stills, assets, out / f"{stem}.storyboard.png")
    return Preview(storyboard=board.path, video=video, size=small.size, frames=small.frames, clashes=board.clashes)


def _storyboard(
    plan: ShotPlan, small: ShotPlan, stills: dict[str, Image.Image], assets: AssetResolver, path: Path
) -> Storyboard:
    """Check ``plan``'s text contrast on the draft backgrounds, log each clash, and draw the storyboard."""
    clashes = tuple(c for c in check_on_draft(plan, lambda layer: layer_source(layer, assets)) if not c.passed)
    for clash in clashes:
        log.warning("%s: %s", clash.layer.field, clash.describe(aspect=plan.aspect))
    draw_storyboard(small, stills, frozenset((c.shot, c.layer.field) for c in clashes)).save(
        path, "PNG", optimize=False
    )
    return Storyboard(path, small.size, clashes)


def draw_storyboard(
    plan: ShotPlan, stills: dict[str, Image.Image], clashes: frozenset[tuple[str, str]] = frozenset()
) -> Image.Image:
    """The shots side by side, each annotated: UI zones shaded, text boxes outlined (the caption band in
    blue, in red the (shot id, field) pairs in ``clashes``), ``shot_rows`` below."""
    width, height = plan.size
    size = max(11, width // 26)
    line = round(size * 1.3)
    below = line * _ROWS + 8
    lang = next((t.lang for shot in plan.shots for t in shot.layers if isinstance(t, TextPlacement)), "en")
    fonts = font_chain("DejaVu Sans", lang=lang)
    gap = 12
    sheet = Image.new("RGB", (gap + len(plan.shots) * (width + gap), gap + height + below + gap), (24, 24, 28))
    for index, shot in enumerate(plan.shots):
        left = gap + index * (width + gap)
        frame = stills.get(shot.id, Image.new("RGB", plan.size)).convert("RGBA")
        sheet.paste(_annotated(frame, plan, shot, clashes).convert("RGB"), (left, gap))
        for number, row in enumerate(shot_rows(plan, shot)[:_ROWS]):
            text = _clip(row, fonts, size, width)
            strip = draw_text(
                TextLayout((text,), size, line),
                fonts,
                "regular",
                (width, line),
                color="#EBEBF0",
                align="left",
                lang=lang,
            )
            sheet.paste(strip, (left, gap + height + 6 + number * line), strip)
    return sheet


def shot_rows(plan: ShotPlan, shot: PlannedShot) -> list[Row]:
    """What is written under ``shot``: its id, timing, camera and transition; a generated motion's prompt (a
    preview shows its fallback, the camera move: no video model runs here); its voice line (marked ♪, as
    written, with how long it is spoken); its texts. Caption chunks are the voice line's, so not listed."""
    start, end = shot.start / plan.fps, (shot.start + shot.frames) / plan.fps
    camera = "" if shot.camera.move == "none" else f" · {shot.camera.move}"
    transition = f" · {shot.transition_in.type} in" if shot.transition_in else ""
    rows = [Row(f"{shot.id}  {start:.2f}–{end:.2f} s{camera}{transition}")]
    if shot.background.motion is not None:
        rows.append(Row(shot.background.motion.prompt, "≈ “", "” (generated; here the camera move)"))
    if shot.line is not None:
        rows.append(Row(shot.line.written, "♪ “", f"” {shot.line.duration:.2f} s"))
    texts = (layer for layer in shot.layers if isinstance(layer, TextPlacement) and layer.caption is None)
    return rows + [Row(text.text, "“", "”") for text in texts]


def _annotated(
    frame: Image.Image, plan: ShotPlan, shot: PlannedShot, clashes: frozenset[tuple[str, str]]
) -> Image.Image:
    overlay = Image.new("RGBA", frame.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    width, height = frame.size
    x, y, w, h = plan.safe_area
    for band in ((0, 0, width, y), (0, y + h, width, height), (0, y, x, y + h), (x + w, y, width, y + h)):
        if band[2] > band[0] and band[3] > band[1]:
            draw.rectangle(band, fill=_UI_SHADE)
    texts = [layer for layer in shot.layers if isinstance(layer, TextPlacement)]
    for layer in sorted(texts, key=lambda text: (shot.id, text.field) in clashes):  # clashes drawn last, on top
        bx, by, bw, bh = layer.box
        clash = (shot.id, layer.field) in clashes
        draw.rectangle(
            (bx, by, bx + bw - 1, by + bh - 1),
            outline=_CLASH_OUTLINE if clash else CAPTION_OUTLINE if layer.caption else _BOX_OUTLINE,
            width=2 if clash else 1,
        )
    return Image.alpha_composite(frame, overlay)


def _clip(row: Row, fonts: tuple[str, ...], size: int, width: int) -> str:
    """``row``, its text shortened with an ellipsis until the row's shaped width fits ``width``."""

    def fits(text: str) -> bool:
        candidate = row.before + text + row.after
        return sum(run.width for run in shape_line(candidate, fonts, "regular", size)) <= width

    text = row.text
    if fits(text):
        return str(row)
    while text and not fits(text + "…"):
        text = text[:-1]
    return row.before + text + "…" + row.after
