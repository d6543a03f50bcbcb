#!/usr/bin/python3
"""The maskrcnn-benchmark reference for a flavour "maskrcnn_benchmark" package: its inference and its COCO output,
re-written in torch after its source (tools/maskrt_export/mrcnn_benchmark_pipeline.py), on the package's own weights
(reloaded from the ONNX initializers, tools/maskrt_export/mrcnn_benchmark.py load_package).

Why not real maskrcnn-benchmark: its C extension (maskrcnn_benchmark/csrc: nms, ROIAlign, deformable ops) does not
build against today's torch (it uses the removed `AT_CHECK`/`.type()` ATen API and THC), and its Python code imports
apex; so its two CPU kernels (csrc/cpu/nms_cpu.cpp, csrc/cpu/ROIAlign_cpu.cpp) and the Python steps are re-written
line by line, each function citing the file and lines it follows (commit 57eec25).

Writes --out (the golden Java reads with dev.maskrt.FrameworkGolden): {"reference": ..., "images": [{"file",
"height", "width", "instances": [{"box": [x0, y0, x1, y1], "score", "class" (0-based: label - 1), "mask": {"size",
"counts"} or null}]}]}, instances in maskrcnn-benchmark's order; with --coco-dir also bbox.json and segm.json as
coco_eval.py prepare_for_coco_detection / prepare_for_coco_segmentation build them (image ids 1..N in the order of
--images, category id = label, i.e. a dataset whose categories are 1..K), which `maskrt predict --format coco` must
reproduce.

Run from the project root with Debian's /usr/bin/python3 (torch 1.13, torchvision 0.14):
  /usr/bin/python3 tools/reference/maskrcnn_benchmark_run.py --package PKG --images IMG... --out GOLDEN.json \
      [--coco-dir DIR]
"""
import argparse
import json
import os
import sys

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
from tools.maskrt_export import mrcnn_benchmark as mb  # noqa: E402
from tools.maskrt_export import mrcnn_benchmark_pipeline as mbp  # noqa: E402


def rle_counts(mask):
    """pycocotools maskApi.c rleEncode: column-major run lengths starting with a (maybe empty) run of zeros."""
    flat = np.asarray(mask, dtype=np.uint8).flatten(order="F")
    counts, prev, run = [], 0, 0
    for v in flat:
        if v != prev:
            counts.append(run)
            run, prev = 0, v
        run += 1
    counts.append(run)
    return counts


def rle_string(counts):
    """pycocotools maskApi.c rleToString (the compressed `counts` string)."""
    out = []
    for i, x in enumerate(counts):
        x = int(x)
        if i > 2:
            x -= int(counts[i - 2])
        more = True
        while more:
            c = x & 0x1F
            x >>= 5
            more = (x != -1) if (c & 0x10) else (x != 0)
            if more:
                c |= 0x20
            out.append(chr(c + 48))
    return "".join(out)


def rle(mask):
    h, w = mask.shape
    return {"size": [int(h), int(w)], "counts": rle_string(rle_counts(mask))}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--package", required=True)
    p.add_argument("--images", nargs="+", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--coco-dir")
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    model, settings, manifest = mb.load_package(args.package)
    images, bbox_json, segm_json = [], [], []
    for image_id, path in enumerate(args.images, start=1):
        with Image.open(path) as im:
            rgb = im.convert("RGB")  # datasets/coco.py (torchvision CocoDetection): PIL open + convert("RGB")
        r = mbp.run_image(model, settings, rgb)
        W, H = rgb.size
        masks = r["masks"]
        instances = []
        for i in range(len(r["scores"])):
            instances.append({"box": [float(v) for v in r["boxes"][i].tolist()], "score": float(r["scores"][i]),
                              "class": int(r["labels"][i]) - 1,
                              "mask": rle(masks[i].numpy()) if masks is not None else None})
        images.append({"file": path, "height": H, "width": W, "instances": instances})
        print(f"{os.path.basename(path)}: {len(instances)} detections ({len(r['proposals'])} proposals, "
              f"input {r['input_size']})", file=sys.stderr)
        if len(instances) == 0:  # coco_eval.py:75 / :113: images without predictions are skipped
            continue
        # coco_eval.py:70-101 prepare_for_coco_detection
        xywh = mbp.to_xywh(r["boxes"]).tolist()
        scores = r["scores"].tolist()
        labels = r["labels"].tolist()
        bbox_json.extend({"image_id": image_id, "category_id": labels[k], "bbox": box, "score": scores[k]}
                         for k, box in enumerate(xywh))
        if masks is not None:  # coco_eval.py:104-154 prepare_for_coco_segmentation
            segm_json.extend({"image_id": image_id, "category_id": labels[k], "segmentation": rle(masks[k].numpy()),
                              "score": scores[k]} for k in range(len(scores)))
    golden = {"reference": "tools/reference/maskrcnn_benchmark_run.py (maskrcnn-benchmark 57eec25 rules, torch "
                           + torch.__version__ + ")", "package": args.package, "images": images}
    with open(args.out, "w") as f:
        json.dump(golden, f)
        f.write("\n")
    if args.coco_dir:
        os.makedirs(args.coco_dir, exist_ok=True)
        # coco_eval.py:305-311 evaluate_predictions_on_coco: json.dump(coco_results, f)
        with open(os.path.join(args.coco_dir, "bbox.json"), "w") as f:
            json.dump(bbox_json, f)
        if manifest["graphs"].get("mask_head"):
            with open(os.path.join(args.coco_dir, "segm.json"), "w") as f:
                json.dump(segm_json, f)


if __name__ == "__main__":
    main()
