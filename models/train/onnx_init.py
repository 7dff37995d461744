"""Start a PyTorch model from an exported ONNX file of the same architecture (fine-tuning when
only the .onnx shipped): the exporter folded each BatchNorm into its Conv, so every Conv gets the
folded weight and bias and its BatchNorm becomes the identity (mean 0, var 1 - eps, gamma 1,
beta = the folded bias). A Conv without a BatchNorm (the detector's FPN laterals and heads) gets
its weight and bias as they are. ONNX Conv nodes are in execution order, so the model's Conv2d
layers are matched in the order a forward pass runs them (not the order they were declared).
Fine-tune with the BatchNorms frozen (eval mode) so they stay identities."""
from __future__ import annotations

import onnx
import torch
from onnx import numpy_helper
from torch import nn


def conv_bn(model: nn.Module) -> dict[nn.Conv2d, nn.BatchNorm2d]:
    """Each Conv2d that is directly followed by a BatchNorm2d (cbr, Block), mapped to it."""
    mods = list(model.modules())
    return {m: mods[i + 1] for i, m in enumerate(mods)
            if isinstance(m, nn.Conv2d) and i + 1 < len(mods) and isinstance(mods[i + 1], nn.BatchNorm2d)}


def onnx_input_shape(path: str) -> tuple[int, ...]:
    return tuple(d.dim_value for d in onnx.load(path).graph.input[0].type.tensor_type.shape.dim)


def onnx_first_conv_out(path: str) -> int:
    g = onnx.load(path).graph
    init = {t.name: t for t in g.initializer}
    first = next(n for n in g.node if n.op_type == 'Conv')
    return int(init[first.input[1]].dims[0])


@torch.no_grad()
def convs_in_run_order(model: nn.Module, shape: tuple[int, ...]) -> list[nn.Conv2d]:
    order: list[nn.Conv2d] = []
    hooks = [m.register_forward_hook(lambda m, *_: order.append(m)) for m in model.modules() if isinstance(m, nn.Conv2d)]
    was = model.training
    model.eval()
    try:
        model(torch.zeros(*shape))
    finally:
        for h in hooks:
            h.remove()
        model.train(was)
    return order


@torch.no_grad()
def load_folded_onnx(model: nn.Module, path: str) -> None:
    g = onnx.load(path).graph
    init = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    nodes = [n for n in g.node if n.op_type == 'Conv']
    convs = convs_in_run_order(model, onnx_input_shape(path))
    bns = conv_bn(model)
    if len(nodes) != len(convs):
        raise SystemExit(f'{path}: {len(nodes)} Conv nodes, the model runs {len(convs)} Conv2d layers')
    for node, conv in zip(nodes, convs):
        w = torch.from_numpy(init[node.input[1]].copy())
        if tuple(w.shape) != tuple(conv.weight.shape):
            raise SystemExit(f'{path}: Conv {node.name} weight {tuple(w.shape)}, model {tuple(conv.weight.shape)}')
        conv.weight.copy_(w)
        b = torch.from_numpy(init[node.input[2]].copy()) if len(node.input) > 2 else torch.zeros(w.shape[0])
        bn = bns.get(conv)
        if bn is not None:
            bn.weight.fill_(1)
            bn.bias.copy_(b)
            bn.running_mean.zero_()
            bn.running_var.fill_(1 - bn.eps)
        elif conv.bias is not None:
            conv.bias.copy_(b)
        else:
            raise SystemExit(f'{path}: Conv {node.name} has a bias the model has nowhere to put')
    gemm = [n for n in g.node if n.op_type == 'Gemm']
    fc = [m for m in model.modules() if isinstance(m, nn.Linear)]
    for node, lin in zip(gemm, fc):
        lin.weight.copy_(torch.from_numpy(init[node.input[1]].copy()))
        lin.bias.copy_(torch.from_numpy(init[node.input[2]].copy()))


def freeze_bn(model: nn.Module) -> None:
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.eval()
