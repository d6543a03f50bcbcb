#!/usr/bin/python3
"""Goldens for maskrt's maskrcnn-benchmark ops (MaskrcnnBenchmarkOpsTest), from the torch reference
(tools/maskrt_export/mrcnn_benchmark_pipeline.py, after maskrcnn-benchmark's source):

  maskrt/src/test/resources/ops/maskrcnn_benchmark/paste.json   Masker's paste_mask_in_image (mask_head/inference.py:91-159)
      on seeded random 28x28 probabilities and boxes (inside and across the image edges, sub-pixel boxes):
      per case the image size, the box, the mask (float32 little-endian, base64) and the pasted mask as run lengths
      over the row-major pixels, starting with a run of zeros
  maskrt/src/test/resources/ops/maskrcnn_benchmark/anchors.json generate_anchors for the FPN levels (anchor_generator.py)

Run from the project root: /usr/bin/python3 tools/reference/make_maskrcnn_benchmark_op_goldens.py
"""
import base64
import json
import os
import sys

import numpy as np

import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, ROOT)
from tools.maskrt_export import mrcnn_benchmark_pipeline as mbp  # noqa: E402

OUT = os.path.join(ROOT, "maskrt/src/test/resources/ops/maskrcnn_benchmark")


def main():
    os.makedirs(OUT, exist_ok=True)
    g = torch.Generator().manual_seed(11)
    cases = []
    for i in range(40):
        h, w = int(torch.randint(20, 200, (1,), generator=g)), int(torch.randint(20, 200, (1,), generator=g))
        # smooth-ish probabilities around 0.5 so that many pixels are near the threshold
        m = torch.sigmoid(torch.randn((1, 1, 7, 7), generator=g) * 3)
        m = torch.nn.functional.interpolate(m, size=(28, 28), mode="bilinear", align_corners=False)[0, 0]
        # corners in [-5, size - 1): as the pipeline's boxes, clipped to the image then scaled (maskrcnn-benchmark's
        # paste fails on a box wholly outside the image: its slices go negative)
        x0 = float(torch.rand(1, generator=g)) * (w + 4) - 5
        y0 = float(torch.rand(1, generator=g)) * (h + 4) - 5
        bw = float(torch.rand(1, generator=g)) * ((40 if i % 2 else 150) if i % 5 else 1.5)
        bh = float(torch.rand(1, generator=g)) * ((40 if i % 2 else 150) if i % 5 else 1.5)
        bw, bh = max(bw, 0.25 - x0), max(bh, 0.25 - y0)  # x1, y1 >= 0, as after the pipeline's clipping
        box = torch.tensor([x0, y0, x0 + bw, y0 + bh], dtype=torch.float32)
        pasted = mbp.paste_mask_in_image(m, box, h, w, 0.5, 1)
        bits = pasted.flatten().to(torch.uint8).numpy()
        runs, prev, run = [], 0, 0
        for b in bits:
            if b != prev:
                runs.append(run)
                run, prev = 0, b
            run += 1
        runs.append(run)
        cases.append({"height": h, "width": w, "box": [float(v) for v in box.tolist()],
                      "mask": base64.b64encode(m.numpy().astype("<f4").tobytes()).decode("ascii"),
                      "runs": [int(r) for r in runs]})
    with open(os.path.join(OUT, "paste.json"), "w") as f:
        json.dump({"threshold": 0.5, "cases": cases}, f)
    anchors = {}
    for stride, size in zip((4, 8, 16, 32, 64), (32, 64, 128, 256, 512)):
        anchors[str(stride)] = [float(v) for v in mbp.generate_anchors(stride, [size], [0.5, 1.0, 2.0]).flatten()]
    anchors["16x3"] = [float(v) for v in mbp.generate_anchors(16, [128, 256, 512], [0.5, 1.0, 2.0]).flatten()]
    with open(os.path.join(OUT, "anchors.json"), "w") as f:
        json.dump(anchors, f)


if __name__ == "__main__":
    main()
