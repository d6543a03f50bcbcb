#!/usr/bin/python3
"""Writes the engine-layer test graphs and goldens under maskrt/src/test/resources/engine/.

Graphs (torch.onnx.export, opset 13, weights seeded, a few KB each):
  conv_relu.onnx  input "image" [batch, 3, height, width] (all three dims dynamic) ->
                  "features" = relu(conv3x3(image, pad 1)) [batch, 4, height, width],
                  "coarse"   = conv3x3(features, stride 2, pad 1) [batch, 2, ceil(height/2), ceil(width/2)]
  box_head.onnx   input "rois" [num_rois, 4, 7, 7] (num_rois dynamic) -> flatten -> fc 196->32, relu -> fc 32->32,
                  relu -> "scores" [num_rois, 5] (K = 4 classes + background) and "deltas" [num_rois, 4]
  int_input.onnx  input "indices" int64 [3] -> "embedded" float [3, 2] (a graph the float-only engine must refuse)

Goldens (.npz, float32): each holds the inputs under their graph input names and torch's outputs under the graph
output names, computed by running the same torch module on the same inputs:
  conv_relu_a.npz (batch 2, 9 x 13), conv_relu_b.npz (batch 1, 4 x 5), conv_relu_1x1.npz (batch 1, 1 x 1),
  box_head_37.npz (37 rois), box_head_1.npz (1 roi), box_head_0.npz (0 rois: outputs [0, 5] and [0, 4]).

Run with Debian's torch: /usr/bin/python3 tools/reference/make_engine_goldens.py
"""
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../maskrt/src/test/resources/engine")
OPSET = 13


class ConvRelu(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3, padding=1)
        self.conv2 = nn.Conv2d(4, 2, 3, stride=2, padding=1)

    def forward(self, image):
        features = F.relu(self.conv1(image))
        return features, self.conv2(features)


class BoxHead(nn.Module):
    """Shaped like detectron2's FastRCNNConvFCHead + FastRCNNOutputLayers with class-agnostic box regression."""

    def __init__(self, channels=4, hidden=32, classes=4):
        super().__init__()
        self.fc1 = nn.Linear(channels * 7 * 7, hidden)
        self.fc2 = nn.Linear(hidden, hidden)
        self.cls_score = nn.Linear(hidden, classes + 1)
        self.bbox_pred = nn.Linear(hidden, 4)

    def forward(self, rois):
        x = torch.flatten(rois, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.cls_score(x), self.bbox_pred(x)


class IntInput(nn.Module):
    def __init__(self):
        super().__init__()
        self.table = nn.Embedding(5, 2)

    def forward(self, indices):
        return self.table(indices)


def export(module, example, path, input_names, output_names, dynamic_axes):
    torch.onnx.export(module, example, path, opset_version=OPSET, input_names=input_names,
                      output_names=output_names, dynamic_axes=dynamic_axes, do_constant_folding=True)


def golden(module, name, inputs, output_names):
    with torch.no_grad():
        outs = module(*[torch.from_numpy(v) for v in inputs.values()])
    if not isinstance(outs, tuple):
        outs = (outs,)
    arrays = dict(inputs)
    for n, o in zip(output_names, outs):
        arrays[n] = o.numpy().astype(np.float32)
    np.savez_compressed(os.path.join(OUT, name + ".npz"), **arrays)
    print(name, {k: v.shape for k, v in arrays.items()})


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(20261122)
    rng = np.random.default_rng(20261122)

    conv = ConvRelu().eval()
    export(conv, (torch.zeros(1, 3, 8, 8),), os.path.join(OUT, "conv_relu.onnx"), ["image"], ["features", "coarse"],
           {"image": {0: "batch", 2: "height", 3: "width"},
            "features": {0: "batch", 2: "height", 3: "width"},
            "coarse": {0: "batch", 2: "coarse_height", 3: "coarse_width"}})
    for name, shape in [("conv_relu_a", (2, 3, 9, 13)), ("conv_relu_b", (1, 3, 4, 5)), ("conv_relu_1x1", (1, 3, 1, 1))]:
        golden(conv, name, {"image": rng.standard_normal(shape).astype(np.float32)}, ["features", "coarse"])

    head = BoxHead().eval()
    export(head, (torch.zeros(3, 4, 7, 7),), os.path.join(OUT, "box_head.onnx"), ["rois"], ["scores", "deltas"],
           {"rois": {0: "num_rois"}, "scores": {0: "num_rois"}, "deltas": {0: "num_rois"}})
    for r in (37, 1, 0):
        golden(head, "box_head_%d" % r, {"rois": rng.standard_normal((r, 4, 7, 7)).astype(np.float32)},
               ["scores", "deltas"])

    export(IntInput().eval(), (torch.tensor([0, 1, 2]),), os.path.join(OUT, "int_input.onnx"), ["indices"],
           ["embedded"], None)


if __name__ == "__main__":
    main()
