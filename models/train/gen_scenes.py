#!/usr/bin/env python3
"""Scenario frame sequences for the camera simulator and the demo (committed under models/scenes/).

Each scenario is one fixed viewpoint, 640x360 JPEG frames, and a scene.json with the suggested
zone polygons (image px) and what every frame contains (ground-truth boxes), so zones can be
configured without guessing. Reproducible: same code + seed -> same frames.

  /usr/bin/python3 models/train/gen_scenes.py --out models/scenes
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import shaded  # noqa: E402
import sprites  # noqa: E402
from scene import CLASSES, Placed, Street, compose, degrade, jpeg  # noqa: E402

W, H = 640, 360


def street(seed: int) -> Street:
    st = Street(W, H, random.Random(seed))
    # a fixed, typical pole-mounted view: buildings at the back, far sidewalk, road, near sidewalk
    st.yh, st.k = -0.1 * H, 0.417
    st.y_base, st.y_road0, st.y_road1, st.slope = 0.3 * H, 0.42 * H, 0.78 * H, 0.02
    st.bg = st._render_background()
    return st


def rect(x0, y0, x1, y1):
    return [[round(x0), round(y0)], [round(x1), round(y0)], [round(x1), round(y1)], [round(x0), round(y1)]]


def sprite(seed, fn, *args, **kw):
    return fn(*args, r=random.Random(seed), **kw)


def write(out: str, name: str, st: Street, frames: list[list[Placed]], zones: dict, description: str, notes: list[str], seed: int):
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        if f.endswith('.jpg'):
            os.remove(os.path.join(d, f))
    meta = []
    for i, objs in enumerate(frames):
        r = random.Random(seed)  # same lighting and noise in every frame: a fixed camera
        im, labels = compose(st, objs, r)
        im = degrade(im, r, strength=0.4)
        fn = f'frame-{i:03d}.jpg'
        with open(os.path.join(d, fn), 'wb') as f:
            f.write(jpeg(im, 80))
        meta.append({'file': fn, 'note': notes[i], 'objects': [
            {'label': CLASSES[c], 'box': [round(x0), round(y0), round(x1), round(y1)], **m} for c, x0, y0, x1, y1, m in labels]})
    with open(os.path.join(d, 'scene.json'), 'w') as f:
        json.dump({'name': name, 'description': description, 'width': W, 'height': H, 'frameCount': len(frames),
                   'intervalS': 1, 'zones': zones, 'frames': meta}, f, indent=1)
        f.write('\n')
    print(f'{name}: {len(frames)} frames', flush=True)


def road_y(st, frac):
    return st.y_road0 + (st.y_road1 - st.y_road0) * frac


def car_scene(out, name, seed, stay, description, realistic=False):
    st = street(seed)
    y = road_y(st, 0.45)
    length = int(st.person_h(y) * 2.6)
    # realistic: a shaded car a COCO-trained detector sees (the demo's default detector)
    car = sprite(seed + 1, shaded.draw_car_shaded, length) if realistic else sprite(
        seed + 1, sprites.draw_car_side, length, kind='car')
    park_x = W * 0.55
    frames, notes = [], []
    arrive, leave = 6, 6
    n = 3 + arrive + stay + leave + 3
    for i in range(n):
        objs = []
        if i < 3 or i >= n - 3:
            notes.append('empty street')
        elif i < 3 + arrive:
            t = (i - 2) / arrive
            objs.append(Placed(1, car, -car.width / 2 + (park_x + car.width / 2) * t, st._line_y(y, park_x)))
            notes.append('car arriving' if t < 1 else 'car stopped')
        elif i < 3 + arrive + stay:
            objs.append(Placed(1, car, park_x, st._line_y(y, park_x)))
            notes.append('car stationary in the no-parking area')
        else:
            t = (i - (3 + arrive + stay) + 1) / leave
            objs.append(Placed(1, car, park_x + (W - park_x + car.width) * t, st._line_y(y, park_x)))
            notes.append('car leaving')
        frames.append(objs)
    x0, x1 = park_x - car.width * 0.9, park_x + car.width * 0.9
    zones = {'noParking': rect(x0, st.y_road0 + 4, x1, road_y(st, 0.7)),
             'litter': rect(0, st.y_road1 + 6, W, H - 1), 'post': rect(W * 0.05, st.y_road1 + 4, W * 0.3, H - 1)}
    write(out, name, st, frames, zones, description, notes, seed)


def litter_scene(out, seed):
    st = street(seed)
    y = st.y_road1 + (H - st.y_road1) * 0.55
    walker = sprite(seed + 2, sprites.draw_person, int(st.person_h(y)), uniform=False, view='side')
    cleaner = sprite(seed + 3, sprites.draw_person, int(st.person_h(y)), uniform=True, view='front')
    pile = sprite(seed + 4, sprites.draw_litter, st.person_h(y + 10), kind='pile')
    bottle = sprite(seed + 5, sprites.draw_litter, st.person_h(y + 14) * 1.4, kind='bag')
    lx = W * 0.5
    frames, notes = [], []
    for i in range(30):
        objs = []
        if 2 <= i <= 9:
            objs.append(Placed(0, walker, W * 0.1 + (i - 2) * W * 0.11, y - 14, {'uniform': False}))
        if 6 <= i <= 24:
            objs.append(Placed(2, pile, lx, y + 10))
            objs.append(Placed(2, bottle, lx + pile.width * 0.9, y + 14))
        if 22 <= i <= 25:
            objs.append(Placed(0, cleaner, lx + W * 0.18, y - 4, {'uniform': True}))
        frames.append(objs)
        notes.append('empty' if not objs else 'person walking' if i < 6 else 'litter dropped, person leaving' if i <= 9
                     else 'litter on the sidewalk' if i < 22 else 'staff cleaning up' if i <= 24 else 'staff leaving, litter removed')
    zones = {'litter': rect(W * 0.25, st.y_road1 + 4, W * 0.8, H - 1),
             'noParking': rect(W * 0.2, st.y_road0 + 4, W * 0.8, road_y(st, 0.7)), 'post': rect(W * 0.8, st.y_road1 + 4, W - 1, H - 1)}
    write(out, 'litter', st, frames, zones, 'a passer-by drops litter on the sidewalk; it stays ~15 frames; staff remove it',
          notes, seed)


def post_scene(out, name, seed, uniform, n_at_post, n_total, description):
    st = street(seed)
    y = st.y_road1 + (H - st.y_road1) * 0.6
    p = sprite(seed + 6, sprites.draw_person, int(st.person_h(y)), uniform=uniform, view='front')
    px = W * 0.22
    frames, notes = [], []
    for i in range(n_total):
        objs = []
        if i < n_at_post:
            objs.append(Placed(0, p, px + (3 if i % 4 == 1 else -3 if i % 4 == 3 else 0), y, {'uniform': uniform}))
            notes.append(('staff in uniform' if uniform else 'person NOT in uniform') + ' at the post')
        elif i < n_at_post + 4:
            objs.append(Placed(0, p, px + (i - n_at_post + 1) * W * 0.2, y, {'uniform': uniform}))
            notes.append('leaving the post')
        else:
            notes.append('post empty')
        frames.append(objs)
    zones = {'post': rect(px - 70, y - st.person_h(y) * 0.5, px + 70, min(H - 1, y + 25)),
             'noParking': rect(W * 0.3, st.y_road0 + 4, W * 0.9, road_y(st, 0.7)),
             'litter': rect(W * 0.45, st.y_road1 + 4, W - 1, H - 1)}
    write(out, name, st, frames, zones, description, notes, seed)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--out', default='models/scenes')
    ap.add_argument('--only', help='write only this scene')
    a = ap.parse_args()
    if a.only in (None, 'street-parking'):
        car_scene(a.out, 'street-parking', 101, 16,
                  'a shaded (realistic) car arrives, parks in the no-parking area for 16 frames, then leaves', True)
    if a.only:
        return
    car_scene(a.out, 'parking', 101, 16, 'a car arrives, parks in the no-parking area for 16 frames, then leaves')
    car_scene(a.out, 'brief-stop', 202, 3, 'a car stops briefly (3 frames) in the no-parking area and leaves')
    litter_scene(a.out, 303)
    post_scene(a.out, 'post', 404, True, 14, 28, 'a uniformed staff member at the post for 14 frames, then the post is empty')
    post_scene(a.out, 'no-uniform', 505, False, 24, 24, 'a person out of uniform stands at the post throughout')


if __name__ == '__main__':
    main()
