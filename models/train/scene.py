"""Street scenes from a fixed camera viewpoint, with domain randomisation.

``Street`` renders a background once (buildings, sidewalks, road, street furniture) and knows its
perspective (how tall a person is at each image row), so a scenario sequence can reuse one
viewpoint while objects come and go. ``compose`` pastes sprites in depth order and returns the
label boxes; ``degrade`` applies lighting, blur and sensor noise.
"""
from __future__ import annotations

import io
import random
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter

import sprites

CLASSES = ['person', 'vehicle', 'litter']


@dataclass
class Placed:
    cls: int | None  # index into CLASSES; None for distractors
    sprite: Image.Image
    x: float  # centre x of the foot line
    y: float  # foot line (bottom of the sprite)
    meta: dict = field(default_factory=dict)

    def box(self):
        w, h = self.sprite.size
        return (self.x - w / 2, self.y - h, self.x + w / 2, self.y)


def _tone(r: random.Random, base, amt=20):
    return tuple(max(0, min(255, b + r.randint(-amt, amt))) for b in base)


class Street:
    """One camera viewpoint: a background image plus the ground bands and perspective."""

    def __init__(self, width: int, height: int, r: random.Random):
        self.W, self.H, self.r = width, height, r
        H = height
        self.yh = H * r.uniform(-0.25, 0.3)  # virtual horizon (may be above the frame: a high camera)
        self.k = r.uniform(0.45, 0.75) * H / (H - self.yh)  # person height at the bottom row ~ k*(H-yh)
        self.y_base = max(H * r.uniform(0.18, 0.42), self.yh + H * 0.05)  # building base line
        rest = H - self.y_base
        self.y_road0 = self.y_base + rest * r.uniform(0.08, 0.3)
        self.y_road1 = self.y_road0 + rest * r.uniform(0.35, 0.6)
        self.slope = r.uniform(-0.08, 0.08)
        self.bg = self._render_background()

    def person_h(self, y: float) -> float:
        return self.k * (y - self.yh)

    def band(self, name: str):
        """(y_top, y_bottom) of a ground band at the image centre: far_walk, road, near_walk."""
        return {'far_walk': (self.y_base, self.y_road0), 'road': (self.y_road0, self.y_road1),
                'near_walk': (self.y_road1, self.H)}[name]

    def _line_y(self, y, x):
        return y + self.slope * (x - self.W / 2)

    def _render_background(self) -> Image.Image:
        r, W, H = self.r, self.W, self.H
        sky = _tone(r, r.choice([(170, 200, 230), (200, 205, 210), (140, 160, 190), (230, 220, 200)]), 15)
        im = Image.new('RGB', (W, H), sky)
        d = ImageDraw.Draw(im)
        # building fronts
        x = -r.randint(0, 60)
        while x < W:
            bw = r.randint(int(W * 0.12), int(W * 0.45))
            top = r.uniform(-0.2, 0.6) * self.y_base
            col = _tone(r, r.choice([(200, 190, 170), (160, 150, 140), (220, 220, 215), (150, 90, 70), (120, 130, 140),
                                      (230, 200, 160), (90, 95, 100)]), 18)
            base = self._line_y(self.y_base, x + bw / 2)
            d.rectangle([x, top, x + bw, base], fill=col)
            win = _tone(r, r.choice([(80, 100, 120), (50, 60, 70), (150, 170, 190)]), 15)
            ww, wh = r.uniform(8, 22), r.uniform(8, 20)
            gx, gy = ww * r.uniform(1.5, 2.4), wh * r.uniform(1.6, 2.4)
            shop = r.random() < 0.7
            y_end = base - (base - top) * (0.35 if shop else 0.05)
            yy = top + gy * 0.5
            while yy + wh < y_end:
                xx = x + gx * 0.4
                while xx + ww < x + bw:
                    d.rectangle([xx, yy, xx + ww, yy + wh], fill=win)
                    xx += gx
                yy += gy
            if shop:  # shop front: sign band and glass
                sh = (base - top) * 0.3
                d.rectangle([x, base - sh, x + bw, base - sh * 0.78], fill=_tone(r, r.choice([(200, 30, 30), (30, 90, 180), (240, 200, 40), (30, 140, 80), (250, 250, 250)]), 20))
                d.rectangle([x + 4, base - sh * 0.74, x + bw - 4, base], fill=_tone(r, (70, 85, 95), 25))
                if r.random() < 0.6:  # shutter
                    d.rectangle([x + bw * 0.55, base - sh * 0.7, x + bw * 0.9, base], fill=_tone(r, (160, 160, 160), 15))
            x += bw + r.randint(0, 8)
        # ground bands
        walk = _tone(r, r.choice([(170, 165, 155), (150, 140, 130), (190, 180, 170), (140, 120, 110), (120, 125, 130)]), 15)
        road = _tone(r, r.choice([(80, 80, 85), (100, 100, 100), (60, 62, 66), (115, 110, 105)]), 10)
        def poly(y0, y1):
            return [(0, self._line_y(y0, 0)), (W, self._line_y(y0, W)), (W, self._line_y(y1, W)), (0, self._line_y(y1, 0))]
        d.polygon(poly(self.y_base, self.y_road0), fill=walk)
        d.polygon(poly(self.y_road0, self.y_road1), fill=road)
        d.polygon(poly(self.y_road1, H + 50), fill=_tone(r, walk, 12))
        # tiles on the sidewalks
        for (y0, y1) in ((self.y_base, self.y_road0), (self.y_road1, H)):
            step = max(4.0, self.person_h((y0 + y1) / 2) * 0.25)
            tile = _tone(r, walk, 25)
            y = y0 + step
            while y < y1:
                d.line([(0, self._line_y(y, 0)), (W, self._line_y(y, W))], fill=tile, width=1)
                y += step
            for xx in range(0, W, int(step * 2)):
                d.line([(xx, self._line_y(y0, xx)), (xx + self.slope * 10, self._line_y(y1, xx))], fill=tile, width=1)
        # curbs and lane markings
        for y in (self.y_road0, self.y_road1):
            d.line([(0, self._line_y(y, 0)), (W, self._line_y(y, W))], fill=_tone(r, (200, 200, 195), 20), width=max(1, int(self.person_h(y) * 0.05)))
        mid = (self.y_road0 + self.y_road1) / 2
        dash = r.randint(20, 60)
        lane_col = r.choice([(235, 235, 235), (230, 190, 40)])
        for xx in range(-r.randint(0, dash), W, dash * 2):
            d.line([(xx, self._line_y(mid, xx)), (xx + dash, self._line_y(mid, xx + dash))], fill=lane_col, width=max(1, int(self.person_h(mid) * 0.04)))
        if r.random() < 0.3:  # zebra crossing
            x0 = r.uniform(0, W * 0.7)
            sw = self.person_h(mid) * 0.15
            for i in range(6):
                xx = x0 + i * sw * 2
                d.polygon([(xx, self._line_y(self.y_road0, xx)), (xx + sw, self._line_y(self.y_road0, xx)),
                           (xx + sw, self._line_y(self.y_road1, xx)), (xx, self._line_y(self.y_road1, xx))], fill=(225, 225, 225))
        if r.random() < 0.5:  # parking bay lines
            y0, y1 = self.y_road0, self.y_road0 + (self.y_road1 - self.y_road0) * 0.4
            bay = self.person_h(y1) * 3
            for xx in np.arange(r.uniform(0, bay), W, bay):
                d.line([(xx, self._line_y(y0, xx)), (xx, self._line_y(y1, xx))], fill=(230, 230, 230), width=1)
        # manholes, drains, stains, leaves: ground clutter that is not litter
        for _ in range(r.randint(2, 8)):
            y = r.uniform(self.y_base + 2, H)
            s = self.person_h(y) * r.uniform(0.1, 0.35)
            xx = r.uniform(0, W)
            c = _tone(r, r.choice([(50, 50, 50), (90, 80, 70), (60, 70, 50), (40, 40, 45)]), 15)
            d.ellipse([xx - s, y - s * 0.3, xx + s, y + s * 0.3], fill=c)
        # trees and lamp posts along the far sidewalk
        for _ in range(r.randint(0, 4)):
            xx = r.uniform(0, W)
            y = self._line_y(r.uniform(self.y_base, self.y_road0), xx)
            ph = self.person_h(y)
            d.rectangle([xx - ph * 0.04, y - ph * 1.4, xx + ph * 0.04, y], fill=_tone(r, (80, 60, 40), 15))
            if r.random() < 0.6:
                for _ in range(4):
                    cx, cy = xx + r.uniform(-0.4, 0.4) * ph, y - ph * r.uniform(1.4, 2.2)
                    rad = ph * r.uniform(0.3, 0.6)
                    d.ellipse([cx - rad, cy - rad, cx + rad, cy + rad], fill=_tone(r, (60, 110, 50), 25))
            else:
                d.rectangle([xx - ph * 0.02, y - ph * 2.5, xx + ph * 0.02, y], fill=(70, 70, 75))
        return im.filter(ImageFilter.GaussianBlur(0.4))

    def random_ground_point(self, band: str | None = None, min_h: float = 0.0):
        """A foot point on a ground band where a person would be at least ``min_h`` px tall."""
        r = self.r
        for _ in range(50):
            name = band or r.choice(['far_walk', 'road', 'road', 'near_walk'])
            y0, y1 = self.band(name)
            y = r.uniform(y0, min(y1, self.H * 1.02))
            if self.person_h(y) >= min_h:
                x = r.uniform(0, self.W)
                return x, self._line_y(y, x)
        x = r.uniform(0, self.W)
        return x, self.H * r.uniform(0.85, 1.0)


def compose(street: Street, objects: list[Placed], r: random.Random, shadows: bool = True):
    """Paste objects in depth order; return (RGB image, [(cls, x0, y0, x1, y1)] clipped to the frame)."""
    im = street.bg.copy()
    d = ImageDraw.Draw(im, 'RGBA')
    labels = []
    for o in sorted(objects, key=lambda o: o.y):
        x0, y0, x1, y1 = o.box()
        if shadows:
            w = x1 - x0
            d.ellipse([x0 - w * 0.05, y1 - w * 0.08, x1 + w * 0.1, y1 + w * 0.06], fill=(0, 0, 0, r.randint(40, 110)))
        im.paste(o.sprite, (int(round(x0)), int(round(y0))), o.sprite)
        if o.cls is None:
            continue
        alpha = np.asarray(o.sprite.split()[-1])
        ys, xs = np.nonzero(alpha > 40)
        if len(xs) == 0:
            continue
        bx0, by0 = int(round(x0)) + xs.min(), int(round(y0)) + ys.min()
        bx1, by1 = int(round(x0)) + xs.max() + 1, int(round(y0)) + ys.max() + 1
        area = (bx1 - bx0) * (by1 - by0)
        cx0, cy0, cx1, cy1 = max(0, bx0), max(0, by0), min(street.W, bx1), min(street.H, by1)
        if cx1 <= cx0 or cy1 <= cy0 or (cx1 - cx0) * (cy1 - cy0) < 0.5 * area:
            continue  # mostly outside the frame: not labelled (placement avoids this)
        labels.append((o.cls, cx0, cy0, cx1, cy1, o.meta))
    return im, labels


def degrade(im: Image.Image, r: random.Random, strength: float = 1.0) -> Image.Image:
    """Lighting, colour cast, blur and sensor noise (JPEG quality is chosen when saving)."""
    im = ImageEnhance.Brightness(im).enhance(r.uniform(1 - 0.45 * strength, 1 + 0.3 * strength))
    im = ImageEnhance.Contrast(im).enhance(r.uniform(1 - 0.35 * strength, 1 + 0.25 * strength))
    im = ImageEnhance.Color(im).enhance(r.uniform(1 - 0.4 * strength, 1 + 0.2 * strength))
    a = np.asarray(im).astype(np.float32)
    cast = np.array([r.uniform(0.9, 1.1) for _ in range(3)], dtype=np.float32)
    a *= cast ** strength
    if r.random() < 0.4 * strength:  # lighting gradient (sun from one side, a shadowed half)
        gx = np.linspace(r.uniform(0.6, 1.0), r.uniform(0.8, 1.2), a.shape[1], dtype=np.float32)
        a *= gx[None, :, None]
    blur = r.choice([0, 0, 0.5, 0.8, 1.2]) * strength
    noise = r.uniform(0, 8) * strength
    if noise > 0:
        a += np.random.default_rng(r.randint(0, 2**31)).normal(0, noise, a.shape).astype(np.float32)
    im = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
    if blur > 0:
        im = im.filter(ImageFilter.GaussianBlur(blur))
    return im


def jpeg(im: Image.Image, quality: int) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format='JPEG', quality=int(quality))
    return buf.getvalue()
