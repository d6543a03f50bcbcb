"""Static QDQ int8 graphs for a maskrt model package (`maskrt quantize`).

    python3 -m tools.quantize --model PKG --calibration-images DIR [--count N] [--exclude-ids FILE] --out OUT
        [--graphs backbone,box_heads,mask_head] [--method minmax|percentile] [--max-rois N] [--seed S]
        [--torch-python /usr/bin/python3]

Run from the project root with the `python3` that has onnxruntime (1.30 here: `python3 -m pip install --no-index
--find-links /opt/pypi/files onnxruntime onnx`); the calibration inputs come from maskrt's reference pipeline,
which needs torch and is run as a subprocess with `--torch-python` (Debian's `/usr/bin/python3`; the two cannot be
one interpreter here: torch 1.13 is built against numpy 1.x, onnxruntime 1.30's quantizer needs numpy 2).

1. OUT is made a copy of PKG (every file; OUT may be PKG itself: then the int8 graphs are added in place).
2. Calibration: N images of DIR (sorted by name, those whose stem is listed in `--exclude-ids` left out, then N drawn
   with a seeded generator, in name order) go through `tools.quantize.dump`, i.e. the reference pipeline on the fp32
   weights: maskrt's pre-processing, proposals, RoIAlign and cascade rules. Each graph is calibrated on the inputs
   that pipeline gives it: the backbone on the normalised, padded images; box head K on the RoI features of cascade
   stage K; the mask head on the RoI features of the final detections (at most `--max-rois` per image and head).
3. Each graph named in `--graphs` is pre-processed (`quant_pre_process`: shape inference, ONNX Runtime's basic
   optimisations, which fold the FrozenBN arithmetic into the convolutions) and quantized with ONNX Runtime's
   `quantize_static`: QDQ format, int8 symmetric per-channel weights, uint8 per-tensor activations (AVX-512 VNNI
   runs u8 x s8 without saturation), MinMax (or 99.999-percentile) calibration. The layers that produce the graphs'
   outputs (RPN objectness/deltas, class logits, box deltas, mask logits: small layers whose values the pipeline
   thresholds and ranks) are left in float32; the FPN outputs p2..p6 are quantized like any other activation.
   Files: `<name>.int8.onnx` beside the fp32 graphs.
4. OUT/manifest.json gains `graph_sets.int8` (docs/MODEL_PACKAGE.md): per graph its file and precision (`int8`, or
   `fp32` for a graph left out of `--graphs`, which then points at the fp32 file), and how it was quantized.
"""
import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
import onnxruntime
from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType,
                                      quantize_static)
from onnxruntime.quantization.shape_inference import quant_pre_process

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")
GRAPH_GROUPS = ("backbone", "box_heads", "mask_head")
QUANTIZED_OPS = ["Conv", "ConvTranspose", "Gemm", "MatMul", "Add", "Relu", "MaxPool", "Resize"]


class _Reader(CalibrationDataReader):
    """Feeds one graph input (`key` in the calibration files) batch by batch: one image, or one image's RoIs."""

    def __init__(self, files, key, input_name):
        self.files, self.key, self.input_name = list(files), key, input_name
        self.rows = 0
        self._it = iter(self._batches())

    def _batches(self):
        for path in self.files:
            with np.load(path) as z:
                if self.key in z.files:
                    value = np.ascontiguousarray(z[self.key], dtype=np.float32)
                    self.rows += value.shape[0]
                    yield {self.input_name: value}

    def get_next(self):
        return next(self._it, None)


def select_images(folder, count, exclude_file, seed):
    files = sorted(f for f in os.listdir(folder) if f.lower().endswith(IMAGE_EXTENSIONS))
    if exclude_file:
        with open(exclude_file) as f:
            excluded = {line.strip() for line in f if line.strip() and not line.startswith("#")}
        files = [f for f in files if os.path.splitext(f)[0] not in excluded and f not in excluded]
    if not files:
        raise SystemExit(f"quantize: no images in {folder}" + (" after --exclude-ids" if exclude_file else ""))
    if count and count < len(files):
        rng = np.random.default_rng(seed)
        files = [files[i] for i in sorted(rng.choice(len(files), count, replace=False))]
    return [os.path.join(folder, f) for f in files]


def output_layers(model_path):
    """Names of the nodes that produce the graph's prediction outputs (kept in float32): every output but the FPN
    features p2..p6, whose 3x3 convolutions are a large share of the backbone's work (and feed the RPN head)."""
    m = onnx.load(model_path)
    outputs = {o.name for o in m.graph.output} - {"p2", "p3", "p4", "p5", "p6"}
    return [n.name for n in m.graph.node if any(o in outputs for o in n.output)]


def quantize_graph(src, dst, files, key, method, work):
    pre = os.path.join(work, os.path.basename(src).replace(".onnx", ".pre.onnx"))
    quant_pre_process(src, pre, skip_symbolic_shape=True)
    model = onnx.load(pre)
    input_name = model.graph.input[0].name
    # a Gemm/Conv whose output is a graph output stays float32 (and so do its weights)
    excluded = output_layers(pre)
    reader = _Reader(files, key, input_name)
    extra = {}  # MinMax keeps only each batch's per-tensor min and max (ReduceMin/ReduceMax outputs)
    if method == "percentile":
        calibrate, extra = CalibrationMethod.Percentile, {"CalibPercentile": 99.999}
    else:
        calibrate = CalibrationMethod.MinMax
    started = time.time()
    # the tensor ops only: Concat and the like build shapes and Resize scales (quantized, 2.0 came back as 1.99)
    quantize_static(pre, dst, reader, quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, calibrate_method=calibrate,
                    op_types_to_quantize=QUANTIZED_OPS, nodes_to_exclude=excluded, extra_options=extra)
    print(f"quantize: {os.path.basename(dst)}: {reader.rows} calibration rows ({key}), "
          f"{time.time() - started:.0f} s, {os.path.getsize(dst) / 1024:.0f} KiB "
          f"(fp32 {os.path.getsize(src) / 1024:.0f} KiB); float32 output layers: {', '.join(excluded)}",
          file=sys.stderr)
    return reader.rows


def int8_name(fname):
    stem, ext = os.path.splitext(fname)
    return f"{stem}.int8{ext}"


def main(argv=None):
    p = argparse.ArgumentParser(prog="python3 -m tools.quantize", description=__doc__.split("\n\n")[0])
    p.add_argument("--model", required=True, help="fp32 model package directory")
    p.add_argument("--calibration-images", required=True, help="folder of calibration images (not the test set)")
    p.add_argument("--count", type=int, default=32, help="images drawn from the folder (0: all); default 32")
    p.add_argument("--exclude-ids", help="file of image stems to leave out (e.g. a held-out split's ids)")
    p.add_argument("--out", required=True, help="package written: a copy of --model plus the int8 graphs")
    p.add_argument("--graphs", default="backbone,box_heads,mask_head",
                   help="graph groups made int8 (others stay fp32 in the int8 set); default all")
    p.add_argument("--method", choices=("minmax", "percentile"), default="minmax")
    p.add_argument("--max-rois", type=int, default=256, help="RoIs per image and head used for calibration")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--torch-python", default="/usr/bin/python3",
                   help="interpreter with torch for the reference pipeline; default /usr/bin/python3")
    p.add_argument("--keep-calibration", help="keep the calibration tensors in this folder")
    p.add_argument("--reuse-calibration", help="a --keep-calibration folder of an earlier run on the same package: "
                   "skip the reference pipeline (then --calibration-images, --count are only recorded)")
    args = p.parse_args(argv)
    groups = [g.strip() for g in args.graphs.split(",") if g.strip()]
    for g in groups:
        if g not in GRAPH_GROUPS:
            raise SystemExit(f"quantize: --graphs: unknown group {g!r} (expected {', '.join(GRAPH_GROUPS)})")

    src, out = os.path.abspath(args.model), os.path.abspath(args.out)
    with open(os.path.join(src, "manifest.json")) as f:
        manifest = json.load(f)
    if src != out:
        if os.path.exists(out):
            raise SystemExit(f"quantize: {out} exists (give a new folder, or --out equal to --model)")
        shutil.copytree(src, out)
    if args.reuse_calibration:
        with open(os.path.join(args.reuse_calibration, "index.json")) as f:
            images = [e["image"] for e in json.load(f)["images"]]
    else:
        images = select_images(args.calibration_images, args.count, args.exclude_ids, args.seed)

    with tempfile.TemporaryDirectory(prefix="maskrt-quantize-") as work:
        calib = args.reuse_calibration or args.keep_calibration or os.path.join(work, "calibration")
        if not args.reuse_calibration:
            cmd = [args.torch_python, "-m", "tools.quantize.dump", "--package", src, "--out", calib,
                   "--max-rois", str(args.max_rois), "--seed", str(args.seed), "--images", *images]
            print(f"quantize: calibration inputs of {len(images)} images from the reference pipeline",
                  file=sys.stderr)
            subprocess.run(cmd, cwd=ROOT, check=True)
        files = sorted(glob.glob(os.path.join(calib, "calib_*.npz")))

        graphs = manifest["graphs"]
        entries = {}

        def make(group, decl, key):
            fname = decl["file"]
            if group in groups:
                qname = int8_name(fname)
                rows = quantize_graph(os.path.join(src, fname), os.path.join(out, qname), files, key, args.method,
                                      work)
                return {"file": qname, "precision": "int8", "calibration_rows": rows}
            return {"file": fname, "precision": "fp32"}

        entries["backbone"] = make("backbone", graphs["backbone"], "backbone.image")
        entries["box_heads"] = [make("box_heads", d, f"box_head_{k}.features")
                                for k, d in enumerate(graphs["box_heads"])]
        entries["mask_head"] = make("mask_head", graphs["mask_head"], "mask_head.features")

    entries["quantization"] = {
        "tool": f"onnxruntime {onnxruntime.__version__} quantize_static (tools/quantize)",
        "format": "QDQ",
        "weights": "int8, symmetric, per channel",
        "activations": "uint8, per tensor",
        "output_layers": "float32",
        "calibration": {
            "method": "percentile 99.999" if args.method == "percentile" else "minmax",
            "images": len(images),
            "files": [os.path.basename(i) for i in images],
            "seed": args.seed,
            "max_rois_per_image": args.max_rois,
            "inputs": "maskrt reference pipeline on the fp32 weights (tools/quantize/dump.py)",
        },
    }
    manifest.setdefault("graph_sets", {})["int8"] = entries
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    print(f"quantize: wrote {out} (manifest graph_sets.int8)", file=sys.stderr)


if __name__ == "__main__":
    main()
