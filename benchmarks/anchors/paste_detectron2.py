#!/usr/bin/python3
"""Anchor for PasteBenchmark: detectron2's paste_masks_in_image on CPU (detectron2/layers/mask_ops.py), written
out in torch as it runs there: one chunk per mask, each pasted with skip_empty=True over its integer hull by
F.grid_sample, thresholded with >= 0.5 into an [N, H, W] bool tensor.

Workloads (inputs saved to benchmarks/target/inputs/<workload>.npz; masks [N, 28, 28] f4, boxes [N, 4] f4,
image_size [2] i4 (height, width), threshold [] f4):
  paste_100_1040x1408  100 masks into 1040x1408 (a COCO-sized image at the 1040 test scale)
  paste_100_520x704    100 masks into 520x704
Boxes are realistic detections: widths and heights log-uniform in [20, 400] px on the large image (half on the
small one), placed uniformly, about a fifth of them pushed over an image border and clipped to the image, as
detectron2 clips boxes before pasting. Masks are smooth probability maps (sigmoid of an elliptic blob + noise).

Prints one JSON line per workload: {"workload", "anchor", "ms"} (median of repeated runs after a warm-up).
"""
import os

import numpy as np
import torch
import torch.nn.functional as F

from _timing import emit, median_ms, use_two_threads

INPUTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "target", "inputs")


def do_paste_mask_skip_empty(masks, boxes, img_h, img_w):
    """detectron2 _do_paste_mask(masks, boxes, img_h, img_w, skip_empty=True) on one chunk."""
    x0_int, y0_int = torch.clamp(boxes.min(dim=0).values.floor()[:2] - 1, min=0).to(dtype=torch.int32)
    x1_int = torch.clamp(boxes[:, 2].max().ceil() + 1, max=img_w).to(dtype=torch.int32)
    y1_int = torch.clamp(boxes[:, 3].max().ceil() + 1, max=img_h).to(dtype=torch.int32)
    x0, y0, x1, y1 = torch.split(boxes, 1, dim=1)
    n = masks.shape[0]
    img_y = torch.arange(y0_int, y1_int, dtype=torch.float32) + 0.5
    img_x = torch.arange(x0_int, x1_int, dtype=torch.float32) + 0.5
    img_y = (img_y - y0) / (y1 - y0) * 2 - 1
    img_x = (img_x - x0) / (x1 - x0) * 2 - 1
    gx = img_x[:, None, :].expand(n, img_y.size(1), img_x.size(1))
    gy = img_y[:, :, None].expand(n, img_y.size(1), img_x.size(1))
    grid = torch.stack([gx, gy], dim=3)
    img_masks = F.grid_sample(masks, grid.to(masks.dtype), align_corners=False)
    return img_masks[:, 0], (slice(y0_int, y1_int), slice(x0_int, x1_int))


def paste_masks_in_image(masks, boxes, image_shape, threshold=0.5):
    """detectron2 paste_masks_in_image, CPU path: num_chunks = N, i.e. one mask at a time."""
    n = len(masks)
    if n == 0:
        return masks.new_empty((0,) + image_shape, dtype=torch.uint8)
    img_h, img_w = image_shape
    chunks = torch.chunk(torch.arange(n), n)
    img_masks = torch.zeros(n, img_h, img_w, dtype=torch.bool)
    for inds in chunks:
        masks_chunk, spatial_inds = do_paste_mask_skip_empty(masks[inds, None, :, :], boxes[inds], img_h, img_w)
        masks_chunk = (masks_chunk >= threshold).to(dtype=torch.bool)
        img_masks[(inds,) + spatial_inds] = masks_chunk
    return img_masks


def make_workload(seed, n, img_h, img_w, min_side, max_side):
    rng = np.random.default_rng(seed)
    w = np.exp(rng.uniform(np.log(min_side), np.log(max_side), n))
    h = np.exp(rng.uniform(np.log(min_side), np.log(max_side), n))
    x0 = rng.uniform(0, img_w - w)
    y0 = rng.uniform(0, img_h - h)
    over = rng.random(n) < 0.2  # pushed over a border, then clipped like detectron2's detections
    x0 = np.where(over, x0 + rng.choice([-1, 1], n) * w * 0.5, x0)
    boxes = np.stack([x0, y0, x0 + w, y0 + h], axis=1)
    boxes[:, 0::2] = boxes[:, 0::2].clip(0, img_w)
    boxes[:, 1::2] = boxes[:, 1::2].clip(0, img_h)
    m = 28
    yy, xx = np.meshgrid((np.arange(m) + 0.5) / m, (np.arange(m) + 0.5) / m, indexing="ij")
    masks = np.empty((n, m, m), np.float32)
    for i in range(n):
        cy, cx = rng.uniform(0.35, 0.65, 2)
        ry, rx = rng.uniform(0.25, 0.5, 2)
        d = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2
        masks[i] = 1 / (1 + np.exp(-(6 * (1 - d) + rng.normal(0, 0.7, (m, m)))))
    return masks, boxes.astype(np.float32)


def main():
    use_two_threads()
    os.makedirs(INPUTS, exist_ok=True)
    for name, seed, img_h, img_w, lo, hi in [("paste_100_1040x1408", 1040, 1040, 1408, 20, 400),
                                             ("paste_100_520x704", 520, 520, 704, 10, 200)]:
        masks, boxes = make_workload(seed, 100, img_h, img_w, lo, hi)
        np.savez(os.path.join(INPUTS, name + ".npz"), masks=masks, boxes=boxes,
                 image_size=np.array([img_h, img_w], np.int32), threshold=np.array(0.5, np.float32))
        tm, tb = torch.from_numpy(masks), torch.from_numpy(boxes)
        emit(name, "detectron2 paste_masks_in_image (CPU)",
             median_ms(lambda: paste_masks_in_image(tm, tb, (img_h, img_w), 0.5)))


if __name__ == "__main__":
    main()
