#!/usr/bin/python3
"""Runs UPSTREAM detectron2 on a maskrt model package: the independent reference for maskrt's Java output.

    source /work/d2env/env.sh            # PYTHONPATH made by tools/reference/setup_detectron2.sh
    /usr/bin/python3 tools/reference/detectron2_run.py --package models/synthcells-cascade-r18 \
        --images samples/images/* --out /tmp/d2.json [--score-thresh X] [--threads 1] [--dump-config CFG.yaml] \
        [--tta]

What it does:
1. Builds a detectron2 config from the package's manifest.json: detectron2's own config for the kind of model
   (D2_BASE_CONFIGS: Misc/cascade_mask_rcnn_R_50_FPN_3x.yaml, COCO-InstanceSegmentation/mask_rcnn_R_50_FPN_3x.yaml
   or COCO-Detection/faster_rcnn_R_50_FPN_3x.yaml) from the fetched source tree, then
   every value the manifest carries (input format/mean/std/sizes, anchors, RPN, ROI heads, cascade weights/IoUs,
   thresholds, head widths, FPN, ResNet layout). Values detectron2 hard-codes (strides, scale clamp, pooler
   canonical size/level, pad value, size divisibility, mask threshold, PIL bilinear resize) are checked against
   the manifest instead: a package that disagrees is refused.
2. Builds the model with detectron2's `DefaultPredictor` (MODEL.WEIGHTS empty, so its checkpointer loads
   nothing), then loads the package's weights: `tools/maskrt_export/package.py::load_package` reads the ONNX
   initializers into a module tree that uses detectron2's parameter names, and that state_dict is loaded into
   detectron2's model; every missing or unexpected key fails the run, except the known-harmless ones below.
3. Reads each image with detectron2's `read_image(path, format="BGR")` (as detectron2's demo/demo.py does) and
   runs `DefaultPredictor` on it; writes boxes, scores, classes and COCO-RLE masks (pasted at image size) as JSON.

With --tta, step 3 runs detectron2's test-time augmentation instead: `GeneralizedRCNNWithTTA(cfg, model)` (default
batch_size 3, mapper `DatasetMapperTTA(cfg)`) with cfg.TEST.AUG from the manifest's `test_aug` (min_sizes, max_size,
flip; detectron2's defaults where a package has none). Each image is read with `read_image(path,
format=cfg.INPUT.FORMAT)` (what detectron2's DatasetMapper gives a model: GeneralizedRCNNWithTTA calls the model
directly, without DefaultPredictor's BGR->RGB flip) and passed as {"image": CHW uint8 tensor, "height", "width"} at
its original size, so DatasetMapperTTA's pre-transform is a NoOp and every augmentation resizes the original
image. (detectron2's tools/train_net.py instead feeds TTA from the test loader, i.e. an image already resized to
INPUT.MIN_SIZE_TEST, which DatasetMapperTTA then resizes again.)

The backbone is registered as `build_narrow_resnet_fpn_backbone`: detectron2's `build_resnet_backbone` asserts
RES2_OUT_CHANNELS == 64 for R18/R34, while the bundled packages use narrower widths (stem 32 / res2 32, the tiny
test package stem 8 / res2 4). The builder below is detectron2's own construction (BasicStem, ResNet.make_stage
with BasicBlock/BottleneckBlock, FPN, LastLevelMaxPool) without that one assertion; for R50+ or res2 64 it simply
calls detectron2's `build_resnet_backbone`.

Norm: the ResNet norm is FrozenBN whatever the manifest's `resnet_norm` says (BN/SyncBN are exported as FrozenBN
with their running statistics; at inference detectron2's BatchNorm2d in eval mode computes the same affine map,
and detectron2 converts stem+res2 to FrozenBN anyway at FREEZE_AT 2). FPN/box/mask norms are taken as they are.

Output JSON: {"detectron2": {version, commit, path}, "torch", "torchvision", "package", "class_names",
"score_thresh", "model_build_seconds", "images": [{"file", "height", "width", "seconds", "instances": [{"box":
[x0, y0, x1, y1], "score", "class", "mask": {"size": [h, w], "counts": "<COCO compressed RLE>"}}]}]} with
instances in detectron2's order (descending score). Without pycocotools the mask is
{"size": [h, w], "counts_uncompressed": [run lengths, column-major, starting with a 0-run]}.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch

# maskrt's exporter is imported as the top-level package `maskrt_export` (from tools/), not as
# `tools.maskrt_export`: the detectron2 source root on PYTHONPATH has its own regular package `tools/` (with an
# __init__.py), which wins over this repository's namespace package `tools` whatever the path order.
TOOLS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if TOOLS_DIR not in sys.path:
    sys.path.insert(0, TOOLS_DIR)

# Deformable convolution on CPU. detectron2 built without its C++/CUDA extension (as here) replaces DeformConv and
# ModulatedDeformConv by dummies that raise (detectron2/layers/deform_conv.py:505-514), although its DCNv1 runs on CPU
# through torchvision's deform_conv2d when deformable_groups is 1 (deform_conv.py:49-57). An empty module stands in
# for `detectron2._C` so that the real classes (and resnet.py's DeformBottleneckBlock) are kept; nothing else this
# script runs uses _C (NMS and RoIAlign are torchvision's). ModulatedDeformConv (DCNv2) raises NotImplementedError on
# CPU (deform_conv.py:210-211), as does DCNv1 with deformable_groups > 1: for those the documented equivalent,
# torchvision.ops.deform_conv2d with `mask` (the same offset layout: per deformable group and kernel tap, (dy, dx)),
# is installed below.
import types  # noqa: E402

sys.modules.setdefault("detectron2._C", types.ModuleType("detectron2._C"))

try:
    import detectron2
    from detectron2.config import get_cfg
    from detectron2.data.detection_utils import read_image
    from detectron2.engine import DefaultPredictor
    from detectron2.layers import ShapeSpec
    from detectron2.modeling import BACKBONE_REGISTRY, GeneralizedRCNNWithTTA
    from detectron2.modeling.backbone.fpn import FPN, LastLevelMaxPool
    from detectron2.modeling.backbone.resnet import BasicBlock, BasicStem, ResNet, build_resnet_backbone
    from detectron2.utils.file_io import PathManager
except ImportError as e:  # pragma: no cover - environment problem
    sys.exit(f"detectron2_run: cannot import detectron2 ({e}); run tools/reference/setup_detectron2.sh and "
             f"`source /work/d2env/env.sh` (PYTHONPATH), with /usr/bin/python3")

try:
    from pycocotools import mask as mask_util
except ImportError:  # pragma: no cover - fallback documented above
    mask_util = None

from maskrt_export.modules import heads_kind  # noqa: E402
from maskrt_export.package import load_package  # noqa: E402

# Deformable convolution on CPU (see _install_deform_conv_cpu).
from detectron2.layers import deform_conv as _d2_deform  # noqa: E402
from torchvision.ops import deform_conv2d as _tv_deform_conv2d  # noqa: E402


def _modulated_deform_conv_cpu(input, offset, mask, weight, bias=None, stride=1, padding=0, dilation=1, groups=1,
                               deformable_groups=1):
    return _tv_deform_conv2d(input, offset, weight, bias, stride=stride, padding=padding, dilation=dilation,
                             mask=mask)


def _deform_conv_cpu(input, offset, weight, stride=1, padding=0, dilation=1, groups=1, deformable_groups=1,
                     im2col_step=64):
    if deformable_groups == 1:  # detectron2's own CPU path (torchvision, deform_conv.py:49-57)
        return _d2_deform._DeformConv.apply(input, offset, weight, stride, padding, dilation, groups,
                                            deformable_groups, im2col_step)
    return _tv_deform_conv2d(input, offset, weight, None, stride=stride, padding=padding, dilation=dilation)


_d2_deform.deform_conv = _deform_conv_cpu
_d2_deform.modulated_deform_conv = _modulated_deform_conv_cpu

# iopath 0.1.9's telemetry hook raises (and prints a traceback) on the first local open; it logs nothing useful.
PathManager.set_logging(False)

# detectron2's own config for each (ROI heads, masks) kind; the manifest's values are set over it.
D2_BASE_CONFIGS = {
    ("CascadeROIHeads", True): os.path.join("configs", "Misc", "cascade_mask_rcnn_R_50_FPN_3x.yaml"),
    ("CascadeROIHeads", False): os.path.join("configs", "Misc", "cascade_mask_rcnn_R_50_FPN_3x.yaml"),
    ("StandardROIHeads", True): os.path.join("configs", "COCO-InstanceSegmentation", "mask_rcnn_R_50_FPN_3x.yaml"),
    ("StandardROIHeads", False): os.path.join("configs", "COCO-Detection", "faster_rcnn_R_50_FPN_3x.yaml"),
}


# ------------------------------------------------------------------------------------------------- backbone

def _build_resnet(cfg, input_shape):
    """detectron2's build_resnet_backbone, minus `assert RES2_OUT_CHANNELS == 64` for R18/R34."""
    r = cfg.MODEL.RESNETS
    depth = r.DEPTH
    if depth not in (18, 34) or r.RES2_OUT_CHANNELS == 64:
        return build_resnet_backbone(cfg, input_shape)
    assert not any(r.DEFORM_ON_PER_STAGE), "MODEL.RESNETS.DEFORM_ON_PER_STAGE unsupported for R18/R34"
    assert r.RES5_DILATION == 1, "Must set MODEL.RESNETS.RES5_DILATION = 1 for R18/R34"
    assert r.NUM_GROUPS == 1, "Must set MODEL.RESNETS.NUM_GROUPS = 1 for R18/R34"
    stem = BasicStem(in_channels=input_shape.channels, out_channels=r.STEM_OUT_CHANNELS, norm=r.NORM)
    num_blocks_per_stage = {18: [2, 2, 2, 2], 34: [3, 4, 6, 3]}[depth]
    in_channels, out_channels = r.STEM_OUT_CHANNELS, r.RES2_OUT_CHANNELS
    stages = []
    for idx, stage_idx in enumerate(range(2, 6)):
        first_stride = 1 if idx == 0 else 2
        stages.append(ResNet.make_stage(
            block_class=BasicBlock,
            num_blocks=num_blocks_per_stage[idx],
            stride_per_block=[first_stride] + [1] * (num_blocks_per_stage[idx] - 1),
            in_channels=in_channels,
            out_channels=out_channels,
            norm=r.NORM,
        ))
        in_channels = out_channels
        out_channels *= 2
    return ResNet(stem, stages, out_features=r.OUT_FEATURES, freeze_at=cfg.MODEL.BACKBONE.FREEZE_AT)


@BACKBONE_REGISTRY.register()
def build_narrow_resnet_fpn_backbone(cfg, input_shape: ShapeSpec):
    """detectron2's build_resnet_fpn_backbone over `_build_resnet` (narrow R18/R34 allowed)."""
    return FPN(
        bottom_up=_build_resnet(cfg, input_shape),
        in_features=cfg.MODEL.FPN.IN_FEATURES,
        out_channels=cfg.MODEL.FPN.OUT_CHANNELS,
        norm=cfg.MODEL.FPN.NORM,
        top_block=LastLevelMaxPool(),
        fuse_type=cfg.MODEL.FPN.FUSE_TYPE,
    )


# --------------------------------------------------------------------------------------------------- config

class PackageMismatch(ValueError):
    """The manifest asks for something detectron2 does differently (it hard-codes the value)."""


def _need(cond, field, message):
    if not cond:
        raise PackageMismatch(f"manifest {field}: {message}")


def _d2_source_root():
    """The detectron2 source checkout (its configs/ folder is not inside the Python package)."""
    return os.path.dirname(os.path.dirname(os.path.abspath(detectron2.__file__)))


def build_config(manifest, score_thresh=None):
    arch, inp, anc, rpn, roi = (manifest["architecture"], manifest["input"], manifest["anchors"], manifest["rpn"],
                                manifest["roi_heads"])
    heads, agnostic, mask_on = heads_kind(arch)
    clamp = math.log(1000.0 / 16)
    _need(mask_on == ("mask_head" in manifest["graphs"]), "graphs.mask_head",
          f"present or absent against architecture.mask_on {mask_on}")
    # values detectron2 hard-codes: refuse a package that asks for others
    _need(list(anc["strides"]) == [4, 8, 16, 32, 64], "anchors.strides", f"{anc['strides']} != [4, 8, 16, 32, 64]")
    _need(abs(rpn["scale_clamp"] - clamp) < 1e-12, "rpn.scale_clamp", "detectron2 uses log(1000/16)")
    _need(abs(roi["scale_clamp"] - clamp) < 1e-12, "roi_heads.scale_clamp", "detectron2 uses log(1000/16)")
    for key in ("box_pooler", "mask_pooler") if mask_on else ("box_pooler",):
        p = roi[key]
        _need(p["canonical_box_size"] == 224 and p["canonical_level"] == 4, f"roi_heads.{key}",
              "detectron2's ROIPooler uses canonical box size 224 at level 4")
        _need(list(p["levels"]) == ["p2", "p3", "p4", "p5"], f"roi_heads.{key}.levels", "must be p2..p5")
    _need(roi["box_pooler"]["resolution"] == arch["box_pooler_resolution"], "roi_heads.box_pooler.resolution",
          "differs from architecture.box_pooler_resolution")
    if mask_on:
        _need(roi["mask_pooler"]["resolution"] == arch["mask_pooler_resolution"], "roi_heads.mask_pooler.resolution",
              "differs from architecture.mask_pooler_resolution")
        _need(roi["mask_threshold"] == 0.5, "roi_heads.mask_threshold", "detector_postprocess pastes at 0.5")
        _need(bool(roi["mask_cls_agnostic"]) == bool(arch["mask_cls_agnostic"]), "roi_heads.mask_cls_agnostic",
              "differs from architecture.mask_cls_agnostic")
    _need(inp["size_divisibility"] == 32, "input.size_divisibility", "the FPN's is 32")
    _need(inp["pad_value"] == 0.0, "input.pad_value", "ImageList pads with 0")
    _need(inp["interpolation"] == "pil_bilinear", "input.interpolation", "ResizeShortestEdge uses PIL bilinear")
    _need(inp["min_size_test"] > 0, "input.min_size_test", "DefaultPredictor always resizes (0 is not served)")
    _need(len(roi["stage_bbox_reg_weights"]) == len(roi["stage_ious"]) == arch["num_stages"],
          "roi_heads.stage_bbox_reg_weights", "one weight set and one IoU per stage")

    cfg = get_cfg()
    cfg.merge_from_file(os.path.join(_d2_source_root(), D2_BASE_CONFIGS[heads, mask_on]))
    m = cfg.MODEL
    m.DEVICE = "cpu"
    m.WEIGHTS = ""  # weights come from the package, loaded after the model is built
    m.MASK_ON = mask_on
    m.KEYPOINT_ON = False
    m.PIXEL_MEAN = [float(x) for x in inp["pixel_mean"]]
    m.PIXEL_STD = [float(x) for x in inp["pixel_std"]]
    cfg.INPUT.FORMAT = inp["format"]
    cfg.INPUT.MIN_SIZE_TEST = int(inp["min_size_test"])
    cfg.INPUT.MAX_SIZE_TEST = int(inp["max_size_test"])

    m.BACKBONE.NAME = "build_narrow_resnet_fpn_backbone"
    r = m.RESNETS
    r.DEPTH = int(arch["depth"])
    r.NUM_GROUPS = int(arch["num_groups"])
    r.WIDTH_PER_GROUP = int(arch["width_per_group"])
    r.STRIDE_IN_1X1 = bool(arch["stride_in_1x1"])
    r.RES5_DILATION = int(arch["res5_dilation"])
    r.RES2_OUT_CHANNELS = int(arch["res2_out_channels"])
    r.STEM_OUT_CHANNELS = int(arch["stem_out_channels"])
    r.NORM = "GN" if arch["resnet_norm"] == "GN" else "FrozenBN"  # see the module docstring
    r.DEFORM_ON_PER_STAGE = [bool(x) for x in arch.get("deform_on_per_stage", [False] * 4)]
    r.DEFORM_MODULATED = bool(arch.get("deform_modulated", False))
    r.DEFORM_NUM_GROUPS = int(arch.get("deform_num_groups", 1))
    r.OUT_FEATURES = ["res2", "res3", "res4", "res5"]
    m.FPN.IN_FEATURES = ["res2", "res3", "res4", "res5"]
    m.FPN.OUT_CHANNELS = int(arch["fpn_out_channels"])
    m.FPN.NORM = arch["fpn_norm"]
    m.FPN.FUSE_TYPE = arch["fpn_fuse_type"]

    m.ANCHOR_GENERATOR.NAME = "DefaultAnchorGenerator"
    m.ANCHOR_GENERATOR.SIZES = [[float(s) for s in lvl] for lvl in anc["sizes"]]
    m.ANCHOR_GENERATOR.ASPECT_RATIOS = [[float(a) for a in lvl] for lvl in anc["aspect_ratios"]]
    m.ANCHOR_GENERATOR.OFFSET = float(anc["offset"])
    m.PROPOSAL_GENERATOR.NAME = "RPN"
    m.PROPOSAL_GENERATOR.MIN_SIZE = float(rpn["min_box_size"])
    m.RPN.HEAD_NAME = "StandardRPNHead"
    m.RPN.IN_FEATURES = ["p2", "p3", "p4", "p5", "p6"]
    m.RPN.PRE_NMS_TOPK_TEST = int(rpn["pre_nms_topk"])
    m.RPN.POST_NMS_TOPK_TEST = int(rpn["post_nms_topk"])
    m.RPN.NMS_THRESH = float(rpn["nms_thresh"])
    m.RPN.BBOX_REG_WEIGHTS = tuple(float(w) for w in rpn["bbox_reg_weights"])
    m.RPN.CONV_DIMS = [int(d) for d in arch["rpn_conv_dims"]]

    m.ROI_HEADS.NAME = heads
    m.ROI_HEADS.IN_FEATURES = ["p2", "p3", "p4", "p5"]
    m.ROI_HEADS.NUM_CLASSES = int(manifest["num_classes"])
    m.ROI_HEADS.SCORE_THRESH_TEST = float(roi["score_thresh"] if score_thresh is None else score_thresh)
    m.ROI_HEADS.NMS_THRESH_TEST = float(roi["nms_thresh"])
    ious = [float(x) for x in roi["stage_ious"]]
    m.ROI_HEADS.IOU_THRESHOLDS = [ious[0]]  # CascadeROIHeads asserts IOUS[0] == IOU_THRESHOLDS[0] (training only)
    cfg.TEST.DETECTIONS_PER_IMAGE = int(roi["detections_per_image"])
    weights = tuple(tuple(float(w) for w in s) for s in roi["stage_bbox_reg_weights"])
    bh = m.ROI_BOX_HEAD
    if heads == "CascadeROIHeads":
        m.ROI_BOX_CASCADE_HEAD.BBOX_REG_WEIGHTS = weights
        m.ROI_BOX_CASCADE_HEAD.IOUS = tuple(ious)
    else:
        _need(len(weights) == 1, "roi_heads.stage_bbox_reg_weights", "StandardROIHeads has one box stage")
        bh.BBOX_REG_WEIGHTS = weights[0]
    bh.NAME = "FastRCNNConvFCHead"
    bh.CLS_AGNOSTIC_BBOX_REG = agnostic
    bh.NUM_CONV = int(arch["box_num_conv"])
    bh.CONV_DIM = int(arch["box_conv_dim"])
    bh.NUM_FC = int(arch["box_num_fc"])
    bh.FC_DIM = int(arch["box_fc_dim"])
    bh.NORM = arch["box_norm"]
    bh.POOLER_RESOLUTION = int(roi["box_pooler"]["resolution"])
    bh.POOLER_SAMPLING_RATIO = int(roi["box_pooler"]["sampling_ratio"])
    bh.POOLER_TYPE = roi["box_pooler"]["type"]
    if mask_on:
        mh = m.ROI_MASK_HEAD
        mh.NAME = "MaskRCNNConvUpsampleHead"
        mh.NUM_CONV = int(arch["mask_num_conv"])
        mh.CONV_DIM = int(arch["mask_conv_dim"])
        mh.NORM = arch["mask_norm"]
        mh.CLS_AGNOSTIC_MASK = bool(arch["mask_cls_agnostic"])
        mh.POOLER_RESOLUTION = int(roi["mask_pooler"]["resolution"])
        mh.POOLER_SAMPLING_RATIO = int(roi["mask_pooler"]["sampling_ratio"])
        mh.POOLER_TYPE = roi["mask_pooler"]["type"]
    aug = manifest.get("test_aug")  # absent in packages exported before it existed: detectron2's defaults stay
    if aug is not None:
        cfg.TEST.AUG.ENABLED = bool(aug["enabled"])
        cfg.TEST.AUG.MIN_SIZES = tuple(int(x) for x in aug["min_sizes"])
        cfg.TEST.AUG.MAX_SIZE = int(aug["max_size"])
        cfg.TEST.AUG.FLIP = bool(aug["flip"])
    cfg.DATASETS.TEST = ()  # DefaultPredictor would look up COCO metadata otherwise (unused here)
    cfg.freeze()
    return cfg


# -------------------------------------------------------------------------------------------------- weights

# Keys that may legitimately differ between the package's state_dict and detectron2's model:
#  - `num_batches_tracked`: nn.BatchNorm2d counters (only if a norm stays BN); not used at inference.
#  - `proposal_generator.anchor_generator.cell_anchors.*`: anchors are computed from the config (non-persistent).
#  - `pixel_mean` / `pixel_std`: set from the config (non-persistent buffers in GeneralizedRCNN).
# No renaming is needed: tools/maskrt_export/modules.py uses detectron2's attribute names module for module
# (backbone.bottom_up.stem.conv1.norm.*, backbone.bottom_up.resN.i.{conv1,conv2,shortcut}[.norm].*,
# backbone.fpn_{lateral,output}N.*, proposal_generator.rpn_head.{conv,objectness_logits,anchor_deltas}.*,
# roi_heads.box_head.K.fcN.*, roi_heads.box_predictor.K.{cls_score,bbox_pred}.*,
# roi_heads.mask_head.{mask_fcnN,deconv,predictor}.*). Duplicate initializers that torch.onnx stored once are
# restored by load_package from the manifest's weight_aliases. Should a future exporter rename anything,
# put the mapping in KEY_MAP (package name -> detectron2 name).
KEY_MAP = {}


def _harmless(key):
    return (key.endswith("num_batches_tracked") or key.startswith("proposal_generator.anchor_generator.")
            or key in ("pixel_mean", "pixel_std"))


def load_package_weights(model, pkg_dir):
    ref, _settings, manifest = load_package(pkg_dir)
    state = {KEY_MAP.get(k, k): v for k, v in ref.state_dict().items()}
    result = model.load_state_dict(state, strict=False)  # shapes are still checked (RuntimeError on mismatch)
    missing = [k for k in result.missing_keys if not _harmless(k)]
    unexpected = [k for k in result.unexpected_keys if not _harmless(k)]
    if missing or unexpected:
        for k in missing:
            print(f"detectron2_run: missing in package: {k}", file=sys.stderr)
        for k in unexpected:
            print(f"detectron2_run: not in detectron2's model: {k}", file=sys.stderr)
        raise SystemExit(f"detectron2_run: {len(missing)} missing, {len(unexpected)} unexpected weight(s)")
    return manifest, len(state), result


# --------------------------------------------------------------------------------------------------- output

def rle_uncompressed(mask):
    """COCO's uncompressed RLE counts of a bool [H, W] mask: column-major runs, starting with a (maybe 0) 0-run."""
    flat = np.asfortranarray(mask).reshape(-1, order="F").astype(np.uint8)
    change = np.flatnonzero(np.diff(flat)) + 1
    bounds = np.concatenate([[0], change, [flat.size]])
    runs = np.diff(bounds).tolist()
    if flat.size and flat[0] == 1:
        runs = [0] + runs
    return runs


def encode_masks(masks):
    """bool [n, H, W] -> list of {"size", "counts"} (compressed, pycocotools) or {"size", "counts_uncompressed"}."""
    n, h, w = masks.shape
    if n == 0:
        return []
    if mask_util is not None:
        rles = mask_util.encode(np.asfortranarray(masks.transpose(1, 2, 0).astype(np.uint8)))
        return [{"size": [int(x) for x in r["size"]], "counts": r["counts"].decode("ascii")} for r in rles]
    return [{"size": [h, w], "counts_uncompressed": rle_uncompressed(m)} for m in masks]


def d2_commit():
    """The detectron2 commit: DEST/versions.json written by setup_detectron2.sh, or D2_COMMIT, or unknown."""
    if os.environ.get("D2_COMMIT"):
        return os.environ["D2_COMMIT"]
    dest = os.path.dirname(os.path.dirname(_d2_source_root()))  # DEST/src/detectron2 -> DEST
    try:
        with open(os.path.join(dest, "versions.json")) as f:
            return json.load(f)["detectron2"]["commit"]
    except (OSError, ValueError, KeyError):
        return "unknown"


def _image_record(path, h, w, seconds, inst):
    boxes = inst.pred_boxes.tensor.numpy()
    scores = inst.scores.numpy()
    classes = inst.pred_classes.numpy()
    rles = encode_masks(inst.pred_masks.numpy().astype(bool)) if inst.has("pred_masks") else [None] * len(scores)
    return {
        "file": path,
        "height": int(h),
        "width": int(w),
        "seconds": seconds,
        "instances": [{"box": [float(v) for v in boxes[i]], "score": float(scores[i]), "class": int(classes[i]),
                       "mask": rles[i]} for i in range(len(scores))],
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--package", required=True, help="maskrt model package directory (manifest.json + ONNX)")
    ap.add_argument("--images", required=True, nargs="+", help="image files (PNG/TIFF/JPEG)")
    ap.add_argument("--out", required=True, help="output JSON")
    ap.add_argument("--score-thresh", type=float, default=None, help="override roi_heads.score_thresh")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    ap.add_argument("--dump-config", default=None, help="also write the detectron2 config used (YAML)")
    ap.add_argument("--tta", action="store_true",
                    help="run GeneralizedRCNNWithTTA with the manifest's test_aug (see the module docstring)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)

    with open(os.path.join(args.package, "manifest.json")) as f:
        manifest = json.load(f)
    try:
        cfg = build_config(manifest, args.score_thresh)
    except PackageMismatch as e:
        sys.exit(f"detectron2_run: {args.package}: {e}")
    if args.dump_config:
        with open(args.dump_config, "w") as f:
            f.write(cfg.dump())

    t0 = time.perf_counter()
    predictor = DefaultPredictor(cfg)
    _, n_weights, _ = load_package_weights(predictor.model, args.package)
    predictor.model.eval()
    build_s = time.perf_counter() - t0
    print(f"detectron2_run: model built, {n_weights} tensors loaded from {args.package} ({build_s:.2f} s)",
          file=sys.stderr)

    tta = GeneralizedRCNNWithTTA(cfg, predictor.model) if args.tta else None
    if tta is not None:
        print(f"detectron2_run: TTA min sizes {list(cfg.TEST.AUG.MIN_SIZES)}, max size {cfg.TEST.AUG.MAX_SIZE}, "
              f"flip {cfg.TEST.AUG.FLIP}, batch size {tta.batch_size}", file=sys.stderr)

    images = []
    for path in args.images:
        if tta is not None:
            image = read_image(path, format=cfg.INPUT.FORMAT)
            h, w = image.shape[:2]
            t = time.perf_counter()
            with torch.no_grad():
                out = tta([{"image": torch.as_tensor(np.ascontiguousarray(image.transpose(2, 0, 1))),
                            "height": h, "width": w}])[0]
            seconds = time.perf_counter() - t
            images.append(_image_record(path, h, w, seconds, out["instances"].to("cpu")))
            print(f"detectron2_run: {path}: {len(images[-1]['instances'])} detections (TTA) in {seconds:.3f} s",
                  file=sys.stderr)
            continue
        # DefaultPredictor.__call__ takes a BGR image and flips it itself when INPUT.FORMAT is RGB, so the image is
        # read as BGR whatever the model's format (demo/demo.py does the same; read_image(format=cfg.INPUT.FORMAT)
        # would flip twice for an RGB model). read_image: PIL open, EXIF orientation applied if the file has the
        # tag, then PIL convert("RGB") (gray replicated, alpha dropped without compositing, palette expanded,
        # 16-bit values clipped to 0..255) and the channels reversed.
        image = read_image(path, format="BGR")
        t = time.perf_counter()
        out = predictor(image)
        seconds = time.perf_counter() - t
        inst = out["instances"].to("cpu")
        classes = inst.pred_classes.numpy()
        h, w = image.shape[:2]
        images.append(_image_record(path, h, w, seconds, inst))
        per_class = np.bincount(classes, minlength=manifest["num_classes"]).tolist()
        print(f"detectron2_run: {path}: {len(classes)} detections {per_class} in {seconds:.3f} s", file=sys.stderr)

    result = {
        "detectron2": {"version": detectron2.__version__, "commit": d2_commit(), "path": _d2_source_root()},
        "torch": torch.__version__,
        "torchvision": __import__("torchvision").__version__,
        "threads": args.threads,
        "package": args.package,
        "class_names": manifest.get("class_names", []),
        "score_thresh": cfg.MODEL.ROI_HEADS.SCORE_THRESH_TEST,
        "tta": ({"min_sizes": list(cfg.TEST.AUG.MIN_SIZES), "max_size": cfg.TEST.AUG.MAX_SIZE, "flip": cfg.TEST.AUG.FLIP,
                 "batch_size": tta.batch_size} if tta is not None else None),
        "model_build_seconds": build_s,
        "images": images,
    }
    with open(args.out, "w") as f:
        json.dump(result, f)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
