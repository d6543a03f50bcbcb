#!/usr/bin/python3
"""A whole test set, as users run one: UPSTREAM detectron2's DefaultPredictor in a loop over the images (each read
with read_image, predicted; nothing written) against `maskrt predict` on the same images (COCO results and a Kaggle
CSV written, journal included), same package, 2 threads each, one after the other. Wall time of each whole run, so
both sides pay their start-up (detectron2: building the model and loading the weights; maskrt: the JVM, the package).

    source /work/d2env/env.sh
    /usr/bin/python3 benchmarks/anchors/testset_real_detectron2.py --package models/dsb2018-cascade-r18 \
        --images samples/dsb2018-val/images [--maskrt-args "--in-flight 1"]

Prints one JSON line per side and the ratio (detectron2 wall time / maskrt wall time).
"""
import argparse
import glob
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time

import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tools", "reference"))
import detectron2_run as d2run  # noqa: E402  (imports detectron2; registers the narrow backbone)
from detectron2.data.detection_utils import read_image  # noqa: E402
from detectron2.engine import DefaultPredictor  # noqa: E402


def run_detectron2(package, images):
    t0 = time.perf_counter()
    with open(os.path.join(package, "manifest.json")) as f:
        cfg = d2run.build_config(json.load(f))
    predictor = DefaultPredictor(cfg)
    d2run.load_package_weights(predictor.model, package)
    predictor.model.eval()
    detections = 0
    for path in images:
        detections += len(predictor(read_image(path, format="BGR"))["instances"])
    return {"impl": "detectron2 DefaultPredictor loop", "images": len(images), "seconds": time.perf_counter() - t0,
            "detections": detections}


def run_maskrt(package, folder, extra):
    with tempfile.TemporaryDirectory() as out:
        cmd = [os.path.join(ROOT, "bin", "maskrt"), "predict", "--model", package, "--images", folder, "--out",
               os.path.join(out, "o"), "--format", "coco,dsb", "--threads", "2"] + shlex.split(extra)
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        seconds = time.perf_counter() - t0
        with open(os.path.join(out, "o", "coco_results.json")) as f:
            detections = len(json.load(f))
    return {"impl": ("maskrt predict --threads 2 " + extra).strip(), "seconds": seconds,
            "detections": detections, "summary": proc.stdout.strip().splitlines()[-1]}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--package", required=True)
    ap.add_argument("--images", required=True, help="a folder of PNG images")
    ap.add_argument("--maskrt-args", default="", help="extra maskrt predict options, e.g. '--in-flight 1'")
    args = ap.parse_args(argv)
    torch.set_num_threads(2)
    images = sorted(glob.glob(os.path.join(args.images, "*.png")))
    package = os.path.abspath(args.package)
    d2 = run_detectron2(package, images)
    mr = run_maskrt(package, os.path.abspath(args.images), args.maskrt_args)
    for line in (d2, mr):
        print(json.dumps(line), flush=True)
    print(f"{len(images)} images: detectron2 {d2['seconds']:.1f} s ({len(images) / d2['seconds']:.2f} images/s), "
          f"maskrt {mr['seconds']:.1f} s ({len(images) / mr['seconds']:.2f} images/s): "
          f"**{d2['seconds'] / mr['seconds']:.2f}×**")


if __name__ == "__main__":
    main()
