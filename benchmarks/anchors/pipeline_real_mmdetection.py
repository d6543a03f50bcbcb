#!/usr/bin/python3
"""What an mmdetection user would run instead of maskrt: REAL mmdetection 2.16.0's init_detector + inference_detector
(mmcv 1.3.9, its C++ ops built for CPU), end to end per image, beside maskrt's PipelineBenchmark on the package
exported from the same config and checkpoint, in the same run, one after the other (never concurrently).

    source /work/mmenv/env.sh      # tools/reference/setup_mmdetection.sh
    /usr/bin/python3 benchmarks/anchors/pipeline_real_mmdetection.py --config CFG.py --checkpoint CKPT.pth \
        --package PKG IMAGE... [--runs N] [--warmup N] [--java-cp CP] [--json-out FILE]

mmdetection side: torch.set_num_threads(2); per image `inference_detector(model, path)` (its test pipeline: the file
read and decoded with cv2, imrescale, imnormalize, pad; the network; per-class results), warm-up runs, then the
median of N. mmcv 1.3.9 has no CPU deformable convolution: its DCN layers run torchvision's deform_conv2d
(tools/reference/mmdet_run.py installs it), which is what an mmdetection user gets on CPU (the CPU kernel mmcv added
later is the same algorithm).

maskrt side: `java -Xmx6g -cp CP dev.maskrt.bench.PipelineBenchmark --model PKG --runs N --warmup N IMAGE...`, 2
threads (decode → instances, as maskrt predict does per image).

Prints one JSON line per (implementation, image) and a Markdown table: per-image medians, ratio = mmdetection /
maskrt (above 1: maskrt is faster), and each side's detection count.
"""
import argparse
import json
import os
import statistics
import sys
import time

import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tools", "reference"))
sys.path.insert(0, os.path.join(ROOT, "benchmarks", "anchors"))
import mmdet_run  # noqa: E402,F401  (installs the CPU deformable convolution mmcv 1.3.9 lacks)
from _timing import run_maskrt  # noqa: E402


def run_mmdetection(config, checkpoint, images, runs, warmup):
    from mmdet.apis import inference_detector, init_detector
    model = init_detector(config, checkpoint, device="cpu")
    results = []
    for path in images:
        totals, detections = [], None
        for r in range(warmup + runs):
            t0 = time.perf_counter()
            out = inference_detector(model, path)
            t1 = time.perf_counter()
            boxes = out[0] if isinstance(out, tuple) else out
            detections = int(sum(len(b) for b in boxes))
            if r >= warmup:
                totals.append((t1 - t0) * 1000)
        import mmcv
        h, w = mmcv.imread(path).shape[:2]
        results.append({"image": os.path.relpath(path, ROOT), "size": [h, w], "ms": statistics.median(totals),
                        "detections": detections})
    return results


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", required=True)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--package", required=True)
    ap.add_argument("images", nargs="+")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--java-cp", default=os.environ.get("MASKRT_BENCH_CP",
                                                        os.path.join(ROOT, "benchmarks", "target", "benchmarks.jar")))
    ap.add_argument("--json-out")
    args = ap.parse_args(argv)
    torch.set_num_threads(2)
    images = [os.path.abspath(p) for p in args.images]
    mm = run_mmdetection(args.config, args.checkpoint, images, args.runs, args.warmup)
    mr = run_maskrt(args.java_cp, "mmdetection", os.path.abspath(args.package), images, args.runs, args.warmup)
    lines = [dict(impl="mmdetection 2.16.0 inference_detector", threads=2, **r) for r in mm] + mr
    for line in lines:
        print(json.dumps(line), flush=True)
        if args.json_out:
            with open(args.json_out, "a") as f:
                f.write(json.dumps(line) + "\n")
    print()
    print("| image | size | mmdetection ms | maskrt ms | ratio | detections mmdet / maskrt |")
    print("|---|---|---:|---:|---:|---|")
    for a, b in zip(mm, mr):
        print(f"| {os.path.basename(a['image'])[:16]} | {a['size'][0]}x{a['size'][1]} | {a['ms']:.0f} | {b['ms']:.0f} | "
              f"**{a['ms'] / b['ms']:.2f}×** | {a['detections']} / {b['detections']} |")
    ma, mb = statistics.mean(r["ms"] for r in mm), statistics.mean(r["ms"] for r in mr)
    print(f"| **mean** | | {ma:.0f} | {mb:.0f} | **{ma / mb:.2f}×** | |")


if __name__ == "__main__":
    main()
