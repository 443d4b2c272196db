#!/usr/bin/env python3
"""Generate adgen's bundled sample reference assets.

Writes, relative to the repository root (or under ``--root DIR``):

* ``catalogs/images/<product>.png``: fourteen RGBA product cutouts on a
  transparent background (four beauty, four electronics, and two each for
  fashion, food and home), each with a saturated signature colour so tests
  can find them in rendered frames;
* ``catalogs/images/camera-violet.jpg``: a product shot on a plain light
  background, used to exercise the automatic background removal;
* ``templates/assets/mascots/pip.png``: the "Pip" mascot;
* ``templates/assets/music/bed.wav``: a 20 s loopable music bed
  (mono, 22050 Hz, 16-bit PCM).

Images are drawn procedurally at 3x resolution with a small Blinn-Phong
shading model and downscaled with LANCZOS; audio is synthesised with numpy.
Only a fixed-seed generator is used, so reruns are byte-identical.  The
outputs are committed, so a clean clone needs no generation step; rerun this
script only when the assets should change.
"""

from __future__ import annotations

import argparse
import wave
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

SS = 3  # supersampling factor
Color = tuple[int, int, int]
Box = tuple[float, float, float, float]
Field = np.ndarray  # float32 array: (H, W) mask/scalar or (H, W, 3) colour/normal
Points = list[tuple[float, float]]


def unit(v: np.ndarray | tuple[float, ...]) -> np.ndarray:
    a = np.asarray(v, np.float32)
    return a / np.sqrt(np.sum(a * a, axis=-1, keepdims=True))


LIGHT = unit((-0.4, -0.55, 0.73))  # key light from the upper left
HALF = unit(LIGHT + np.float32([0, 0, 1]))


def rgb(c: Color | Field) -> Field:
    return np.asarray(c, np.float32) / 255 if isinstance(c, tuple) else c


def mix(a: Color, b: Color, t: float) -> Color:
    r, g, b_ = (round(x + (y - x) * t) for x, y in zip(a, b))
    return r, g, b_


def ramp(t: Field, t0: float, t1: float, v0: float, v1: float) -> Field:
    """Map ``t`` linearly from [t0, t1] to [v0, v1], clamped."""
    return v0 + (v1 - v0) * np.clip((t - t0) / (t1 - t0), 0, 1)


def blur(a: Field, sigma: float) -> Field:
    """Approximate Gaussian blur of a 2-D array: three box passes per axis."""
    k = max(1, round(sigma))
    for _ in range(2):
        for _ in range(3):
            c = np.cumsum(np.pad(a, ((k + 1, k), (0, 0)), mode="edge"), axis=0)
            a = (c[2 * k + 1 :] - c[: -2 * k - 1]) / (2 * k + 1)
        a = a.T
    return a.astype(np.float32)


def ellipse_pts(cx: float, cy: float, rx: float, ry: float, angle: float) -> Points:
    """Outline of an ellipse rotated clockwise by ``angle`` degrees."""
    t, a = np.linspace(0, 2 * np.pi, 96, endpoint=False), np.radians(angle)
    x, y = rx * np.cos(t), ry * np.sin(t)
    return list(zip(cx + x * np.cos(a) - y * np.sin(a), cy + x * np.sin(a) + y * np.cos(a)))


def spline(pts: Sequence[tuple[float, float]], steps: int = 16, closed: bool = True) -> Points:
    """Smooth Catmull-Rom curve through ``pts`` (a closed loop unless ``closed`` is False)."""
    p = np.asarray(pts, np.float64)
    ext = np.concatenate([p[-1:], p, p[:2]] if closed else [p[:1], p, p[-1:]])
    t = np.linspace(0, 1, steps, endpoint=False)[:, None]
    out: Points = []
    for p0, p1, p2, p3 in zip(ext, ext[1:], ext[2:], ext[3:]):
        seg = p1 + 0.5 * ((p2 - p0) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2 + (3 * p1 - p0 - 3 * p2 + p3) * t**3)
        out.extend(map(tuple, seg))
    return out if closed else [*out, tuple(p[-1])]


def rounded(pts: Sequence[tuple[float, float]], r: float, steps: int = 12) -> Points:
    """Polygon with every corner replaced by a smooth bend of about radius ``r``."""
    p, out = np.asarray(pts, np.float64), []  # type: Points
    t = np.linspace(0, 1, steps)[:, None]
    for a, b, d in zip(np.roll(p, 1, 0), p, np.roll(p, -1, 0)):
        s, e = (b + (q - b) * min(r / np.hypot(*(q - b)), 0.5) for q in (a, d))
        out.extend(map(tuple, (1 - t) ** 2 * s + 2 * t * (1 - t) * b + t**2 * e))
    return out


def combine(*normals: Field) -> Field:
    """Add the slopes of several normal fields (e.g. a cylinder plus a bevel)."""
    slope = sum(n[..., :2] / n[..., 2:] for n in normals)
    return unit(np.concatenate([slope, np.ones_like(slope[..., :1])], -1))


def shade(base: Color | Field, n: Field, gloss: float = 0.45, shine: float = 60, amb: float = 0.4) -> Field:
    """Blinn-Phong: ambient + Lambert diffuse + white specular highlight."""
    diff = np.clip(n @ LIGHT, 0, 1)[..., None]
    spec = gloss * np.clip(n @ HALF, 0, 1)[..., None] ** shine
    return rgb(base) * (amb + (1 - amb) * diff) * 1.15 + spec


def metal(base: Color, n: Field, gloss: float = 0.7) -> Field:
    """Polished metal: a contrasty studio-reflection band instead of Lambert."""
    t = n[..., 0]
    env = 0.3 + 0.9 * np.exp(-(((t + 0.35) / 0.28) ** 2)) + 0.45 * np.exp(-(((t - 0.6) / 0.15) ** 2))
    env *= ramp(n[..., 1], -1, 1, 1.15, 0.8)
    spec = gloss * np.clip(n @ HALF, 0, 1) ** 40
    return rgb(base) * env[..., None] + spec[..., None]


class Canvas:
    """Premultiplied float RGBA canvas drawn at SS x resolution in output-pixel units."""

    def __init__(self, size: int) -> None:
        self.size, n = size, size * SS
        self.rgb = np.zeros((n, n, 3), np.float32)
        self.alpha = np.zeros((n, n), np.float32)
        self.y, self.x = (np.mgrid[0:n, 0:n].astype(np.float32) + 0.5) / SS

    def _mask(self, draw: Callable[[ImageDraw.ImageDraw], None]) -> Field:
        img = Image.new("L", (self.size * SS,) * 2)
        draw(ImageDraw.Draw(img))
        return np.asarray(img, np.float32) / 255

    def ellipse(self, box: Box) -> Field:
        return self._mask(lambda d: d.ellipse([v * SS for v in box], fill=255))

    def rrect(self, box: Box, r: float) -> Field:
        return self._mask(lambda d: d.rounded_rectangle([v * SS for v in box], r * SS, fill=255))

    def poly(self, pts: Points) -> Field:
        return self._mask(lambda d: d.polygon([(x * SS, y * SS) for x, y in pts], fill=255))

    def arc(self, box: Box, start: float, end: float, width: float) -> Field:
        return self._mask(lambda d: d.arc([v * SS for v in box], start, end, 255, round(width * SS)))

    def line(self, pts: Points, width: float) -> Field:
        return self._mask(lambda d: d.line([(x * SS, y * SS) for x, y in pts], 255, round(width * SS), joint="curve"))

    def stitches(self, pts: Points, width: float, dash: float = 8, gap: float = 6) -> Field:
        """A dashed seam along the open path ``pts``."""
        p = np.asarray(pts, np.float64)
        s = np.concatenate([[0], np.cumsum(np.hypot(*np.diff(p, axis=0).T))])

        def draw(d: ImageDraw.ImageDraw) -> None:
            for m in np.arange(0, s[-1] - dash / 2, dash + gap):
                q = np.linspace(m, min(m + dash, s[-1]), 4)
                xs, ys = np.interp(q, s, p[:, 0]) * SS, np.interp(q, s, p[:, 1]) * SS
                d.line(list(zip(xs, ys)), 255, round(width * SS))

        return self._mask(draw)

    def bevel(self, mask: Field, r: float) -> Field:
        """Normals of a soft pillow-like edge of radius ``r`` around ``mask``."""
        gy, gx = np.gradient(blur(mask, r * SS))
        s = 2.5 * r * SS
        return unit(np.stack([-gx * s, -gy * s, np.ones_like(gx)], -1))

    def cyl(self, x0: float, x1: float) -> Field:
        """Normals of a vertical cylinder spanning x0..x1."""
        t = np.clip((self.x - (x0 + x1) / 2) / ((x1 - x0) / 2), -0.98, 0.98)
        return np.stack([t, np.zeros_like(t), np.sqrt(1 - t * t)], -1)

    def ring(self, cx: float, cy: float, rx: float, ry: float, w: float) -> Field:
        """Normals of a round tube of width ``w`` bent along an ellipse (a handle or a loop)."""
        u, v = (self.x - cx) / rx, (self.y - cy) / ry
        r = np.sqrt(u * u + v * v) + 1e-6
        gx, gy = u / (rx * r), v / (ry * r)  # gradient of r: the outward direction
        g = np.sqrt(gx * gx + gy * gy) + 1e-9
        t = np.clip((r - 1) / g / (w / 2), -0.98, 0.98)
        return np.stack([gx / g * t, gy / g * t, np.sqrt(1 - t * t)], -1)

    def sphere(self, cx: float, cy: float, rx: float, ry: float) -> Field:
        u, v = (self.x - cx) / rx, (self.y - cy) / ry
        return unit(np.stack([u, v, np.sqrt(np.clip(1 - u * u - v * v, 0.02, 1))], -1))

    def paint(self, color: Color | Field, mask: Field, opacity: float = 1.0) -> None:
        a = (mask * opacity)[..., None]
        self.rgb *= 1 - a
        self.rgb += np.clip(rgb(color), 0, 1) * a
        self.alpha = a[..., 0] + self.alpha * (1 - a[..., 0])

    def shadow(self, mask: Field, sigma: float, opacity: float, dx: float = 0, dy: float = 0) -> None:
        """Soft ambient-occlusion/contact shadow cast by ``mask`` onto what is already painted."""
        shifted = np.roll(mask, (round(dy * SS), round(dx * SS)), (0, 1))
        self.rgb *= (1 - opacity * blur(shifted, sigma * SS))[..., None]

    def image(self) -> Image.Image:
        size = (self.size, self.size)
        chans = [
            np.asarray(Image.fromarray(c).resize(size, Image.LANCZOS))
            for c in (*np.moveaxis(self.rgb, -1, 0), self.alpha)
        ]
        a = np.clip(chans[3], 0, 1)
        a = np.where(a < 1 / 255, 0, a)
        col = np.stack(chans[:3], -1) / np.maximum(a, 1e-6)[..., None]
        out = np.dstack([np.where(a[..., None] > 0, np.clip(col, 0, 1), 0), a])
        return Image.fromarray(np.round(out * 255).astype(np.uint8), "RGBA")


# --------------------------------------------------------------------------- products
# Each function draws one asset in output-pixel coordinates (800x800; Pip 640x640).


def lipstick(c: Canvas) -> None:
    red, gold = (200, 16, 46), (212, 160, 62)
    cut_line = 225 - 0.7 * (c.x - 318)  # the bullet's slanted tip, seen slightly from above
    face = c.poly(ellipse_pts(400, 167.5, 100, 24, -35))
    bullet = np.maximum(c.rrect((318, 100, 482, 440), 8) * (c.y > cut_line), face)
    c.paint(shade(red, combine(c.cyl(318, 482), c.bevel(bullet, 4)), gloss=0.8, shine=70), bullet)
    tip = shade(mix(red, (255, 130, 140), 0.2), unit((-0.3, -0.7, 0.65)), gloss=0)
    c.paint(tip * ramp(c.x, 318, 482, 1.08, 0.85)[..., None], face)
    sleeve, case = c.rrect((302, 400, 498, 484), 6), c.rrect((284, 472, 516, 722), 16)
    c.shadow(sleeve, 7, 0.55, dy=-5)
    c.paint(metal(mix(gold, (0, 0, 0), 0.1), c.cyl(302, 498)), sleeve)
    case_n = combine(c.cyl(284, 516), c.bevel(case, 4))
    c.shadow(case, 5, 0.5, dy=-4)
    c.paint(metal(gold, case_n), case)
    band = c.rrect((284, 522, 516, 680), 1)  # ruby lacquer inlay between gold trims
    c.paint(shade(mix(red, (0, 0, 0), 0.1), case_n, gloss=0.9, shine=80), band)
    for y in (518, 678):
        c.paint((120, 84, 30), c.rrect((284, y, 516, y + 4), 1), 0.6)


def serum(c: Canvas) -> None:
    teal = (8, 168, 160)
    body = np.maximum(c.rrect((262, 330, 538, 722), 56), c.rrect((358, 296, 442, 360), 4))
    glass = rgb(teal) * ramp(c.y, 400, 722, 0.95, 0.7)[..., None]  # liquid gets deeper
    glass = glass * np.where(c.y < 392, 1.25, 1.0)[..., None]  # air gap above the liquid
    c.paint(shade(glass, combine(c.cyl(262, 538), c.bevel(body, 10)), gloss=0.9, shine=90), body)
    c.paint((255, 255, 255), c.rrect((294, 370, 312, 680), 9) * body, 0.35)  # window reflection
    c.paint((255, 255, 255), c.rrect((500, 420, 508, 660), 4) * body, 0.2)
    c.paint((180, 255, 245), c.rrect((280, 389, 520, 394), 2) * body, 0.45)  # meniscus
    collar = c.rrect((336, 208, 464, 306), 10)
    c.shadow(collar, 6, 0.5, dy=6)
    c.paint(metal((205, 208, 214), combine(c.cyl(336, 464), c.bevel(collar, 3))), collar)
    for y in range(222, 296, 12):
        c.paint((90, 92, 100), c.rrect((336, y, 464, y + 2), 1), 0.35)
    bulb = c.rrect((360, 78, 440, 214), 40)
    c.shadow(bulb, 5, 0.5, dy=5)
    bulb_n = combine(c.cyl(360, 440), c.bevel(bulb, 8))
    c.paint(shade((40, 40, 46), bulb_n, gloss=0.25, shine=18), bulb)


def cream(c: Canvas) -> None:
    pink, rose = (244, 112, 160), (226, 62, 128)
    body = np.maximum(c.rrect((118, 420, 682, 690), 26), c.ellipse((118, 650, 682, 726)))
    c.paint(shade(pink, combine(c.cyl(118, 682), c.bevel(body, 6)), gloss=0.5, shine=50), body)
    band = c.rrect((112, 404, 688, 434), 6)
    c.shadow(band, 6, 0.45, dy=6)
    c.paint(metal((218, 170, 96), c.cyl(112, 688)), band)
    lid = np.maximum(c.rrect((110, 258, 690, 412), 18), c.ellipse((110, 380, 690, 420)))
    c.shadow(lid, 5, 0.4, dy=5)
    c.paint(shade(rose, combine(c.cyl(110, 690), c.bevel(lid, 5)), gloss=0.8, shine=80), lid)
    top = c.ellipse((110, 200, 690, 316))
    top_n = combine(c.sphere(400, 258, 330, 500), c.bevel(top, 6))
    c.paint(shade(mix(rose, (255, 255, 255), 0.12), top_n, gloss=0.9, shine=40), top)
    c.paint((255, 235, 240), c.ellipse((330, 238, 470, 278)), 0.25)  # embossed logo disc


def perfume(c: Canvas) -> None:
    amber = (236, 140, 18)

    def octagon(x0: float, y0: float, x1: float, y1: float, k: float) -> Points:
        return [
            (x0 + k, y0),
            (x1 - k, y0),
            (x1, y0 + k),
            (x1, y1 - k),
            (x1 - k, y1),
            (x0 + k, y1),
            (x0, y1 - k),
            (x0, y0 + k),
        ]

    def faceted(outer: Points, inner: Points, base: Color, gloss: float) -> None:
        """A cut-glass slab: flat bevel facets around an inner face, each lit by its tilt."""
        (cx, cy), ys = np.mean(outer, axis=0), [y for _, y in outer]
        sheen = ramp(c.y, min(ys), max(ys), 1.12, 0.85)[..., None]
        c.paint(shade(base, unit((0, 0, 1)), gloss=0), c.poly(outer))
        for i in range(8):
            quad = [outer[i], outer[(i + 1) % 8], inner[(i + 1) % 8], inner[i]]
            mx, my = np.mean(quad, axis=0)
            n = unit(unit((mx - cx, my - cy, 0)) * 0.75 + np.float32([0, 0, 0.66]))
            c.paint(shade(base, n, gloss=gloss, shine=30) * sheen, c.poly(quad))

    faceted(octagon(214, 330, 586, 722, 58), octagon(272, 382, 528, 670, 34), amber, 0.7)
    face = c.poly(octagon(272, 382, 528, 670, 34))
    glow = ramp(c.y, 382, 670, 0.95, 1.2) * ramp(np.abs(c.x - 400), 0, 128, 1, 0.8)  # caustic
    face_n = unit(c.cyl(272, 528) * 0.25 + np.float32([0, 0, 0.75]))
    c.paint(shade(rgb(amber) * glow[..., None], face_n, gloss=0.6), face)
    c.paint((255, 248, 225), c.poly([(300, 400), (328, 400), (300, 520)]) * face, 0.45)
    neck = c.rrect((362, 286, 438, 338), 4)
    c.shadow(neck, 6, 0.5, dy=6)
    c.paint(metal((214, 168, 80), c.cyl(362, 438)), neck)
    c.shadow(c.rrect((300, 110, 500, 290), 20), 6, 0.5, dy=6)
    faceted(octagon(300, 110, 500, 290, 30), octagon(332, 138, 468, 262, 18), (34, 28, 26), 0.9)


def headphones(c: Canvas) -> None:
    cobalt, cushion = (28, 78, 224), (46, 46, 54)
    band = (c.ellipse((166, 86, 634, 620)) - c.ellipse((216, 136, 584, 570))) * (c.y < 400)
    pad = (c.ellipse((212, 132, 588, 566)) - c.ellipse((236, 156, 564, 546))) * ramp(c.y, 240, 330, 1, 0)
    c.paint(shade(cushion, c.bevel(pad, 5), gloss=0.1), pad)
    c.paint(shade(cobalt, c.bevel(band, 14), gloss=0.8, shine=60), band)
    for x in (176, 576):
        rod = c.rrect((x, 380, x + 48, 470), 10)
        c.shadow(rod, 5, 0.5, dy=5)
        c.paint(metal((196, 200, 210), combine(c.cyl(x, x + 48), c.bevel(rod, 3))), rod)
    for x0, sign in ((128, 1), (520, -1)):
        cx = x0 + 76
        inner = c.ellipse((cx + sign * 40 - 50, 452, cx + sign * 40 + 50, 706))
        c.paint(shade(cushion, c.sphere(cx + sign * 40, 579, 50, 127), gloss=0.15), inner)
        cup = c.ellipse((x0, 440, x0 + 152, 714))
        c.shadow(cup, 6, 0.5, dx=sign * 4)
        cup_n = combine(c.sphere(cx, 577, 100, 180), c.bevel(cup, 8))
        c.paint(shade(cobalt, cup_n, gloss=0.8, shine=50), cup)
        ring, plate = c.ellipse((cx - 54, 486, cx + 54, 668)), c.ellipse((cx - 46, 494, cx + 46, 660))
        c.paint(metal((200, 204, 214), c.sphere(cx, 577, 54, 91), 0.5), ring)
        c.paint(shade(mix(cobalt, (0, 0, 0), 0.15), c.sphere(cx, 577, 140, 220), gloss=0.9, shine=90), plate)


def phone(c: Canvas) -> None:
    graphite = (60, 62, 70)
    body = c.rrect((244, 74, 556, 726), 54)
    for y0, y1 in ((190, 226), (250, 310), (322, 382)):
        c.paint(metal(graphite, c.cyl(236, 252)), c.rrect((236, y0, 252, y1), 4))
    frame = mix(graphite, (255, 255, 255), 0.15)
    c.paint(metal(frame, combine(c.cyl(244, 556), c.bevel(body, 6)), 0.5), body)
    c.paint((8, 8, 10), c.rrect((254, 84, 546, 716), 46))
    screen = c.rrect((264, 94, 536, 706), 38)
    t = np.clip((c.y - 94) / 612 + 0.06 * np.sin((c.x - 264) / 45), 0, 1)  # wavy gradient
    stops = np.float32([(100, 20, 170), (200, 30, 200), (255, 40, 160), (255, 90, 130)]) / 255
    c.paint(np.stack([np.interp(t, np.linspace(0, 1, 4), stops[:, i]) for i in range(3)], -1), screen)
    for box, col in (((320, 180, 560, 400), (90, 200, 255)), ((200, 450, 400, 640), (255, 180, 90))):
        c.paint(col, blur(c.ellipse(box), 30 * SS) * screen, 0.4)
    c.paint((255, 255, 255), c.rrect((348, 170, 452, 186), 8), 0.85)  # lock-screen clock hint
    c.paint((255, 255, 255), c.rrect((372, 196, 428, 204), 4), 0.6)
    c.paint((255, 255, 255), c.rrect((284, 620, 516, 690), 26), 0.22)  # dock
    for i, col in enumerate(((80, 220, 120), (60, 150, 255), (255, 255, 255), (255, 200, 40))):
        c.paint(col, c.rrect((298 + i * 56, 632, 344 + i * 56, 678), 12), 0.95)
    c.paint((0, 0, 0), c.rrect((362, 108, 438, 132), 12))  # camera island
    glare = c.poly([(264, 420), (536, 210), (536, 300), (264, 510)])
    c.paint((255, 255, 255), glare * screen, 0.07)


def watch(c: Canvas) -> None:
    lime = (146, 214, 28)
    for y0, y1, fade in ((66, 300, (66, 250, 0.62, 1.0)), (500, 734, (550, 734, 1.0, 0.62))):
        strap = c.rrect((298, y0, 502, y1), 34)
        n = combine(c.cyl(270, 530), c.bevel(strap, 6))
        c.paint(shade(lime, n, gloss=0.3, shine=25) * ramp(c.y, *fade)[..., None], strap)
    for y in (638, 670, 702):
        c.paint((40, 60, 10), c.ellipse((391, y, 409, y + 16)), 0.8)
    keeper = c.rrect((290, 590, 510, 614), 8)
    c.shadow(keeper, 4, 0.4, dy=3)
    keeper_n = combine(c.cyl(290, 510), c.bevel(keeper, 4))
    c.paint(shade(mix(lime, (0, 0, 0), 0.12), keeper_n, gloss=0.3), keeper)
    for y0, y1 in ((334, 384), (420, 466)):
        c.paint(metal((190, 194, 204), c.cyl(520, 560)), c.rrect((520, y0, 556, y1), 8))
    case = c.rrect((258, 226, 542, 574), 74)
    c.shadow(case, 8, 0.55)
    c.paint(metal((88, 92, 104), combine(c.cyl(258, 542), c.bevel(case, 10)), 0.6), case)
    screen = c.rrect((276, 244, 524, 556), 58)
    c.paint((6, 6, 8), screen)
    rings = ((104, (170, 250, 40), 220), (78, (40, 220, 230), 130), (52, (255, 64, 120), 290))
    for r, col, end in rings:  # activity rings
        box = (400 - r, 400 - r, 400 + r, 400 + r)
        c.paint(col, c.arc(box, 0, 360, 20), 0.22)
        c.paint(col, c.arc(box, -90, end, 20))
    c.paint((255, 255, 255), c.poly([(276, 330), (524, 250), (524, 300), (276, 380)]) * screen, 0.06)


def speaker(c: Canvas) -> None:
    coral, rubber = (255, 104, 74), (214, 74, 54)
    base = c.ellipse((244, 650, 556, 730))
    c.paint(shade(rubber, combine(c.cyl(244, 556), c.bevel(base, 6)), gloss=0.2), base)
    body = np.maximum(c.rrect((244, 150, 556, 680), 10), c.ellipse((244, 640, 556, 712)))
    weave = 1 + 0.05 * np.sin(c.x * 2 * np.pi / 5) * np.sin(c.y * 2 * np.pi / 5)
    fabric = rgb(coral) * (weave * ramp(c.y, 620, 712, 1, 0.8))[..., None]
    c.paint(shade(fabric, combine(c.cyl(244, 556), c.bevel(body, 5)), gloss=0.12, shine=15), body)
    top = c.ellipse((244, 112, 556, 190))
    c.shadow(top, 6, 0.45, dy=6)
    top_n = combine(c.sphere(400, 151, 400, 300), c.bevel(top, 6))
    c.paint(shade(rubber, top_n, gloss=0.5, shine=30), top)
    for cx in (350, 400, 450):
        btn = c.ellipse((cx - 17, 141, cx + 17, 161))
        c.paint(shade(mix(rubber, (0, 0, 0), 0.2), c.bevel(btn, 3), gloss=0.4), btn)
    for box in ((343, 150, 357, 152), (443, 150, 457, 152), (449, 144, 451, 158)):  # - and +
        c.paint((255, 240, 235), c.rrect(box, 1))
    badge = c.ellipse((366, 386, 434, 454))
    c.shadow(badge, 4, 0.35, dy=3)
    c.paint(shade(rubber, c.sphere(400, 420, 40, 40), gloss=0.8, shine=50), badge)
    c.paint((255, 236, 228), badge - c.ellipse((374, 394, 426, 446)), 0.9)


def camera(c: Canvas) -> None:
    violet, dark = (122, 62, 214), (46, 44, 54)
    for box in ((520, 214, 600, 252), (412, 224, 492, 252)):
        m = c.rrect(box, 12)
        c.paint(metal(mix(dark, (255, 255, 255), 0.1), combine(c.cyl(box[0], box[2]), c.bevel(m, 4))), m)
    plate = c.rrect((136, 238, 664, 300), 24)
    c.paint(metal(dark, combine(c.cyl(136, 664), c.bevel(plate, 5)), 0.4), plate)
    body = c.rrect((118, 262, 682, 586), 38)
    c.shadow(body, 6, 0.5, dy=-5)
    falloff = ramp(c.y, 262, 586, 1.08, 0.82)[..., None]
    c.paint(shade(violet, c.bevel(body, 12), gloss=0.5, shine=60) * falloff, body)
    grip = c.rrect((118, 290, 236, 586), 34) * body
    c.paint(shade(mix(violet, (0, 0, 0), 0.3), c.bevel(grip, 10), gloss=0.2), grip)
    flash = c.rrect((556, 318, 650, 358), 8)
    c.paint(shade((236, 236, 240), c.bevel(flash, 3), gloss=0.5) * ramp(c.x, 556, 650, 1, 0.85)[..., None], flash)

    def disc(r: float) -> Field:
        return c.ellipse((416 - r, 436 - r, 416 + r, 436 + r))

    c.shadow(disc(148), 10, 0.55, dy=6)
    c.paint(shade(dark, combine(c.sphere(416, 436, 260, 260), c.bevel(disc(148), 8)), gloss=0.6), disc(148))
    c.paint(metal((206, 208, 216), c.sphere(416, 436, 150, 150)), disc(124))
    for r, glass in ((106, (20, 20, 24)), (78, (34, 30, 70)), (34, (10, 10, 18))):
        c.paint(shade(glass, c.sphere(416, 436, 170, 170), gloss=1.0, shine=120), disc(r))
    c.paint((150, 120, 255), c.arc((356, 376, 476, 496), 200, 260, 10), 0.6)  # coating glints
    c.paint((255, 255, 255), c.ellipse((376, 396, 404, 420)), 0.8)
    c.paint((120, 220, 255), c.arc((364, 384, 468, 488), 20, 70, 6), 0.45)


def sneaker(c: Canvas) -> None:
    crimson, white, rubber = (222, 22, 58), (244, 242, 238), (44, 42, 48)
    dark = mix(crimson, (0, 0, 0), 0.25)
    lining = c.poly(spline([(140, 320), (150, 298), (196, 282), (262, 288), (322, 300), (330, 330)]))
    c.paint(shade((96, 88, 92), c.bevel(lining, 6), gloss=0.1), lining)
    tab = c.poly(spline([(116, 330), (120, 282), (140, 270), (160, 284), (166, 320)]))
    c.paint(shade(rubber, combine(c.cyl(116, 166), c.bevel(tab, 4)), gloss=0.3), tab)
    tongue = c.poly(
        spline([(300, 340), (312, 282), (336, 248), (366, 234), (394, 242), (408, 268), (424, 330), (380, 370)])
    )
    c.shadow(tongue, 5, 0.4, dx=-4)
    c.paint(shade(mix(crimson, (255, 255, 255), 0.06), c.bevel(tongue, 10), gloss=0.2, shine=20), tongue)
    upper = c.poly(
        spline(
            [
                (126, 520),
                (106, 470),
                (102, 404),
                (112, 346),
                (132, 306),
                (168, 292),
                (214, 298),
                (262, 310),
                (302, 306),
                (332, 294),
                (420, 322),
                (520, 362),
                (600, 396),
                (660, 418),
                (708, 436),
                (736, 462),
                (734, 492),
                (700, 510),
                (500, 522),
                (300, 524),
            ]
        )
    )
    c.shadow(upper, 6, 0.45, dy=-3)
    body_n = combine(unit(c.sphere(420, 430, 420, 260) * np.float32([0.45, 0.45, 1])), c.bevel(upper, 14))
    mesh = 1 + 0.06 * np.sin((c.x + c.y) * 2 * np.pi / 6) * np.sin((c.x - c.y) * 2 * np.pi / 6)
    c.paint(shade(rgb(crimson) * mesh[..., None], body_n, gloss=0.35, shine=30), upper)
    collar = (
        c.line(
            spline([(112, 346), (132, 306), (168, 292), (214, 298), (262, 310), (302, 306), (332, 294)], closed=False),
            18,
        )
        * upper
    )
    c.paint(shade(mix(crimson, (255, 255, 255), 0.08), c.bevel(collar, 6), gloss=0.3), collar)
    heel = upper * c.poly(spline([(80, 560), (80, 300), (150, 300), (186, 380), (206, 460), (214, 560)]))
    toe = upper * c.poly(spline([(780, 560), (610, 560), (612, 496), (626, 450), (652, 404), (780, 380)]))
    for panel, edge, dx in (
        (heel, [(150, 312), (186, 380), (206, 460), (212, 520)], 3),
        (toe, [(612, 514), (614, 476), (630, 440), (656, 408)], -3),
    ):
        c.shadow(panel, 4, 0.35, dx=dx)
        c.paint(shade(dark, body_n, gloss=0.45, shine=40), panel)
        c.paint((255, 200, 205), c.stitches(spline(edge, closed=False), 2.2) * upper, 0.5)
    stripe = (
        c.poly(
            spline(
                [
                    (150, 352),
                    (260, 396),
                    (400, 438),
                    (540, 466),
                    (660, 484),
                    (530, 486),
                    (380, 474),
                    (250, 452),
                    (140, 420),
                ]
            )
        )
        * upper
    )
    c.shadow(stripe, 4, 0.35, dy=3)
    c.paint(shade(white, combine(body_n, c.bevel(stripe, 4)), gloss=0.4, shine=40), stripe)
    stay_path = spline([(322, 306), (420, 334), (520, 374), (600, 406), (646, 422)], closed=False)
    stay = c.line(stay_path, 34) * upper
    c.shadow(stay, 4, 0.3, dy=4)
    c.paint(shade(dark, combine(body_n, c.bevel(stay, 5)), gloss=0.3), stay)
    c.paint((255, 200, 205), c.stitches([(x, y + 15) for x, y in stay_path], 2) * stay, 0.45)
    for i in range(6):
        ex, ey = 338 + i * 50, 316 + i * 19 + i * i * 0.7
        c.paint((40, 8, 16), c.ellipse((ex - 7, ey - 6, ex + 7, ey + 8)), 0.9)
        lace = c.poly(rounded([(ex - 5, ey + 4), (ex + 4, ey + 6), (ex + 34, ey - 28), (ex + 25, ey - 32)], 4))
        c.shadow(lace, 3, 0.45, dy=3)
        c.paint(shade(white, c.bevel(lace, 4), gloss=0.3), lace)
    sole = c.poly(
        spline(
            [
                (98, 500),
                (250, 500),
                (450, 506),
                (640, 500),
                (712, 478),
                (732, 490),
                (724, 536),
                (662, 570),
                (530, 586),
                (330, 592),
                (150, 590),
                (108, 574),
                (94, 540),
            ]
        )
    )
    c.paint(shade(rubber, c.bevel(sole, 5), gloss=0.2), sole)
    treads = (np.sin(c.x * 2 * np.pi / 22) > 0.6) * (c.y > 574 + 0.04 * (c.x - 400)) * sole
    c.paint((20, 20, 24), treads, 0.6)
    foam = c.poly(
        spline(
            [
                (96, 488),
                (250, 500),
                (450, 510),
                (640, 502),
                (716, 474),
                (744, 478),
                (740, 510),
                (690, 540),
                (530, 566),
                (330, 574),
                (150, 572),
                (106, 556),
                (90, 520),
            ]
        )
    )
    c.shadow(foam, 6, 0.45, dy=-4)
    foam_n = combine(c.bevel(foam, 10), unit(c.sphere(420, 530, 480, 120) * np.float32([0.2, 0.5, 1])))
    c.paint(shade(white, foam_n, gloss=0.25, shine=25), foam)
    groove = c.line(spline([(120, 542), (330, 552), (530, 544), (700, 514)], closed=False), 3) * foam
    c.paint((150, 146, 140), groove, 0.5)
    accent = c.poly(spline([(100, 500), (230, 506), (250, 540), (110, 548)])) * foam
    c.paint(shade(crimson, foam_n, gloss=0.3), accent)


def handbag(c: Canvas) -> None:
    emerald, gold = (10, 156, 96), (214, 168, 80)
    deep = mix(emerald, (0, 0, 0), 0.22)
    noise = np.random.default_rng(3).standard_normal(c.x.shape).astype(np.float32)
    grain = 1 + 0.15 * blur(noise, 1.2 * SS)  # pebbled leather
    leather = rgb(emerald) * grain[..., None]
    arc_ = (c.ellipse((262, 96, 538, 372)) - c.ellipse((290, 124, 510, 344))) * (c.y < 234)
    posts = c.rrect((262, 230, 290, 316), 2) + c.rrect((510, 230, 538, 316), 2)
    handle_n = np.where(
        (c.y < 234)[..., None],
        c.ring(400, 234, 124, 124, 28),
        np.where((c.x < 400)[..., None], c.cyl(262, 290), c.cyl(510, 538)),
    )
    handle = np.clip(arc_ + posts, 0, 1)
    c.paint(shade(rgb(deep) * grain[..., None], handle_n, gloss=0.4, shine=30), handle)
    c.paint(
        (200, 240, 220),
        c.stitches(
            spline(
                [
                    (276, 316),
                    (276, 234),
                    (290, 180),
                    (340, 128),
                    (400, 112),
                    (460, 128),
                    (510, 180),
                    (524, 234),
                    (524, 316),
                ],
                closed=False,
            ),
            2,
        )
        * handle,
        0.4,
    )
    body = c.poly(rounded([(180, 316), (620, 316), (676, 712), (124, 712)], 44))
    c.shadow(body, 6, 0.5, dy=-4)
    body_n = combine(unit(c.cyl(124, 676) * np.float32([0.35, 0, 1])), c.bevel(body, 14))
    c.paint(shade(leather * ramp(c.y, 316, 712, 1.05, 0.85)[..., None], body_n, gloss=0.45, shine=35), body)
    seam = rounded([(196, 330), (604, 330), (658, 698), (142, 698)], 34)
    c.paint((200, 240, 220), c.stitches(seam + seam[:1], 2.2) * body * (c.y > 480), 0.45)
    for x in (170, 630):  # little metal feet
        foot = c.ellipse((x - 18, 702, x + 18, 722))
        c.paint(metal(gold, c.sphere(x, 712, 18, 10)), foot)
    flap_pts = [(176, 308), (624, 308), (650, 478), (520, 500), (400, 510), (280, 500), (150, 478)]
    flap = c.poly(rounded(flap_pts, 30))
    c.shadow(flap, 9, 0.55, dy=8)
    flap_n = combine(unit(c.cyl(150, 650) * np.float32([0.35, 0, 1])), c.bevel(flap, 12))
    c.paint(shade(rgb(deep) * grain[..., None], flap_n, gloss=0.55, shine=40), flap)
    inset = rounded([(192, 322), (608, 322), (632, 466), (520, 486), (400, 495), (280, 486), (168, 466)], 24)
    c.paint((200, 240, 220), c.stitches(inset + inset[:1], 2.2), 0.45)
    for x in (276, 524):  # the handle's gold rings
        loop = c.ellipse((x - 20, 284, x + 20, 322)) - c.ellipse((x - 12, 292, x + 12, 314))
        c.shadow(loop, 3, 0.5, dy=3)
        c.paint(metal(gold, c.ring(x, 303, 16, 15, 8)), loop)
    plate = c.rrect((352, 452, 448, 530), 16)
    c.shadow(plate, 5, 0.5, dy=5)
    c.paint(metal(gold, combine(c.cyl(352, 448), c.bevel(plate, 4))), plate)
    knob = c.rrect((384, 470, 416, 512), 14)
    c.shadow(knob, 3, 0.5, dy=3)
    c.paint(metal(mix(gold, (255, 255, 255), 0.1), combine(c.cyl(384, 416), c.bevel(knob, 5))), knob)
    for x, y in ((362, 462), (438, 462), (362, 520), (438, 520)):
        c.paint((120, 88, 36), c.ellipse((x - 3, y - 3, x + 3, y + 3)), 0.8)


def coffee_bag(c: Canvas) -> None:
    amber, cream, brown = (232, 128, 16), (246, 234, 210), (74, 42, 22)
    bag = c.poly(
        rounded([(238, 112), (562, 112), (572, 300), (590, 650), (586, 722), (214, 722), (210, 650), (228, 300)], 18)
    )
    for x, d in ((226, 1), (574, -1)):  # tear notches
        bag = np.clip(bag - c.poly([(x - 20 * d, 166), (x + 20 * d, 178), (x - 20 * d, 190)]), 0, 1)
    seal = c.y < 164
    puff = unit(c.sphere(400, 470, 300, 520) * np.float32([0.55, 0.35, 1]))
    bag_n = combine(np.where(seal[..., None], unit((0, 0, 1)), puff), c.bevel(bag, 16))
    crimp = np.where(seal, 1 + 0.08 * np.sin(c.x * 2 * np.pi / 4), 1)
    foil = rgb(amber) * (crimp * ramp(c.y, 560, 722, 1, 0.82))[..., None]
    c.paint(shade(foil, bag_n, gloss=0.35, shine=25), bag)
    c.paint((120, 60, 6), c.line([(232, 164), (568, 164)], 2) * bag, 0.35)
    zip_ = c.rrect((230, 198, 570, 206), 4) * bag
    c.paint(shade(mix(amber, (255, 255, 255), 0.1), c.bevel(zip_, 3), gloss=0.4), zip_)
    for x0, x1, a in ((262, 300, 0.16), (500, 540, -0.12)):  # soft folds from the top seal
        fold = blur(c.poly([(x0, 170), (x1, 170), (x1 + 14, 360), (x0 + 10, 360)]), 10 * SS) * bag
        c.paint((255, 230, 190) if a > 0 else (90, 40, 0), fold, abs(a))
    valve = c.ellipse((374, 228, 426, 280))
    c.shadow(valve, 4, 0.45, dy=3)
    c.paint(shade((236, 230, 220), combine(c.sphere(400, 254, 34, 34), c.bevel(valve, 3)), gloss=0.6), valve)
    cap = c.ellipse((386, 240, 414, 268))
    c.shadow(cap, 3, 0.35, dy=2)
    c.paint(shade((246, 242, 236), c.sphere(400, 254, 20, 20), gloss=0.6), cap)
    c.paint((150, 140, 128), c.arc((392, 246, 408, 262), 0, 360, 2), 0.8)
    c.paint((110, 100, 90), c.ellipse((397, 251, 403, 257)), 0.9)
    band = (c.y > 392) * (c.y < 592) * bag
    c.shadow(band, 4, 0.25)
    c.paint(shade(cream, bag_n, gloss=0.3, shine=30), band)
    for y in (400, 578):
        c.paint(shade(brown, bag_n, gloss=0.3), c.rrect((200, y, 600, y + 6), 1) * bag)
    bean = c.poly(ellipse_pts(400, 448, 38, 27, -30))
    c.paint(shade(brown, c.sphere(400, 448, 44, 44), gloss=0.5), bean)
    along, bend = np.linspace(-34, 34, 9), 7 * np.sin(np.linspace(-np.pi, np.pi, 9))  # an S along the axis
    crease = list(zip(400 + 0.866 * along + 0.5 * bend, 448 - 0.5 * along + 0.866 * bend))
    c.paint(cream, c.line(crease, 5) * bean, 0.9)
    c.paint(brown, c.rrect((300, 500, 500, 520), 4))
    c.paint(brown, c.rrect((336, 534, 464, 544), 3), 0.7)
    c.paint(mix(brown, cream, 0.3), c.rrect((364, 554, 436, 562), 3), 0.7)
    c.paint((130, 64, 0), c.arc((214, 650, 586, 760), 200, 340, 3) * bag, 0.4)


def honey_jar(c: Canvas) -> None:
    gold, ink = (246, 170, 18), (92, 50, 10)
    jar = np.maximum(c.rrect((206, 268, 594, 726), 96), c.rrect((300, 224, 500, 300), 10))
    glass_n = combine(c.cyl(206, 594), c.bevel(jar, 10))
    rim = 0.22 + 0.7 * (1 - glass_n[..., 2])  # glass reads thicker where seen edge-on
    c.paint(shade((226, 220, 206), glass_n, gloss=0.9, shine=90), jar * rim)
    fill = 330 + 7 * np.sqrt(np.clip(1 - ((c.x - 400) / 182) ** 2, 0, 1))
    honey = jar * (c.y > fill) * c.rrect((214, 276, 586, 718), 88)
    depth = np.clip(c.cyl(206, 594)[..., 2], 0, 1) * ramp(c.y, 340, 718, 1.1, 0.85)
    body = rgb(gold) * (0.6 + 0.48 * depth)[..., None]
    c.paint(shade(body, glass_n, gloss=0.9, shine=90), honey)
    c.paint((255, 226, 120), c.poly(ellipse_pts(400, 334, 180, 8, 0)) * honey, 0.45)  # surface
    c.paint((255, 255, 255), c.rrect((234, 300, 252, 690), 9) * jar, 0.35)  # window reflections
    c.paint((255, 255, 255), c.rrect((558, 340, 566, 660), 4) * jar, 0.2)
    label = c.rrect((206, 430, 594, 620), 2) * jar
    c.shadow(label, 4, 0.3)
    label_n = combine(c.cyl(206, 594), c.bevel(label, 3))
    c.paint(shade((250, 242, 220), label_n, gloss=0.2), label)
    for y in (442, 604):
        c.paint(shade(gold, label_n, gloss=0.4), c.rrect((206, y, 594, y + 4), 1) * jar)

    def hexagon(cx: float, cy: float, r: float) -> Points:
        return [(cx + r * np.cos(a), cy + r * np.sin(a)) for a in np.radians(np.arange(0, 360, 60))]

    for cx, cy in ((400, 470), (367, 489), (433, 489), (400, 508)):  # a honeycomb badge
        c.paint(ink, c.poly(hexagon(cx, cy, 22)))
        c.paint(gold, c.poly(hexagon(cx, cy, 18.5)))
    c.paint(ink, c.rrect((300, 546, 500, 564), 4))
    c.paint(ink, c.rrect((336, 576, 464, 586), 3), 0.7)
    drip = c.poly(
        spline(
            [(432, 226), (476, 226), (466, 244), (462, 270), (470, 298), (459, 314), (448, 298), (456, 270), (452, 244)]
        )
    )
    c.paint(shade(gold, combine(c.cyl(448, 470), c.bevel(drip, 4)), gloss=0.9, shine=80), drip)
    lid = c.rrect((280, 136, 520, 236), 12)
    c.shadow(lid, 7, 0.5, dy=7)
    ribs = 0.3 * np.sin(c.x * 2 * np.pi / 9)
    knurl = unit(np.stack([ribs, np.zeros_like(ribs), np.ones_like(ribs)], -1))
    lid_n = combine(c.cyl(280, 520), c.bevel(lid, 4), knurl)
    c.paint(metal(mix(gold, (120, 80, 20), 0.25), lid_n, 0.6), lid)
    top = c.rrect((280, 136, 520, 156), 10)
    c.paint(metal(mix(gold, (255, 255, 255), 0.1), combine(c.cyl(280, 520), c.bevel(top, 3))), top)
    c.paint((90, 60, 10), c.rrect((280, 156, 520, 159), 1), 0.5)


def lamp(c: Canvas) -> None:
    teal, brass = (0, 132, 140), (212, 168, 84)
    foot = np.maximum(c.rrect((316, 676, 484, 706), 6), c.ellipse((316, 690, 484, 722)))
    c.paint(metal(brass, combine(c.cyl(316, 484), c.bevel(foot, 4))), foot)
    base = c.ellipse((282, 416, 518, 692))
    c.shadow(base, 6, 0.5, dy=4)
    c.paint(shade(teal, combine(c.sphere(400, 554, 118, 138), c.bevel(base, 6)), gloss=0.55, shine=60), base)
    c.paint((255, 255, 255), c.poly(ellipse_pts(336, 500, 12, 44, 30)) * base, 0.3)
    for y0, y1, x0, x1 in ((378, 430, 392, 408), (420, 446, 364, 436), (366, 392, 378, 422)):
        part = c.rrect((x0, y0, x1, y1), 4)
        c.shadow(part, 4, 0.4, dy=3)
        c.paint(metal(brass, combine(c.cyl(x0, x1), c.bevel(part, 2))), part)
    finial = c.ellipse((388, 52, 412, 78))
    c.paint(metal(brass, c.sphere(400, 65, 12, 13)), finial)
    c.paint(metal(brass, c.cyl(397, 403)), c.rrect((397, 74, 403, 102), 1))
    inside = c.ellipse((262, 84, 538, 116))
    c.paint(rgb((255, 230, 178)) * ramp(c.y, 84, 116, 0.65, 1.0)[..., None], inside)
    hw = ramp(c.y, 100, 376, 138, 212)
    t = np.clip((c.x - 400) / hw, -0.98, 0.98)
    cone_n = unit(np.stack([t, -0.27 * np.sqrt(1 - t * t), np.sqrt(1 - t * t)], -1))
    shade_m = np.maximum(c.poly([(262, 100), (538, 100), (612, 376), (188, 376)]), c.ellipse((188, 354, 612, 398))) * (
        1 - inside * (c.y < 100)
    )
    weave = 1 + 0.05 * np.sin(c.x * 2 * np.pi / 4) * np.sin(c.y * 2 * np.pi / 4)
    shade_n = combine(cone_n, c.bevel(shade_m, 4))
    c.paint(shade(rgb(teal) * weave[..., None], shade_n, gloss=0.15, shine=15), shade_m)
    for box, w in (((262, 84, 538, 116), 6), ((188, 354, 612, 398), 8)):
        trim = c.arc(box, 0, 180, w)
        c.paint(shade(mix(teal, (0, 0, 0), 0.3), c.bevel(trim, 2), gloss=0.4), trim)
    back_rim = c.arc((262, 84, 538, 116), 180, 360, 4)
    c.paint(shade(mix(teal, (0, 0, 0), 0.3), unit((0, -0.5, 0.8)), gloss=0.4), back_rim)


def mug(c: Canvas) -> None:
    tangerine, bisque, cream = (255, 124, 22), (226, 200, 168), (250, 240, 226)
    x0, x1, top, bot, ry = 188, 508, 236, 656, 40
    cx, hw = (x0 + x1) / 2, (x1 - x0) / 2
    handle = (c.ellipse((420, 316, 620, 580)) - c.ellipse((452, 350, 588, 546))) * (c.x > 460)
    c.paint(shade(tangerine, c.ring(520, 448, 84, 115, 32), gloss=0.8, shine=70), handle)
    body = np.maximum(c.rrect((x0, top, x1, bot), 1), c.ellipse((x0, bot - ry, x1, bot + ry)))
    c.shadow(body, 6, 0.5, dx=3)
    body_n = combine(c.cyl(x0, x1), c.bevel(body, 3))
    c.paint(shade(tangerine, body_n, gloss=0.8, shine=80), body)
    edge = bot - 14 + ry * np.sqrt(np.clip(1 - ((c.x - cx) / hw) ** 2, 0, 1))
    c.paint(shade(bisque, body_n, gloss=0.05), body * (c.y > edge))
    c.paint((255, 255, 255), blur(c.rrect((222, 300, 242, 600), 10), 2 * SS) * body, 0.35)  # reflections
    c.paint((255, 255, 255), blur(c.rrect((470, 320, 478, 580), 4), 2 * SS) * body, 0.18)
    rim = c.ellipse((x0, top - ry, x1, top + ry))
    c.paint(shade(mix(tangerine, (255, 255, 255), 0.15), unit((0, -0.6, 0.8)), gloss=0.8), rim)
    inner = c.ellipse((x0 + 12, top - ry + 8, x1 - 12, top + ry - 8))
    wall = shade(cream, unit((0, 0.3, 1)), gloss=0) * ramp(c.y, top - ry, top + ry, 1, 0.6)[..., None]
    c.paint(wall, inner)
    coffee = c.ellipse((x0 + 12, top - ry + 34, x1 - 12, top + ry + 18)) * inner
    c.paint((66, 36, 18), coffee)
    c.paint((150, 92, 50), blur(c.ellipse((x0 + 40, top - 2, x1 - 40, top + 44)), 8 * SS) * coffee, 0.5)
    c.paint((255, 255, 255), c.poly(ellipse_pts(cx - 60, top + 4, 30, 6, -6)) * coffee, 0.35)


def pip(c: Canvas) -> None:
    yellow, orange = (255, 200, 56), (250, 132, 36)
    for cx, cy, rx, ry, ang in ((118, 410, 44, 74, 25), (530, 240, 42, 80, 30)):
        wing = c.poly(ellipse_pts(cx, cy, rx, ry, ang))
        wing_n = combine(c.sphere(cx, cy, rx * 1.6, ry * 1.6), c.bevel(wing, 8))
        c.paint(shade(orange, wing_n, gloss=0.3), wing)
    for cx in (262, 378):
        foot = c.ellipse((cx - 46, 548, cx + 46, 600))
        c.paint(shade(orange, c.sphere(cx, 560, 60, 60), gloss=0.3), foot)
    for cx, cy, ang in ((300, 138, -20), (332, 130, 15)):
        tuft = c.poly(ellipse_pts(cx, cy, 16, 40, ang))
        c.paint(shade(orange, c.sphere(cx, cy, 30, 60), gloss=0.3), tuft)
    body = c.ellipse((106, 150, 534, 568))
    c.shadow(body, 8, 0.5)
    fur = rgb(yellow) + (rgb(orange) - rgb(yellow)) * ramp(c.y, 220, 560, 0, 1)[..., None]
    ball = c.sphere(320, 359, 214, 209)
    c.paint(shade(fur, ball, gloss=0.3, shine=40, amb=0.55), body)
    belly = blur(c.ellipse((204, 384, 436, 548)), 4 * SS) * body
    c.paint(shade((255, 236, 180), ball, gloss=0, amb=0.6), belly, 0.85)
    for cx in (250, 390):
        sclera = shade((255, 255, 255), c.sphere(cx, 310, 80, 90), gloss=0, amb=0.7)
        c.paint(sclera, c.ellipse((cx - 46, 248, cx + 46, 358)))
        pupil = c.ellipse((cx - 26, 272, cx + 34, 350))
        c.paint(shade((40, 28, 48), c.sphere(cx, 311, 60, 60), gloss=0.5), pupil)
        c.paint((255, 255, 255), c.ellipse((cx - 14, 282, cx + 6, 304)))
        c.paint((255, 255, 255), c.ellipse((cx + 12, 318, cx + 22, 328)), 0.8)
    for cx in (196, 444):
        c.paint((255, 104, 128), blur(c.ellipse((cx - 38, 362, cx + 38, 398)), 7 * SS), 0.6)
    beak = c.poly([(290, 364), (350, 364), (326, 404), (314, 404)])
    c.paint(shade(orange, combine(c.sphere(320, 372, 40, 40), c.bevel(beak, 4)), gloss=0.5), beak)
    for r, a0, a1 in ((182, 285, 315), (204, 290, 310)):  # waving motion lines
        c.paint((250, 150, 60), c.arc((490 - r, 309 - r, 490 + r, 309 + r), a0, a1, 6), 0.8)


# --------------------------------------------------------------------------- music

RATE, BPM, SECONDS = 22050, 120, 20.0  # 120 BPM: exactly 10 bars, so the bed loops


def envelope(n: int, attack: float, release: float) -> np.ndarray:
    """Linear attack from zero and linear release back to exactly zero (no clicks)."""
    t = np.arange(n) / RATE
    return np.minimum(np.minimum(t / attack, 1), np.clip((n / RATE - t) / release, 0, 1))


def hz(midi: int) -> float:
    return 440 * 2 ** ((midi - 69) / 12)


def pad(freq: float, dur: float) -> np.ndarray:
    """Three detuned sines plus a soft octave, slow attack and release."""
    t = np.arange(int(dur * RATE)) / RATE
    tone = sum(np.sin(2 * np.pi * freq * 2 ** (cents / 1200) * t) for cents in (-7, 0, 7)) / 3
    return (tone + 0.1 * np.sin(4 * np.pi * freq * t)) * envelope(len(t), 0.25, 0.5)


def pluck(freq: float, dur: float, decay: float, harmonics: tuple[float, ...]) -> np.ndarray:
    t = np.arange(int(dur * RATE)) / RATE
    tone = sum(a * np.sin(2 * np.pi * freq * (k + 1) * t) for k, a in enumerate(harmonics))
    return tone * np.exp(-t / decay) * envelope(len(t), 0.004, 0.03)


def kick() -> np.ndarray:
    t = np.arange(int(0.5 * RATE)) / RATE
    phase = 2 * np.pi * np.cumsum(45 + 75 * np.exp(-t / 0.04)) / RATE  # 120 -> 45 Hz sweep
    return np.sin(phase) * np.exp(-t / 0.14) * envelope(len(t), 0.002, 0.05)


def hihat() -> np.ndarray:
    noise = np.diff(np.random.default_rng(7).standard_normal(int(0.06 * RATE) + 1))  # high-pass
    decay = np.exp(-np.arange(len(noise)) / RATE / 0.015)
    return noise * decay * envelope(len(noise), 0.001, 0.01)


def music() -> np.ndarray:
    """I-V-vi-IV in C: pads, a plucked arpeggio, pulsing bass, kick and off-beat hats."""
    total, beat = int(SECONDS * RATE), 60 / BPM
    buf = np.zeros(2 * total)

    def add(start: float, sig: np.ndarray, gain: float) -> None:
        i = round(start * RATE)
        buf[i : i + len(sig)] += gain * sig

    chords = [(60, 64, 67), (59, 62, 67), (57, 60, 64), (57, 60, 65)]  # C  G/B  Am  F
    roots, hat = [48, 43, 45, 41], hihat()
    for step in range(round(SECONDS / beat / 2)):  # one chord every two beats
        chord, root, t0 = chords[step % 4], roots[step % 4], step * 2 * beat
        for m in chord:
            add(t0, pad(hz(m), 2 * beat + 0.5), 0.07)
        for i, m in enumerate((chord[0] + 12, chord[1] + 12, chord[2] + 12, chord[0] + 24)):
            add(t0 + i * beat / 2, pluck(hz(m), 0.6, 0.16, (1, 0.35, 0.1)), 0.09)
        for b in range(2):
            add(t0 + b * beat, kick(), 0.45)
            add(t0 + b * beat, pluck(hz(root), beat, 0.3, (1, 0.2)), 0.22)
            add(t0 + (b + 0.5) * beat, hat, 0.03)
    out = buf[:total] + buf[total:]  # wrap release tails to the start: seamless loop
    out *= 10 ** (-3 / 20) / np.abs(out).max()
    fade = int(0.02 * RATE)
    out[:fade] *= np.linspace(0, 1, fade)
    out[-fade:] *= np.linspace(1, 0, fade)
    return out


def write_wav(path: Path, samples: np.ndarray) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(np.round(samples * 32767).astype("<i2").tobytes())


# --------------------------------------------------------------------------- main

PRODUCTS: dict[str, Callable[[Canvas], None]] = {
    "lipstick-ruby": lipstick,
    "serum-aqua": serum,
    "cream-rose": cream,
    "perfume-amber": perfume,
    "headphones-cobalt": headphones,
    "phone-graphite": phone,
    "watch-lime": watch,
    "speaker-coral": speaker,
    "sneaker-crimson": sneaker,
    "handbag-emerald": handbag,
    "coffee-bag-amber": coffee_bag,
    "honey-jar-gold": honey_jar,
    "lamp-teal": lamp,
    "mug-tangerine": mug,
}


def render(draw: Callable[[Canvas], None], size: int) -> Image.Image:
    canvas = Canvas(size)
    draw(canvas)
    return canvas.image()


def studio_shot(cutout: Image.Image) -> Image.Image:
    """Flatten a cutout onto a near-white backdrop with a very subtle vignette."""
    n = cutout.width
    yy, xx = np.mgrid[0:n, 0:n] / (n - 1) - 0.5
    bg = np.float32([245, 245, 243]) * (1 - 0.09 * (xx**2 + yy**2))[..., None]
    backdrop = Image.fromarray(np.round(bg).astype(np.uint8), "RGB")
    backdrop.paste(cutout, mask=cutout.getchannel("A"))
    return backdrop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--root",
        type=Path,
        default=Path(__file__).resolve().parent.parent,
        help="directory to write the asset tree under (default: repository root)",
    )
    root = parser.parse_args().root
    images, mascots, music_dir = (
        root / p for p in ("catalogs/images", "templates/assets/mascots", "templates/assets/music")
    )
    for d in (images, mascots, music_dir):
        d.mkdir(parents=True, exist_ok=True)
    for name, draw in PRODUCTS.items():
        render(draw, 800).save(images / f"{name}.png", optimize=True)
    studio_shot(render(camera, 800)).save(images / "camera-violet.jpg", quality=92)
    render(pip, 640).save(mascots / "pip.png", optimize=True)
    write_wav(music_dir / "bed.wav", music())


if __name__ == "__main__":
    main()
