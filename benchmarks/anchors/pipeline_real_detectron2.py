#!/usr/bin/python3
"""The CPU anchor users would actually run instead of maskrt: UPSTREAM detectron2's DefaultPredictor, end to end
and per stage, beside maskrt's PipelineBenchmark on the same packages and images, in the same run.

    source /work/d2env/env.sh      # PYTHONPATH of upstream detectron2 (tools/reference/setup_detectron2.sh)
    /usr/bin/python3 benchmarks/anchors/pipeline_real_detectron2.py [r50|dsb...] [--runs N] [--warmup N]
        [--java-cp CP] [--no-maskrt] [--json-out FILE] [--precisions fp32,int8] [--package W=DIR] [--rounds K]

Workloads:
  r50   the calibrated random-weight cascade_mask_rcnn_R_50_FPN_3x package (benchmarks/target/models/cascade_r50,
        exported here once with tools.maskrt_export --random-weights --seed 1, as anchors/pipeline_detectron2.py
        does; ~280 MB, git-ignored) on the seeded synthetic 800x1333 image (its test size: no resize)
  dsb   the bundled models/dsb2018-cascade-r18 on four held-out DSB2018 images (samples/dsb2018-val) of four
        sizes, each resized to the model's own test size (512, max 1400)

detectron2 side: the model is built exactly as tools/reference/detectron2_run.py builds it (imported, not
copied: build_config + DefaultPredictor + load_package_weights), torch.set_num_threads(2). An image is read with
detectron2's read_image(path, "BGR") ("decode") and passed to DefaultPredictor; per-stage times come from
wrappers around the module calls (every wrapper only reads time.perf_counter; no synchronisation is needed on CPU):
  preprocess   DefaultPredictor's resize + HWC->CHW float copy, plus GeneralizedRCNN.preprocess_image (normalise, pad)
  backbone     model.backbone (ResNet + FPN)
  rpn head     proposal_generator.rpn_head (the convolutions; maskrt's backbone graph contains them)
  proposals    the rest of proposal_generator (anchors, decode, top-k, NMS)
  box stage k  CascadeROIHeads._run_stage(k): box_pooler (RoIAlign) + box_head[k] (FCs) + box_predictor[k]
  detections   the rest of _forward_box (box decode per stage, softmax, score average, fast_rcnn_inference)
  mask head    _forward_mask: mask_pooler + mask_head (convs, deconv, predictor, sigmoid of the class channel)
  paste        GeneralizedRCNN._postprocess (detector_postprocess: box scaling, paste_masks_in_image)
warm-up runs, then the median of N runs per image (each stage's median separately). `--rounds K` repeats the
detectron2 side and the maskrt side in turn K times and prints each round's table and end-to-end ratio, then the
median ratio: on a VM whose speed drifts from one minute to the next, one round can land detectron2 and maskrt in
different weather.

maskrt side: `java -Xmx6g -cp CP dev.maskrt.bench.PipelineBenchmark --model PKG --name W --runs N IMAGE...` (CP:
--java-cp, else $MASKRT_BENCH_CP, else benchmarks/target/benchmarks.jar), 2 threads, same images, run after the
detectron2 side (never concurrently). Its "backbone" is one ONNX graph with ResNet + FPN + the RPN head.
`--precisions fp32,fp32-direct,fp32-noarena,int8` runs it once per variant (fp32: a graph's Winograd form where the
package has one, made by `python3 -m tools.winograd`; -direct: `--no-winograd`; -noarena: `--no-memory-arena`;
`--precision int8`: the package's int8 graph set, made by
`python3 -m tools.quantize`), each beside the same detectron2 run.

Prints one JSON line per (workload, implementation, image) and a Markdown table per workload: stage medians
(averaged over the workload's images), ratio = detectron2 / maskrt (above 1: maskrt is faster).
"""
import argparse
import collections
import glob
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tools", "reference"))

import numpy as np  # noqa: E402
import torch  # noqa: E402

import detectron2_run as d2run  # noqa: E402  (imports detectron2 and maskrt_export, registers the narrow backbone)
from detectron2.data.detection_utils import read_image  # noqa: E402
from detectron2.engine import DefaultPredictor  # noqa: E402
from detectron2.modeling.meta_arch.rcnn import GeneralizedRCNN  # noqa: E402

from _synthetic import synthetic_image  # noqa: E402
from _timing import run_maskrt  # noqa: E402

INPUTS = os.path.join(ROOT, "benchmarks", "target", "inputs")
MODELS = os.path.join(ROOT, "benchmarks", "target", "models")
R50 = os.path.join(MODELS, "cascade_r50")
DSB = os.path.join(ROOT, "models", "dsb2018-cascade-r18")
# held-out DSB2018 images (samples/dsb2018-val), one per common size: 256x256, 320x256, 696x520, 1024x1024
DSB_IMAGES = ["003cee89357d", "00ae65c1c663", "07fb37aafa66", "08275a5b1c2d"]

STAGES = ["decode", "preprocess", "backbone", "rpn head", "proposals", "box stage 0", "box stage 1", "box stage 2",
          "detections", "mask head", "paste"]


def r50_package():
    if not os.path.exists(os.path.join(R50, "manifest.json")):
        env = dict(os.environ)
        env.pop("PYTHONPATH", None)  # detectron2's source tree has its own `tools` package
        subprocess.run([sys.executable, "-m", "tools.maskrt_export", "export", "--config",
                        "tools/configs/cascade_mask_rcnn_R_50_FPN_3x.yaml", "--random-weights", "--seed", "1",
                        "--out", R50], cwd=ROOT, check=True, env=env)
    return R50


def r50_image():
    from PIL import Image
    path = os.path.join(INPUTS, "pipeline_r50_800x1333.png")
    if not os.path.exists(path):
        os.makedirs(INPUTS, exist_ok=True)
        Image.fromarray(synthetic_image(800, 1333, 7)).save(path)  # the image anchors/pipeline_detectron2.py saves
    return path


def dsb_images():
    out = []
    for prefix in DSB_IMAGES:
        found = sorted(glob.glob(os.path.join(ROOT, "samples", "dsb2018-val", "images", prefix + "*.png")))
        if len(found) != 1:
            raise SystemExit(f"pipeline_real_detectron2: held-out image {prefix}* not found (or not unique)")
        out.append(found[0])
    return out


WORKLOADS = {
    "r50": ("pipeline_r50_800x1333", r50_package, lambda: [r50_image()]),
    "dsb": ("pipeline_dsb2018_r18", lambda: DSB, dsb_images),
}


# ------------------------------------------------------------------------------------------ detectron2 side

class StageClock:
    """Wall time per label for one run, collected by wrappers around methods and module forwards."""

    def __init__(self):
        self.ms = collections.defaultdict(float)

    def wrap(self, owner, name, label):
        inner = getattr(owner, name)
        clock = self

        def timed(*args, **kwargs):
            t = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                clock.ms[label(args) if callable(label) else label] += (time.perf_counter() - t) * 1000

        setattr(owner, name, timed)


def instrument(predictor):
    clock = StageClock()
    m = predictor.model
    rh = m.roi_heads
    clock.wrap(m, "forward", "_model")
    clock.wrap(m, "preprocess_image", "_preprocess_image")
    clock.wrap(m.backbone, "forward", "backbone")
    clock.wrap(m.proposal_generator, "forward", "_proposal_generator")
    clock.wrap(m.proposal_generator.rpn_head, "forward", "rpn head")
    clock.wrap(rh, "_forward_box", "_forward_box")
    clock.wrap(rh, "_run_stage", lambda a: f"box stage {a[2]}")
    clock.wrap(rh.box_pooler, "forward", "_box pooler")
    for k in range(rh.num_cascade_stages):
        clock.wrap(rh.box_head[k], "forward", "_box head")
    clock.wrap(rh, "_forward_mask", "mask head")
    clock.wrap(rh.mask_pooler, "forward", "_mask pooler")
    clock.wrap(rh.mask_head, "forward", "_mask head")
    # a staticmethod called through the class (GeneralizedRCNN._postprocess(...)): wrapped on the class
    inner = GeneralizedRCNN.__dict__["_postprocess"].__func__

    def postprocess(*args, **kwargs):
        t = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            clock.ms["paste"] += (time.perf_counter() - t) * 1000

    GeneralizedRCNN._postprocess = staticmethod(postprocess)
    return clock


def d2_stages(raw, call_ms):
    """The STAGES of one run from the raw wrapper times (see the module docstring)."""
    s = {k: v for k, v in raw.items() if not k.startswith("_")}
    s["preprocess"] = call_ms - raw["_model"] + raw["_preprocess_image"]
    s["proposals"] = raw["_proposal_generator"] - raw["rpn head"]
    s["detections"] = raw["_forward_box"] - sum(v for k, v in raw.items() if k.startswith("box stage"))
    s["box pooler (all stages)"] = raw["_box pooler"]
    s["box head FCs (all stages)"] = raw["_box head"]
    s["mask pooler"] = raw["_mask pooler"]
    s["mask head convs"] = raw["_mask head"]
    return s


def median_dict(runs):
    keys = list(runs[0])
    return {k: statistics.median(r.get(k, 0.0) for r in runs) for k in keys}


def run_detectron2(package, images, runs, warmup):
    with open(os.path.join(package, "manifest.json")) as f:
        manifest = json.load(f)
    cfg = d2run.build_config(manifest)
    predictor = DefaultPredictor(cfg)
    d2run.load_package_weights(predictor.model, package)
    predictor.model.eval()
    clock = instrument(predictor)
    results = []
    for path in images:
        samples, totals, detections = [], [], None
        for r in range(warmup + runs):
            clock.ms.clear()
            t0 = time.perf_counter()
            image = read_image(path, format="BGR")  # as detectron2_run.py / demo.py: DefaultPredictor takes BGR
            t1 = time.perf_counter()
            out = predictor(image)
            t2 = time.perf_counter()
            detections = len(out["instances"])
            if r < warmup:
                continue
            stages = d2_stages(clock.ms, (t2 - t1) * 1000)
            stages["decode"] = (t1 - t0) * 1000
            samples.append(stages)
            totals.append((t2 - t0) * 1000)
        h, w = image.shape[:2]
        results.append({"image": os.path.relpath(path, ROOT), "size": [h, w], "ms": statistics.median(totals),
                        "detections": detections, "stages_ms": median_dict(samples)})
    return results



# ------------------------------------------------------------------------------------------------- reporting

def mean_over_images(results, key=None):
    if key is None:
        return statistics.mean(r["ms"] for r in results)
    return statistics.mean(r["stages_ms"].get(key, 0.0) for r in results)


def table(name, d2, mrs):
    """mrs: {precision: maskrt results} (empty: detectron2 only); one maskrt ms + ratio column pair per precision."""
    def row(label, a, bs):
        cells = [f"{a:.1f}" if a is not None else "—"]
        for b in bs:
            cells.append(f"{b:.1f}" if b is not None else "—")
            cells.append(f"**{a / b:.2f}×**" if a and b else "—")
        return f"| {label} | " + " | ".join(cells) + " |"

    head = "| stage | detectron2 ms | " + " | ".join(f"maskrt {p} ms | ratio {p}" for p in mrs) + " |"
    lines = [f"### {name} ({len(d2)} image(s); per-image medians, mean over images)", "", head,
             "|---|---:|" + "---:|---:|" * len(mrs)]

    def both(key_d2, key_mr=None):
        return mean_over_images(d2, key_d2), [mean_over_images(mr, key_mr or key_d2) for mr in mrs.values()]

    for stage in ["decode", "preprocess"]:
        lines.append(row(stage, *both(stage)))
    a = mean_over_images(d2, "backbone") + mean_over_images(d2, "rpn head")
    lines.append(row("backbone + FPN + RPN head", a, [mean_over_images(mr, "backbone") for mr in mrs.values()]))
    for stage in ["proposals", "box stage 0", "box stage 1", "box stage 2", "detections", "mask head", "paste"]:
        lines.append(row(stage, *both(stage)))
    lines.append(row("**end to end**", mean_over_images(d2), [mean_over_images(mr) for mr in mrs.values()]))
    det = ", ".join(f"{os.path.basename(r['image'])[:12]} {r['size'][0]}x{r['size'][1]}: d2 {r['detections']}"
                    + "".join(f" / maskrt {p} {mr[i]['detections']}" for p, mr in mrs.items())
                    for i, r in enumerate(d2))
    lines += ["", f"detections: {det}", ""]
    parts = ["box pooler (all stages)", "box head FCs (all stages)", "mask pooler", "mask head convs"]
    lines.append("detectron2 parts: " + ", ".join(f"{p} {mean_over_images(d2, p):.1f}" for p in parts))
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("workloads", nargs="*", help=f"any of {list(WORKLOADS)} (default: all)")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=1,
                    help="repeat detectron2 then maskrt this many times, one table each, and print every round's "
                         "end-to-end ratio with their median (the machine's speed drifts between minutes)")
    ap.add_argument("--java-cp", default=os.environ.get("MASKRT_BENCH_CP",
                                                        os.path.join(ROOT, "benchmarks", "target", "benchmarks.jar")))
    ap.add_argument("--no-maskrt", action="store_true", help="time detectron2 only")
    ap.add_argument("--json-out", default=None, help="also append every JSON line to this file")
    ap.add_argument("--package", action="append", default=[], metavar="W=DIR",
                    help="use package DIR for workload W (e.g. dsb=a copy of the bundled model with int8 graphs)")
    ap.add_argument("--precisions", default="fp32",
                    help="maskrt variants to time, comma-separated: fp32 or int8 (the package's int8 graphs), "
                         "suffixes -direct (without the Winograd graphs), -noarena (without ONNX Runtime's memory arena)")
    args = ap.parse_args(argv)
    unknown = [w for w in args.workloads if w not in WORKLOADS]
    if unknown:
        ap.error(f"unknown workload(s) {unknown}; known: {list(WORKLOADS)}")
    torch.set_num_threads(2)
    tables = []
    for w in args.workloads or list(WORKLOADS):
        name, package_fn, images_fn = WORKLOADS[w]
        overrides = dict(o.split("=", 1) for o in args.package)
        package = os.path.abspath(overrides[w]) if w in overrides else package_fn()
        images = images_fn()
        ratios = collections.defaultdict(list)
        for rnd in range(args.rounds):
            d2 = run_detectron2(package, images, args.runs, args.warmup)
            lines = [dict(workload=name, impl="detectron2 DefaultPredictor", threads=torch.get_num_threads(),
                          round=rnd, **r) for r in d2]
            mrs = {}
            if not args.no_maskrt:
                for precision in [p.strip() for p in args.precisions.split(",") if p.strip()]:
                    mrs[precision] = run_maskrt(args.java_cp, name, os.path.abspath(package), images, args.runs,
                                                args.warmup, precision)
                    lines += [dict(r, round=rnd) for r in mrs[precision]]
                    ratios[precision].append(mean_over_images(d2) / mean_over_images(mrs[precision]))
            for line in lines:
                print(json.dumps(line), flush=True)
                if args.json_out:
                    with open(args.json_out, "a") as f:
                        f.write(json.dumps(line) + "\n")
            tables.append(table(name + (f", round {rnd + 1} of {args.rounds}" if args.rounds > 1 else ""), d2, mrs))
        if args.rounds > 1:
            tables.append(f"{name}: end-to-end ratio (detectron2 / maskrt) per round: " + "; ".join(
                f"{p} {', '.join(f'{r:.2f}x' for r in rs)} (median {statistics.median(rs):.2f}x)"
                for p, rs in ratios.items()))
    print()
    print("\n\n".join(tables))


if __name__ == "__main__":
    sys.exit(main())
