#!/usr/bin/python3
"""GPU anchor for CudaOpsBenchmark and the golden driver's --time: torchvision's CUDA ops on the same inputs.

Run from benchmarks/ on a machine with a CUDA build of torch/torchvision, after the CPU anchor scripts have written
target/inputs (anchors/nms_torchvision.py, anchors/roi_align_torchvision.py, anchors/paste_detectron2.py):

  python3 anchors_gpu/torchvision_cuda.py

Inputs are moved to the GPU once; each timing is the median of CUDA-event timed runs after a warm-up, op + its
own synchronisation, like the CUDA benchmark. Prints one JSON line per workload:
  {"workload": ..., "anchor": ..., "ms": ...}
Pasting uses detectron2's GPU path of paste_masks_in_image (chunks of masks pasted into the whole image with
grid_sample, then thresholded), written out here because detectron2 is not installed.
"""
import json
import os

import numpy as np
import torch
import torch.nn.functional as F
import torchvision

INPUTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "target", "inputs")
DEV = torch.device("cuda")


def median_ms(fn, warmup=5, runs=25):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(runs):
        start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        stop.record()
        stop.synchronize()
        times.append(start.elapsed_time(stop))
    return float(np.median(times))


def load(name):
    return np.load(os.path.join(INPUTS, name + ".npz"))


def nms_workloads():
    for name in ["nms_1000", "nms_4000", "batched_nms_4000"]:
        z = load(name)
        boxes = torch.from_numpy(z["boxes"]).to(DEV)
        scores = torch.from_numpy(z["scores"]).to(DEV)
        groups = torch.from_numpy(z["groups"]).long().to(DEV)
        thr = float(z["iou_threshold"])
        if name.startswith("batched"):
            fn, anchor = (lambda: torchvision.ops.batched_nms(boxes, scores, groups, thr)), "torchvision.ops.batched_nms (CUDA)"
        else:
            fn, anchor = (lambda: torchvision.ops.nms(boxes, scores, thr)), "torchvision.ops.nms (CUDA)"
        yield name, anchor, median_ms(fn)


def level_of(boxes):
    # detectron2 assign_boxes_to_levels: canonical 224 at level 4, eps 1e-8, clamped to p2..p5
    sizes = torch.sqrt((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]))
    return torch.clamp(torch.floor(4 + torch.log2(sizes / 224 + 1e-8)), min=2, max=5).to(torch.int64) - 2


def roi_align_workloads():
    for name in ["roialign_ml_1000x7", "roialign_ml_100x14"]:
        z = load(name)
        feats = [torch.from_numpy(z["p%d" % (k + 2)]).to(DEV) for k in range(4)]
        rois = torch.from_numpy(z["rois"]).to(DEV)
        out_size = int(z["output_size"])
        batch = torch.from_numpy(z["batch_index"]).to(DEV).float()[:, None]
        rois5 = torch.cat([batch, rois], dim=1)

        def pooler():
            levels = level_of(rois)
            out = torch.zeros(len(rois), feats[0].shape[1], out_size, out_size, device=DEV)
            for k in range(4):
                idx = torch.nonzero(levels == k).squeeze(1)
                out[idx] = torchvision.ops.roi_align(feats[k], rois5[idx], out_size, 1.0 / (4 << k), 0, True)
            return out

        yield name, "detectron2 ROIPooler (torchvision.ops.roi_align CUDA, ROIAlignV2)", median_ms(pooler)


def paste_gpu(masks, boxes, img_h, img_w, threshold=0.5):
    # detectron2 paste_masks_in_image on GPU: all masks into the full image (skip_empty=False), bool result
    n = masks.shape[0]
    x0, y0, x1, y1 = torch.split(boxes, 1, dim=1)
    img_y = torch.arange(0, img_h, device=DEV, dtype=torch.float32) + 0.5
    img_x = torch.arange(0, img_w, device=DEV, dtype=torch.float32) + 0.5
    img_y = (img_y - y0) / (y1 - y0) * 2 - 1
    img_x = (img_x - x0) / (x1 - x0) * 2 - 1
    gx = img_x[:, None, :].expand(n, img_y.size(1), img_x.size(1))
    gy = img_y[:, :, None].expand(n, img_y.size(1), img_x.size(1))
    grid = torch.stack([gx, gy], dim=3)
    img_masks = F.grid_sample(masks[:, None], grid, align_corners=False)
    return img_masks[:, 0] >= threshold


def paste_workloads():
    for name in ["paste_100_1040x1408", "paste_100_520x704"]:
        z = load(name)
        masks = torch.from_numpy(z["masks"]).to(DEV)
        boxes = torch.from_numpy(z["boxes"]).to(DEV)
        h, w = (int(v) for v in z["image_size"])
        yield name, "detectron2 paste_masks_in_image (GPU path, full-image masks)", median_ms(
            lambda: paste_gpu(masks, boxes, h, w, float(z["threshold"])))


def main():
    if not torch.cuda.is_available():
        raise SystemExit("no CUDA device: torch.cuda.is_available() is False")
    for gen in (nms_workloads, roi_align_workloads, paste_workloads):
        for name, anchor, ms in gen():
            print(json.dumps({"workload": name, "anchor": anchor, "ms": round(ms, 4),
                              "device": torch.cuda.get_device_name(0)}), flush=True)


if __name__ == "__main__":
    main()
