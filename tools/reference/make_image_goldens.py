#!/usr/bin/python3
"""Goldens for dev.maskrt.image (pre-processing), written with PIL 9.4 and torch 1.13 as detectron2 uses them.

  /usr/bin/python3 tools/reference/make_image_goldens.py   # from the repository root

Writes maskrt/src/test/resources/image/:
  resize_pil.npz      PIL Image.resize(BILINEAR) of seeded synthetic uint8 images (odd sizes, up/down by non-integer
                      factors, 1-pixel-wide, extreme aspect, one axis only, extreme values): case{i}.src [H, W, C] u1,
                      case{i}.dst [H', W', C] u1.
  resize_real.npz     the shared real images decoded by PIL, converted to 3 channels in BGR order (detectron2's
                      DefaultPredictor feeds BGR), resized by PIL (detectron2 ResizeTransform.apply_image on uint8):
                      {name}.decoded_sha256 (of PIL's decoded [H, W] or [H, W, 3] array, RGB order), {name}.s{short}
                      _sha256 (of the resized [H', W', 3] BGR bytes) and .s{short}_shape; sartorius.s650 holds one full
                      resized image (channel 0; all 3 channels are equal for a grayscale image); jpeg.decoded_rgb holds
                      PIL's decode of the JPEG.
  resize_float.npz    torch F.interpolate(bilinear, align_corners=False) of float32 [H, W, 3] images the way detectron2
                      (and maskrt_export.resize_float) call it: on the [1, 3, H, W] permuted (channels-last) view.
  shortest_edge.npz   cases [N, 6] i4: h, w, short, max, new_h, new_w by detectron2 get_output_shape (Python doubles).
  batch.npz           detectron2 GeneralizedRCNN.preprocess_image of two differently sized uint8 images after
                      ResizeShortestEdge: (x - mean) / std in float32, ImageList.from_tensors(size_divisibility 32),
                      pad 0; and the same for a 16-bit pair (float resize path).
"""
import hashlib
import os

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
OUT = os.path.join(ROOT, "maskrt", "src", "test", "resources", "image")
# copies of /work/shared/data/images/* and /work/shared/data/coco-small/img_1.jpg, committed next to the goldens
REAL = {
    "sartorius": os.path.join(OUT, "sartorius-0030fd0e6378.png"),
    "livecell": os.path.join(OUT, "livecell-A172_Phase_A7_1_00d00h00m_1.tif"),
    "jpeg": os.path.join(OUT, "coco-img_1.jpg"),
}


def get_output_shape(oldh, oldw, short_edge_length, max_size):
    """detectron2 ResizeShortestEdge.get_output_shape (detectron2/data/transforms/augmentation_impl.py)."""
    h, w = oldh, oldw
    size = short_edge_length * 1.0
    scale = size / min(h, w)
    if h < w:
        newh, neww = size, scale * w
    else:
        newh, neww = scale * h, size
    if max(newh, neww) > max_size:
        scale = max_size * 1.0 / max(newh, neww)
        newh = newh * scale
        neww = neww * scale
    neww = int(neww + 0.5)
    newh = int(newh + 0.5)
    return (newh, neww)


def pil_resize(img, new_h, new_w):
    """detectron2 ResizeTransform.apply_image for uint8 [H, W, C]: PIL resize with BILINEAR."""
    if img.shape[2] == 1:
        pil = Image.fromarray(img[:, :, 0], mode="L")
    else:
        pil = Image.fromarray(img)
    out = np.asarray(pil.resize((new_w, new_h), Image.BILINEAR))
    return out[:, :, None] if img.shape[2] == 1 else out


def torch_resize(img, new_h, new_w):
    """detectron2 ResizeTransform.apply_image for non-uint8 [H, W, C]: F.interpolate on the permuted view."""
    t = torch.from_numpy(np.ascontiguousarray(img, dtype=np.float32))
    shape = list(t.shape)
    t = t.view(shape[:2] + [1] + shape[2:]).permute(2, 3, 0, 1)  # hwc -> nchw (a channels-last view)
    t = F.interpolate(t, (new_h, new_w), mode="bilinear", align_corners=False)
    return np.ascontiguousarray(t.permute(2, 3, 0, 1).reshape([new_h, new_w] + shape[2:]).numpy())


def sha(a):
    return np.frombuffer(hashlib.sha256(np.ascontiguousarray(a).tobytes()).digest(), dtype=np.uint8)


def synthetic_resize_cases():
    rng = np.random.default_rng(20261122)
    # (h, w, c, new_h, new_w, kind)
    specs = [
        (7, 5, 3, 13, 11, "random"),      # odd upscale
        (37, 53, 3, 20, 17, "random"),    # downscale by non-integer factors
        (53, 37, 1, 71, 29, "random"),    # up one axis, down the other, grayscale
        (1, 40, 3, 1, 17, "random"),      # 1 pixel tall
        (40, 1, 1, 23, 1, "random"),      # 1 pixel wide
        (1, 1, 3, 5, 7, "random"),        # a single pixel
        (9, 9, 3, 1, 1, "random"),        # to a single pixel
        (3, 200, 3, 7, 467, "random"),    # extreme aspect, upscale
        (300, 2, 1, 13, 5, "random"),     # extreme aspect, downscale by 23
        (150, 100, 1, 7, 5, "random"),    # large downscale factor (wide filters)
        (20, 30, 3, 20, 47, "random"),    # horizontal pass only
        (20, 30, 3, 33, 30, "random"),    # vertical pass only
        (20, 30, 3, 20, 30, "random"),    # same size (copy)
        (16, 16, 3, 48, 48, "checker"),   # 0/255 edges, integer upscale
        (31, 17, 3, 45, 23, "checker"),
        (25, 25, 1, 11, 37, "extremes"),  # only 0, 1, 254, 255
        (12, 14, 3, 29, 6, "constant255"),
        (64, 48, 3, 80, 60, "smooth"),    # 1.25x, as ResizeShortestEdge does for 520 -> 650
        (48, 64, 3, 37, 50, "smooth"),
        (26, 35, 1, 52, 70, "smooth"),    # grayscale 2x upscale, as Sartorius 520x704 -> 1040x1408
        (5, 2, 1, 9, 7, "random"),        # fewer input columns than filter taps
        (3, 3, 3, 7, 8, "random"),        # exactly as many input columns as taps
        (4, 3, 1, 5, 4, "random"),
    ]
    arrays = {}
    for i, (h, w, c, nh, nw, kind) in enumerate(specs):
        if kind == "random":
            img = rng.integers(0, 256, size=(h, w, c), dtype=np.uint8)
        elif kind == "checker":
            yy, xx = np.mgrid[0:h, 0:w]
            img = np.repeat((((yy // 2 + xx // 3) % 2) * 255).astype(np.uint8)[:, :, None], c, axis=2)
        elif kind == "extremes":
            img = rng.choice(np.array([0, 1, 254, 255], dtype=np.uint8), size=(h, w, c))
        elif kind == "constant255":
            img = np.full((h, w, c), 255, dtype=np.uint8)
        else:
            yy, xx = np.mgrid[0:h, 0:w]
            base = 128 + 100 * np.sin(yy / 5.0) * np.cos(xx / 7.0)
            img = np.stack([base + 10 * k for k in range(c)], axis=2)
            img = np.clip(np.rint(img + rng.normal(0, 3, size=img.shape)), 0, 255).astype(np.uint8)
        arrays[f"case{i}.src"] = img
        arrays[f"case{i}.dst"] = pil_resize(img, nh, nw)
    arrays["count"] = np.array(len(specs), dtype=np.int32)
    return arrays


def real_image_goldens():
    arrays = {}
    for name, path in REAL.items():
        with Image.open(path) as im:
            decoded = np.asarray(im.convert("RGB") if im.mode not in ("L", "RGB") else im)
        arrays[f"{name}.decoded_sha256"] = sha(decoded)
        rgb = np.repeat(decoded[:, :, None], 3, axis=2) if decoded.ndim == 2 else decoded
        bgr = np.ascontiguousarray(rgb[:, :, ::-1])
        h, w = bgr.shape[:2]
        if name == "sartorius":
            sizes = [(s, 1408) for s in (650, 780, 910, 1040)]
        else:
            sizes = [(800, 1333)]
        for short, max_size in sizes:
            nh, nw = get_output_shape(h, w, short, max_size)
            resized = pil_resize(bgr, nh, nw)
            arrays[f"{name}.s{short}_sha256"] = sha(resized)
            arrays[f"{name}.s{short}_shape"] = np.array([nh, nw, 3], dtype=np.int32)
            if name == "sartorius" and short == 650:
                assert (resized[:, :, 0] == resized[:, :, 1]).all() and (resized[:, :, 0] == resized[:, :, 2]).all()
                arrays["sartorius.s650"] = np.ascontiguousarray(resized[:, :, 0])
        if name == "jpeg":
            arrays["jpeg.decoded_rgb"] = decoded
    return arrays


def float_resize_goldens():
    rng = np.random.default_rng(7)
    specs = [(7, 5, 13, 11), (37, 53, 20, 17), (1, 40, 1, 17), (40, 1, 23, 3), (1, 1, 5, 7), (30, 20, 7, 5),
             (26, 35, 33, 44), (20, 30, 20, 47), (20, 30, 33, 30), (20, 30, 20, 30)]
    arrays = {}
    for i, (h, w, nh, nw) in enumerate(specs):
        img = rng.integers(0, 65536, size=(h, w, 3)).astype(np.float32)  # 16-bit samples
        arrays[f"case{i}.src"] = img
        arrays[f"case{i}.dst"] = torch_resize(img, nh, nw)
    arrays["count"] = np.array(len(specs), dtype=np.int32)
    return arrays


def shortest_edge_cases():
    rows = []
    fixed = [(520, 704, s, 1408) for s in (650, 780, 910, 1040)]
    fixed += [(h, w, 800, 1333) for h, w in [(480, 640), (640, 480), (427, 640), (500, 375), (333, 500), (612, 612),
                                             (1, 1), (1, 5000), (5000, 1), (3, 7), (800, 1333), (1333, 800),
                                             (640, 1067), (200, 400), (700, 1166), (599, 999)]]
    fixed += [(520, 704, 800, 1333), (704, 520, 1040, 1408), (520, 704, 1040, 1000000), (1000, 1000, 0 + 1, 10),
              (101, 203, 64, 128), (203, 101, 64, 128), (3, 2, 5, 7)]
    rows += fixed
    rng = np.random.default_rng(11)
    for _ in range(300):
        h, w = (int(v) for v in rng.integers(1, 4000, size=2))
        short = int(rng.integers(1, 1600))
        max_size = int(rng.integers(short, 3000))
        rows.append((h, w, short, max_size))
    # sides where x * scale lands exactly on .5 (ties round up: int(x + 0.5))
    rows += [(2, 3, 3, 10000), (2, 5, 3, 10000), (4, 6, 3, 10000), (6, 10, 3, 10000), (10, 6, 5, 10000)]
    out = [(h, w, s, m) + get_output_shape(h, w, s, m) for h, w, s, m in rows]
    return {"cases": np.array(out, dtype=np.int32)}


def preprocess_batch(images, short, max_size, mean, std, divisibility):
    """detectron2 DefaultPredictor-style per image + GeneralizedRCNN.preprocess_image on the batch."""
    tensors = []
    sizes = []
    for img in images:
        h, w = img.shape[:2]
        nh, nw = get_output_shape(h, w, short, max_size)
        resized = pil_resize(img, nh, nw) if img.dtype == np.uint8 else torch_resize(img, nh, nw)
        x = torch.as_tensor(resized.astype("float32").transpose(2, 0, 1))
        m = torch.tensor(mean, dtype=torch.float32).view(-1, 1, 1)
        s = torch.tensor(std, dtype=torch.float32).view(-1, 1, 1)
        tensors.append((x - m) / s)
        sizes.append((nh, nw, h, w))
    max_hw = torch.tensor([[t.shape[-2], t.shape[-1]] for t in tensors]).max(0).values
    max_hw = (max_hw + (divisibility - 1)).div(divisibility, rounding_mode="floor") * divisibility
    batch = tensors[0].new_full([len(tensors), tensors[0].shape[0]] + max_hw.tolist(), 0.0)
    for t, b in zip(tensors, batch):
        b[..., : t.shape[-2], : t.shape[-1]].copy_(t)
    return batch.numpy(), np.array(sizes, dtype=np.int32)


def batch_goldens():
    rng = np.random.default_rng(3)
    arrays = {}
    u8 = [rng.integers(0, 256, size=(37, 53, 3), dtype=np.uint8), rng.integers(0, 256, size=(61, 29, 3), dtype=np.uint8)]
    u16 = [rng.integers(0, 65536, size=(23, 41, 3)).astype(np.float32),
           rng.integers(0, 65536, size=(30, 30, 3)).astype(np.float32)]
    settings = {
        "u8_default": (u8, 40, 70, [103.53, 116.28, 123.675], [1.0, 1.0, 1.0]),
        "u8_std": (u8, 50, 66, [123.675, 116.28, 103.53], [58.395, 57.12, 57.375]),
        "u16": (u16, 35, 1000, [103.53, 116.28, 123.675], [1.0, 1.0, 1.0]),
    }
    for key, (imgs, short, max_size, mean, std) in settings.items():
        batch, sizes = preprocess_batch(imgs, short, max_size, mean, std, 32)
        for i, img in enumerate(imgs):
            arrays[f"{key}.img{i}"] = img
        arrays[f"{key}.settings"] = np.array([short, max_size, 32], dtype=np.int32)
        arrays[f"{key}.mean"] = np.array(mean, dtype=np.float64)
        arrays[f"{key}.std"] = np.array(std, dtype=np.float64)
        arrays[f"{key}.batch"] = batch
        arrays[f"{key}.sizes"] = sizes
    return arrays


def main():
    os.makedirs(OUT, exist_ok=True)
    np.savez_compressed(os.path.join(OUT, "resize_pil.npz"), **synthetic_resize_cases())
    np.savez_compressed(os.path.join(OUT, "resize_real.npz"), **real_image_goldens())
    np.savez_compressed(os.path.join(OUT, "resize_float.npz"), **float_resize_goldens())
    np.savez_compressed(os.path.join(OUT, "shortest_edge.npz"), **shortest_edge_cases())
    np.savez_compressed(os.path.join(OUT, "batch.npz"), **batch_goldens())
    for f in sorted(os.listdir(OUT)):
        print(f, os.path.getsize(os.path.join(OUT, f)))


if __name__ == "__main__":
    main()
