"""A tiny anchor-free single-stage detector (FCOS/GFL-style) with a YOLOv8-layout output.

Three levels (strides 8, 16, 32) with a small FPN; each grid point predicts class logits and
left/top/right/bottom distances. ``forward`` returns ``[B, 4 + C, N]``: cx, cy, w, h in input
pixels, then sigmoid class scores, which is what the gateway's ``yolov8`` decoder reads.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

STRIDES = (8, 16, 32)


def cbr(cin, cout, k=3, s=1):
    return nn.Sequential(nn.Conv2d(cin, cout, k, s, k // 2, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class Block(nn.Module):
    """Residual pair of 3x3 convs."""

    def __init__(self, c):
        super().__init__()
        self.a, self.b = cbr(c, c), nn.Sequential(nn.Conv2d(c, c, 3, 1, 1, bias=False), nn.BatchNorm2d(c))

    def forward(self, x):
        return F.relu(x + self.b(self.a(x)))


class DetNet(nn.Module):
    def __init__(self, num_classes: int, width: int = 32, size: tuple[int, int] = (320, 320)):
        super().__init__()
        w = width
        self.nc, self.size = num_classes, size
        self.stem = nn.Sequential(cbr(3, w // 2, 3, 2), cbr(w // 2, w, 3, 2), Block(w))  # /4
        self.c3 = nn.Sequential(cbr(w, 2 * w, 3, 2), Block(2 * w))  # /8
        self.c4 = nn.Sequential(cbr(2 * w, 4 * w, 3, 2), Block(4 * w))  # /16
        self.c5 = nn.Sequential(cbr(4 * w, 4 * w, 3, 2), Block(4 * w))  # /32
        f = 2 * w
        self.l3, self.l4, self.l5 = nn.Conv2d(2 * w, f, 1), nn.Conv2d(4 * w, f, 1), nn.Conv2d(4 * w, f, 1)
        self.heads = nn.ModuleList([nn.Sequential(cbr(f, f), cbr(f, f)) for _ in STRIDES])
        self.cls = nn.ModuleList([nn.Conv2d(f, num_classes, 1) for _ in STRIDES])
        self.reg = nn.ModuleList([nn.Conv2d(f, 4, 1) for _ in STRIDES])
        for c in self.cls:
            nn.init.constant_(c.bias, -4.6)  # prior 0.01: stable focal-style training
        grids = []
        for s in STRIDES:
            gy, gx = torch.meshgrid(torch.arange(size[1] // s), torch.arange(size[0] // s), indexing='ij')
            pts = torch.stack([gx.flatten(), gy.flatten()], 0).float().add(0.5).mul(s)
            grids.append(torch.cat([pts, torch.full((1, pts.shape[1]), float(s))], 0))
        self.register_buffer('grid', torch.cat(grids, 1), persistent=False)  # [3, N]: px, py, stride

    def raw(self, x):
        """Class logits [B, C, N] and ltrb distances in px [B, 4, N]."""
        x = self.stem(x)
        c3 = self.c3(x)
        c4 = self.c4(c3)
        c5 = self.c5(c4)
        p5 = self.l5(c5)
        p4 = self.l4(c4) + F.interpolate(p5, scale_factor=2.0, mode='nearest')
        p3 = self.l3(c3) + F.interpolate(p4, scale_factor=2.0, mode='nearest')
        logits, dist = [], []
        for i, p in enumerate((p3, p4, p5)):
            h = self.heads[i](p)
            logits.append(self.cls[i](h).flatten(2))
            dist.append(F.softplus(self.reg[i](h)).flatten(2) * STRIDES[i])
        return torch.cat(logits, 2), torch.cat(dist, 2)

    def decode(self, dist):
        px, py = self.grid[0], self.grid[1]
        x0, y0 = px - dist[:, 0], py - dist[:, 1]
        x1, y1 = px + dist[:, 2], py + dist[:, 3]
        return torch.stack([(x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0], 1)

    def forward(self, x):
        logits, dist = self.raw(x)
        return torch.cat([self.decode(dist), logits.sigmoid()], 1)
