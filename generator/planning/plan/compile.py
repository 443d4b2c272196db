"""Compiling a plan: a template applied to one product and aspect, every expression and default resolved.

Frame counts come from seconds (whole by construction: the template loader checked them), boxes
from the template's named or relative boxes in the aspect's safe area, text is laid out (and, by
the overflow policy, shortened) here, and every reference is resolved to a content hash.
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Any, Literal

from generator.core.errors import AdgenError, PlanError
from generator.core.fonts import font_chain
from generator.core.geometry import ASPECT_SIZES, Aspect, Rect, safe_area
from generator.core.identity import stable_seed
from generator.core.shaping import TextFitError
from generator.core.speech import Voices
from generator.planning.assets import AssetRoot, ImageAsset
from generator.planning.catalog import Product
from generator.planning.plan.animate import animated
from generator.planning.plan.camera import camera_move
from generator.planning.plan.captions import STYLE_WIDTH, shot_captions
from generator.planning.plan.effects import LAYER_MOVES, Appear, Easing, Motion
from generator.planning.plan.endcard import end_card_shot
from generator.planning.plan.logo import kit_roots, logo_placement
from generator.planning.plan.moving import ended_motions
from generator.planning.plan.pictures import chosen_picture
from generator.planning.plan.sales import on_date
from generator.planning.plan.shape_layers import shape_layer
from generator.planning.plan.shapes import ShapePlacement
from generator.planning.plan.template_files import template_file_hash, template_image
from generator.planning.plan.transitions import transition
from generator.planning.plan.treatments import planned_treatment
from generator.planning.plan.types import (
    PLAN_VERSION,
    AssetRef,
    Audio,
    BackgroundSpec,
    ImagePlacement,
    PlannedMotion,
    PlannedShot,
    ShotPlan,
    TextPlacement,
    VoiceLine,
)
from generator.planning.plan.voicing import speaking_for
from generator.planning.templates import NAMED_BOXES, Background, BoxSpec, SingleBox, Template, dotted
from generator.planning.templates.template import keyed
from generator.planning.textfit import FittedText, fit_or_shorten, fit_text


def compile_plan(template: Template, product: Product, aspect: str, templates_root: Path, voices: Voices | None = None,
                 today: dt.date | None = None) -> ShotPlan:  # fmt: skip
    """Apply ``template`` to ``product`` for ``aspect``; ``voices`` speaks its voice lines; ``today`` is the
    render date (templates read it as ``today``; a sale that does not run then is no sale, ``plan.sales``).

    Raises:
        TemplateError: an expression failed on this product, or text cannot fit (names file and line).
        PlanError: the product lacks a field the template requires, the aspect is not declared, or a
            voice line does not fit its shot.
        ConfigError: the template speaks but no ``voices`` were given, or its voice cannot be opened.
    """
    spec = template.spec
    if aspect not in spec.canvas.aspects:
        raise PlanError(
            f"template {spec.id} does not declare aspect {aspect} (declares {', '.join(spec.canvas.aspects)})"
        )
    product = on_date(product, today)
    missing = [name for name in spec.requires if not product.field_value(name)]
    if missing:
        raise PlanError(f"template {spec.id} requires {', '.join(missing)}, empty for this product", field=missing[0])
    return _PlanBuilder(template, product, aspect, templates_root, voices, today).build()


def box_pixels(box: BoxSpec, area: str, aspect: Aspect) -> Rect:
    """A template box (named, [x, y, w, h], or one per aspect) in canvas pixels, relative to the safe area or the whole canvas."""
    single: SingleBox = box.get(aspect, box["default"]) if isinstance(box, dict) else box
    x, y, w, h = NAMED_BOXES[single] if isinstance(single, str) else single
    ax, ay, aw, ah = safe_area(aspect) if area == "safe" else (0.0, 0.0, *map(float, ASPECT_SIZES[aspect]))
    return (ax + x * aw, ay + y * ah, w * aw, h * ah)


def _r(value: float) -> float:
    """Round a coordinate for the plan: 1/1000 pixel, and never a negative zero."""
    return round(value, 3) + 0.0


def _rounded(rect: Rect) -> Rect:
    x, y, w, h = rect
    return (_r(x), _r(y), _r(w), _r(h))


def _image_key(asset: ImageAsset) -> tuple[object, ...]:
    """What a layer takes from an image: its source, content, cutout and content box (not where the file is)."""
    return (asset.source, asset.sha256, asset.cutout, asset.content_box)


class _PlanBuilder:
    def __init__(
        self, template: Template, product: Product, aspect: Aspect, templates_root: Path, voices: Voices | None,
        today: dt.date | None = None,
    ) -> None:  # fmt: skip
        self.template = template
        self.speaking = speaking_for(template, voices)
        self.spec = template.spec
        self.product = product
        self.aspect = aspect
        self.size = ASPECT_SIZES[aspect]
        self.fps = self.spec.canvas.fps
        self.roots = [AssetRoot("templates", templates_root), *kit_roots(template)]
        self.lang = self.spec.locale.replace("-", "_")
        self.base: dict[str, Any] = {"product": product} | ({"today": today} if today is not None else {})

    def build(self) -> ShotPlan:
        shots: list[PlannedShot] = []
        made_by: list[str] = []  # the template shot each planned shot comes from
        start = 0
        base = self.base
        for index, shot in enumerate(self.spec.shots):
            path: tuple[str | int, ...] = ("shots", index)
            if shot.when is not None and not self.template.evaluate(shot.when, (*path, "when"), base):
                continue
            for shot_id, variables in self._expand(index, base):
                planned = self._shot(index, shot_id, start, variables, first=not shots)
                shots.append(planned)
                made_by.append(shot.id)
                start += planned.frames
        shots = ended_motions(shots, made_by, {shot.id: shot.background.generated for shot in self.spec.shots})
        if self.spec.end_card is not None:
            shots.append(end_card_shot(self, start, first=not shots))
            start += shots[-1].frames
        poster_id = self.spec.poster or next(
            (s.id for s in self.spec.shots if s.product is not None), self.spec.shots[0].id
        )
        poster = next((s for s in shots if s.id == poster_id or s.id.startswith(f"{poster_id}-")), shots[-1])
        return ShotPlan(
            plan_version=PLAN_VERSION,
            template={"id": self.spec.id, "version": self.spec.version},
            product={"sku": self.product.sku},
            aspect=self.aspect,
            size=self.size,
            safe_area=_rounded(safe_area(self.aspect)),
            fps=self.fps,
            frames=start,
            poster_frame=poster.start + poster.frames - 1,
            shots=tuple(shots),
            audio=self._audio(),
            voice=self.speaking.planned() if self.speaking and any(s.line for s in shots) else None,
            loudness=self.spec.loudness,
        )

    def _expand(self, index: int, base: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        shot = self.spec.shots[index]
        if shot.each is None:
            return [(shot.id, base)]
        name, _, expression = shot.each.strip().partition(" in ")
        items = self.template.evaluate(expression.strip(), ("shots", index, "each"), base)
        if isinstance(items, (str, bytes)) or not hasattr(items, "__iter__"):
            raise self.template.error(
                f"each must give a list, got {type(items).__name__}", ("shots", index, "each"), sku=self.product.sku
            )
        return [(f"{shot.id}-{n}", {**base, name.strip(): item}) for n, item in enumerate(items, start=1)]

    @functools.cached_property
    def _mascot(self) -> ImageAsset:
        """The template's mascot, checked once per plan."""
        assert self.spec.mascot is not None
        return self._template_image(self.spec.mascot.ref, ("mascot", "ref"))

    def _frames(self, seconds: float) -> int:
        return round(seconds * self.fps)  # whole by construction: templates.load_template checked it

    def _shot(self, index: int, shot_id: str, start: int, variables: dict[str, Any], first: bool) -> PlannedShot:
        """Shot ``index`` of the template for this product, from ``start``.

        A shot depends on the product only through the fields its texts read, its image and the
        shot's own seed: it is compiled once per template for those (and the loop variable), and
        taken again with this row's start and seed.
        """
        shot = self.spec.shots[index]
        mascot = self._mascot if shot.mascot is not None else None
        picture = chosen_picture(self.template, index, self.product, variables) if shot.product is not None else None
        key = self._shot_key(index, shot_id, first, variables, mascot, picture)
        planned: PlannedShot | None = self.template.recall(key) if key is not None else None
        if planned is None:
            planned = self._compile_shot(index, shot_id, variables, first, mascot, picture)
            if key is not None:
                self.template.remember(key, planned)
        seed = stable_seed(self.spec.id, self.spec.version, shot_id, self.product.sku)
        return planned.model_copy(update={"start": start, "seed": seed})

    def _shot_key(
        self, index: int, shot_id: str, first: bool, variables: dict[str, Any], mascot: ImageAsset | None,
        picture: ImageAsset | None,
    ) -> tuple[object, ...] | None:  # fmt: skip
        """Everything shot ``index`` depends on besides the template, or None when its texts may read any field."""
        reads = self.template.product_reads(index)
        if reads is None:
            return None
        return (
            "shot", self.aspect, index, shot_id, first,
            tuple(keyed(getattr(self.product, name, None)) for name in reads),
            tuple((name, keyed(value)) for name, value in variables.items() if name != "product"),
            _image_key(picture) if picture is not None else None,
            _image_key(mascot) if mascot is not None else None,
        )  # fmt: skip

    def _compile_shot(
        self, index: int, shot_id: str, variables: dict[str, Any], first: bool, mascot: ImageAsset | None,
        picture: ImageAsset | None,
    ) -> PlannedShot:  # fmt: skip
        shot = self.spec.shots[index]
        path: tuple[str | int, ...] = ("shots", index)
        palette = shot.background.palette or self.spec.palette.background
        line, frames = self._line(index, variables)
        layers: list[ImagePlacement | TextPlacement | ShapePlacement] = []
        if shot.product is not None and picture is not None:
            layers.append(self._image("product", shot.product, picture, (*path, "product"), frames))
        if shot.mascot is not None and mascot is not None:
            layers.append(self._image("mascot", shot.mascot, mascot, (*path, "mascot"), frames))
        if shot.logo is not None:
            layers.append(logo_placement(self, shot.logo, (*path, "logo"), frames))
        for j, shape in enumerate(shot.shapes):
            box = _rounded(box_pixels(shape.box, shape.area, self.aspect))
            ratio, where = min(self.size) / STYLE_WIDTH, (*path, "shapes", j)
            layers.append(shape_layer(self.template, shape, box, ratio, self.fps, frames, where, variables, self.lang))
        for j, text_layer in enumerate(shot.text):
            text = self.template.render_text(text_layer.text, (*path, "text", j, "text"), variables).strip()
            if text:
                placed = self._text(text, text_layer, (*path, "text", j), frames)
                if text_layer.animate is not None:
                    fail = functools.partial(self.template.error, sku=self.product.sku)
                    placed = animated(
                        placed, text_layer.animate, frames, self.fps, self.spec.palette.accent, (*path, "text", j), fail
                    )
                layers.append(placed)
        if line is not None and self.spec.captions.enabled:
            layers.extend(shot_captions(self.template, self.lang, self.aspect, shot_id, line, frames, self.fps, layers))
        joining = shot.transition or self.spec.transition
        transition_in = None
        if not first and joining.type != "cut" and joining.duration > 0:
            transition_in = transition(joining.type, self._frames(joining.duration), joining.direction, joining.ease)
        return PlannedShot(
            id=shot_id,
            start=0,
            frames=frames,
            seed=0,
            background=self._background(shot.id, shot.background, path, variables, palette, frames),
            camera=camera_move(shot.camera.move, shot.camera.amount, shot.camera.ease, shot.camera.depth),
            layers=tuple(layers),
            transition_in=transition_in,
            line=line,
        )

    def _line(self, index: int, variables: dict[str, Any]) -> tuple[VoiceLine | None, int]:
        """Shot ``index``'s voice line for these variables, and the shot's length in frames with it."""
        shot = self.spec.shots[index]
        frames = self._frames(shot.duration)
        if self.speaking is None or not shot.line:
            return None, frames
        path = ("shots", index, "line")
        written = " ".join(self.template.render_text(shot.line, path, variables).split())
        if not written:
            return None, frames
        try:
            timed = self.speaking.time_line(shot, dotted(path), written, self.product.price.currency, self.fps)
        except AdgenError as exc:
            exc.context.setdefault("sku", self.product.sku)
            raise
        return timed.line, timed.frames

    def _background(
        self,
        shot_id: str,
        spec: Background,
        path: tuple[str | int, ...],
        variables: dict[str, Any],
        palette: tuple[str, str],
        frames: int,
    ) -> BackgroundSpec:
        prompt = self.template.render_text(spec.prompt, (*path, "background", "prompt"), variables).strip()
        negative = self.template.render_text(spec.negative, (*path, "background", "negative"), variables).strip()
        accent = self.spec.palette.accent
        seed = stable_seed(self.spec.id, self.spec.version, shot_id, prompt, negative, *palette, accent)
        motion = None
        if spec.generated is not None:
            where = (*path, "background", "motion", "prompt")
            moving = self.template.render_text(spec.generated.prompt, where, variables).strip() or prompt
            motion = PlannedMotion(
                prompt=moving, strength=spec.generated.strength, frames=frames, fps=self.fps,
                seed=stable_seed(self.spec.id, self.spec.version, shot_id, "motion", moving, seed, frames),
            )  # fmt: skip
        return BackgroundSpec(
            prompt=prompt, negative=negative, palette=palette, accent=accent, seed=seed,
            scene_size=ASPECT_SIZES[self.spec.canvas.aspects[0]], motion=motion,
        )  # fmt: skip

    def _motion(self, layer: Any, shot_frames: int) -> Motion:
        enter, leave = LAYER_MOVES[layer.enter], LAYER_MOVES[layer.exit]
        exit_frames = 0 if isinstance(leave, Appear) else self._frames(layer.exit_duration)
        return Motion(
            enter=enter,
            start=self._frames(layer.delay),
            frames=self._frames(layer.enter_duration),
            ease=Easing(layer.ease) if layer.ease else enter.enter_ease,  # a layer naming none: the move's own
            exit=leave,
            exit_start=shot_frames - exit_frames,
            exit_frames=exit_frames,
            exit_ease=Easing(layer.exit_ease) if layer.exit_ease else leave.exit_ease,
        )

    def _template_image(self, ref: str, path: tuple[str | int, ...]) -> ImageAsset:
        return template_image(self.template, self.roots, ref, path)

    def _image(
        self,
        kind: Literal["product", "mascot"],
        layer: Any,
        asset: ImageAsset,
        path: tuple[str | int, ...],
        shot_frames: int,
    ) -> ImagePlacement:
        bx, by, bw, bh = box_pixels(layer.box, layer.area, self.aspect)
        left, top, right, bottom = asset.content_box
        cw, ch = right - left, bottom - top
        scale = min(bw / cw, bh / ch) * layer.scale
        w, h = cw * scale, ch * scale
        x = bx + (bw - w) / 2
        y = by + (bh - h) / 2 if kind == "product" else by + bh - h  # a mascot stands on the box's floor
        return ImagePlacement(
            kind=kind,
            field=dotted(path),
            ref=AssetRef(
                source=asset.source,
                sha256=asset.sha256,
                cutout=asset.cutout.method,
                cutout_background=asset.cutout.background,
            ),
            crop=asset.content_box,
            box=(_r(x), _r(y), _r(w), _r(h)),
            shadow=getattr(layer, "shadow", False),
            motion=self._motion(layer, shot_frames),
            treatment=planned_treatment(layer) if kind == "product" else None,
        )

    def _text(self, text: str, layer: Any, path: tuple[str | int, ...], shot_frames: int) -> TextPlacement:
        style = self.template.styles[layer.style]
        ratio = min(self.size) / STYLE_WIDTH
        size, min_size = round(style.size * ratio), round(style.min_size * ratio)
        bx, by, bw, bh = box_pixels(layer.box, layer.area, self.aspect)
        inner_w, inner_h = (bw - 0.9 * size, bh - 0.44 * size) if style.plate else (bw, bh)
        try:
            fonts = font_chain(style.font, style.weight, style.fallback, self.lang)
            fitting = (fonts, style.weight, size, min_size, style.line_spacing, (inner_w, inner_h), self.lang)
            if self.template.overflow(layer) == "shrink":
                fitted = fit_or_shorten(text, *fitting)
            else:
                fitted = FittedText(fit_text(text, *fitting), text, shortened=False)
        except (LookupError, TextFitError) as exc:
            raise self.template.error(str(exc), (*path, "text"), sku=self.product.sku) from exc
        layout = fitted.layout
        return TextPlacement(
            field=dotted(path),
            text=fitted.text,
            shortened_from=text if fitted.shortened else None,
            lines=layout.lines,
            fonts=fonts,
            lang=self.lang,
            weight=style.weight,
            font_size=layout.font_size,
            line_height=layout.line_height,
            color=style.color or self.spec.palette.text,
            align=style.align,
            stroke=style.stroke,
            shadow=style.shadow,
            plate=style.plate,
            legibility=style.legibility,
            box=(_r(bx), _r(by), _r(bw), _r(bh)),
            motion=self._motion(layer, shot_frames),
        )

    def _audio(self) -> Audio | None:
        music = self.spec.music
        if music is None:
            return None
        source, digest = template_file_hash(self.template, self.roots, music.ref, ("music", "ref"))
        return Audio(ref=AssetRef(source=source, sha256=digest), volume=music.volume, fade_out=music.fade_out)
