#!/usr/bin/python3
"""Runs UPSTREAM mmdetection 2.16.0 (on mmcv 1.3.9) on images, on the CPU: an independent reference for maskrt.

    source /work/mmenv/env.sh            # PYTHONPATH made by tools/reference/setup_mmdetection.sh
    /usr/bin/python3 tools/reference/mmdet_run.py --config configs/mask_rcnn/mask_rcnn_r50_fpn_1x_coco.py \
        --checkpoint CKPT.pth --images samples/images/* --out /tmp/mmdet.json [--score-thr X] [--threads 2] \
        [--dump-config CFG.py|CFG.json] [--random-init [--seed 0]]

What it does:
1. Reads the config with mmcv's `Config.fromfile` (its `_base_` files merged). A --config path that does not exist
   as given is looked up under the mmdetection source root (DEST/src, next to the `mmdet` package), so mmdet's own
   `configs/...` paths work from anywhere. --score-thr sets model.test_cfg.rcnn.score_thr (the cascade configs have a
   single rcnn test dict too; a config without test_cfg.rcnn gets test_cfg.score_thr).
2. Builds the model with mmdet's own `mmdet.apis.init_detector(cfg, checkpoint, device='cpu')`, which loads the
   checkpoint with mmcv's `load_checkpoint` (map_location cpu): an mmdet/mmcv checkpoint, a plain state_dict, or a
   file written with `torch.save({'state_dict': sd, 'meta': {'CLASSES': [...], ...}}, path)`. Missing or unexpected
   keys are only warned about by mmcv (printed on stderr), as in mmdet's own tools.
3. Runs `mmdet.apis.inference_detector(model, path)` on each image: mmdet's own test pipeline from the config
   (LoadImageFromFile = mmcv.imread via cv2, colour BGR; MultiScaleFlipAug; Resize keep_ratio; RandomFlip;
   Normalize; Pad size_divisor; ImageToTensor; Collect), under torch.no_grad (inference_detector's own).

--random-init (smoke-test aid only: the detections mean nothing): no checkpoint; the backbone's
`init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')` is dropped (it would download), and after
init_detector(cfg, None) `model.init_weights()` applies mmdet's own initialisers (normal/xavier/kaiming as each module
declares) after `torch.manual_seed(--seed)`. With such weights the class scores sit near 1/(num_classes+1), below
the default score_thr 0.05, so a smoke run usually also passes e.g. --score-thr 0.

Output JSON, the format of tools/reference/detectron2_run.py: {"mmdetection": {"version", "commit", "path"},
"mmcv": {"version", "commit", "ops": "compiled" | "torchvision substitutes", "substituted": {op: calls}},
"torch", "torchvision", "threads", "config", "checkpoint", "random_init", "class_names", "score_thr",
"model_build_seconds", "images": [{"file", "height", "width", "seconds", "instances": [{"box": [x0, y0, x1, y1],
"score", "class", "mask": {"size": [h, w], "counts": "<COCO compressed RLE>"}}]}]}.
  * mmdet 2.16 returns its detections grouped by class (bbox2result: per class an [n, 5] float32 array, each
    class in its NMS order); here they are concatenated in class order and then STABLY SORTED BY DESCENDING SCORE
    (np.argsort(-score, kind="stable")), so ties keep class order, then mmdet's order within the class.
  * box and score are mmdet's float32 values converted to Python floats (exact); "class" is the 0-based label.
  * "mask" only for models with a mask head: mmdet's segm result (bool [H, W] at the original image size, pasted
    and thresholded by mmdet's FCNMaskHead.get_seg_masks), COCO-compressed with pycocotools; null otherwise.
  * class_names: the checkpoint's meta CLASSES, else the config's num_classes as index strings "0".."n-1" (not
    init_detector's COCO default for a checkpoint without CLASSES).
  * "seconds": wall time of inference_detector for that image (image read + pipeline + model + result
    conversion), at --threads torch threads; height/width come from mmcv.imread of the file (outside that time).
  * mmcv.ops: "compiled" when mmcv._ext is the C++ extension built by setup_mmdetection.sh, "torchvision
    substitutes" when it is the fallback mmcv/_ext.py. Either way mmcv 1.3.9 has no CPU deformable convolution, so
    CPU calls of deform_conv_forward / modulated_deform_conv_forward go to torchvision.ops.deform_conv2d
    (mmcv/_ext_torchvision.py, same offset layout); "substituted" counts the calls of every substitute used.
"""
import argparse
import json
import os
import sys
import time
import warnings

import numpy as np
import torch

try:
    import mmcv
    import mmdet
    from mmdet.apis import inference_detector, init_detector
    import mmcv._ext as mmcv_ext
    import mmcv._ext_torchvision as mmcv_tv
except ImportError as e:  # pragma: no cover - environment problem
    sys.exit(f"mmdet_run: cannot import mmdetection/mmcv ({e}); run tools/reference/setup_mmdetection.sh and "
             f"`source /work/mmenv/env.sh` (PYTHONPATH), with /usr/bin/python3")

try:
    from pycocotools import mask as mask_util
except ImportError:  # pragma: no cover
    mask_util = None

MMCV_OPS = "torchvision substitutes" if mmcv_ext.__file__.endswith(".py") else "compiled"
# mmcv 1.3.9's compiled deform_conv_forward / modulated_deform_conv_forward raise "not implemented on CPU"
PATCHED = mmcv_tv.patch_compiled(mmcv_ext) if MMCV_OPS == "compiled" else []


def _source_root():
    """DEST/src: the folder holding the mmdet package and mmdetection's configs/."""
    return os.path.dirname(os.path.dirname(os.path.abspath(mmdet.__file__)))


def _versions():
    """DEST/versions.json written by setup_mmdetection.sh ({} when absent)."""
    try:
        with open(os.path.join(os.path.dirname(_source_root()), "versions.json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def _commit(name, env):
    return os.environ.get(env) or _versions().get(name, {}).get("commit", "unknown")


def resolve_config(path):
    if os.path.exists(path):
        return os.path.abspath(path)
    alt = os.path.join(_source_root(), path)
    if os.path.exists(alt):
        return alt
    sys.exit(f"mmdet_run: config {path} not found (nor under {_source_root()})")


def _num_classes(cfg):
    roi = cfg.model.get("roi_head")
    heads = [] if roi is None else roi.get("bbox_head")
    heads = heads if isinstance(heads, list) else [heads]
    for h in heads:
        if h is not None and "num_classes" in h:
            return int(h["num_classes"])
    for key in ("bbox_head", "rpn_head"):  # single-stage detectors
        h = cfg.model.get(key)
        if h is not None and "num_classes" in h:
            return int(h["num_classes"])
    raise ValueError("no num_classes in the config's model")


def _checkpoint_classes(path):
    ckpt = torch.load(path, map_location="cpu")
    meta = ckpt.get("meta") if isinstance(ckpt, dict) else None
    classes = (meta or {}).get("CLASSES")
    return None if classes is None else [str(c) for c in classes]


def encode_masks(masks, h, w):
    """list of bool [H, W] -> list of {"size", "counts"} (compressed, pycocotools)."""
    if not masks:
        return []
    if mask_util is None:
        sys.exit("mmdet_run: pycocotools is needed for the masks (setup_mmdetection.sh installs it)")
    stack = np.stack([np.asarray(m, dtype=bool) for m in masks], axis=2)
    rles = mask_util.encode(np.asfortranarray(stack.astype(np.uint8)))
    return [{"size": [int(x) for x in r["size"]], "counts": r["counts"].decode("ascii")} for r in rles]


def _image_record(path, h, w, seconds, result):
    if isinstance(result, tuple):
        bbox_result, segm_result = result[0], result[1]
        if isinstance(segm_result, tuple):  # (segms, mask scores) from mask-scoring heads
            segm_result = segm_result[0]
    else:
        bbox_result, segm_result = result, None
    dets = [np.asarray(b, dtype=np.float32).reshape(-1, 5) for b in bbox_result]
    labels = np.concatenate([np.full(len(d), c, dtype=np.int64) for c, d in enumerate(dets)])
    dets = np.concatenate(dets, axis=0)
    masks = None
    if segm_result is not None:
        masks = [m for per_class in segm_result for m in per_class]
        if len(masks) != len(dets):
            raise RuntimeError(f"{path}: {len(masks)} masks for {len(dets)} boxes")
    order = np.argsort(-dets[:, 4], kind="stable")
    rles = encode_masks([masks[i] for i in order], h, w) if masks is not None else [None] * len(order)
    for r in rles:
        if r is not None and r["size"] != [h, w]:
            raise RuntimeError(f"{path}: mask size {r['size']} is not the image size {[h, w]}")
    return {
        "file": path,
        "height": int(h),
        "width": int(w),
        "seconds": seconds,
        "instances": [{"box": [float(v) for v in dets[i, :4]], "score": float(dets[i, 4]), "class": int(labels[i]),
                       "mask": rle} for i, rle in zip(order, rles)],
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", required=True, help="mmdetection config (.py); mmdet's configs/... paths work")
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--checkpoint", help="checkpoint (.pth): mmdet's, a state_dict, or {'state_dict', 'meta'}")
    src.add_argument("--random-init", action="store_true",
                     help="SMOKE-TEST AID: no checkpoint, mmdet's own random initialisation (see the docstring)")
    ap.add_argument("--seed", type=int, default=0, help="torch seed for --random-init (default 0)")
    ap.add_argument("--images", required=True, nargs="+", help="image files")
    ap.add_argument("--out", required=True, help="output JSON")
    ap.add_argument("--score-thr", type=float, default=None, help="override model.test_cfg.rcnn.score_thr")
    ap.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    ap.add_argument("--dump-config", default=None,
                    help="write the fully merged config used: JSON if the name ends in .json, else mmcv's pretty_text")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)

    config_path = resolve_config(args.config)
    cfg = mmcv.Config.fromfile(config_path)
    if args.score_thr is not None:
        if "rcnn" in cfg.model.test_cfg:
            cfg.model.test_cfg.rcnn.score_thr = args.score_thr
        else:  # single-stage detectors keep score_thr at the top of test_cfg
            cfg.model.test_cfg.score_thr = args.score_thr
    if args.random_init:
        cfg.model.backbone.init_cfg = None

    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # init_detector's "use COCO classes" note; see class_names
        model = init_detector(cfg, None if args.random_init else args.checkpoint, device="cpu")
    if args.random_init:
        torch.manual_seed(args.seed)
        model.init_weights()
        model.eval()
    build_s = time.perf_counter() - t0

    classes = None if args.random_init else _checkpoint_classes(args.checkpoint)
    class_names = classes if classes is not None else [str(i) for i in range(_num_classes(model.cfg))]
    score_thr = model.cfg.model.test_cfg.rcnn.score_thr if "rcnn" in model.cfg.model.test_cfg else \
        model.cfg.model.test_cfg.get("score_thr")
    if args.dump_config:
        with open(args.dump_config, "w") as f:
            if args.dump_config.endswith(".json"):
                json.dump(model.cfg._cfg_dict.to_dict(), f, indent=1)
                f.write("\n")
            else:
                f.write(model.cfg.pretty_text)
    print(f"mmdet_run: {os.path.relpath(config_path, _source_root())} built "
          f"({'random init' if args.random_init else args.checkpoint}) in {build_s:.2f} s; mmcv ops {MMCV_OPS}"
          f"{' (CPU deform conv: torchvision)' if PATCHED else ''}; {args.threads} threads; class names "
          f"{'from the checkpoint meta' if classes is not None else 'are indices 0..%d' % (len(class_names) - 1)}",
          file=sys.stderr)

    images = []
    for path in args.images:
        h, w = mmcv.imread(path).shape[:2]
        t = time.perf_counter()
        result = inference_detector(model, path)
        seconds = time.perf_counter() - t
        images.append(_image_record(path, h, w, seconds, result))
        per_class = np.bincount([d["class"] for d in images[-1]["instances"]], minlength=len(class_names))
        print(f"mmdet_run: {path}: {len(images[-1]['instances'])} detections "
              f"({int((per_class > 0).sum())} classes) in {seconds:.3f} s", file=sys.stderr)

    result = {
        "mmdetection": {"version": mmdet.__version__, "commit": _commit("mmdetection", "MMDET_COMMIT"),
                        "path": _source_root()},
        "mmcv": {"version": mmcv.__version__, "commit": _commit("mmcv", "MMCV_COMMIT"), "ops": MMCV_OPS,
                 "substituted": dict(sorted(mmcv_tv.CALLS.items()))},
        "torch": torch.__version__,
        "torchvision": __import__("torchvision").__version__,
        "threads": args.threads,
        "config": config_path,
        "checkpoint": None if args.random_init else args.checkpoint,
        "random_init": {"seed": args.seed} if args.random_init else None,
        "class_names": class_names,
        "score_thr": score_thr,
        "model_build_seconds": build_s,
        "images": images,
    }
    with open(args.out, "w") as f:
        json.dump(result, f)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
