#!/usr/bin/python3
"""Build the tiny ONNX models the detect tests run with onnxruntime-node.

Each model's output is a known constant (plus 0 x mean(input), so the input is really consumed),
so decoding, un-letterboxing and NMS can be asserted exactly. Run: /usr/bin/python3 make_models.py
"""
import hashlib
import json
import math
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))

# Rows (cx, cy, w, h, obj, person, vehicle, litter) in 32x32 model-input pixels.
ROWS = [
    [10, 10, 8, 8, 0.9, 0.9, 0.1, 0.0],  # A person 0.81
    [11, 10, 8, 8, 0.8, 0.9, 0.1, 0.0],  # B person 0.72, IoU(A)=0.78: suppressed
    [11, 10, 8, 8, 0.9, 0.0, 0.7, 0.0],  # C vehicle 0.63 same box: kept (class-aware)
    [20, 20, 4, 4, 0.1, 0.9, 0.0, 0.0],  # D 0.09: below threshold
]


def model(name, out_shape, const, in_hw=32, out_name="output0"):
    c = numpy_helper.from_array(np.array(const, dtype=np.float32).reshape(out_shape), "const")
    nodes = [
        helper.make_node("ReduceMean", ["images"], ["m"], axes=[1, 2, 3], keepdims=0),
        helper.make_node("Mul", ["m", "zero"], ["z"]),
        helper.make_node("Add", ["const", "z"], [out_name]),
    ]
    zero = numpy_helper.from_array(np.array([0.0], dtype=np.float32), "zero")
    g = helper.make_graph(
        nodes,
        name,
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, in_hw, in_hw])],
        [helper.make_tensor_value_info(out_name, TensorProto.FLOAT, list(out_shape))],
        initializer=[c, zero],
    )
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="citygrid-testdata")
    m.ir_version = 8
    onnx.checker.check_model(m)
    path = os.path.join(HERE, name + ".onnx")
    onnx.save(m, path)
    return path


def manifest(name, layout, task, labels, in_hw=32, **extra):
    path = os.path.join(HERE, name + ".onnx")
    sha = hashlib.sha256(open(path, "rb").read()).hexdigest()
    out = {"name": layout, "layout": layout}
    out["name"] = "output0"
    out.update(extra.pop("output", {}))
    m = {
        "name": "test-" + name,
        "version": "0.0.1",
        "task": task,
        "file": name + ".onnx",
        "sha256": sha,
        "input": {
            "name": "images", "width": in_hw, "height": in_hw, "channels": "rgb", "layout": "nchw",
            "scale": 1 / 255, "mean": [0, 0, 0], "std": [1, 1, 1],
            "letterbox": {"enabled": True, "pad": 114, "center": True},
        },
        "output": out,
        "labels": labels,
        "thresholds": {"score": 0.35, "iou": 0.5},
    }
    m.update(extra)
    with open(os.path.join(HERE, name + ".manifest.json"), "w") as f:
        json.dump(m, f, indent=2)
        f.write("\n")


LABELS = ["person", "vehicle", "litter"]

model("yolov5", [1, 4, 8], ROWS)
manifest("yolov5", "yolov5", "detect", LABELS)

v8 = [[r[0], r[1], r[2], r[3], r[4] * r[5], r[4] * r[6], r[4] * r[7]] for r in ROWS]
model("yolov8", [1, 7, 4], np.array(v8).T.reshape(1, 7, 4))
manifest("yolov8", "yolov8", "detect", LABELS)

# YOLOX, strides [8, 16] at 32x32: 16 + 4 = 20 cells.
grid = np.zeros((20, 8), dtype=np.float32)
grid[:, 2:4] = 0.0
grid[1 * 4 + 1] = [0.5, 0.5, 0.0, 0.0, 0.9, 0.9, 0.0, 0.0]  # stride 8, gx=1 gy=1: centre (12,12) 8x8 person
grid[16 + 1] = [0.0, 0.5, math.log(2), 0.0, 0.8, 0.0, 0.0, 0.5]  # stride 16, gx=1 gy=0: (16,8) 32x16 litter 0.4
model("yolox", [1, 20, 8], grid)
manifest("yolox", "yolox", "detect", LABELS, output={"strides": [8, 16]}, input={
    "name": "images", "width": 32, "height": 32, "channels": "bgr", "layout": "nchw", "scale": 1,
    "mean": [0, 0, 0], "std": [1, 1, 1], "letterbox": {"enabled": True, "pad": 114, "center": False}})

# Classifier on 16x16 crops: logits [2, 0] -> softmax [0.881, 0.119].
model("classifier", [1, 2], [[2.0, 0.0]], in_hw=16)
manifest("classifier", "logits", "classify", ["uniform", "no_uniform"], in_hw=16)
model("classifier_nouniform", [1, 2], [[0.1, 0.9]], in_hw=16)
manifest("classifier_nouniform", "softmax", "classify", ["uniform", "no_uniform"], in_hw=16)

# A model whose output does not match its manifest: 4+2 channels for 3 labels.
model("mismatch", [1, 6, 4], np.zeros((1, 6, 4)))
manifest("mismatch", "yolov8", "detect", LABELS)
