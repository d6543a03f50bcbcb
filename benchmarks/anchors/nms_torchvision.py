#!/usr/bin/python3
"""Anchor timings for NmsBenchmark: torchvision.ops.nms / batched_nms on CPU, 2 threads.

Workloads (seeded, saved to benchmarks/target/inputs/<workload>.npz with boxes [N,4] f4, scores [N] f4,
groups [N] i4, iou_threshold f8, so that the JMH benchmark runs on exactly the same inputs):
  nms_1000          1000 RPN-like boxes, IoU 0.7
  nms_4000          4000 RPN-like boxes, IoU 0.7
  batched_nms_4000  4000 RPN-like boxes in 3 groups, IoU 0.5 (torchvision takes its per-class path: N > 1000)
RPN-like boxes: centres uniform over an 800 x 1344 image, side log-uniform in [16, 512], aspect ratio
log-uniform in [0.5, 2]; scores uniform in [0, 1). Prints one JSON line per workload. Run from benchmarks/.
"""
import os
import sys

import numpy as np
import torch
import torchvision

from _timing import emit, median_ms, use_two_threads

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "reference"))
from make_box_goldens import random_boxes  # noqa: E402

use_two_threads()
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "target", "inputs")


def main():
    os.makedirs(OUT, exist_ok=True)
    workloads = [("nms_1000", 1000, 1, 0.7, 11), ("nms_4000", 4000, 1, 0.7, 12), ("batched_nms_4000", 4000, 3, 0.5, 13)]
    for name, n, groups, thr, seed in workloads:
        gen = torch.Generator().manual_seed(seed)
        boxes = random_boxes(gen, n)  # RPN-like: the generator of the NMS goldens
        scores = torch.rand(n, generator=gen)
        idxs = torch.randint(0, groups, (n,), generator=gen)
        np.savez(os.path.join(OUT, name + ".npz"), boxes=boxes.numpy(), scores=scores.numpy(),
                 groups=idxs.numpy().astype(np.int32), iou_threshold=np.float64(thr))
        if groups == 1:
            anchor = "torchvision.ops.nms"
            fn = lambda: torchvision.ops.nms(boxes, scores, thr)
        else:
            anchor = "torchvision.ops.batched_nms"
            fn = lambda: torchvision.ops.batched_nms(boxes, scores, idxs, thr)
        kept = len(fn())
        emit(name, anchor, median_ms(fn, warmup=5), kept=kept)


if __name__ == "__main__":
    main()
