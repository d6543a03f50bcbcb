#!/usr/bin/python3
"""Goldens for maskrt's mmdetection rules (MmdetectionOpsTest), computed by REAL mmdetection 2.16.0 / mmcv 1.3.9
functions (tools/reference/setup_mmdetection.sh), not by a re-implementation:

  maskrt/src/test/resources/ops/mmdetection/ops.json
    anchors     AnchorGenerator(strides, ratios, scales | octave_base_scale + scales_per_octave).base_anchors, and
                grid_anchors on small feature maps (mmdet/core/anchor/anchor_generator.py)
    deltas      delta2bbox(rois, deltas, means 0, stds, max_shape=None, wh_ratio_clip=16/1000)
                (mmdet/core/bbox/coder/delta_xywh_bbox_coder.py), including dw/dh beyond +-ln(1000/16)
    rescale     mmcv.rescale_size((w, h), (long, short)) (mmcv/image/geometric.py)
    normalize   mmcv.imnormalize of every 8-bit value (mmcv/image/photometric.py), RGB mean/std, to_rgb
    nms         mmcv.ops.nms (compiled C++ nms_cpu) on boxes with IoUs at and around the threshold
    levels      SingleRoIExtractor.map_roi_levels (mmdet/models/roi_heads/roi_extractors/single_level_roi_extractor.py)
    resize      cv2.resize(INTER_LINEAR) of the Sartorius image to mmcv's size: a SHA-256 of the bytes (mmcv.imrescale)

Floats are written as Python floats of the float32 values (exact). Run from the repository root:
  source /work/mmenv/env.sh && /usr/bin/python3 tools/reference/make_mmdetection_op_goldens.py
"""
import hashlib
import json
import math
import os

import cv2
import mmcv
import numpy as np
import torch
from mmcv.ops import nms
from mmdet.core.anchor import AnchorGenerator
from mmdet.core.bbox.coder.delta_xywh_bbox_coder import delta2bbox
from mmdet.models.roi_heads.roi_extractors import SingleRoIExtractor

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "maskrt/src/test/resources/ops/mmdetection")


def floats(t):
    return [float(x) for x in np.asarray(t, dtype=np.float32).reshape(-1)]


def anchors():
    cases = []
    for strides, ratios, scales, octave in (([4, 8, 16, 32, 64], [0.5, 1.0, 2.0], [8], None),
                                             ([4, 8, 16, 32, 64], [0.2, 0.5, 1.0, 2.0, 5.0], [8], None),
                                             ([8, 16, 32, 64, 128], [0.5, 1.0, 2.0], None, (4, 3))):
        kw = dict(strides=strides, ratios=ratios)
        if octave:
            kw.update(octave_base_scale=octave[0], scales_per_octave=octave[1])
            scales = [octave[0] * 2 ** (i / octave[1]) for i in range(octave[1])]
        else:
            kw.update(scales=scales)
        gen = AnchorGenerator(**kw)
        sizes = [(3, 5), (2, 4), (2, 2), (1, 2), (1, 1)]
        grids = gen.grid_anchors(sizes, device="cpu")
        cases.append({"strides": strides, "ratios": ratios, "scales": [float(s) for s in scales],
                      "base": [floats(b) for b in gen.base_anchors], "grid_sizes": sizes,
                      "grids": [floats(g) for g in grids]})
    return cases


def deltas():
    g = torch.Generator().manual_seed(5)
    n = 200
    xy = torch.rand((n, 2), generator=g) * 900
    wh = torch.rand((n, 2), generator=g) * 300 + 0.5
    rois = torch.cat([xy, xy + wh], dim=1)
    d = torch.randn((n, 4), generator=g) * 2
    d[:20, 2:] = torch.randn((20, 2), generator=g) * 200  # beyond the clamp on both sides
    out = []
    for stds in ([1.0, 1.0, 1.0, 1.0], [0.1, 0.1, 0.2, 0.2], [0.033, 0.033, 0.067, 0.067]):
        boxes = delta2bbox(rois, d, means=[0.0] * 4, stds=stds, max_shape=None, wh_ratio_clip=16 / 1000)
        out.append({"stds": stds, "rois": floats(rois), "deltas": floats(d), "boxes": floats(boxes)})
    return {"max_ratio": float(abs(np.log(16 / 1000))), "cases": out}


def rescale():
    cases = []
    for (h, w) in ((520, 704), (90, 300), (120, 160), (256, 256), (1080, 1920), (1000, 1), (3, 7000), (800, 1333),
                   (799, 1333), (481, 640)):
        for scale in ((1333, 800), (1080, 920)):
            nw, nh = mmcv.rescale_size((w, h), scale)
            cases.append({"h": h, "w": w, "long": max(scale), "short": min(scale), "new_h": nh, "new_w": nw})
    return cases


def normalize():
    mean, std = [123.675, 116.28, 103.53], [58.395, 57.12, 57.375]
    img = np.repeat(np.arange(256, dtype=np.uint8)[None, :, None], 3, axis=2)  # BGR 1 x 256
    out = mmcv.imnormalize(img, np.array(mean, dtype=np.float32), np.array(std, dtype=np.float32), to_rgb=True)
    return {"mean": mean, "std": std, "rgb": [floats(out[0, :, c]) for c in range(3)]}


def nms_cases():
    boxes = torch.tensor([[0, 0, 10, 10], [0, 0, 10, 5], [0, 5, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30],
                          [20, 20, 30, 35], [0, 0, 10, 10.000001], [40, 40, 50, 50]], dtype=torch.float32)
    scores = torch.tensor([0.9, 0.8, 0.7, 0.85, 0.6, 0.95, 0.5, 0.4], dtype=torch.float32)
    out = []
    for thr in (0.5, 0.3, 2.0 / 3.0, 0.7):
        _, keep = nms(boxes, scores, thr)
        out.append({"threshold": thr, "keep": [int(k) for k in keep]})
    return {"boxes": floats(boxes), "scores": floats(scores), "cases": out}


def levels():
    ext = SingleRoIExtractor(roi_layer=dict(type="RoIAlign", output_size=7, sampling_ratio=0), out_channels=8,
                             featmap_strides=[4, 8, 16, 32])
    sides = [1.0, 50.0, 111.99, 112.0, 112.01, 223.9, 224.0, 224.1, 447.99, 448.0, 448.02, 900.0]
    rois = []
    for s in sides:
        rois.append([0, 10.0, 20.0, 10.0 + s, 20.0 + s])
        rois.append([0, 3.5, 7.25, 3.5 + s * 0.5, 7.25 + s * 2.0])
    rois = torch.tensor(rois, dtype=torch.float32)
    lv = ext.map_roi_levels(rois, 4)
    return {"finest_scale": ext.finest_scale, "boxes": floats(rois[:, 1:]), "levels": [int(x) for x in lv]}


def resize():
    path = os.path.join(ROOT, "maskrt/src/test/resources/image/sartorius-0030fd0e6378.png")
    img = mmcv.imread(path)  # cv2 IMREAD_COLOR, BGR
    out, _ = mmcv.imrescale(img, (1333, 800), return_scale=True)
    return {"image": "src/test/resources/image/sartorius-0030fd0e6378.png", "shape": list(out.shape),
            "sha256": hashlib.sha256(np.ascontiguousarray(out).tobytes()).hexdigest()}


def main():
    os.makedirs(OUT, exist_ok=True)
    golden = {"mmdetection": "2.16.0", "mmcv": mmcv.__version__, "anchors": anchors(), "deltas": deltas(),
              "rescale": rescale(), "normalize": normalize(), "nms": nms_cases(), "levels": levels(),
              "resize": resize()}
    with open(os.path.join(OUT, "ops.json"), "w") as f:
        json.dump(golden, f)
        f.write("\n")
    print("wrote", os.path.join(OUT, "ops.json"), "; nms keeps:", [c["keep"] for c in golden["nms"]["cases"]])


if __name__ == "__main__":
    main()
