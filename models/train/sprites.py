"""Object sprites for the street-scene generator: people, vehicles, litter, distractors.

Each ``draw_*`` returns an RGBA ``PIL.Image`` whose non-transparent pixels are exactly the
object, so the label box is the alpha bounding box after pasting. Sizes are in pixels; the
caller chooses them from the scene's perspective.
"""
from __future__ import annotations

import math
import random

from PIL import Image, ImageDraw, ImageFilter


def _normalised(fn):
    """Newer Pillow rejects boxes with x1 < x0 (tiny sprites round that way): sort the corners."""
    def wrapper(self, xy, *args, **kwargs):
        if len(xy) == 4 and all(isinstance(v, (int, float)) for v in xy):
            x0, y0, x1, y1 = xy
            xy = [min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)]
        return fn(self, xy, *args, **kwargs)
    return wrapper


for _name in ('rectangle', 'rounded_rectangle', 'ellipse', 'chord', 'pieslice', 'arc'):
    setattr(ImageDraw.ImageDraw, _name, _normalised(getattr(ImageDraw.ImageDraw, _name)))

SKIN = [(255, 224, 189), (234, 192, 134), (198, 134, 66), (141, 85, 36), (224, 172, 105), (250, 210, 170)]
HAIR = [(20, 20, 20), (60, 40, 25), (90, 60, 30), (40, 30, 20), (150, 150, 150), (120, 80, 40)]
# Uniform: a high-visibility vest with silver reflective stripes over a navy jacket, and a cap.
VEST = [(200, 255, 0), (230, 250, 40), (255, 120, 0), (255, 150, 20)]
UNIFORM_JACKET = [(25, 35, 70), (30, 45, 90), (20, 28, 55), (45, 60, 100)]
CAP = [(25, 35, 70), (20, 28, 55), (200, 255, 0), (255, 120, 0)]
STRIPE = (215, 215, 220)
CAR_COLOURS = [(200, 200, 205), (240, 240, 240), (20, 20, 22), (150, 20, 25), (30, 60, 140),
               (110, 110, 115), (60, 90, 60), (180, 150, 100), (230, 200, 40), (90, 30, 90)]
TRUCK_BODY = [(40, 120, 60), (30, 80, 150), (200, 60, 40), (220, 180, 30), (90, 90, 95)]


def _jit(c, r: random.Random, amount: int = 18):
    return tuple(max(0, min(255, v + r.randint(-amount, amount))) for v in c[:3])


def _rand_colour(r: random.Random):
    return (r.randint(0, 255), r.randint(0, 255), r.randint(0, 255))


def _ordinary_colour(r: random.Random):
    """Everyday clothing colour; never a fluorescent vest colour (those define the uniform)."""
    while True:
        c = _rand_colour(r)
        fluo = c[0] > 170 and c[1] > 170 and c[2] < 90 or (c[0] > 200 and 80 < c[1] < 170 and c[2] < 60)
        if not fluo:
            return c


def draw_person(h: int, r: random.Random, uniform: bool, view: str | None = None) -> Image.Image:
    """A standing or walking person ``h`` px tall. Uniform = hi-vis vest with stripes + cap."""
    h = max(12, int(h))
    view = view or r.choice(['front', 'front', 'back', 'side'])
    tw = h * (0.27 if view != 'side' else 0.17) * r.uniform(0.85, 1.15)
    w = int(tw * 1.7) + 4
    im = Image.new('RGBA', (w, h), (0, 0, 0, 0))
    d = ImageDraw.Draw(im)
    cx = w / 2
    skin = _jit(r.choice(SKIN), r, 10)
    head_r = h * 0.065
    head_cy = head_r + h * 0.012
    top = uniform and r.random() < 0.5 and r.choice(UNIFORM_JACKET) or _ordinary_colour(r)
    if uniform:
        top = _jit(r.choice(UNIFORM_JACKET), r, 8)
    trousers = _jit(r.choice(UNIFORM_JACKET), r, 8) if uniform else _ordinary_colour(r)
    if not uniform and r.random() < 0.4:
        trousers = _jit(r.choice([(30, 30, 40), (50, 60, 90), (90, 80, 70), (20, 20, 20)]), r)
    shoe = _jit((25, 25, 25), r, 15)
    t0, t1 = h * 0.14, h * 0.53
    # legs (walking: spread)
    spread = r.uniform(0, 0.12) * h if view == 'side' or r.random() < 0.5 else r.uniform(0, 0.03) * h
    lw = tw * 0.42
    for sgn in (-1, 1):
        hip_x = cx + sgn * tw * 0.22
        foot_x = hip_x + sgn * spread * 0.5 if view != 'side' else cx + sgn * spread
        d.polygon([(hip_x - lw / 2, t1 - 2), (hip_x + lw / 2, t1 - 2), (foot_x + lw / 2.4, h * 0.95),
                   (foot_x - lw / 2.4, h * 0.95)], fill=trousers)
        d.rectangle([foot_x - lw / 2, h * 0.95, foot_x + lw / 2 + (h * 0.03 if view == 'side' else 0), h - 1], fill=shoe)
    # arms
    arm_w = tw * 0.22
    for sgn in (-1, 1):
        if view == 'side' and sgn < 0:
            continue
        sx = cx + sgn * (tw / 2 + arm_w / 2 - 1) if view != 'side' else cx
        swing = r.uniform(-0.08, 0.08) * h
        d.polygon([(sx - arm_w / 2, t0 + 2), (sx + arm_w / 2, t0 + 2), (sx + arm_w / 2 + swing * 0.5, h * 0.47),
                   (sx - arm_w / 2 + swing * 0.5, h * 0.47)], fill=top)
        d.ellipse([sx + swing * 0.5 - arm_w / 2, h * 0.46, sx + swing * 0.5 + arm_w / 2, h * 0.46 + arm_w], fill=skin)
    # torso
    d.rounded_rectangle([cx - tw / 2, t0, cx + tw / 2, t1], radius=max(1, int(tw * 0.15)), fill=top)
    if uniform:
        vest = _jit(r.choice(VEST), r, 10)
        d.rectangle([cx - tw / 2 + 1, t0 + h * 0.03, cx + tw / 2 - 1, t1 - h * 0.02], fill=vest)
        if view == 'front':  # open front shows the jacket
            d.rectangle([cx - tw * 0.07, t0 + h * 0.03, cx + tw * 0.07, t0 + h * 0.15], fill=top)
        sh = max(1, int(h * 0.022))
        for fy in (0.62, 0.82):
            y = t0 + (t1 - t0) * fy
            d.rectangle([cx - tw / 2 + 1, y, cx + tw / 2 - 1, y + sh], fill=STRIPE)
        if r.random() < 0.5:  # shoulder stripes
            for sgn in (-1, 1):
                x = cx + sgn * tw * 0.28
                d.rectangle([x - sh / 2, t0 + h * 0.03, x + sh / 2, t0 + (t1 - t0) * 0.62], fill=STRIPE)
    elif r.random() < 0.3:  # a print or two-tone top
        d.rectangle([cx - tw / 2 + 1, t0 + (t1 - t0) * r.uniform(0.3, 0.6), cx + tw / 2 - 1, t1], fill=_ordinary_colour(r))
    # neck + head
    d.rectangle([cx - head_r * 0.4, head_cy + head_r * 0.6, cx + head_r * 0.4, t0 + 1], fill=skin)
    hx = cx + (head_r * 0.2 if view == 'side' else 0)
    d.ellipse([hx - head_r, head_cy - head_r, hx + head_r, head_cy + head_r], fill=skin)
    hair = r.choice(HAIR)
    if view == 'back':
        d.ellipse([hx - head_r, head_cy - head_r, hx + head_r, head_cy + head_r * 0.8], fill=hair)
    else:
        d.chord([hx - head_r, head_cy - head_r, hx + head_r, head_cy + head_r], 180, 360, fill=hair)
    if uniform:
        cap = _jit(r.choice(CAP), r, 8)
        d.chord([hx - head_r * 1.05, head_cy - head_r * 1.25, hx + head_r * 1.05, head_cy + head_r * 0.35], 180, 360, fill=cap)
        d.rectangle([hx - head_r * 1.05, head_cy - head_r * 0.5, hx + head_r * 1.05, head_cy - head_r * 0.2], fill=cap)
        if view != 'back':  # peak + badge
            px = hx + (head_r * 1.4 if view == 'side' else 0)
            d.ellipse([px - head_r * 0.9, head_cy - head_r * 0.45, px + head_r * 0.9, head_cy - head_r * 0.05], fill=cap)
            d.ellipse([hx - head_r * 0.22, head_cy - head_r * 0.95, hx + head_r * 0.22, head_cy - head_r * 0.55],
                      fill=(230, 190, 40))
    elif r.random() < 0.2:  # ordinary hat or hood
        d.chord([hx - head_r * 1.1, head_cy - head_r * 1.2, hx + head_r * 1.1, head_cy + head_r * 0.2], 180, 360,
                fill=_ordinary_colour(r))
    if r.random() < 0.25 and not uniform:  # bag
        bx = cx + r.choice((-1, 1)) * tw * 0.6
        d.rectangle([bx - tw * 0.2, h * 0.35, bx + tw * 0.2, h * 0.52], fill=_ordinary_colour(r))
    return im


def draw_car_side(length: int, r: random.Random, kind: str) -> Image.Image:
    """Side view of a car, van or muck truck, ``length`` px long, facing right."""
    ratio = {'car': r.uniform(0.34, 0.42), 'van': r.uniform(0.55, 0.68), 'truck': r.uniform(0.42, 0.55)}[kind]
    L, H = max(16, int(length)), max(8, int(length * ratio))
    im = Image.new('RGBA', (L, H), (0, 0, 0, 0))
    d = ImageDraw.Draw(im)
    wheel_r = H * (0.17 if kind == 'car' else 0.13 if kind == 'van' else 0.12)
    glass = _jit((70, 90, 110), r, 25)
    if kind == 'truck':
        body = _jit(r.choice(TRUCK_BODY), r, 12)
        cab = _jit(r.choice(CAR_COLOURS + [(240, 240, 240)]), r, 12)
        cab_w = L * 0.24
        d.rounded_rectangle([L - cab_w, H * 0.12, L - 1, H * 0.8], radius=max(1, int(H * 0.06)), fill=cab)
        d.rectangle([L - cab_w * 0.62, H * 0.18, L - cab_w * 0.08, H * 0.42], fill=glass)
        d.rectangle([0, H * 0.72, L - cab_w, H * 0.8], fill=(40, 40, 40))  # chassis
        d.rectangle([L * 0.02, H * 0.08, L - cab_w - 3, H * 0.72], fill=body)
        for i in range(1, 6):  # ribs
            x = L * 0.02 + (L - cab_w - L * 0.02) * i / 6
            d.line([x, H * 0.1, x, H * 0.7], fill=_jit(body, r, 40), width=max(1, int(L * 0.008)))
        if r.random() < 0.5:  # uncovered load of soil
            d.chord([L * 0.03, -H * 0.08, L - cab_w - 4, H * 0.25], 180, 360, fill=_jit((120, 90, 60), r, 15))
        wheels = [L * 0.12, L * 0.26, L * 0.62, L - cab_w * 0.5]
    else:
        body = _jit(r.choice(CAR_COLOURS), r, 12)
        if kind == 'car':
            d.rounded_rectangle([0, H * 0.38, L - 1, H * 0.82], radius=max(1, int(H * 0.12)), fill=body)
            c0, c1 = L * r.uniform(0.18, 0.28), L * r.uniform(0.7, 0.8)
            d.polygon([(c0, H * 0.4), (c0 + L * 0.1, 0), (c1 - L * 0.08, 0), (c1, H * 0.4)], fill=body)
            d.polygon([(c0 + L * 0.03, H * 0.38), (c0 + L * 0.11, H * 0.06), (c1 - L * 0.09, H * 0.06),
                       (c1 - L * 0.02, H * 0.38)], fill=glass)
            d.line([(L * 0.5, H * 0.06), (L * 0.5, H * 0.38)], fill=body, width=max(1, int(L * 0.015)))
        else:
            d.rounded_rectangle([0, 0, L - 1, H * 0.84], radius=max(1, int(H * 0.08)), fill=body)
            d.rectangle([L * 0.78, H * 0.08, L * 0.96, H * 0.42], fill=glass)
            for i in range(3):
                x0 = L * (0.08 + i * 0.23)
                d.rectangle([x0, H * 0.1, x0 + L * 0.17, H * 0.38], fill=glass)
        wheels = [L * 0.2, L * 0.8]
        d.rectangle([L - 3, H * 0.45, L - 1, H * 0.55], fill=(255, 240, 200))
        d.rectangle([0, H * 0.45, 2, H * 0.55], fill=(200, 20, 20))
    for wx in wheels:
        wy = H - wheel_r - 1
        d.ellipse([wx - wheel_r, wy - wheel_r, wx + wheel_r, wy + wheel_r], fill=(18, 18, 18))
        d.ellipse([wx - wheel_r * 0.45, wy - wheel_r * 0.45, wx + wheel_r * 0.45, wy + wheel_r * 0.45], fill=(150, 150, 155))
    return im if r.random() < 0.5 else im.transpose(Image.FLIP_LEFT_RIGHT)


def draw_car_front(width: int, r: random.Random, kind: str) -> Image.Image:
    """Front or rear view (a camera looking along the street)."""
    ratio = {'car': r.uniform(0.75, 0.9), 'van': r.uniform(1.0, 1.15), 'truck': r.uniform(1.05, 1.25)}[kind]
    W, H = max(12, int(width)), max(10, int(width * ratio))
    im = Image.new('RGBA', (W, H), (0, 0, 0, 0))
    d = ImageDraw.Draw(im)
    body = _jit(r.choice(TRUCK_BODY if kind == 'truck' else CAR_COLOURS), r, 12)
    glass = _jit((70, 90, 110), r, 25)
    top = H * (0.0 if kind != 'car' else 0.05)
    for sgn in (0.08, 0.78):
        d.rectangle([W * sgn, H * 0.85, W * (sgn + 0.14), H - 1], fill=(18, 18, 18))
    d.rounded_rectangle([0, H * 0.45, W - 1, H * 0.9], radius=max(1, int(W * 0.06)), fill=body)
    d.polygon([(W * 0.1, H * 0.47), (W * 0.18, top), (W * 0.82, top), (W * 0.9, H * 0.47)], fill=body)
    d.polygon([(W * 0.16, H * 0.45), (W * 0.22, top + H * 0.06), (W * 0.78, top + H * 0.06), (W * 0.84, H * 0.45)], fill=glass)
    front = r.random() < 0.5
    lamp = (255, 245, 210) if front else (210, 20, 20)
    d.rectangle([W * 0.05, H * 0.55, W * 0.22, H * 0.63], fill=lamp)
    d.rectangle([W * 0.78, H * 0.55, W * 0.95, H * 0.63], fill=lamp)
    d.rectangle([W * 0.38, H * 0.7, W * 0.62, H * 0.78], fill=(30, 60, 200) if r.random() < 0.7 else (230, 200, 30))
    if front:
        d.rectangle([W * 0.3, H * 0.55, W * 0.7, H * 0.65], fill=_jit((40, 40, 45), r, 10))
    return im


def draw_vehicle(size: float, r: random.Random, kind: str | None = None, view: str | None = None) -> Image.Image:
    """A vehicle whose height for a person of ``size`` px at the same distance is about right."""
    kind = kind or r.choice(['car', 'car', 'car', 'van', 'truck'])
    view = view or ('side' if r.random() < 0.6 else 'front')
    if view == 'side':
        length = size * {'car': 2.6, 'van': 3.0, 'truck': 4.6}[kind] * r.uniform(0.85, 1.1)
        return draw_car_side(int(length), r, kind)
    width = size * {'car': 1.05, 'van': 1.15, 'truck': 1.4}[kind] * r.uniform(0.9, 1.1)
    return draw_car_front(int(width), r, kind)


def _blob(d: ImageDraw.ImageDraw, cx, cy, rx, ry, r: random.Random, fill, n=9):
    pts = []
    for i in range(n):
        a = 2 * math.pi * i / n + r.uniform(-0.2, 0.2)
        k = r.uniform(0.7, 1.0)
        pts.append((cx + math.cos(a) * rx * k, cy + math.sin(a) * ry * k))
    d.polygon(pts, fill=fill)


def draw_litter(size: float, r: random.Random, kind: str | None = None) -> Image.Image:
    """Litter lying on the ground: bottle, can, bag, paper, or a pile of garbage."""
    kind = kind or r.choice(['bottle', 'can', 'bag', 'bag', 'paper', 'paper', 'pile', 'pile'])
    s = max(8, int(size * {'bottle': 0.2, 'can': 0.12, 'bag': 0.28, 'paper': 0.2, 'pile': 0.6}[kind] * r.uniform(0.8, 1.25)))
    s = max(s, 16)  # smaller litter is below what a 320-px model can see in a 640-px frame
    if kind in ('bottle', 'can'):
        L = s if kind == 'bottle' else int(s * 0.8)
        W = max(4, int(L * (0.33 if kind == 'bottle' else 0.55)))
        im = Image.new('RGBA', (L, W), (0, 0, 0, 0))
        d = ImageDraw.Draw(im)
        col = r.choice([(60, 150, 70), (180, 220, 230), (120, 70, 30), (230, 235, 240)]) if kind == 'bottle' else \
            r.choice([(200, 20, 30), (190, 190, 200), (30, 90, 200), (240, 200, 20)])
        col = col + (230,)
        if kind == 'bottle':
            d.rounded_rectangle([0, 0, L * 0.72, W - 1], radius=max(1, W // 3), fill=col)
            d.rectangle([L * 0.7, W * 0.3, L - 1, W * 0.7], fill=col)
            d.rectangle([L * 0.9, W * 0.25, L - 1, W * 0.75], fill=r.choice([(255, 255, 255), (30, 90, 200), (220, 30, 30)]))
            d.rectangle([L * 0.2, W * 0.15, L * 0.5, W * 0.85], fill=_rand_colour(r))  # label
        else:
            d.rectangle([0, 0, L - 1, W - 1], fill=col)
            d.rectangle([0, 0, 2, W - 1], fill=(220, 220, 225))
        return im.rotate(r.uniform(0, 360), expand=True, resample=Image.BILINEAR)
    im = Image.new('RGBA', (s, int(s * 0.75) + 2), (0, 0, 0, 0))
    d = ImageDraw.Draw(im)
    W, H = im.size
    if kind == 'bag':
        col = r.choice([(240, 240, 240), (20, 20, 20), (30, 80, 200), (200, 30, 30), (250, 200, 220), (40, 120, 40)])
        _blob(d, W / 2, H * 0.58, W * 0.48, H * 0.4, r, col)
        d.polygon([(W * 0.45, H * 0.25), (W * 0.4, 0), (W * 0.55, H * 0.05), (W * 0.55, H * 0.25)], fill=col)
        d.line([(W * 0.3, H * 0.5), (W * 0.6, H * 0.7)], fill=_jit(col, r, 50), width=1)
    elif kind == 'paper':
        col = r.choice([(245, 245, 240), (230, 220, 190), (200, 210, 230), (240, 240, 200)])
        _blob(d, W / 2, H / 2, W * 0.48, H * 0.45, r, col, n=7)
        for _ in range(3):
            d.line([(r.uniform(0.2, 0.8) * W, r.uniform(0.2, 0.8) * H), (r.uniform(0.2, 0.8) * W, r.uniform(0.2, 0.8) * H)],
                   fill=(140, 140, 140), width=1)
    else:  # pile: bags, boxes, scraps
        _blob(d, W / 2, H * 0.62, W * 0.5, H * 0.38, r, _jit((90, 75, 55), r, 20), n=11)
        for _ in range(r.randint(3, 6)):
            col = r.choice([(20, 20, 20), (240, 240, 240), (30, 80, 200), (160, 120, 70), (200, 30, 30), (60, 150, 70)])
            _blob(d, r.uniform(0.2, 0.8) * W, r.uniform(0.3, 0.75) * H, W * r.uniform(0.1, 0.22), H * r.uniform(0.12, 0.25), r, col)
        for _ in range(r.randint(1, 3)):
            x, y = r.uniform(0.15, 0.7) * W, r.uniform(0.3, 0.7) * H
            d.rectangle([x, y, x + W * 0.15, y + H * 0.15], fill=_jit((170, 130, 80), r, 20))
    return im


def draw_distractor(size: float, r: random.Random) -> Image.Image:
    """Street furniture that is none of the classes: cones, bollards, benches, bins, planters, signs."""
    kind = r.choice(['cone', 'bollard', 'bench', 'bin', 'planter', 'hydrant', 'box'])
    s = max(6, int(size))
    if kind == 'cone':
        im = Image.new('RGBA', (int(s * 0.25) + 2, int(s * 0.35) + 2), (0, 0, 0, 0))
        d = ImageDraw.Draw(im)
        W, H = im.size
        d.polygon([(W / 2, 0), (W - 1, H - 2), (0, H - 2)], fill=(240, 100, 20))
        d.rectangle([W * 0.3, H * 0.45, W * 0.7, H * 0.58], fill=(240, 240, 240))
        return im
    if kind == 'bollard':
        im = Image.new('RGBA', (max(3, int(s * 0.1)), int(s * 0.5)), (0, 0, 0, 0))
        ImageDraw.Draw(im).rectangle([0, 0, im.size[0] - 1, im.size[1] - 1], fill=_jit((60, 60, 65), r, 30))
        return im
    if kind == 'bench':
        im = Image.new('RGBA', (int(s * 0.9), int(s * 0.35)), (0, 0, 0, 0))
        d = ImageDraw.Draw(im)
        W, H = im.size
        c = _jit((120, 80, 40), r, 30)
        d.rectangle([0, 0, W - 1, H * 0.3], fill=c)
        d.rectangle([0, H * 0.45, W - 1, H * 0.6], fill=c)
        d.rectangle([W * 0.08, H * 0.6, W * 0.14, H - 1], fill=(40, 40, 40))
        d.rectangle([W * 0.86, H * 0.6, W * 0.92, H - 1], fill=(40, 40, 40))
        return im
    if kind == 'bin':  # a closed street bin is not litter
        im = Image.new('RGBA', (int(s * 0.3), int(s * 0.55)), (0, 0, 0, 0))
        d = ImageDraw.Draw(im)
        W, H = im.size
        d.rounded_rectangle([0, H * 0.1, W - 1, H - 1], radius=max(1, W // 8), fill=r.choice([(30, 110, 60), (40, 70, 150), (130, 130, 130)]))
        d.rectangle([0, 0, W - 1, H * 0.12], fill=(60, 60, 60))
        return im
    if kind == 'planter':
        im = Image.new('RGBA', (int(s * 0.6), int(s * 0.5)), (0, 0, 0, 0))
        d = ImageDraw.Draw(im)
        W, H = im.size
        d.rectangle([0, H * 0.5, W - 1, H - 1], fill=_jit((150, 150, 140), r, 20))
        _blob(d, W / 2, H * 0.35, W * 0.48, H * 0.35, r, _jit((50, 120, 50), r, 25))
        return im
    if kind == 'hydrant':
        im = Image.new('RGBA', (max(4, int(s * 0.14)), max(6, int(s * 0.3))), (0, 0, 0, 0))
        ImageDraw.Draw(im).rounded_rectangle([0, 0, im.size[0] - 1, im.size[1] - 1], radius=2, fill=(200, 30, 30))
        return im
    im = Image.new('RGBA', (int(s * 0.4), int(s * 0.6)), (0, 0, 0, 0))  # utility box
    ImageDraw.Draw(im).rectangle([0, 0, im.size[0] - 1, im.size[1] - 1], fill=_jit((150, 160, 150), r, 20))
    return im


def soften(im: Image.Image, radius: float) -> Image.Image:
    return im.filter(ImageFilter.GaussianBlur(radius)) if radius > 0 else im
