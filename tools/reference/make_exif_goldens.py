#!/usr/bin/python3
"""Goldens for ImageDecoder.asDetectron2Reads: images with an EXIF orientation tag, read by REAL detectron2.

maskrt/src/test/resources/image/exif/orient-<k>.png (k = 1..8): a 3x5 RGB image with distinct pixel values, saved by PIL
with an eXIf chunk holding orientation k; orient-6.jpg: a 16x24 JPEG (quality 100, flat 8x8 blocks) with
orientation 6. expected.json: for each file, detectron2.data.detection_utils.read_image(file, format="BGR") as
nested lists [H][W][3] (what DefaultPredictor's callers feed it; detectron2 v0.6, Pillow 9.4).

Run from the project root with upstream detectron2 on the path (tools/README.md):
  source /work/d2env/env.sh && /usr/bin/python3 tools/reference/make_exif_goldens.py
"""
import json
import os

import numpy as np
from PIL import Image

from detectron2.data.detection_utils import read_image

OUT = "maskrt/src/test/resources/image/exif"


def exif(k):
    e = Image.Exif()
    e[0x0112] = k
    return e


def main():
    os.makedirs(OUT, exist_ok=True)
    rgb = (np.arange(3 * 5 * 3, dtype=np.uint8).reshape(3, 5, 3) * 5 + 3)
    expected = {}
    for k in range(1, 9):
        name = f"orient-{k}.png"
        Image.fromarray(rgb).save(os.path.join(OUT, name), exif=exif(k))
        expected[name] = read_image(os.path.join(OUT, name), format="BGR").tolist()
    blocks = np.zeros((16, 24, 3), dtype=np.uint8)
    for by in range(2):
        for bx in range(3):
            blocks[8 * by:8 * by + 8, 8 * bx:8 * bx + 8] = (40 + 60 * bx, 200 - 80 * by, 30 + 50 * (bx + by))
    Image.fromarray(blocks).save(os.path.join(OUT, "orient-6.jpg"), quality=100, exif=exif(6))
    expected["orient-6.jpg"] = read_image(os.path.join(OUT, "orient-6.jpg"), format="BGR").tolist()
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f)
    print({k: np.asarray(v).shape for k, v in expected.items()})


if __name__ == "__main__":
    main()
