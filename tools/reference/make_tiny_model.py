#!/usr/bin/python3
"""Makes the tiny random-weight model package and its reference outputs, committed for Java parity tests:

  maskrt/src/test/resources/models/tiny/                     the package (manifest.json + 5 ONNX graphs)
  maskrt/src/test/resources/models/tiny/reference/images/    two synthetic images (PNG, written here)
  maskrt/src/test/resources/models/tiny/reference/reference.npz + .json
                                                      reference pipeline outputs with intermediates for the
                                                      two shared real images (../shared/data/images, read
                                                      from the project root) and the two synthetic ones
  maskrt/src/test/resources/models/tiny-tta/                 the same graphs (copied: the export is not bit-reproducible
                                                      across runs, and git stores identical files once) with a
                                                      manifest carrying test_aug from
                                                      tools/configs/tiny_cascade_mask_rcnn_R_18_FPN_tta.yaml
  maskrt/src/test/resources/models/tiny-mask-rcnn/           detectron2 StandardROIHeads with masks (Mask R-CNN,
                                                      class-specific box regression), random weights, seed 1
  maskrt/src/test/resources/models/tiny-faster-rcnn/         the same without a mask head (Faster R-CNN, box-only)
  maskrt/src/test/resources/models/tiny-cascade-x50-dconv/   the Sartorius recipe's cascade (ResNeXt, DCNv1 in res3..res5,
                                                      GN heads, TTA settings) at depth 50 and test widths
  maskrt/src/test/resources/models/tiny-mask-rcnn-dconv-v2/  a Mask R-CNN with DCNv2 (modulated, 2 deformable groups)
                                                      The two deformable ones are calibrated on the shared
                                                      Sartorius image (--calibration-image, see DCN below)

Their references are real detectron2's outputs (tools/reference/detectron2_run.py; the commands are in
TinyDetectron2ParityTest and StandardHeadsDetectron2ParityTest).

Run from the project root: /usr/bin/python3 tools/reference/make_tiny_model.py [--tta-only | --standard-only |
--dcn-only]
"""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
from PIL import Image

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PKG = os.path.join(ROOT, "maskrt/src/test/resources/models/tiny")
TTA_PKG = os.path.join(ROOT, "maskrt/src/test/resources/models/tiny-tta")
TTA_CONFIG = "tools/configs/tiny_cascade_mask_rcnn_R_18_FPN_tta.yaml"
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


def make_tiny_tta():
    """tiny's graphs + its manifest with test_aug (and source.config) taken from TTA_CONFIG by the exporter's reader."""
    sys.path.insert(0, ROOT)
    from tools.maskrt_export.config import load_settings
    if os.path.isdir(TTA_PKG):
        shutil.rmtree(TTA_PKG)
    os.makedirs(TTA_PKG)
    with open(os.path.join(PKG, "manifest.json")) as f:
        manifest = json.load(f)
    for g in [manifest["graphs"]["backbone"], *manifest["graphs"]["box_heads"], manifest["graphs"]["mask_head"]]:
        shutil.copyfile(os.path.join(PKG, g["file"]), os.path.join(TTA_PKG, g["file"]))
    manifest["source"]["config"] = os.path.basename(TTA_CONFIG)
    manifest["test_aug"] = load_settings(TTA_CONFIG)["test_aug"]
    with open(os.path.join(TTA_PKG, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")


STANDARD = {"tiny-mask-rcnn": "tools/configs/tiny_mask_rcnn_R_18_FPN.yaml",
            "tiny-faster-rcnn": "tools/configs/tiny_faster_rcnn_R_18_FPN.yaml"}


def make_standard():
    """The one-stage (StandardROIHeads) tiny packages: Mask R-CNN and the box-only Faster R-CNN."""
    for name, config in STANDARD.items():
        out = os.path.join(ROOT, "maskrt/src/test/resources/models", name)
        if os.path.isdir(out):
            shutil.rmtree(out)
        subprocess.run([sys.executable, "-m", "tools.maskrt_export", "export", "--config", config, "--random-weights",
                        "--seed", "1", "--out", out], check=True)


# Deep bottleneck backbones with random weights are calibrated on a real cell image: on the synthetic calibration
# image their scores saturate on real images and float noise decides which boxes survive NMS.
DCN = {"tiny-cascade-x50-dconv": "tools/configs/tiny_cascade_X_50_gn_dconv.yaml",
       "tiny-mask-rcnn-dconv-v2": "tools/configs/tiny_mask_rcnn_R_50_FPN_dconv_v2.yaml"}
DCN_CALIBRATION_IMAGE = "maskrt/src/test/resources/image/sartorius-0030fd0e6378.png"


def make_dcn():
    for name, config in DCN.items():
        out = os.path.join(ROOT, "maskrt/src/test/resources/models", name)
        if os.path.isdir(out):
            shutil.rmtree(out)
        subprocess.run([sys.executable, "-m", "tools.maskrt_export", "export", "--config", config, "--random-weights",
                        "--seed", "1", "--calibration-image", DCN_CALIBRATION_IMAGE, "--out", out], check=True)


def main():
    os.chdir(ROOT)
    if sys.argv[1:] == ["--tta-only"]:
        make_tiny_tta()
        return
    if sys.argv[1:] == ["--standard-only"]:
        make_standard()
        return
    if sys.argv[1:] == ["--dcn-only"]:
        make_dcn()
        return
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
    make_tiny_tta()
    make_standard()
    make_dcn()


if __name__ == "__main__":
    main()
