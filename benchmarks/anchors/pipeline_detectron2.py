#!/usr/bin/python3
"""Anchor for PipelineBenchmark: the PyTorch reference pipeline of tools/maskrt_export (detectron2's
GeneralizedRCNN + CascadeROIHeads inference, as docs/MODEL_PACKAGE.md specifies it), end to end on one image:
PIL decode, resize, normalise, pad, backbone, proposals, three cascade stages, final NMS, mask head, paste.

Workloads (the image is saved as target/inputs/<workload>.png and, as an array, target/inputs/<workload>.npz):
  pipeline_tiny_520x704  the committed tiny package (maskrt/src/test/resources/models/tiny) on the shared Sartorius
                         image (520x704, resized to 320x433)
  pipeline_r50_800x1333  a full-size cascade_mask_rcnn_R_50_FPN_3x package with random weights (seed 1),
                         exported on the fly into target/models/cascade_r50 (never committed: ~280 MB), on a
                         seeded synthetic 800x1333 RGB image of bright ellipses on a noisy background (800x1333
                         is the model's test size, so it is not resized)

Run from the project root or benchmarks/: /usr/bin/python3 benchmarks/anchors/pipeline_detectron2.py [workload...]
Prints one JSON line per workload: {"workload", "anchor", "ms", "detections"} (median of runs after a warm-up).
"""
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
INPUTS = os.path.join(ROOT, "benchmarks", "target", "inputs")
MODELS = os.path.join(ROOT, "benchmarks", "target", "models")
sys.path.insert(0, ROOT)
sys.path.insert(0, HERE)

from _synthetic import synthetic_image  # noqa: E402,F401  (moved there; shared with pipeline_real_detectron2.py)
from _timing import emit, median_ms, use_two_threads  # noqa: E402
from tools.maskrt_export import package, pipeline  # noqa: E402
from tools.maskrt_export.__main__ import read_image  # noqa: E402


def save_image(name, array):
    from PIL import Image
    os.makedirs(INPUTS, exist_ok=True)
    path = os.path.join(INPUTS, name + ".png")
    Image.fromarray(array).save(path)
    np.savez(os.path.join(INPUTS, name + ".npz"), image=array)
    return path


def r50_package():
    out = os.path.join(MODELS, "cascade_r50")
    if not os.path.exists(os.path.join(out, "manifest.json")):
        subprocess.run([sys.executable, "-m", "tools.maskrt_export", "export", "--config",
                        "tools/configs/cascade_mask_rcnn_R_50_FPN_3x.yaml", "--random-weights", "--seed", "1",
                        "--out", out], cwd=ROOT, check=True)
    return out


def workloads():
    from PIL import Image
    sartorius = os.path.join(ROOT, "maskrt", "src", "test", "resources", "image", "sartorius-0030fd0e6378.png")
    with Image.open(sartorius) as im:
        tiny_image = np.asarray(im.convert("RGB"))
    return {
        "pipeline_tiny_520x704": (lambda: os.path.join(ROOT, "maskrt", "src", "test", "resources", "models", "tiny"),
                                  lambda: tiny_image, 5, 1),
        "pipeline_r50_800x1333": (r50_package, lambda: synthetic_image(800, 1333, 7), 3, 1),
    }


def main(names):
    use_two_threads()
    table = workloads()
    for name in names or list(table):
        pkg_fn, image_fn, runs, warmup = table[name]
        pkg = pkg_fn()
        path = save_image(name, image_fn())
        model, settings, _ = package.load_package(pkg)
        result = {}

        def run():
            result.update(pipeline.run_image(model, settings, read_image(path)))

        ms = median_ms(run, warmup=warmup, runs=runs)
        emit(name, "maskrt_export reference pipeline (torch, detectron2 semantics)", ms,
             detections=int(len(result["scores"])))


if __name__ == "__main__":
    main(sys.argv[1:])
