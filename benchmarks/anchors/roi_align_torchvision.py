#!/usr/bin/python3
"""Anchor for RoiAlignBenchmark: detectron2's ROIPooler (ROIAlignV2) in torch on CPU, 2 threads.

Workloads (inputs written to target/inputs/<workload>.npz, relative to benchmarks/):
  roialign_ml_1000x7   1000 RoIs -> 7x7   (the cascade box heads)
  roialign_ml_100x14    100 RoIs -> 14x14 (the mask head)
Both: FPN p2..p5 of an 800 x 1344 input (1 x 256 x 200 x 336, 100 x 168, 50 x 84, 25 x 42; float32, seeded
standard normal), sampling_ratio 0, aligned=True, detectron2's level mapping (canonical 224 at level 4, eps 1e-8).
RoIs: sqrt(area) log-uniform in [16, 600] px, aspect ratio (h / w) log-uniform in [1/2, 2], centres uniform,
then clipped to the image, as proposals are; this spreads them over all four levels.

Prints one JSON line per workload: {"workload", "anchor", "ms"} (median of 7 runs after 2 warm-ups).
"""
import os

import numpy as np
import torch
from torchvision.ops import roi_align

from _timing import emit, median_ms, use_two_threads

use_two_threads()
HERE = os.path.dirname(os.path.abspath(__file__))
INPUTS = os.path.join(HERE, "..", "target", "inputs")
IMG_H, IMG_W = 800, 1344
SCALES = [1 / 4, 1 / 8, 1 / 16, 1 / 32]
WORKLOADS = [("roialign_ml_1000x7", 1000, 7), ("roialign_ml_100x14", 100, 14)]


def make_inputs(name, num_rois, out_size, seed):
    rng = np.random.default_rng(seed)
    feats = {"p%d" % (k + 2): rng.standard_normal((1, 256, IMG_H >> (k + 2), IMG_W >> (k + 2)), dtype=np.float32)
             for k in range(4)}
    size = np.exp(rng.uniform(np.log(16), np.log(600), num_rois))
    aspect = np.exp(rng.uniform(np.log(0.5), np.log(2), num_rois))
    w, h = size / np.sqrt(aspect), size * np.sqrt(aspect)
    cx, cy = rng.uniform(0, IMG_W, num_rois), rng.uniform(0, IMG_H, num_rois)
    rois = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
    rois[:, [0, 2]] = rois[:, [0, 2]].clip(0, IMG_W)
    rois[:, [1, 3]] = rois[:, [1, 3]].clip(0, IMG_H)
    data = dict(feats, rois=rois.astype(np.float32), batch_index=np.zeros(num_rois, np.int32),
                output_size=np.array(out_size, np.int32), sampling_ratio=np.array(0, np.int32),
                aligned=np.array(True))
    os.makedirs(INPUTS, exist_ok=True)
    np.savez(os.path.join(INPUTS, name + ".npz"), **data)
    return data


def roi_pooler(features, boxes, out_size):
    """detectron2 ROIPooler.forward with ROIAlignV2 (assign_boxes_to_levels, roi_align per level, scatter)."""
    rois = torch.cat([torch.zeros(len(boxes), 1), boxes], dim=1)
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    level = torch.floor(4 + torch.log2(torch.sqrt(area) / 224 + 1e-8)).clamp(min=2, max=5).to(torch.int64) - 2
    out = torch.zeros(len(boxes), features[0].shape[1], out_size, out_size)
    for lvl, (x, scale) in enumerate(zip(features, SCALES)):
        inds = torch.nonzero(level == lvl, as_tuple=True)[0]
        out[inds] = roi_align(x, rois[inds], (out_size, out_size), scale, 0, True)
    return out


def main():
    for seed, (name, num_rois, out_size) in enumerate(WORKLOADS):
        data = make_inputs(name, num_rois, out_size, seed=1000 + seed)
        features = [torch.from_numpy(data["p%d" % k]) for k in (2, 3, 4, 5)]
        boxes = torch.from_numpy(data["rois"])
        with torch.no_grad():
            ms = median_ms(lambda: roi_pooler(features, boxes, out_size), warmup=2, runs=7)
        emit(name, "detectron2 ROIPooler (torchvision.ops.roi_align, ROIAlignV2)", ms)


if __name__ == "__main__":
    main()
