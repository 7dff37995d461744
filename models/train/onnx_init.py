"""Start a PyTorch model from an exported ONNX file of the same architecture (fine-tuning when
only the .onnx shipped): the exporter folded each BatchNorm into its Conv, so every Conv gets the
folded weight and bias and its BatchNorm becomes the identity (mean 0, var 1 - eps, gamma 1,
beta = the folded bias). Fine-tune with the BatchNorms frozen (eval mode) so they stay identities."""
from __future__ import annotations

import onnx
import torch
from onnx import numpy_helper
from torch import nn


def conv_bn_pairs(model: nn.Module) -> list[tuple[nn.Conv2d, nn.BatchNorm2d]]:
    mods = list(model.modules())
    return [(m, mods[i + 1]) for i, m in enumerate(mods)
            if isinstance(m, nn.Conv2d) and i + 1 < len(mods) and isinstance(mods[i + 1], nn.BatchNorm2d)]


@torch.no_grad()
def load_folded_onnx(model: nn.Module, path: str) -> None:
    g = onnx.load(path).graph
    init = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    convs = [n for n in g.node if n.op_type == 'Conv']
    pairs = conv_bn_pairs(model)
    if len(convs) != len(pairs):
        raise SystemExit(f'{path}: {len(convs)} Conv nodes, the model has {len(pairs)} Conv+BatchNorm pairs')
    for node, (conv, bn) in zip(convs, pairs):
        w = torch.from_numpy(init[node.input[1]].copy())
        if tuple(w.shape) != tuple(conv.weight.shape):
            raise SystemExit(f'{path}: Conv {node.name} weight {tuple(w.shape)}, model {tuple(conv.weight.shape)}')
        conv.weight.copy_(w)
        b = torch.from_numpy(init[node.input[2]].copy()) if len(node.input) > 2 else torch.zeros(w.shape[0])
        bn.weight.fill_(1)
        bn.bias.copy_(b)
        bn.running_mean.zero_()
        bn.running_var.fill_(1 - bn.eps)
    gemm = [n for n in g.node if n.op_type == 'Gemm']
    fc = [m for m in model.modules() if isinstance(m, nn.Linear)]
    for node, lin in zip(gemm, fc):
        lin.weight.copy_(torch.from_numpy(init[node.input[1]].copy()))
        lin.bias.copy_(torch.from_numpy(init[node.input[2]].copy()))


def freeze_bn(model: nn.Module) -> None:
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.eval()
