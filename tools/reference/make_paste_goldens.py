#!/usr/bin/python3
"""Writes the mask-pasting goldens maskrt/src/test/resources/ops/paste/*.npz.

The reference is detectron2's paste_masks_in_image on CPU (detectron2/layers/mask_ops.py): masks are pasted one
at a time with skip_empty=True, i.e. each mask is sampled with F.grid_sample(bilinear, zeros, align_corners=False)
over its box's integer hull [max(floor(x0) - 1, 0), min(ceil(x1) + 1, W)) (likewise rows) at the normalised pixel
centres ((x + 0.5 - x0) / (x1 - x0)) * 2 - 1, and kept where prob >= threshold. It is written out here in torch
from that documented behaviour. Where the hull is empty (box wholly outside the image, where torch.arange would
refuse the range) nothing is pasted.

Each archive holds:
  masks [N, mh, mw] f4, boxes [N, 4] f4, image_size [2] i4 (height, width), threshold [] f4,
  hulls [N, 4] i4 (x0, y0, x1, y1) of the clipped hull, (0, 0, 0, 0) when empty,
  bits u1: numpy.packbits (big bit order) of all hull bitmaps concatenated, each row-major,
  near_index i4 / near_prob f4: pixels (index into that concatenation) whose probability is within 1e-5 of the
      threshold, with their torch probability,
  probs f4 (small cases only): all hull probabilities concatenated.

Run with Debian's torch: /usr/bin/python3 tools/reference/make_paste_goldens.py
"""
import os

import numpy as np
import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../maskrt/src/test/resources/ops/paste")
NEAR = 1e-5
f32 = np.float32


def paste_one(mask, box, img_h, img_w):
    """Hull (x0, y0, x1, y1) and hull probabilities of one mask, as detectron2's _do_paste_mask on a 1-mask chunk."""
    masks = torch.from_numpy(np.ascontiguousarray(mask))[None, None]
    boxes = torch.from_numpy(np.asarray(box, dtype=f32))[None]
    x0_int, y0_int = torch.clamp(boxes.min(dim=0).values.floor()[:2] - 1, min=0).to(dtype=torch.int32)
    x1_int = torch.clamp(boxes[:, 2].max().ceil() + 1, max=img_w).to(dtype=torch.int32)
    y1_int = torch.clamp(boxes[:, 3].max().ceil() + 1, max=img_h).to(dtype=torch.int32)
    if int(x1_int) <= int(x0_int) or int(y1_int) <= int(y0_int):
        return (0, 0, 0, 0), np.zeros((0, 0), f32)
    x0, y0, x1, y1 = torch.split(boxes, 1, dim=1)
    img_y = torch.arange(y0_int, y1_int, dtype=torch.float32) + 0.5
    img_x = torch.arange(x0_int, x1_int, dtype=torch.float32) + 0.5
    img_y = (img_y - y0) / (y1 - y0) * 2 - 1
    img_x = (img_x - x0) / (x1 - x0) * 2 - 1
    gx = img_x[:, None, :].expand(1, img_y.size(1), img_x.size(1))
    gy = img_y[:, :, None].expand(1, img_y.size(1), img_x.size(1))
    grid = torch.stack([gx, gy], dim=3)
    probs = F.grid_sample(masks, grid.to(masks.dtype), align_corners=False)[0, 0]
    return (int(x0_int), int(y0_int), int(x1_int), int(y1_int)), probs.numpy()


def write(name, masks, boxes, img_h, img_w, threshold, keep_probs):
    masks = np.asarray(masks, dtype=f32)
    boxes = np.asarray(boxes, dtype=f32).reshape(-1, 4)
    assert len(masks) == len(boxes)
    t = f32(threshold)
    hulls, all_probs, all_bits = [], [], []
    for mask, box in zip(masks, boxes):
        hull, probs = paste_one(mask, box, img_h, img_w)
        hulls.append(hull)
        flat = probs.reshape(-1)
        all_probs.append(flat)
        # detectron2: (masks_chunk >= threshold), a float32 tensor against the threshold
        all_bits.append((torch.from_numpy(flat) >= float(t)).numpy())
    probs = np.concatenate(all_probs) if all_probs else np.zeros(0, f32)
    bits = np.concatenate(all_bits) if all_bits else np.zeros(0, bool)
    near = np.nonzero(np.abs(probs.astype(np.float64) - float(t)) <= NEAR)[0].astype(np.int32)
    arrays = dict(
        masks=masks, boxes=boxes, image_size=np.array([img_h, img_w], np.int32), threshold=np.array(t, f32),
        hulls=np.array(hulls, np.int32).reshape(-1, 4), bits=np.packbits(bits.astype(np.uint8)),
        near_index=near, near_prob=probs[near],
    )
    if keep_probs:
        arrays["probs"] = probs
    np.savez_compressed(os.path.join(OUT, name + ".npz"), **arrays)
    print(f"{name}: N={len(masks)} pixels={bits.size} set={int(bits.sum())} near={near.size}")


def blob_masks(rng, n, mh, mw):
    """Smooth, realistic probability maps: sigmoid of an elliptic blob with some noise."""
    yy, xx = np.meshgrid((np.arange(mh) + 0.5) / mh, (np.arange(mw) + 0.5) / mw, indexing="ij")
    out = []
    for _ in range(n):
        cy, cx = rng.uniform(0.35, 0.65, 2)
        ry, rx = rng.uniform(0.2, 0.45, 2)
        d = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2
        logits = 6.0 * (1.0 - d) + rng.normal(0, 0.7, (mh, mw))
        out.append(1.0 / (1.0 + np.exp(-logits)))
    return np.array(out, f32)


def special_masks(rng, mh, mw):
    """Masks whose samples land exactly on or next to 0.5, plus binary and random ones."""
    half = np.full((mh, mw), 0.5, f32)
    below = np.full((mh, mw), np.nextafter(f32(0.5), f32(0)), f32)
    above = np.full((mh, mw), np.nextafter(f32(0.5), f32(1)), f32)
    checker = np.where((np.add.outer(np.arange(mh), np.arange(mw)) % 2) == 0, below, above).astype(f32)
    binary = np.zeros((mh, mw), f32)
    binary[mh // 4: 3 * mh // 4 + 1, mw // 3: 2 * mw // 3 + 1] = 1.0
    stripes = np.tile((np.arange(mw) % 2).astype(f32), (mh, 1))  # neighbours 0 and 1: midpoints are exactly 0.5
    ones = np.ones((mh, mw), f32)
    uniform = rng.random((mh, mw)).astype(f32)
    return [half, below, above, checker, binary, stripes, ones, uniform]


def cycle_masks(rng, n, mh, mw):
    pool = special_masks(rng, mh, mw) + list(blob_masks(rng, 4, mh, mw))
    return np.array([pool[i % len(pool)] for i in range(n)], f32)


def small_boxes():
    """Boxes in a 50x64 image (rows x columns): every nasty placement."""
    return [
        (10.3, 5.7, 40.2, 30.9),      # fractional
        (-5.5, -3.2, 20.1, 15.4),     # negative corner
        (50.2, 40.6, 70.9, 55.3),     # beyond width and height
        (12.0, 8.0, 40.0, 36.0),      # integer, 28 px: one mask cell per pixel
        (5.0, 5.0, 61.0, 33.0),       # 56 x 28: two pixels per cell horizontally
        (20.3, 20.4, 20.9, 20.6),     # smaller than a pixel
        (30.0, 30.0, 30.5, 31.0),     # half a pixel wide
        (0.1, 0.1, 0.2, 0.2),         # tiny at the origin
        (-100.0, -80.0, 200.0, 150.0),  # much larger than the image
        (0.0, 0.0, 64.0, 50.0),       # the whole image
        (70.0, 10.0, 90.0, 20.0),     # wholly right of the image: empty hull
        (-30.0, -30.0, -5.0, -5.0),   # wholly above-left: empty hull
        (0.0, 0.0, 10.0, 10.0),       # touching the top-left border
        (54.0, 40.0, 64.0, 50.0),     # touching the bottom-right border
        (10.0, 10.0, 50.0, 10.5),     # thin sliver
        (63.2, 49.1, 63.9, 49.8),     # sub-pixel in the last pixel
        (-0.75, 12.25, 7.125, 44.5),  # binary fractions
        (1.0 / 3, 2.0 / 3, 101.0 / 3, 77.0 / 3),  # non-terminating fractions
        (17.77, 3.3, 48.48, 46.9),
        (64.5, 0.0, 65.5, 50.0),      # starts past the last column: empty hull
        (-1.5, -1.5, 0.5, 0.5),       # mostly outside, reaching into pixel (0, 0)
    ]


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20261122)

    boxes = small_boxes()
    masks = cycle_masks(rng, len(boxes), 28, 28)
    write("small_nasty", masks, boxes, 50, 64, 0.5, keep_probs=True)
    write("small_threshold_0", masks, boxes, 50, 64, 0.0, keep_probs=False)
    write("small_threshold_0_3", masks, boxes, 50, 64, 0.3, keep_probs=False)
    write("small_threshold_1", masks, boxes, 50, 64, 1.0, keep_probs=False)

    # the same boxes again with other masks, so every placement meets every special mask
    for shift in range(1, 4):
        masks = cycle_masks(rng, len(boxes) + shift, 28, 28)[shift:]
        write(f"small_shift{shift}", masks, boxes, 50, 64, 0.5, keep_probs=True)

    nonsquare_boxes = [(3.2, 4.1, 40.7, 22.9), (-4.0, 10.5, 33.3, 39.9), (20.5, 0.25, 59.75, 40.0), (7.0, 7.0, 21.0, 35.0)]
    for mh, mw in [(14, 28), (28, 14), (1, 1), (3, 7)]:
        pool = special_masks(rng, mh, mw) + list(blob_masks(rng, 1, mh, mw))
        masks = np.array([pool[4], pool[5], pool[8], pool[3]], f32)  # binary, 0/1 stripes, blob, 0.5 +- ulp
        write(f"nonsquare_{mh}x{mw}", masks, nonsquare_boxes, 40, 60, 0.5, keep_probs=True)

    tiny_boxes = [(0.0, 0.0, 1.0, 1.0), (-0.5, -0.5, 0.5, 0.5), (0.25, 0.25, 0.75, 0.75), (-10.0, -10.0, 10.0, 10.0),
                  (0.4, 0.1, 0.6, 0.9), (0.9, 0.9, 3.0, 3.0), (-2.0, -2.0, 0.1, 0.1)]
    masks = cycle_masks(rng, len(tiny_boxes), 28, 28)
    write("image_1x1", masks, tiny_boxes, 1, 1, 0.5, keep_probs=True)

    # large image, realistic detections: sizes 20..400 px, some touching borders, one huge, one tiny
    img_h, img_w = 1040, 1408
    large = []
    for _ in range(36):
        w, h = rng.uniform(20, 400, 2)
        x0 = rng.uniform(-20, img_w - w + 20)
        y0 = rng.uniform(-20, img_h - h + 20)
        large.append((x0, y0, x0 + w, y0 + h))
    large += [(0.0, 0.0, 150.5, 90.25), (img_w - 200.3, img_h - 120.6, img_w, img_h),
              (-200.0, -100.0, 1600.0, 1200.0), (700.2, 500.1, 700.9, 500.4), (0.0, 300.0, 1408.0, 700.0)]
    masks = blob_masks(rng, len(large), 28, 28)
    # borderline masks on a few mid-sized boxes (on the huge ones they would make millions of near pixels)
    special = special_masks(rng, 28, 28)
    for i, k in zip(range(4), (0, 3, 4, 5)):
        masks[i] = special[k]
    write("large_1040x1408", masks, large, img_h, img_w, 0.5, keep_probs=False)

    write("empty", np.zeros((0, 28, 28), f32), np.zeros((0, 4), f32), 30, 40, 0.5, keep_probs=True)


if __name__ == "__main__":
    torch.set_num_threads(2)
    main()
