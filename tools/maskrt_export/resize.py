"""The bilinear resize of the pre-processing, specified so that Java can reproduce it bit for bit.

8-bit images: detectron2 resizes uint8 images with PIL's `Image.resize(..., BILINEAR)` (a triangle filter that
widens when downscaling, i.e. antialiased; fixed-point coefficients; horizontal pass then vertical pass, each
rounded to uint8). `resize_uint8` re-implements that algorithm with numpy in double + integer arithmetic
(no PIL call), so it is exactly what detectron2 feeds its model, and it is integer-exact in any language.
Tests check it against PIL itself.

Other depths (16-bit, float): detectron2 uses `F.interpolate(mode="bilinear", align_corners=False)`; so does
`resize_float` (only reproducible in Java up to float rounding).
"""
import math

import numpy as np
import torch
import torch.nn.functional as F

PRECISION_BITS = 32 - 8 - 2  # PIL's fixed-point precision for 8-bit images


def _coefficients(in_size, out_size):
    """Per output index: first input index, and int32 weights (fixed point, PRECISION_BITS) over a window."""
    scale = in_size / out_size
    filterscale = max(scale, 1.0)
    support = 1.0 * filterscale  # bilinear (triangle) filter support is 1
    ksize = int(math.ceil(support)) * 2 + 1
    ss = 1.0 / filterscale
    starts = np.zeros(out_size, dtype=np.int64)
    weights = np.zeros((out_size, ksize), dtype=np.int64)
    for xx in range(out_size):
        center = (xx + 0.5) * scale
        xmin = max(int(center - support + 0.5), 0)
        xmax = min(int(center + support + 0.5), in_size) - xmin
        w = [max(0.0, 1.0 - abs((x + xmin - center + 0.5) * ss)) for x in range(xmax)]
        total = sum(w)  # left-to-right double sum, as PIL does
        if total != 0.0:
            w = [v / total for v in w]
        for x, v in enumerate(w):
            weights[xx, x] = int(0.5 + v * (1 << PRECISION_BITS)) if v >= 0 else int(-0.5 + v * (1 << PRECISION_BITS))
        starts[xx] = xmin
    return starts, weights


def _pass(img, axis, out_size):
    """One separable pass over `axis` of an int64 [H, W, C] image: rounded, clipped to 0..255."""
    in_size = img.shape[axis]
    starts, weights = _coefficients(in_size, out_size)
    ksize = weights.shape[1]
    idx = np.minimum(starts[:, None] + np.arange(ksize)[None, :], in_size - 1)  # padded taps have weight 0
    taken = np.take(img, idx.reshape(-1), axis=axis)
    if axis == 0:
        taken = taken.reshape(out_size, ksize, img.shape[1], img.shape[2])
        acc = (taken * weights[:, :, None, None]).sum(axis=1)
    else:
        taken = taken.reshape(img.shape[0], out_size, ksize, img.shape[2])
        acc = (taken * weights[None, :, :, None]).sum(axis=2)
    acc = (acc + (1 << (PRECISION_BITS - 1))) >> PRECISION_BITS
    return np.clip(acc, 0, 255)


def resize_uint8(img, new_h, new_w):
    """PIL-exact BILINEAR resize of a uint8 [H, W, C] image to [new_h, new_w, C] uint8."""
    if img.dtype != np.uint8 or img.ndim != 3:
        raise ValueError(f"img: expected uint8 [H, W, C], got {img.dtype} {img.shape}")
    h, w = img.shape[:2]
    out = img.astype(np.int64)
    if new_w != w:
        out = _pass(out, 1, new_w)
    if new_h != h:
        out = _pass(out, 0, new_h)
    return out.astype(np.uint8)


def resize_float(img, new_h, new_w):
    """detectron2's float path: bilinear, align_corners=False, no antialias; [H, W, C] -> float32."""
    t = torch.from_numpy(np.ascontiguousarray(img, dtype=np.float32)).permute(2, 0, 1)[None]
    t = F.interpolate(t, size=(new_h, new_w), mode="bilinear", align_corners=False)
    return t[0].permute(1, 2, 0).numpy()


def output_shape(h, w, short_edge, max_size):
    """detectron2 ResizeShortestEdge.get_output_shape, in double arithmetic: (new_h, new_w)."""
    size = short_edge * 1.0
    scale = size / min(h, w)
    if h < w:
        new_h, new_w = size, scale * w
    else:
        new_h, new_w = scale * h, size
    if max(new_h, new_w) > max_size:
        scale = max_size * 1.0 / max(new_h, new_w)
        new_h = new_h * scale
        new_w = new_w * scale
    return int(new_h + 0.5), int(new_w + 0.5)
