#!/usr/bin/python3
"""How fast could the dense part of a package run on this machine? Counts the multiply-adds of each dense part
(fvcore's FlopCountAnalysis on detectron2's modules: backbone + FPN, RPN head, one box head on R RoIs, the mask
head on D detections) and measures this machine's fp32 GEMM throughput with torch (OpenBLAS, 2 threads) on a
large square product and on the box head's own shape; prints the lower bound time = MACs * 2 / throughput.

    source /work/d2env/env.sh
    /usr/bin/python3 benchmarks/anchors/dense_limit.py PACKAGE HEIGHT WIDTH [ROIS] [DETECTIONS]

HEIGHT x WIDTH is the padded network input (e.g. 800 1344 for the R50 package at 800x1333).
"""
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tools", "reference"))

import torch  # noqa: E402
from fvcore.nn import FlopCountAnalysis  # noqa: E402

import detectron2_run as d2run  # noqa: E402
from detectron2.modeling import build_model  # noqa: E402


def macs(module, inputs):
    a = FlopCountAnalysis(module, inputs)
    a.unsupported_ops_warnings(False)
    a.uncalled_modules_warnings(False)
    return a.total()  # fvcore counts one multiply-add as one "flop"


def gemm_gflops(m, k, n, reps=5):
    a, b = torch.randn(m, k), torch.randn(k, n)
    torch.mm(a, b)
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - t)
    return 2.0 * m * k * n / best / 1e9


def main(argv):
    pkg, h, w = argv[0], int(argv[1]), int(argv[2])
    rois = int(argv[3]) if len(argv) > 3 else 1000
    dets = int(argv[4]) if len(argv) > 4 else 100
    torch.set_num_threads(2)
    with open(os.path.join(pkg, "manifest.json")) as f:
        manifest = json.load(f)
    cfg = d2run.build_config(manifest)
    model = build_model(cfg).eval()
    with torch.no_grad():
        x = torch.zeros(1, 3, h, w)
        feats = model.backbone(x)
        parts = {"backbone + FPN": macs(model.backbone, (x,))}
        rpn_in = [feats[f] for f in cfg.MODEL.RPN.IN_FEATURES]
        parts["RPN head"] = macs(model.proposal_generator.rpn_head, (rpn_in,))
        rh = model.roi_heads
        s = cfg.MODEL.ROI_BOX_HEAD.POOLER_RESOLUTION
        c = cfg.MODEL.FPN.OUT_CHANNELS
        parts[f"box head ({rois} RoIs, one stage)"] = (macs(rh.box_head[0], (torch.zeros(rois, c, s, s),))
                                                        + macs(rh.box_predictor[0], (torch.zeros(rois, rh.box_head[0].output_shape.channels),)))
        ms = cfg.MODEL.ROI_MASK_HEAD.POOLER_RESOLUTION
        mask_layers = torch.nn.Sequential(*[m for name, m in rh.mask_head.named_children()])
        parts[f"mask head ({dets} detections)"] = macs(mask_layers, (torch.zeros(dets, c, ms, ms),))
    square = gemm_gflops(2048, 2048, 2048)
    fc_k = c * s * s
    box = gemm_gflops(rois, fc_k, cfg.MODEL.ROI_BOX_HEAD.FC_DIM)
    print(json.dumps({"package": pkg, "input": [h, w], "gmacs": {k: round(v / 1e9, 2) for k, v in parts.items()},
                      "torch_gemm_gflops": {"2048^3": round(square, 1),
                                            f"{rois}x{fc_k}x{cfg.MODEL.ROI_BOX_HEAD.FC_DIM}": round(box, 1)}}))
    for k, v in parts.items():
        print(f"{k}: {v / 1e9:.2f} GMAC -> >= {2 * v / 1e9 / square * 1000:.0f} ms at {square:.0f} GFLOP/s")


if __name__ == "__main__":
    main(sys.argv[1:])
