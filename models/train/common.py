"""Shared helpers for training: seeding, letterbox, ONNX export with a manifest and sha256."""
from __future__ import annotations

import hashlib
import json
import os
import random

import numpy as np
import torch
from PIL import Image


def seed_all(seed: int):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def letterbox(im: Image.Image, w: int, h: int, pad: int = 114):
    """Resize keeping the aspect ratio, centre on a ``pad`` canvas (what the gateway does).

    Returns (uint8 HxWx3 array, scale, dx, dy): model px = image px * scale + (dx, dy).
    """
    im = im.convert('RGB')
    s = min(w / im.width, h / im.height)
    nw, nh = max(1, round(im.width * s)), max(1, round(im.height * s))
    dx, dy = (w - nw) // 2, (h - nh) // 2
    canvas = Image.new('RGB', (w, h), (pad, pad, pad))
    canvas.paste(im.resize((nw, nh), Image.BILINEAR), (dx, dy))
    return np.asarray(canvas), s, dx, dy


def export_onnx(model: torch.nn.Module, out_dir: str, manifest: dict, in_shape: tuple, opset: int = 17):
    """Export with static shapes, then write manifest.json with the file's sha256."""
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, manifest['file'])
    model.eval()
    dummy = torch.zeros(*in_shape)
    kwargs = {}
    if 'dynamo' in torch.onnx.export.__code__.co_varnames:  # torch >= 2.5: keep the classic exporter
        kwargs['dynamo'] = False
    torch.onnx.export(model, dummy, path, input_names=[manifest['input']['name']],
                      output_names=[manifest['output']['name']], opset_version=opset, do_constant_folding=True, **kwargs)
    import onnx  # noqa: PLC0415 - only needed at export

    onnx.checker.check_model(onnx.load(path))
    with open(path, 'rb') as f:
        manifest['sha256'] = hashlib.sha256(f.read()).hexdigest()
    with open(os.path.join(out_dir, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=2)
        f.write('\n')
    return path


def read_names(data_dir: str) -> list[str] | None:
    """Class names from a YOLO data.yaml (``names: [..]`` list or ``0: name`` map) if there is one."""
    p = os.path.join(data_dir, 'data.yaml')
    if not os.path.exists(p):
        return None
    lines = open(p, encoding='utf8').read().splitlines()
    for i, line in enumerate(lines):
        if line.startswith('names:'):
            rest = line[6:].strip()
            if rest.startswith('['):
                return [n.strip().strip('\'"') for n in rest.strip('[]').split(',') if n.strip()]
            names = []
            for sub in lines[i + 1:]:
                if not sub.startswith((' ', '\t')) or ':' not in sub:
                    break
                names.append(sub.split(':', 1)[1].strip().strip('\'"'))
            return names
    return None
