#!/usr/bin/python3
"""Makes the tiny random-weight model package and its reference outputs, committed for Java parity tests:

  src/test/resources/models/tiny/                     the package (manifest.json + 5 ONNX graphs)
  src/test/resources/models/tiny/reference/images/    two synthetic images (PNG, written here)
  src/test/resources/models/tiny/reference/reference.npz + .json
                                                      reference pipeline outputs with intermediates for the
                                                      two shared real images (../shared/data/images, read
                                                      from the project root) and the two synthetic ones

Run from the project root: /usr/bin/python3 tools/reference/make_tiny_model.py
"""
import os
import shutil
import subprocess
import sys

import numpy as np
from PIL import Image

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PKG = os.path.join(ROOT, "src/test/resources/models/tiny")
REF = os.path.join(PKG, "reference")
SHARED = ["../shared/data/images/sartorius-0030fd0e6378.png",
          "../shared/data/images/livecell-A172_Phase_A7_1_00d00h00m_1.tif"]


def synthetic_images():
    """Seeded: an RGB 120x160 image (upscaled; channel order matters) and a gray 90x300 one (hits MAX_SIZE)."""
    rng = np.random.default_rng(7)
    h, w = 120, 160
    yy, xx = np.mgrid[0:h, 0:w]
    rgb = np.stack([40 + xx * 0.8, 60 + yy * 0.9, 90 + 0 * xx], axis=2) + rng.normal(0, 6, (h, w, 3))
    for _ in range(5):
        cy, cx, r = rng.uniform(0, h), rng.uniform(0, w), rng.uniform(6, 22)
        rgb[(yy - cy) ** 2 + (xx - cx) ** 2 < r * r] = rng.uniform(60, 200, 3)
    h2, w2 = 90, 300
    yy, xx = np.mgrid[0:h2, 0:w2]
    gray = 120 + rng.normal(0, 10, (h2, w2))
    for _ in range(6):
        cy, cx, ry, rx = rng.uniform(0, h2), rng.uniform(0, w2), rng.uniform(4, 15), rng.uniform(4, 25)
        gray[((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 < 1] = rng.uniform(0, 255)
    return {"synthetic-rgb-120x160.png": np.clip(rgb, 0, 255).astype(np.uint8),
            "synthetic-gray-90x300.png": np.clip(gray, 0, 255).astype(np.uint8)}


def main():
    os.chdir(ROOT)
    if os.path.isdir(PKG):
        shutil.rmtree(PKG)
    py = sys.executable
    subprocess.run([py, "-m", "tools.maskrt_export", "export", "--config",
                    "tools/configs/tiny_cascade_mask_rcnn_R_18_FPN.yaml", "--random-weights", "--seed", "1",
                    "--out", PKG], check=True)
    os.makedirs(os.path.join(REF, "images"))
    images = list(SHARED)
    for name, img in synthetic_images().items():
        path = os.path.join(REF, "images", name)
        Image.fromarray(img).save(path)
        images.append(os.path.relpath(path, ROOT))
    subprocess.run([py, "-m", "tools.maskrt_export", "reference", "--package", PKG, "--images", *images,
                    "--out", os.path.join(REF, "reference.npz"), "--intermediates"], check=True)


if __name__ == "__main__":
    main()
