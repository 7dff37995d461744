#!/usr/bin/env python3
"""Train the uniform classifier on person crops (ImageFolder layout) and export ONNX + manifest.

The dataset dir holds {train,val}/<label>/*.jpg; labels come from labels.json when present
(order = output index), else from the sorted folder names. Crops are letterboxed to the input
size exactly as the gateway does (manifest: letterbox enabled, pad 114).

Example (the committed default model):
  /usr/bin/python3 models/train/train_classify.py --data models/data/cls --out models/uniform --epochs 12
"""
from __future__ import annotations

import argparse
import glob
import json
import math
import os
import sys
import time

import numpy as np
import torch
from PIL import Image
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import export_onnx, letterbox, seed_all  # noqa: E402
from detnet import Block, cbr  # noqa: E402

EXTS = ('.jpg', '.jpeg', '.png', '.bmp')


def load_split(data: str, split: str, labels: list[str], w: int, h: int, limit: int | None = None):
    xs, ys = [], []
    for k, lab in enumerate(labels):
        files = sorted(f for f in glob.glob(os.path.join(data, split, lab, '*')) if f.lower().endswith(EXTS))[:limit]
        for f in files:
            xs.append(letterbox(Image.open(f), w, h)[0])
            ys.append(k)
    if not xs:
        raise SystemExit(f'no images under {data}/{split}/<label>/')
    return torch.from_numpy(np.stack(xs)).permute(0, 3, 1, 2).contiguous(), torch.tensor(ys)


class ClsNet(nn.Module):
    """Small CNN: four stride-2 stages and global average pooling; outputs logits [B, C]."""

    def __init__(self, nc: int, width: int = 16):
        super().__init__()
        w = width
        self.body = nn.Sequential(cbr(3, w, 3, 2), Block(w), cbr(w, 2 * w, 3, 2), Block(2 * w),
                                  cbr(2 * w, 4 * w, 3, 2), Block(4 * w), cbr(4 * w, 4 * w, 3, 2), Block(4 * w))
        self.fc = nn.Linear(4 * w, nc)

    def forward(self, x):
        return self.fc(self.body(x).mean((2, 3)))


@torch.no_grad()
def predict(model, x, bs=256):
    model.eval()
    dev = next(model.parameters()).device
    return torch.cat([model(x[i:i + bs].to(dev).float() / 255).softmax(1).cpu() for i in range(0, len(x), bs)])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--data', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--epochs', type=int, default=12)
    ap.add_argument('--batch', type=int, default=64)
    ap.add_argument('--lr', type=float, default=3e-3)
    ap.add_argument('--width', type=int, default=64, help='input width (px)')
    ap.add_argument('--height', type=int, default=128, help='input height (px)')
    ap.add_argument('--channels', type=int, default=16)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--limit', type=int, default=None, help='at most N images per label')
    ap.add_argument('--max-steps', type=int, default=None)
    ap.add_argument('--positive', default='no_uniform', help='label whose precision/recall is reported')
    ap.add_argument('--device', default='cpu')
    ap.add_argument('--export-only', default=None, help='a best.pt to export without training')
    ap.add_argument('--init-onnx', default=None, help='fine-tune: start from this exported model (same architecture)')
    ap.add_argument('--name', default='cg-uniform')
    ap.add_argument('--version', default='1.0.0')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    seed_all(a.seed)
    lj = os.path.join(a.data, 'labels.json')
    labels = json.load(open(lj)) if os.path.exists(lj) else sorted(os.listdir(os.path.join(a.data, 'train')))
    t0 = time.time()
    if a.export_only:
        model = ClsNet(len(labels), a.channels)
        model.load_state_dict(torch.load(a.export_only, map_location='cpu'))
        return export(model, a, labels, -1, t0)
    x_tr, y_tr = load_split(a.data, 'train', labels, a.width, a.height, a.limit)
    x_va, y_va = load_split(a.data, 'val', labels, a.width, a.height, a.limit)
    print(f'loaded {len(x_tr)} train / {len(x_va)} val crops, labels {labels} in {time.time() - t0:.0f}s', flush=True)
    dev = torch.device(a.device)
    model = ClsNet(len(labels), a.channels)
    if a.init_onnx:
        from onnx_init import freeze_bn, load_folded_onnx  # noqa: PLC0415 - only when fine-tuning

        load_folded_onnx(model, a.init_onnx)
        print(f'fine-tuning from {a.init_onnx}', flush=True)
    model = model.to(dev)
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=5e-4)
    spe = math.ceil(len(x_tr) / a.batch)
    total = a.max_steps or a.epochs * spe
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=a.lr, total_steps=total, pct_start=0.1)
    gen = torch.Generator().manual_seed(a.seed)
    pos = labels.index(a.positive) if a.positive in labels else len(labels) - 1
    step, best = 0, -1.0
    best_state = None
    while step < total:
        model.train()
        if a.init_onnx:
            freeze_bn(model)
        perm = torch.randperm(len(x_tr), generator=gen)
        for i in range(0, len(perm), a.batch):
            if step >= total:
                break
            idx = perm[i:i + a.batch]
            x = x_tr[idx].to(dev).float().div_(255)
            flip = torch.rand(len(idx), generator=gen) < 0.5
            x[flip.to(dev)] = x[flip.to(dev)].flip(3)
            x = x * (0.75 + 0.5 * torch.rand(len(idx), 1, 1, 1, generator=gen)).to(dev)
            loss = nn.functional.cross_entropy(model(x), y_tr[idx].to(dev), label_smoothing=0.05)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            if step % 50 == 0 or step == total:
                print(f'step {step}/{total} epoch {step / spe:.2f} loss {float(loss):.4f}', flush=True)
        if a.max_steps is None:
            p = predict(model, x_va)
            pred = p.argmax(1)
            tp = int(((pred == pos) & (y_va == pos)).sum())
            prec = tp / max(1, int((pred == pos).sum()))
            rec = tp / max(1, int((y_va == pos).sum()))
            acc = float((pred == y_va).float().mean())
            print(f'epoch {step / spe:.1f} val acc {acc:.4f} {labels[pos]} precision {prec:.4f} recall {rec:.4f} '
                  f'elapsed {(time.time() - t0) / 60:.1f}min', flush=True)
            if acc > best:
                best = acc
                best_state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    model.to('cpu')
    if best_state:
        model.load_state_dict(best_state)
        os.makedirs(a.out, exist_ok=True)
        torch.save(best_state, os.path.join(a.out, 'best.pt'))
    export(model, a, labels, best, t0)


def export(model, a, labels, best, t0):
    manifest = {
        'name': a.name, 'version': a.version, 'task': 'classify', 'file': 'model.onnx',
        'input': {'name': 'images', 'width': a.width, 'height': a.height, 'channels': 'rgb', 'layout': 'nchw',
                  'scale': 1 / 255, 'mean': [0, 0, 0], 'std': [1, 1, 1],
                  'letterbox': {'enabled': True, 'pad': 114, 'center': True}},
        'output': {'name': 'output0', 'layout': 'logits'},
        'labels': labels, 'thresholds': {'score': 0.5, 'iou': 0.5},
    }
    path = export_onnx(model, a.out, manifest, (1, 3, a.height, a.width))
    print(f'exported {path} ({os.path.getsize(path) / 1e6:.2f} MB) best val acc {best:.4f} in {(time.time() - t0) / 60:.1f}min', flush=True)


if __name__ == '__main__':
    main()
