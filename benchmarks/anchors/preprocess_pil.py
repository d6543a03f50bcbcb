#!/usr/bin/python3
"""Anchor for PreprocessBenchmark: detectron2's test-time pre-processing of one image, as DefaultPredictor and
GeneralizedRCNN.preprocess_image run it on CPU: ResizeShortestEdge with PIL's BILINEAR resize
(ResizeTransform.apply_image on uint8: Image.fromarray -> resize -> np.asarray), then
torch.as_tensor(img.astype("float32").transpose(2, 0, 1)), (x - pixel_mean) / pixel_std, and
ImageList.from_tensors(size_divisibility=32) padding with 0. Decoding is excluded (maskrt's benchmark starts from
the decoded image too).

Workloads (inputs saved to benchmarks/target/inputs/<workload>.npz; image [H, W, 3] u1 in BGR order as
cv2.imread gives it, sizes [2] i4 (short_edge, max_size)):
  preprocess_sartorius_1040  the shared Sartorius 520x704 grayscale PNG (as 3 equal channels) -> short 1040 /
                             max 1408 = 1040x1408, padded to 1056x1408

Prints one JSON line per workload: {"workload", "anchor", "ms"} (median of repeated runs after a warm-up).
"""
import os

import numpy as np
import torch
from PIL import Image

from _timing import emit, median_ms, use_two_threads

HERE = os.path.dirname(os.path.abspath(__file__))
INPUTS = os.path.join(HERE, "..", "target", "inputs")
SARTORIUS = os.path.join(HERE, "..", "..", "maskrt", "src", "test", "resources", "image", "sartorius-0030fd0e6378.png")
MEAN = torch.tensor([103.53, 116.28, 123.675]).view(3, 1, 1)
STD = torch.tensor([1.0, 1.0, 1.0]).view(3, 1, 1)


def output_shape(h, w, short, max_size):
    """detectron2 ResizeShortestEdge.get_output_shape."""
    size = short * 1.0
    scale = size / min(h, w)
    newh, neww = (size, scale * w) if h < w else (scale * h, size)
    if max(newh, neww) > max_size:
        scale = max_size * 1.0 / max(newh, neww)
        newh, neww = newh * scale, neww * scale
    return int(newh + 0.5), int(neww + 0.5)


def preprocess(image, short, max_size, divisibility=32):
    h, w = image.shape[:2]
    nh, nw = output_shape(h, w, short, max_size)
    resized = np.asarray(Image.fromarray(image).resize((nw, nh), Image.BILINEAR))
    x = torch.as_tensor(resized.astype("float32").transpose(2, 0, 1))
    x = (x - MEAN) / STD
    ph = (nh + divisibility - 1) // divisibility * divisibility
    pw = (nw + divisibility - 1) // divisibility * divisibility
    batch = x.new_full((1, 3, ph, pw), 0.0)
    batch[0, :, :nh, :nw].copy_(x)
    return batch


def main():
    use_two_threads()
    os.makedirs(INPUTS, exist_ok=True)
    with Image.open(SARTORIUS) as im:
        gray = np.asarray(im.convert("L"))
    image = np.ascontiguousarray(np.repeat(gray[:, :, None], 3, axis=2))  # cv2.imread(IMREAD_COLOR): 3 equal channels
    workloads = {"preprocess_sartorius_1040": (image, 1040, 1408)}
    for name, (img, short, max_size) in workloads.items():
        np.savez(os.path.join(INPUTS, name + ".npz"), image=img, sizes=np.array([short, max_size], dtype=np.int32))
        emit(name, "detectron2 ResizeShortestEdge (PIL) + normalise + pad (CPU)",
             median_ms(lambda: preprocess(img, short, max_size)))


if __name__ == "__main__":
    main()
