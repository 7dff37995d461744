"""Export an UNTRAINED DetNet (models/train/detnet.py, the architecture the trained detector
uses) to ONNX + manifest, so the camera benchmark has the real inference cost before
models/detector/ exists. Weights are random: it detects nothing; FLOPs are those of the real one.

    /usr/bin/python3 bench/lib/stand_in_model.py <out_dir> [size]
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '../../models/train'))
import torch  # noqa: E402
from common import export_onnx  # noqa: E402
from detnet import DetNet  # noqa: E402

out = sys.argv[1]
size = int(sys.argv[2]) if len(sys.argv) > 2 else 320
torch.manual_seed(0)
names = ['person', 'vehicle', 'litter']
model = DetNet(len(names), size=(size, size))
manifest = {
    'name': 'bench-stand-in-detnet', 'version': '0.0.0', 'task': 'detect', 'file': 'model.onnx',
    'input': {'name': 'images', 'width': size, 'height': size, 'channels': 'rgb', 'layout': 'nchw',
              'scale': 1 / 255, 'mean': [0, 0, 0], 'std': [1, 1, 1],
              'letterbox': {'enabled': True, 'pad': 114, 'center': True}},
    'output': {'name': 'output0', 'layout': 'yolov8'},
    'labels': names, 'thresholds': {'score': 0.35, 'iou': 0.5},
}
print(export_onnx(model, out, manifest, (1, 3, size, size)))
