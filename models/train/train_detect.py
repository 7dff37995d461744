#!/usr/bin/env python3
"""Train the detector on ANY YOLO-format dataset and export ONNX + manifest.

The dataset dir holds images/{train,val}/*.jpg|png and labels/{train,val}/*.txt
("cls cx cy w h", normalised) and optionally data.yaml with the class names.

Example (the committed default model):
  /usr/bin/python3 models/train/train_detect.py --data models/data/det --out models/detector --epochs 30
Fine-tune the shipped model on the operators' verdicts (what `models train --dataset` runs):
  ... --init-onnx models/detector/model.onnx --freeze-backbone --epochs 4
"""
from __future__ import annotations

import argparse
import glob
import math
import os
import sys
import time

import numpy as np
import torch
from PIL import Image
from torch.nn import functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import export_onnx, letterbox, read_names, seed_all  # noqa: E402
from detnet import STRIDES, DetNet  # noqa: E402
from metrics import evaluate_map  # noqa: E402

EXTS = ('.jpg', '.jpeg', '.png', '.bmp')
# grid points within this many strides of an object's centre are positives; objects go to the
# level whose stride suits their size (max half-side in px at the model input)
CENTER_RADIUS = 1.5
LEVEL_RANGES = {8: (0, 40), 16: (40, 96), 32: (96, 1e9)}


def load_split(data: str, split: str, size: int, limit: int | None = None):
    files = sorted(f for f in glob.glob(os.path.join(data, 'images', split, '*')) if f.lower().endswith(EXTS))[:limit]
    if not files:
        raise SystemExit(f'no images under {data}/images/{split}')
    imgs = np.zeros((len(files), size, size, 3), np.uint8)
    boxes = []
    for i, f in enumerate(files):
        im = Image.open(f)
        W, H = im.size
        imgs[i], s, dx, dy = letterbox(im, size, size)
        lab = os.path.splitext(f.replace(f'{os.sep}images{os.sep}', f'{os.sep}labels{os.sep}'))[0] + '.txt'
        rows = np.loadtxt(lab, ndmin=2) if os.path.exists(lab) and os.path.getsize(lab) else np.zeros((0, 5))
        b = np.zeros((len(rows), 5), np.float32)
        if len(rows):
            b[:, 0] = rows[:, 0]
            b[:, 1] = (rows[:, 1] - rows[:, 3] / 2) * W * s + dx
            b[:, 2] = (rows[:, 2] - rows[:, 4] / 2) * H * s + dy
            b[:, 3] = (rows[:, 1] + rows[:, 3] / 2) * W * s + dx
            b[:, 4] = (rows[:, 2] + rows[:, 4] / 2) * H * s + dy
        boxes.append(b)
    return torch.from_numpy(imgs).permute(0, 3, 1, 2).contiguous(), boxes


_BOUNDS: dict = {}


def level_bounds(grid):
    """Per-point [lo, hi) size range of its level, cached per grid."""
    key = (grid.shape[1], str(grid.device))
    if key not in _BOUNDS:
        st = grid[2].cpu().tolist()
        lo = torch.tensor([LEVEL_RANGES[int(s)][0] for s in st], device=grid.device)[:, None]
        hi = torch.tensor([LEVEL_RANGES[int(s)][1] for s in st], device=grid.device)[:, None]
        _BOUNDS[key] = (lo, hi)
    return _BOUNDS[key]


def assign(grid, gts, nc):
    """Per-point targets for one image: class index (-1 negative) and the gt box (x0,y0,x1,y1)."""
    n = grid.shape[1]
    cls_t = torch.full((n,), -1, dtype=torch.long, device=grid.device)
    box_t = torch.zeros((n, 4), device=grid.device)
    if len(gts) == 0:
        return cls_t, box_t
    g = gts
    px, py, st = grid[0][:, None], grid[1][:, None], grid[2][:, None]
    cx, cy = (g[:, 1] + g[:, 3]) / 2, (g[:, 2] + g[:, 4]) / 2
    half = torch.maximum(g[:, 3] - g[:, 1], g[:, 4] - g[:, 2]) / 2
    near = ((px - cx).abs() < CENTER_RADIUS * st) & ((py - cy).abs() < CENTER_RADIUS * st)
    lo, hi = level_bounds(grid)
    ok = near & (half >= lo) & (half < hi)
    area = ((g[:, 3] - g[:, 1]) * (g[:, 4] - g[:, 2]))[None, :].expand(n, -1)
    cost = torch.where(ok, area, torch.full_like(area, float('inf')))
    best, idx = cost.min(1)
    pos = torch.isfinite(best)
    cls_t[pos] = g[idx[pos], 0].long()
    box_t[pos] = g[idx[pos], 1:5]
    return cls_t, box_t


def giou(a, b):
    """GIoU of matching rows of xyxy boxes."""
    ix0, iy0 = torch.maximum(a[:, 0], b[:, 0]), torch.maximum(a[:, 1], b[:, 1])
    ix1, iy1 = torch.minimum(a[:, 2], b[:, 2]), torch.minimum(a[:, 3], b[:, 3])
    inter = (ix1 - ix0).clamp(0) * (iy1 - iy0).clamp(0)
    aa, ab = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1]), (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = aa + ab - inter + 1e-6
    iou = inter / union
    cx0, cy0 = torch.minimum(a[:, 0], b[:, 0]), torch.minimum(a[:, 1], b[:, 1])
    cx1, cy1 = torch.maximum(a[:, 2], b[:, 2]), torch.maximum(a[:, 3], b[:, 3])
    hull = (cx1 - cx0) * (cy1 - cy0) + 1e-6
    return iou, iou - (hull - union) / hull


def loss_fn(model, imgs, boxes):
    logits, dist = model.raw(imgs)
    B, C, N = logits.shape
    grid = model.grid
    tc, tb = zip(*(assign(grid, b, C) for b in boxes))
    cls_t, box_t = torch.stack(tc), torch.stack(tb)  # [B,N], [B,N,4]
    pos = cls_t >= 0
    npos = max(1, int(pos.sum()))
    px, py = grid[0], grid[1]
    pred = torch.stack([px - dist[:, 0], py - dist[:, 1], px + dist[:, 2], py + dist[:, 3]], 2)  # [B,N,4]
    score_t = torch.zeros_like(logits)  # quality focal loss: the positive class target is the IoU
    if pos.any():
        iou, g = giou(pred[pos], box_t[pos])
        b_idx, n_idx = pos.nonzero(as_tuple=True)
        score_t[b_idx, cls_t[pos], n_idx] = iou.detach().clamp(0.05, 1)
        l_box = (1 - g).sum() / npos
    else:
        l_box = dist.sum() * 0
    p = logits.sigmoid()
    l_cls = (F.binary_cross_entropy_with_logits(logits, score_t, reduction='none') * (p - score_t).abs().pow(2)).sum() / npos
    return l_cls + 2.0 * l_box, float(l_cls), float(l_box)


@torch.no_grad()
def predict(model, imgs, bs=32):
    model.eval()
    dev = next(model.parameters()).device
    outs = [model(imgs[i:i + bs].to(dev).float() / 255).cpu() for i in range(0, len(imgs), bs)]
    return torch.cat(outs).numpy()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--data', required=True, help='YOLO-format dataset dir')
    ap.add_argument('--out', required=True, help='output dir for model.onnx + manifest.json')
    ap.add_argument('--epochs', type=int, default=30)
    ap.add_argument('--batch', type=int, default=16)
    ap.add_argument('--lr', type=float, default=3e-3)
    ap.add_argument('--size', type=int, default=320)
    ap.add_argument('--width', type=int, default=24)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--limit', type=int, default=None, help='use only the first N training images')
    ap.add_argument('--max-steps', type=int, default=None, help='stop after N steps (smoke tests)')
    ap.add_argument('--name', default='cg-detector')
    ap.add_argument('--version', default='1.0.0')
    ap.add_argument('--device', default='cpu')
    ap.add_argument('--eval-every', type=int, default=5, help='evaluate on val every N epochs')
    ap.add_argument('--time-limit', type=float, default=None, help='minutes; stop early, keep the best epoch')
    ap.add_argument('--export-only', default=None, help='a best.pt to export without training')
    ap.add_argument('--init', default=None, help='start from these weights (fine-tuning)')
    ap.add_argument('--init-onnx', default=None,
                    help='fine-tune from this exported model.onnx (same architecture; width and size are read from it)')
    ap.add_argument('--freeze-backbone', action='store_true',
                    help='train only the FPN laterals and heads (with --init-onnx: few verdict frames)')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    seed_all(a.seed)
    names = read_names(a.data) or ['person', 'vehicle', 'litter']
    if a.init_onnx:
        from onnx_init import onnx_first_conv_out, onnx_input_shape  # noqa: PLC0415 - only when fine-tuning

        a.size = onnx_input_shape(a.init_onnx)[2]
        a.width = 2 * onnx_first_conv_out(a.init_onnx)  # the stem's first conv has width // 2 filters
    t0 = time.time()
    if a.export_only:
        model = DetNet(len(names), a.width, (a.size, a.size))
        model.load_state_dict(torch.load(a.export_only, map_location='cpu'))
        return export(model, a, names, -1, t0)
    x_tr, b_tr = load_split(a.data, 'train', a.size, a.limit)
    x_va, b_va = load_split(a.data, 'val', a.size, max(8, (a.limit or 10**9) // 5))
    print(f'loaded {len(x_tr)} train / {len(x_va)} val images, {len(names)} classes {names} in {time.time() - t0:.0f}s', flush=True)
    dev = torch.device(a.device)
    model = DetNet(len(names), a.width, (a.size, a.size))
    if a.init:
        model.load_state_dict(torch.load(a.init, map_location='cpu'))
    if a.init_onnx:
        from onnx_init import freeze_bn, load_folded_onnx  # noqa: PLC0415

        load_folded_onnx(model, a.init_onnx)
        print(f'fine-tuning from {a.init_onnx} (width {a.width}, {a.size}px)', flush=True)
    model.to(dev)
    if a.freeze_backbone:
        for part in (model.stem, model.c3, model.c4, model.c5):
            part.requires_grad_(False)
    trainable = [p for p in model.parameters() if p.requires_grad]
    print(f'params {sum(p.numel() for p in model.parameters()) / 1e6:.2f}M, trained {sum(p.numel() for p in trainable) / 1e6:.2f}M', flush=True)
    opt = torch.optim.AdamW(trainable, lr=a.lr, weight_decay=5e-4)
    steps_per_epoch = math.ceil(len(x_tr) / a.batch)
    total = a.max_steps or a.epochs * steps_per_epoch
    if total == 0:  # --epochs 0: export the starting point (checks the ONNX init round trip)
        return export(model.to('cpu'), a, names, -1, t0)
    every = max(1, min(50, total // 20))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=a.lr, total_steps=total, pct_start=0.1)
    gen = torch.Generator().manual_seed(a.seed)
    step, best = 0, -1.0
    os.makedirs(a.out, exist_ok=True)
    ckpt = os.path.join(a.out, 'best.pt') if a.max_steps is None else None
    while step < total:
        model.train()
        if a.init_onnx:
            freeze_bn(model)  # the folded BatchNorms stay identities
        perm = torch.randperm(len(x_tr), generator=gen)
        t_ep = time.time()
        for i in range(0, len(perm), a.batch):
            if step >= total:
                break
            idx = perm[i:i + a.batch]
            imgs = x_tr[idx].to(dev).float().div_(255)
            bxs = [b_tr[j].copy() for j in idx.tolist()]
            flip = torch.rand(len(idx), generator=gen) < 0.5
            for k in flip.nonzero().flatten().tolist():  # horizontal flip
                imgs[k] = imgs[k].flip(2)
                b = bxs[k]
                b[:, [1, 3]] = a.size - b[:, [3, 1]]
            imgs = imgs * (0.8 + 0.4 * torch.rand(len(idx), 1, 1, 1, generator=gen)).to(dev)  # brightness
            loss, lc, lb = loss_fn(model, imgs, [torch.as_tensor(b).to(dev) for b in bxs])
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
            opt.step()
            sched.step()
            step += 1
            if a.time_limit and time.time() - t0 > a.time_limit * 60:
                print(f'time limit reached at step {step}', flush=True)
                total = step
            if step % every == 0 or step in (1, total):
                per = (time.time() - t_ep) / (i // a.batch + 1)
                print(f'step {step}/{total} epoch {step / steps_per_epoch:.2f} loss {float(loss):.3f} (cls {lc:.3f} box {lb:.3f}) '
                      f'{per:.2f}s/step eta {per * (total - step):.0f}s', flush=True)
        epoch = round(step / steps_per_epoch)
        if a.max_steps is None and (epoch % a.eval_every == 0 or step >= total):
            aps = evaluate_map(predict(model, x_va), b_va, len(names))
            m = float(np.mean(aps))
            print(f'epoch {step / steps_per_epoch:.1f} val AP@0.5 ' + ' '.join(f'{n}={ap:.3f}' for n, ap in zip(names, aps))
                  + f' mAP={m:.3f} elapsed {(time.time() - t0) / 60:.1f}min', flush=True)
            if m > best:
                best = m
                torch.save(model.state_dict(), ckpt)
    if ckpt and os.path.exists(ckpt):
        model.load_state_dict(torch.load(ckpt, map_location='cpu'))
    export(model.to('cpu'), a, names, best, t0)


def export(model, a, names, best, t0):
    manifest = {
        'name': a.name, 'version': a.version, 'task': 'detect', 'file': 'model.onnx',
        'input': {'name': 'images', 'width': a.size, 'height': a.size, 'channels': 'rgb', 'layout': 'nchw',
                  'scale': 1 / 255, 'mean': [0, 0, 0], 'std': [1, 1, 1],
                  'letterbox': {'enabled': True, 'pad': 114, 'center': True}},
        'output': {'name': 'output0', 'layout': 'yolov8'},
        'labels': names, 'thresholds': {'score': 0.35, 'iou': 0.5},
    }
    path = export_onnx(model, a.out, manifest, (1, 3, a.size, a.size))
    print(f'exported {path} ({os.path.getsize(path) / 1e6:.2f} MB) best val mAP@0.5 {best:.3f} in {(time.time() - t0) / 60:.1f}min', flush=True)


if __name__ == '__main__':
    main()
