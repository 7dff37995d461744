"""AP@0.5 per class (VOC all-point interpolation) with per-class NMS, for training progress.

The authoritative evaluation is the TypeScript one through the gateway's inference code
(``npm run models -- eval``); this one only picks the best epoch.
"""
from __future__ import annotations

import numpy as np


def iou_xyxy(a, b):
    ix0, iy0 = np.maximum(a[:, None, 0], b[None, :, 0]), np.maximum(a[:, None, 1], b[None, :, 1])
    ix1, iy1 = np.minimum(a[:, None, 2], b[None, :, 2]), np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(ix1 - ix0, 0, None) * np.clip(iy1 - iy0, 0, None)
    aa = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    ab = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / (aa[:, None] + ab[None, :] - inter + 1e-9)


def nms(boxes, scores, thr):
    order = np.argsort(-scores)
    keep = []
    while len(order):
        i = order[0]
        keep.append(i)
        if len(order) == 1:
            break
        ious = iou_xyxy(boxes[i:i + 1], boxes[order[1:]])[0]
        order = order[1:][ious < thr]
    return np.array(keep, dtype=int)


def detections(out, conf=0.05, iou=0.5, max_det=100):
    """YOLOv8-layout output [4+C, N] -> list of (cls, score, x0, y0, x1, y1)."""
    cxcywh, scores = out[:4].T, out[4:].T
    xyxy = np.concatenate([cxcywh[:, :2] - cxcywh[:, 2:] / 2, cxcywh[:, :2] + cxcywh[:, 2:] / 2], 1)
    dets = []
    for c in range(scores.shape[1]):
        m = scores[:, c] >= conf
        if not m.any():
            continue
        b, s = xyxy[m], scores[m, c]
        for k in nms(b, s, iou)[:max_det]:
            dets.append((c, float(s[k]), *b[k].tolist()))
    return dets


def average_precision(scored, n_gt):
    """scored: list of (score, is_tp). VOC all-point AP."""
    if n_gt == 0:
        return float('nan')
    if not scored:
        return 0.0
    scored.sort(key=lambda t: -t[0])
    tp = np.cumsum([t[1] for t in scored])
    fp = np.cumsum([1 - t[1] for t in scored])
    rec = tp / n_gt
    prec = tp / np.maximum(tp + fp, 1e-9)
    mrec = np.concatenate([[0], rec, [1]])
    mpre = np.concatenate([[0], prec, [0]])
    for i in range(len(mpre) - 2, -1, -1):
        mpre[i] = max(mpre[i], mpre[i + 1])
    idx = np.nonzero(mrec[1:] != mrec[:-1])[0]
    return float(np.sum((mrec[idx + 1] - mrec[idx]) * mpre[idx + 1]))


def evaluate_map(outputs, gt_boxes, nc, iou_thr=0.5):
    """outputs: [B, 4+C, N]; gt_boxes: list of arrays [M, 5] (cls, x0, y0, x1, y1). Returns AP per class."""
    scored = [[] for _ in range(nc)]
    n_gt = [0] * nc
    for out, gt in zip(outputs, gt_boxes):
        dets = detections(out)
        for c in range(nc):
            g = gt[gt[:, 0] == c][:, 1:5] if len(gt) else np.zeros((0, 4))
            n_gt[c] += len(g)
            d = sorted([x for x in dets if x[0] == c], key=lambda x: -x[1])
            used = np.zeros(len(g), bool)
            for _, s, *box in d:
                tp = 0
                if len(g):
                    ious = iou_xyxy(np.array([box]), g)[0]
                    j = int(np.argmax(ious))
                    if ious[j] >= iou_thr and not used[j]:
                        used[j], tp = True, 1
                scored[c].append((s, tp))
    return [average_precision(scored[c], n_gt[c]) for c in range(nc)]
