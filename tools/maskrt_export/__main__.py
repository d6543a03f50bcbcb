"""Command line:

  /usr/bin/python3 -m tools.maskrt_export export --config CFG.yaml (--weights W.pkl|W.pth | --random-weights
      [--seed N]) --out DIR [--framework detectron2|maskrcnn_benchmark|mmdetection]
      [--save-checkpoint CKPT.pth] [--class-names A B ...]   (mmdetection: write the random weights as its checkpoint)
  /usr/bin/python3 -m tools.maskrt_export reference --package DIR --images IMG... --out OUT.npz [--intermediates]
      [--dense]
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

from . import checkpoint, config, mmdet, mrcnn_benchmark, package, pipeline
from .modules import GeneralizedRCNN


def read_image(path):
    """Decodes with PIL: [H, W] or [H, W, 3] in RGB order; uint8 for 8-bit images, uint16 for 16-bit."""
    from PIL import Image
    with Image.open(path) as im:
        if im.mode in ("I;16", "I;16B", "I;16L", "I"):
            return np.asarray(im).astype(np.uint16) if im.mode != "I" else np.asarray(im).astype(np.float32)
        if im.mode == "L":
            return np.asarray(im)
        return np.asarray(im.convert("RGB"))


def _report_written(out):
    total = sum(os.path.getsize(os.path.join(out, f)) for f in os.listdir(out))
    print(f"wrote {out} ({total / 1024:.0f} KiB)")
    print(f"for ONNX Runtime on the CPU: python3 -m tools.winograd --model {out} --graphs backbone,mask_head adds "
          f"Winograd forms of the backbone's wide 3x3 convolutions and the mask head's upsampling at the RoI "
          f"resolution (tools/README.md)")


def cmd_export_maskrcnn_benchmark(args):
    """maskrcnn-benchmark YAML + .pth (or random weights) -> a flavour "maskrcnn_benchmark" package."""
    from PIL import Image
    from . import mrcnn_benchmark as mb
    from . import mrcnn_benchmark_pipeline as mbp
    settings = mb.load_settings(args.config)
    model = mb.MaskRcnnBenchmark(settings["architecture"]).eval()
    if args.random_weights:
        if args.calibration_image:
            with Image.open(args.calibration_image) as im:
                image = mbp.preprocess(im.convert("RGB"), settings)
            image = mbp.to_image_list([image], max(settings["input"]["size_divisibility"], 32))[0]
        else:
            g = torch.Generator().manual_seed(args.seed)
            image = package._calibration_image(g)
        mb.init_random(model, args.seed, settings, image)
        source = {"config": os.path.basename(args.config), "weights": f"random (seed {args.seed})"}
        if args.calibration_image:
            source["calibration_image"] = os.path.basename(args.calibration_image)
    else:
        mb.load_checkpoint(model, args.weights)
        source = {"config": os.path.basename(args.config), "weights": os.path.basename(args.weights)}
    mb.export_package(model, settings, args.out, source)
    _report_written(args.out)


def cmd_export_mmdetection(args):
    """mmdetection config .py + checkpoint (or random weights) -> a flavour "mmdetection" package."""
    image = None
    if args.random_weights and args.calibration_image:
        settings = mmdet.load_settings(args.config, args.class_names)
        image = pipeline.preprocess(pipeline.to_model_channels(read_image(args.calibration_image),
                                                               settings["input"]["format"]), settings)[0]
    if args.save_checkpoint and not args.random_weights:
        sys.exit("--save-checkpoint writes random weights; it needs --random-weights")
    mmdet.export(args.config, args.out, weights=args.weights, seed=args.seed, calibration_image=image,
                 save_checkpoint_to=args.save_checkpoint, class_names=args.class_names)
    _report_written(args.out)


def cmd_export(args):
    if args.framework == "maskrcnn_benchmark":
        return cmd_export_maskrcnn_benchmark(args)
    if args.framework == "mmdetection":
        return cmd_export_mmdetection(args)
    settings = config.load_settings(args.config)
    model = GeneralizedRCNN(settings["architecture"]).eval()
    if args.random_weights:
        image = None
        if args.calibration_image:
            image = pipeline.preprocess(pipeline.to_model_channels(read_image(args.calibration_image),
                                                                   settings["input"]["format"]), settings)[0]
        package.init_random(model, args.seed, settings, image)
        source = {"config": os.path.basename(args.config), "weights": f"random (seed {args.seed})"}
        if args.calibration_image:
            source["calibration_image"] = os.path.basename(args.calibration_image)
    else:
        checkpoint.load_checkpoint(model, args.weights)
        source = {"config": os.path.basename(args.config), "weights": os.path.basename(args.weights)}
    package.export_package(model, settings, args.out, source)
    _report_written(args.out)


def cmd_reference(args):
    torch.set_num_threads(args.threads)
    model, settings, _ = package.load_package(args.package)
    kind = model.roi_heads.__class__.__name__
    if kind != "CascadeROIHeads" or not model.mask_on:
        sys.exit(f"{args.package}: the reference pipeline here follows Cascade Mask R-CNN only ({kind}, masks "
                 f"{model.mask_on}); use real detectron2 (tools/reference/detectron2_run.py) as the reference")
    arrays, index = {}, []
    for i, path in enumerate(args.images):
        recorder = pipeline.DenseRecorder(model) if args.dense else None
        result = pipeline.run_image(recorder or model, settings, read_image(path))
        prefix = f"img{i}."
        for key, value in result.items():
            if key in pipeline.INTERMEDIATE_KEYS and not args.intermediates:
                continue
            arrays[prefix + key] = value
        if recorder:
            arrays.update({prefix + key: value for key, value in recorder.arrays.items()})
        index.append({"prefix": prefix, "image": path, "detections": int(len(result["scores"]))})
        print(f"{os.path.basename(path)}: {len(result['scores'])} detections", file=sys.stderr)
    # dense tensors are hundreds of MB of noise-like floats: not worth compressing
    (np.savez if args.dense else np.savez_compressed)(args.out, **arrays)
    with open(os.path.splitext(args.out)[0] + ".json", "w") as f:
        json.dump({"images": index}, f, indent=2)
        f.write("\n")


def main(argv=None):
    p = argparse.ArgumentParser(prog="python3 -m tools.maskrt_export")
    sub = p.add_subparsers(dest="command", required=True)
    e = sub.add_parser("export", help="config + checkpoint -> model package")
    e.add_argument("--config", required=True)
    w = e.add_mutually_exclusive_group(required=True)
    w.add_argument("--weights", help="detectron2 checkpoint (.pkl or .pth)")
    w.add_argument("--random-weights", action="store_true", help="seeded random weights (tests, benchmarks)")
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--calibration-image", help="with --random-weights: calibrate on this image (resized and normalised "
                                               "as the model's test input) instead of the synthetic one")
    e.add_argument("--out", required=True)
    e.add_argument("--framework", choices=["detectron2", "maskrcnn_benchmark", "mmdetection"], default="detectron2",
                   help="the trainer of the config and checkpoint (default detectron2)")
    e.add_argument("--save-checkpoint", help="mmdetection with --random-weights: also write the weights as an "
                                             "mmdetection checkpoint (for running real mmdetection on them)")
    e.add_argument("--class-names", nargs="+", help="mmdetection: class names when neither the config (`classes`) "
                                                    "nor the checkpoint (meta CLASSES) has them")
    r = sub.add_parser("reference", help="run the PyTorch reference pipeline on images")
    r.add_argument("--package", required=True)
    r.add_argument("--images", nargs="+", required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--intermediates", action="store_true", help="also save proposals, stage boxes/probs, ...")
    r.add_argument("--dense", action="store_true",
                   help="also save every graph's inputs and outputs (dense.*), to replay them in Java")
    r.add_argument("--threads", type=int, default=2)
    args = p.parse_args(argv)
    try:
        cmd_export(args) if args.command == "export" else cmd_reference(args)
    except (config.ConfigError, checkpoint.CheckpointError, package.PackageError, mrcnn_benchmark.ConfigError,
            mmdet.ConfigError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
