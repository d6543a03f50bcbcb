"""maskrcnn-benchmark models (facebookresearch/maskrcnn-benchmark, commit 57eec25): its YAML config and `.pth`
checkpoint -> a maskrt model package with `flavour: "maskrcnn_benchmark"`.

Served: `GeneralizedRCNN` with a ResNet-FPN body (`R-50-FPN`, `R-101-FPN`, `R-152-FPN`; FrozenBN, no DCN, no GN),
`SingleConvRPNHead`, `FPN2MLPFeatureExtractor` + `FPNPredictor`, and for Mask R-CNN `MaskRCNNFPNFeatureExtractor` +
`MaskRCNNC4Predictor`. Anything else is refused naming the config key.

The modules below keep maskrcnn-benchmark's attribute names, so their `state_dict()` keys are those of its
checkpoints (`backbone.body.layer1.0.conv1.weight`, `rpn.head.cls_logits.weight`,
`roi_heads.box.predictor.cls_score.weight`, ...; a `module.` prefix from DistributedDataParallel is dropped), and the
ONNX initializers keep them too. Citations are `maskrcnn_benchmark/...` paths at that commit (docs/MODEL_PACKAGE.md,
"maskrcnn-benchmark packages", lists the rules and their lines).

The graphs follow maskrt's tensor contract (docs/MODEL_PACKAGE.md): maskrcnn-benchmark puts the background class
first (`FPNPredictor`: `NUM_CLASSES` includes it, labels 1..K), so the box-head graph moves the background logit to
the last column and drops the background's 4 regression columns (`[R, 4K]`, or `[R, 4]` with
`CLS_AGNOSTIC_BBOX_REG`), and the mask-head graph drops the background channel (`[R, K, 28, 28]`). The weights
themselves are stored unchanged.
"""
import ast
import copy
import json
import math
import os
from collections import OrderedDict

import numpy as np
import onnx
import torch
import torch.nn.functional as F
import yaml
from onnx import numpy_helper
from torch import nn

FLAVOUR = "maskrcnn_benchmark"
LEVELS = ["p2", "p3", "p4", "p5", "p6"]


class ConfigError(ValueError):
    """A config that maskrt cannot serve; the message names the file and the key."""


# maskrcnn_benchmark/config/defaults.py: the keys the inference path of an FPN Mask / Faster R-CNN reads.
DEFAULTS = {
    "MODEL": {
        "RPN_ONLY": False,                       # defaults.py:24
        "MASK_ON": False,                        # :25
        "RETINANET_ON": False,                   # :26
        "KEYPOINT_ON": False,                    # :27
        "META_ARCHITECTURE": "GeneralizedRCNN",  # :29
        "CLS_AGNOSTIC_BBOX_REG": False,          # :30
        "WEIGHT": "",
        "BACKBONE": {"CONV_BODY": "R-50-C4", "FREEZE_CONV_BODY_AT": 2},  # :100, :103
        "FPN": {"USE_GN": False, "USE_RELU": False},  # :110-111
        "RPN": {
            "USE_FPN": False,                        # :130
            "ANCHOR_SIZES": (32, 64, 128, 256, 512),  # :132
            "ANCHOR_STRIDE": (16,),                   # :135
            "ASPECT_RATIOS": (0.5, 1.0, 2.0),         # :137
            "STRADDLE_THRESH": 0,                     # :140
            "PRE_NMS_TOP_N_TEST": 6000,               # :156
            "POST_NMS_TOP_N_TEST": 1000,              # :159
            "NMS_THRESH": 0.7,                        # :161
            "MIN_SIZE": 0,                            # :164
            "FPN_POST_NMS_TOP_N_TEST": 2000,          # :168
            "FPN_POST_NMS_PER_BATCH": True,           # :171
            "RPN_HEAD": "SingleConvRPNHead",          # :173
        },
        "ROI_HEADS": {
            "USE_FPN": False,                         # :180
            "FG_IOU_THRESHOLD": 0.5,                  # :182
            "BBOX_REG_WEIGHTS": (10., 10., 5., 5.),   # :188
            "SCORE_THRESH": 0.05,                     # :202
            "NMS": 0.5,                               # :205
            "DETECTIONS_PER_IMG": 100,                # :208
        },
        "ROI_BOX_HEAD": {
            "FEATURE_EXTRACTOR": "ResNet50Conv5ROIFeatureExtractor",  # :212
            "PREDICTOR": "FastRCNNPredictor",                         # :213
            "POOLER_RESOLUTION": 14,                                  # :214
            "POOLER_SAMPLING_RATIO": 0,                               # :215
            "POOLER_SCALES": (1.0 / 16,),                             # :216
            "NUM_CLASSES": 81,                                        # :217
            "MLP_HEAD_DIM": 1024,                                     # :219
            "USE_GN": False,                                          # :221
            "DILATION": 1,
            "CONV_HEAD_DIM": 256,
            "NUM_STACKED_CONVS": 4,
        },
        "ROI_MASK_HEAD": {
            "FEATURE_EXTRACTOR": "ResNet50Conv5ROIFeatureExtractor",  # :229
            "PREDICTOR": "MaskRCNNC4Predictor",                       # :230
            "POOLER_RESOLUTION": 14,                                  # :231
            "POOLER_SAMPLING_RATIO": 0,                               # :232
            "POOLER_SCALES": (1.0 / 16,),                             # :233
            "MLP_HEAD_DIM": 1024,
            "CONV_LAYERS": (256, 256, 256, 256),                      # :235
            "RESOLUTION": 14,                                         # :236
            "SHARE_BOX_FEATURE_EXTRACTOR": True,                      # :237
            "POSTPROCESS_MASKS": False,                               # :239
            "POSTPROCESS_MASKS_THRESHOLD": 0.5,                       # :240
            "DILATION": 1,                                            # :242
            "USE_GN": False,                                          # :244
        },
        "RESNETS": {
            "NUM_GROUPS": 1,                                   # :266
            "WIDTH_PER_GROUP": 64,                             # :269
            "STRIDE_IN_1X1": True,                             # :273
            "TRANS_FUNC": "BottleneckWithFixedBatchNorm",      # :276
            "STEM_FUNC": "StemWithFixedBatchNorm",             # :278
            "RES5_DILATION": 1,                                # :281
            "BACKBONE_OUT_CHANNELS": 256 * 4,                  # :283
            "RES2_OUT_CHANNELS": 256,                          # :284
            "STEM_OUT_CHANNELS": 64,                           # :285
            "STAGE_WITH_DCN": (False, False, False, False),    # :287
            "WITH_MODULATED_DCN": False,
            "DEFORMABLE_GROUPS": 1,
        },
    },
    "INPUT": {
        "MIN_SIZE_TEST": 800,                                # :47
        "MAX_SIZE_TEST": 1333,                               # :49
        "PIXEL_MEAN": [102.9801, 115.9465, 122.7717],        # :51
        "PIXEL_STD": [1., 1., 1.],                           # :53
        "TO_BGR255": True,                                   # :55
    },
    "DATALOADER": {"SIZE_DIVISIBILITY": 0},                  # :84
    "TEST": {"BBOX_AUG": {"ENABLED": False}, "DETECTIONS_PER_IMG": 100},
    "MASKRT": {"CLASS_NAMES": []},
}

# maskrcnn_benchmark/modeling/backbone/resnet.py:66-79 (ResNet50/101/152FPNStagesTo5): blocks per stage
STAGE_BLOCKS = {"R-50-FPN": [3, 4, 6, 3], "R-101-FPN": [3, 4, 23, 3], "R-152-FPN": [3, 8, 36, 3]}


def _decode(value):
    """yacs `_decode_cfg_value`: strings that are Python literals (`(4, 8, 16)`) become them."""
    if isinstance(value, str):
        try:
            return ast.literal_eval(value)
        except (ValueError, SyntaxError):
            return value
    return value


def _merge(base, override, path, source):
    out = copy.deepcopy(base)
    for key, value in override.items():
        where = f"{path}.{key}" if path else key
        if isinstance(value, dict):
            if key in out and not isinstance(out[key], dict):
                raise ConfigError(f"{source}: {where}: expected a value, got a mapping")
            out[key] = _merge(out.get(key, {}), value, where, source)
        else:
            out[key] = _decode(value)
    return out


def load_config(path):
    """maskrcnn-benchmark's defaults merged with the YAML file (its configs have no base chain)."""
    try:
        with open(path) as f:
            data = yaml.safe_load(f) or {}
    except OSError as e:
        raise ConfigError(f"{path}: cannot read config: {e}") from e
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML: {e}") from e
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: top level must be a mapping")
    return _merge(DEFAULTS, data, "", path)


def resolve(cfg, source="config"):
    """The architecture and pipeline settings of a merged config; ConfigError naming the key for what maskrt does
    not serve."""
    m = cfg["MODEL"]

    def need(cond, key, message):
        if not cond:
            raise ConfigError(f"{source}: {key}: {message}")

    need(m["META_ARCHITECTURE"] == "GeneralizedRCNN", "MODEL.META_ARCHITECTURE", "only GeneralizedRCNN is served")
    for key in ("RPN_ONLY", "RETINANET_ON", "KEYPOINT_ON"):
        need(not m.get(key, False), f"MODEL.{key}", "not served (R-CNN with FPN only)")
    for key in ("FCOS_ON", "RETINANET_ON"):
        need(not m.get(key, False), f"MODEL.{key}", "not served")
    body = m["BACKBONE"]["CONV_BODY"]
    need(body in STAGE_BLOCKS, "MODEL.BACKBONE.CONV_BODY",
         f"{body!r} not served (only {', '.join(sorted(STAGE_BLOCKS))})")
    r = m["RESNETS"]
    need(r["TRANS_FUNC"] == "BottleneckWithFixedBatchNorm", "MODEL.RESNETS.TRANS_FUNC", "only FrozenBN bottlenecks")
    need(r["STEM_FUNC"] == "StemWithFixedBatchNorm", "MODEL.RESNETS.STEM_FUNC", "only the FrozenBN stem")
    need(not any(r["STAGE_WITH_DCN"]), "MODEL.RESNETS.STAGE_WITH_DCN", "deformable convolutions are not served")
    need(r["RES5_DILATION"] == 1, "MODEL.RESNETS.RES5_DILATION", "only 1")
    need(not m["FPN"]["USE_GN"] and not m["FPN"]["USE_RELU"], "MODEL.FPN.USE_GN/USE_RELU", "not served")
    rpn = m["RPN"]
    need(rpn["USE_FPN"], "MODEL.RPN.USE_FPN", "must be True (FPN models only)")
    need(rpn["RPN_HEAD"] == "SingleConvRPNHead", "MODEL.RPN.RPN_HEAD", "only SingleConvRPNHead")
    strides = [int(s) for s in rpn["ANCHOR_STRIDE"]]
    need(strides == [4, 8, 16, 32, 64], "MODEL.RPN.ANCHOR_STRIDE", "must be (4, 8, 16, 32, 64) for p2..p6")
    sizes = list(rpn["ANCHOR_SIZES"])
    need(len(sizes) == 5, "MODEL.RPN.ANCHOR_SIZES", "one size per FPN level (5)")
    sizes = [list(s) if isinstance(s, (list, tuple)) else [s] for s in sizes]
    need(all(len(s) == 1 for s in sizes), "MODEL.RPN.ANCHOR_SIZES", "one size per level")
    ratios = [float(x) for x in rpn["ASPECT_RATIOS"]]
    heads = m["ROI_HEADS"]
    need(heads["USE_FPN"], "MODEL.ROI_HEADS.USE_FPN", "must be True")
    box = m["ROI_BOX_HEAD"]
    need(box["FEATURE_EXTRACTOR"] == "FPN2MLPFeatureExtractor", "MODEL.ROI_BOX_HEAD.FEATURE_EXTRACTOR",
         "only FPN2MLPFeatureExtractor")
    need(box["PREDICTOR"] == "FPNPredictor", "MODEL.ROI_BOX_HEAD.PREDICTOR", "only FPNPredictor")
    need(not box["USE_GN"], "MODEL.ROI_BOX_HEAD.USE_GN", "not served")
    scales = [float(s) for s in box["POOLER_SCALES"]]
    need(scales == [0.25, 0.125, 0.0625, 0.03125], "MODEL.ROI_BOX_HEAD.POOLER_SCALES", "must be p2..p5")
    num_classes = int(box["NUM_CLASSES"]) - 1  # NUM_CLASSES counts the background (defaults.py:217)
    need(num_classes >= 1, "MODEL.ROI_BOX_HEAD.NUM_CLASSES", "must be >= 2 (background + classes)")
    need(not cfg["TEST"]["BBOX_AUG"]["ENABLED"], "TEST.BBOX_AUG.ENABLED", "test-time augmentation is not served")
    need(cfg["INPUT"]["TO_BGR255"], "INPUT.TO_BGR255", "only True (BGR 0..255 input)")
    min_test = cfg["INPUT"]["MIN_SIZE_TEST"]
    need(isinstance(min_test, int) and min_test >= 1, "INPUT.MIN_SIZE_TEST", "one integer >= 1")
    mask_on = bool(m["MASK_ON"])
    mh = m["ROI_MASK_HEAD"]
    if mask_on:
        need(mh["FEATURE_EXTRACTOR"] == "MaskRCNNFPNFeatureExtractor", "MODEL.ROI_MASK_HEAD.FEATURE_EXTRACTOR",
             "only MaskRCNNFPNFeatureExtractor")
        need(mh["PREDICTOR"] == "MaskRCNNC4Predictor", "MODEL.ROI_MASK_HEAD.PREDICTOR", "only MaskRCNNC4Predictor")
        need(not mh["USE_GN"], "MODEL.ROI_MASK_HEAD.USE_GN", "not served")
        need(mh["DILATION"] == 1, "MODEL.ROI_MASK_HEAD.DILATION", "only 1")
        need([float(s) for s in mh["POOLER_SCALES"]] == scales, "MODEL.ROI_MASK_HEAD.POOLER_SCALES", "must be p2..p5")
        need(not mh["POSTPROCESS_MASKS"], "MODEL.ROI_MASK_HEAD.POSTPROCESS_MASKS",
             "only False (masks are pasted as coco_eval.py pastes them)")
        need(mh["RESOLUTION"] == 2 * mh["POOLER_RESOLUTION"], "MODEL.ROI_MASK_HEAD.RESOLUTION",
             "must be twice POOLER_RESOLUTION (one 2x deconv)")
    names = list(cfg.get("MASKRT", {}).get("CLASS_NAMES", []))
    need(not names or len(names) == num_classes, "MASKRT.CLASS_NAMES", f"{len(names)} names for {num_classes} classes")
    agnostic = bool(m["CLS_AGNOSTIC_BBOX_REG"])
    arch = {
        "flavour": FLAVOUR, "conv_body": body, "stage_blocks": STAGE_BLOCKS[body],
        "num_groups": int(r["NUM_GROUPS"]), "width_per_group": int(r["WIDTH_PER_GROUP"]),
        "stride_in_1x1": bool(r["STRIDE_IN_1X1"]), "stem_out_channels": int(r["STEM_OUT_CHANNELS"]),
        "res2_out_channels": int(r["RES2_OUT_CHANNELS"]), "fpn_out_channels": int(r["BACKBONE_OUT_CHANNELS"]),
        "anchors_per_cell": len(ratios), "num_classes": num_classes, "cls_agnostic_bbox_reg": agnostic,
        "box_pooler_resolution": int(box["POOLER_RESOLUTION"]), "mlp_head_dim": int(box["MLP_HEAD_DIM"]),
        "mask_on": mask_on,
    }
    if mask_on:
        arch["mask_pooler_resolution"] = int(mh["POOLER_RESOLUTION"])
        arch["mask_conv_layers"] = [int(c) for c in mh["CONV_LAYERS"]]
    pooler = {"resolution": int(box["POOLER_RESOLUTION"]), "sampling_ratio": int(box["POOLER_SAMPLING_RATIO"]),
              "type": "ROIAlign", "canonical_box_size": 224, "canonical_level": 4, "levels": LEVELS[:4]}
    roi = {
        "score_thresh": float(heads["SCORE_THRESH"]), "nms_thresh": float(heads["NMS"]),
        "detections_per_image": int(heads["DETECTIONS_PER_IMG"]),
        "stage_bbox_reg_weights": [[float(w) for w in heads["BBOX_REG_WEIGHTS"]]],
        "stage_ious": [float(heads["FG_IOU_THRESHOLD"])], "cls_agnostic_bbox_reg": agnostic,
        "scale_clamp": math.log(1000.0 / 16), "box_pooler": pooler,
    }
    if mask_on:
        roi["mask_pooler"] = dict(pooler, resolution=int(mh["POOLER_RESOLUTION"]),
                                  sampling_ratio=int(mh["POOLER_SAMPLING_RATIO"]))
        roi["mask_threshold"] = 0.5  # coco_eval.py:108 Masker(threshold=0.5, padding=1)
        roi["mask_cls_agnostic"] = False
    return {
        "architecture": arch,
        "num_classes": num_classes,
        "class_names": names,
        "input": {"format": "BGR", "pixel_mean": [float(x) for x in cfg["INPUT"]["PIXEL_MEAN"]],
                  "pixel_std": [float(x) for x in cfg["INPUT"]["PIXEL_STD"]], "min_size_test": int(min_test),
                  "max_size_test": int(cfg["INPUT"]["MAX_SIZE_TEST"]),
                  "size_divisibility": int(cfg["DATALOADER"]["SIZE_DIVISIBILITY"]), "pad_value": 0.0,
                  "interpolation": "pil_bilinear"},
        "anchors": {"strides": strides, "sizes": [[float(s[0])] for s in sizes],
                    "aspect_ratios": [ratios] * 5, "offset": 0.0},
        "rpn": {"pre_nms_topk": int(rpn["PRE_NMS_TOP_N_TEST"]), "post_nms_topk": int(rpn["FPN_POST_NMS_TOP_N_TEST"]),
                "nms_thresh": float(rpn["NMS_THRESH"]), "min_box_size": float(rpn["MIN_SIZE"]),
                "bbox_reg_weights": [1.0, 1.0, 1.0, 1.0], "scale_clamp": math.log(1000.0 / 16)},
        "roi_heads": roi,
        "conventions": conventions(int(rpn["POST_NMS_TOP_N_TEST"])),
    }


def conventions(post_nms_topk_per_level):
    """The manifest's `conventions`: where maskrcnn-benchmark's rules differ from detectron2's (docs/MODEL_PACKAGE.md,
    "maskrcnn-benchmark packages")."""
    return {
        "box_coordinates": "plus_one",          # box_coder.py:64-93, bounding_box.py:214-236
        "anchor_generator": "maskrcnn_benchmark",  # anchor_generator.py:220-289
        "nms": "plus_one_iou_ge",               # csrc/cpu/nms_cpu.cpp:22, :56-61
        "rpn_post_nms_topk_per_level": post_nms_topk_per_level,  # rpn/inference.py:116-121
        "rpn_score": "sigmoid",                 # rpn/inference.py:88
        "level_mapper_eps": 1e-6,               # poolers.py:16, :40
        "detections": "per_class_kthvalue",     # box_head/inference.py:108-149
        "postprocess": "scale_only",            # bounding_box.py:91-127, coco_eval.py:81, :119
        "mask_paste": "maskrcnn_benchmark_masker",  # mask_head/inference.py:91-159
        "resize": "maskrcnn_benchmark",         # data/transforms/transforms.py:35-55
        "exif_orientation": False,              # data/datasets/coco.py: PIL open + convert("RGB")
        "coco_bbox": "xywh_plus_one",           # bounding_box.py:61-70, coco_eval.py:82
    }


def load_settings(path):
    return resolve(load_config(path), path)


# -------------------------------------------------------------------------------------------------- modules

class FrozenBatchNorm2d(nn.Module):
    """maskrcnn_benchmark/layers/batch_norm.py:6-31: no eps."""

    def __init__(self, n):
        super().__init__()
        self.register_buffer("weight", torch.ones(n))
        self.register_buffer("bias", torch.zeros(n))
        self.register_buffer("running_mean", torch.zeros(n))
        self.register_buffer("running_var", torch.ones(n))

    def forward(self, x):
        scale = self.weight * self.running_var.rsqrt()
        bias = self.bias - self.running_mean * scale
        return x * scale.reshape(1, -1, 1, 1) + bias.reshape(1, -1, 1, 1)


class Stem(nn.Module):
    """resnet.py BaseStem: conv1 7x7/2, bn1, relu, max_pool 3/2 pad 1."""

    def __init__(self, out_channels):
        super().__init__()
        self.conv1 = nn.Conv2d(3, out_channels, 7, stride=2, padding=3, bias=False)
        self.bn1 = FrozenBatchNorm2d(out_channels)

    def forward(self, x):
        return F.max_pool2d(F.relu(self.bn1(self.conv1(x))), kernel_size=3, stride=2, padding=1)


class Bottleneck(nn.Module):
    """resnet.py Bottleneck (dilation 1): downsample = conv1x1/stride + FrozenBN when the width changes; the stride
    sits on the 1x1 conv with STRIDE_IN_1X1."""

    def __init__(self, in_ch, bottleneck, out_ch, groups, stride_in_1x1, stride):
        super().__init__()
        self.downsample = None
        if in_ch != out_ch:
            self.downsample = nn.Sequential(nn.Conv2d(in_ch, out_ch, 1, stride=stride, bias=False),
                                            FrozenBatchNorm2d(out_ch))
        s1, s3 = (stride, 1) if stride_in_1x1 else (1, stride)
        self.conv1 = nn.Conv2d(in_ch, bottleneck, 1, stride=s1, bias=False)
        self.bn1 = FrozenBatchNorm2d(bottleneck)
        self.conv2 = nn.Conv2d(bottleneck, bottleneck, 3, stride=s3, padding=1, bias=False, groups=groups)
        self.bn2 = FrozenBatchNorm2d(bottleneck)
        self.conv3 = nn.Conv2d(bottleneck, out_ch, 1, bias=False)
        self.bn3 = FrozenBatchNorm2d(out_ch)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        identity = self.downsample(x) if self.downsample is not None else x
        return F.relu(out + identity)


class ResNet(nn.Module):
    """resnet.py ResNet: stem, layer1..layer4, returning every stage (FPN)."""

    def __init__(self, arch):
        super().__init__()
        self.stem = Stem(arch["stem_out_channels"])
        in_ch = arch["stem_out_channels"]
        for index, count in enumerate(arch["stage_blocks"], start=1):
            factor = 2 ** (index - 1)
            bottleneck = arch["num_groups"] * arch["width_per_group"] * factor
            out_ch = arch["res2_out_channels"] * factor
            blocks, stride = [], int(index > 1) + 1
            for _ in range(count):
                blocks.append(Bottleneck(in_ch, bottleneck, out_ch, arch["num_groups"], arch["stride_in_1x1"], stride))
                stride, in_ch = 1, out_ch
            self.add_module(f"layer{index}", nn.Sequential(*blocks))

    def forward(self, x):
        x = self.stem(x)
        outs = []
        for index in range(1, 5):
            x = getattr(self, f"layer{index}")(x)
            outs.append(x)
        return outs


class FPN(nn.Module):
    """backbone/fpn.py FPN + LastLevelMaxPool: fpn_inner1..4 (1x1), fpn_layer1..4 (3x3), nearest 2x top-down."""

    def __init__(self, in_channels, out_channels):
        super().__init__()
        for idx, c in enumerate(in_channels, start=1):
            self.add_module(f"fpn_inner{idx}", nn.Conv2d(c, out_channels, 1))
            self.add_module(f"fpn_layer{idx}", nn.Conv2d(out_channels, out_channels, 3, padding=1))

    def forward(self, x):
        last_inner = self.fpn_inner4(x[-1])
        results = [self.fpn_layer4(last_inner)]
        for idx in (3, 2, 1):
            inner_top_down = F.interpolate(last_inner, scale_factor=2, mode="nearest")
            inner_lateral = getattr(self, f"fpn_inner{idx}")(x[idx - 1])
            last_inner = inner_lateral + inner_top_down
            results.insert(0, getattr(self, f"fpn_layer{idx}")(last_inner))
        results.append(F.max_pool2d(results[-1], 1, 2, 0))
        return results


class RPNHead(nn.Module):
    """rpn/rpn.py RPNHead (SingleConvRPNHead): conv 3x3 + relu, cls_logits [A], bbox_pred [4A]."""

    def __init__(self, channels, anchors):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)
        self.cls_logits = nn.Conv2d(channels, anchors, 1)
        self.bbox_pred = nn.Conv2d(channels, anchors * 4, 1)

    def forward(self, features):
        hidden = [F.relu(self.conv(f)) for f in features]
        return [self.cls_logits(t) for t in hidden], [self.bbox_pred(t) for t in hidden]


class BoxFeatureExtractor(nn.Module):
    """box_head/roi_box_feature_extractors.py FPN2MLPFeatureExtractor after its pooler: flatten, fc6, fc7."""

    def __init__(self, in_size, dim):
        super().__init__()
        self.fc6 = nn.Linear(in_size, dim)
        self.fc7 = nn.Linear(dim, dim)

    def forward(self, x):
        x = x.view(x.size(0), -1)
        return F.relu(self.fc7(F.relu(self.fc6(x))))


class BoxPredictor(nn.Module):
    """box_head/roi_box_predictors.py FPNPredictor: cls_score [K+1] (background first), bbox_pred [4(K+1)] or [8]."""

    def __init__(self, dim, num_classes_with_bg, agnostic):
        super().__init__()
        self.cls_score = nn.Linear(dim, num_classes_with_bg)
        self.bbox_pred = nn.Linear(dim, (2 if agnostic else num_classes_with_bg) * 4)

    def forward(self, x):
        return self.cls_score(x), self.bbox_pred(x)


class MaskFeatureExtractor(nn.Module):
    """mask_head/roi_mask_feature_extractors.py MaskRCNNFPNFeatureExtractor after its pooler: mask_fcn{i} + relu."""

    def __init__(self, in_ch, layers):
        super().__init__()
        self.n = len(layers)
        for i, c in enumerate(layers, start=1):
            self.add_module(f"mask_fcn{i}", nn.Conv2d(in_ch, c, 3, padding=1))
            in_ch = c

    def forward(self, x):
        for i in range(1, self.n + 1):
            x = F.relu(getattr(self, f"mask_fcn{i}")(x))
        return x


class MaskPredictor(nn.Module):
    """mask_head/roi_mask_predictors.py MaskRCNNC4Predictor: conv5_mask (2x2/2 deconv) + relu, mask_fcn_logits."""

    def __init__(self, in_ch, num_classes_with_bg):
        super().__init__()
        self.conv5_mask = nn.ConvTranspose2d(in_ch, in_ch, 2, 2, 0)
        self.mask_fcn_logits = nn.Conv2d(in_ch, num_classes_with_bg, 1, 1, 0)

    def forward(self, x):
        return self.mask_fcn_logits(F.relu(self.conv5_mask(x)))


class MaskRcnnBenchmark(nn.Module):
    """The parameter container with maskrcnn-benchmark's names: backbone.{body,fpn}, rpn.head, roi_heads.{box,mask}."""

    def __init__(self, arch):
        super().__init__()
        self.arch = dict(arch)
        c = arch["fpn_out_channels"]
        body = ResNet(arch)
        fpn = FPN([arch["res2_out_channels"] * 2 ** i for i in range(4)], c)
        self.backbone = nn.Sequential(OrderedDict([("body", body), ("fpn", fpn)]))
        self.rpn = nn.Module()
        self.rpn.head = RPNHead(c, arch["anchors_per_cell"])
        self.roi_heads = nn.Module()
        self.roi_heads.box = nn.Module()
        s = arch["box_pooler_resolution"]
        self.roi_heads.box.feature_extractor = BoxFeatureExtractor(c * s * s, arch["mlp_head_dim"])
        self.roi_heads.box.predictor = BoxPredictor(arch["mlp_head_dim"], arch["num_classes"] + 1,
                                                    arch["cls_agnostic_bbox_reg"])
        self.mask_on = bool(arch["mask_on"])
        if self.mask_on:
            self.roi_heads.mask = nn.Module()
            layers = arch["mask_conv_layers"]
            self.roi_heads.mask.feature_extractor = MaskFeatureExtractor(c, layers)
            self.roi_heads.mask.predictor = MaskPredictor(layers[-1], arch["num_classes"] + 1)

    def run_backbone(self, images):
        """images [N, 3, H, W] -> (p2..p6, objectness per level, box regression per level)."""
        features = self.backbone.fpn(self.backbone.body(images))
        logits, deltas = self.rpn.head(features)
        return features, logits, deltas

    def run_box_head(self, pooled):
        """pooled [R, C, 7, 7] -> class logits [R, K+1] (background first), box regression [R, 4(K+1)] (or 8)."""
        return self.roi_heads.box.predictor(self.roi_heads.box.feature_extractor(pooled))

    def run_mask_head(self, pooled):
        """pooled [R, C, 14, 14] -> mask logits [R, K+1, 28, 28] (background channel first)."""
        return self.roi_heads.mask.predictor(self.roi_heads.mask.feature_extractor(pooled))


# Keys of a maskrcnn-benchmark checkpoint that are not weights of the network.
def _ignored(key):
    return key.startswith("rpn.anchor_generator.") or key.endswith("num_batches_tracked")


def read_checkpoint(path):
    """The `model` state dict of a maskrcnn-benchmark `.pth` (Checkpointer.save: {"model", "optimizer", ...}), or a
    bare state dict; a `module.` prefix (DistributedDataParallel) is dropped."""
    try:
        data = torch.load(path, map_location="cpu")
    except Exception as e:
        raise ConfigError(f"{path}: cannot read checkpoint: {e}") from e
    if isinstance(data, dict) and isinstance(data.get("model"), dict):
        data = data["model"]
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a dict with the weights under 'model', got {type(data).__name__}")
    out = {}
    for key, value in data.items():
        key = key[len("module."):] if key.startswith("module.") else key
        if _ignored(key):
            continue
        if not isinstance(value, torch.Tensor):
            raise ConfigError(f"{path}: {key}: expected a tensor, got {type(value).__name__}")
        out[key] = value.float() if value.is_floating_point() else value
    return out


def load_checkpoint(model, path):
    state = read_checkpoint(path)
    expected = model.state_dict()
    missing = sorted(k for k in expected if k not in state)
    unexpected = sorted(k for k in state if k not in expected)
    shapes = sorted(f"{k}: checkpoint {tuple(state[k].shape)} vs model {tuple(v.shape)}"
                    for k, v in expected.items() if k in state and tuple(state[k].shape) != tuple(v.shape))
    if missing or unexpected or shapes:
        parts = []
        if missing:
            parts.append(f"missing {len(missing)} [{', '.join(missing)}]")
        if unexpected:
            parts.append(f"unexpected {len(unexpected)} [{', '.join(unexpected)}]")
        if shapes:
            parts.append(f"shape mismatch {len(shapes)} [{'; '.join(shapes)}]")
        raise ConfigError(f"{path}: checkpoint does not match the config: " + "; ".join(parts))
    model.load_state_dict(state)
    return model


# ------------------------------------------------------------------------------------------------ random init

RPN_LOGIT_STD = 2.0
RPN_DELTA_STD = 0.15
CLS_SPREAD = 2.0
BACKGROUND_BIAS = 8.0  # one box stage; higher than detectron2's 5.0 so that the tiny R-50 gives tens of detections, not hundreds
BOX_DELTA_STD = 1.0
RESIDUAL_BRANCH_SCALE = 0.2
MASK_LOGIT_STD = 3.0
MASK_CALIBRATION_ROIS = 100


@torch.no_grad()
def _standardise_(layer, columns_last, target_std):
    mean, std = columns_last.mean(dim=0), columns_last.std(dim=0).clamp(min=1e-6)
    scale = target_std / std
    layer.weight.mul_(scale.view(-1, *([1] * (layer.weight.dim() - 1))))
    layer.bias.sub_(mean).mul_(scale)


@torch.no_grad()
def init_random(model, seed, settings, image):
    """Seeded random weights calibrated as tools/maskrt_export/package.py init_random calibrates detectron2 models
    (docs/MODEL_PACKAGE.md, "Random-weight packages"), on `image` ([1, 3, H, W], normalised, padded): He init,
    FrozenBN statistics from the image, small last norms of the residual branches, RPN objectness std 2 / deltas std
    0.15, box classifier columns std 2 with the background (column 0 here) +8, box regression std 1, mask predictor
    N(0, 1) with an equal-tap deconv, then its logits standardised per class to std MASK_LOGIT_STD."""
    from . import mrcnn_benchmark_pipeline as mbp
    g = torch.Generator().manual_seed(seed)

    def normal_(t, std, mean=0.0):
        t.copy_(torch.randn(t.shape, generator=g) * std + mean)

    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            fan_out = m.weight.shape[0] * m.weight[0, 0].numel() if isinstance(m, nn.Conv2d) else \
                m.weight.shape[1] * m.weight[0, 0].numel()
            normal_(m.weight, (2.0 / fan_out) ** 0.5)
            if m.bias is not None:
                normal_(m.bias, 0.05)
        elif isinstance(m, nn.Linear):
            bound = (6.0 / m.weight.shape[1]) ** 0.5
            m.weight.copy_((torch.rand(m.weight.shape, generator=g) * 2 - 1) * bound)
            normal_(m.bias, 0.05)
        elif isinstance(m, FrozenBatchNorm2d):
            normal_(m.weight, 0.1, 1.0)
            normal_(m.bias, 0.1)
    for m in model.modules():
        if isinstance(m, Bottleneck):
            m.bn3.weight.mul_(RESIDUAL_BRANCH_SCALE)
    if model.mask_on:
        deconv = model.roi_heads.mask.predictor.conv5_mask
        deconv.weight.copy_(deconv.weight.mean(dim=(2, 3), keepdim=True).expand_as(deconv.weight) * 2.0)
    hooks = []

    def pre_hook(module, inputs):
        x = inputs[0]
        module.running_mean.copy_(x.mean(dim=(0, 2, 3)))
        module.running_var.copy_(x.var(dim=(0, 2, 3), unbiased=False).clamp(min=1e-3))

    for m in model.modules():
        if isinstance(m, FrozenBatchNorm2d):
            hooks.append(m.register_forward_pre_hook(pre_hook))
    model.backbone.body(image)
    for h in hooks:
        h.remove()
    if model.mask_on:
        normal_(model.roi_heads.mask.predictor.mask_fcn_logits.weight, 1.0)
    head = model.rpn.head
    features = model.backbone.fpn(model.backbone.body(image))
    hidden = [F.relu(head.conv(f)) for f in features]
    for layer, target in ((head.cls_logits, RPN_LOGIT_STD), (head.bbox_pred, RPN_DELTA_STD)):
        raw = torch.cat([layer(t)[0].flatten(1) for t in hidden], dim=1).t()
        _standardise_(layer, raw, target)
    size = tuple(image.shape[-2:])
    features, logits, deltas = model.run_backbone(image)
    proposals, _ = mbp.rpn_proposals(features, logits, deltas, [size], settings)[0]
    pooled = mbp.pooler(features[:4], [proposals], settings["roi_heads"]["box_pooler"])
    feats = model.roi_heads.box.feature_extractor(pooled)
    pred = model.roi_heads.box.predictor
    _standardise_(pred.cls_score, pred.cls_score(feats), CLS_SPREAD)
    pred.cls_score.bias[0] += BACKGROUND_BIAS
    _standardise_(pred.bbox_pred, pred.bbox_pred(feats), BOX_DELTA_STD)
    if model.mask_on:
        # mask logits standardised per class channel over the best proposals' 28x28 maps: with the N(0, 1) predictor
        # alone a full-width (256-channel) head saturates them, sigmoid gives exactly 0 and 1, and the Masker's
        # bilinear midpoints land exactly on its strict 0.5 threshold, where float noise decides
        x = mbp.pooler(features[:4], [proposals[:MASK_CALIBRATION_ROIS]], settings["roi_heads"]["mask_pooler"])
        head = model.roi_heads.mask
        hidden = F.relu(head.predictor.conv5_mask(head.feature_extractor(x)))
        logits = head.predictor.mask_fcn_logits(hidden)
        _standardise_(head.predictor.mask_fcn_logits, logits.permute(0, 2, 3, 1).reshape(-1, logits.shape[1]),
                      MASK_LOGIT_STD)
    return model


# -------------------------------------------------------------------------------------------------- export

class _BackbonePiece(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.backbone = model.backbone
        self.rpn = model.rpn

    def forward(self, image):
        features = self.backbone.fpn(self.backbone.body(image))
        logits, deltas = self.rpn.head(features)
        return tuple(features) + tuple(logits) + tuple(deltas)


class _BoxPiece(nn.Module):
    """class_logits with the background moved last; box_deltas without the background's 4 columns."""

    def __init__(self, model):
        super().__init__()
        self.roi_heads = nn.Module()
        self.roi_heads.box = nn.Module()
        self.roi_heads.box.feature_extractor = model.roi_heads.box.feature_extractor
        self.roi_heads.box.predictor = model.roi_heads.box.predictor

    def forward(self, features):
        scores, deltas = self.roi_heads.box.predictor(self.roi_heads.box.feature_extractor(features))
        return torch.cat([scores[:, 1:], scores[:, :1]], dim=1), deltas[:, 4:]


class _MaskPiece(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.roi_heads = nn.Module()
        self.roi_heads.mask = nn.Module()
        self.roi_heads.mask.feature_extractor = model.roi_heads.mask.feature_extractor
        self.roi_heads.mask.predictor = model.roi_heads.mask.predictor

    def forward(self, features):
        return self.roi_heads.mask.predictor(self.roi_heads.mask.feature_extractor(features))[:, 1:]


def export_package(model, settings, out_dir, source):
    from .package import FORMAT_VERSION, OPSET, _initializer_aliases
    os.makedirs(out_dir, exist_ok=True)
    model.eval()
    arch = model.arch
    c, k, a = arch["fpn_out_channels"], arch["num_classes"], arch["anchors_per_cell"]
    bs = arch["box_pooler_resolution"]
    back_out = LEVELS + [f"rpn_logits_{l}" for l in LEVELS] + [f"rpn_deltas_{l}" for l in LEVELS]
    back_dyn = {"image": {0: "batch", 2: "height", 3: "width"}}
    for i, name in enumerate(back_out):
        back_dyn[name] = {0: "batch", 2: f"height_{LEVELS[i % 5]}", 3: f"width_{LEVELS[i % 5]}"}
    pieces = [("backbone.onnx", _BackbonePiece(model), torch.zeros(1, 3, 64, 96), ["image"], back_out, back_dyn),
              ("box_head_0.onnx", _BoxPiece(model), torch.zeros(2, c, bs, bs), ["features"],
               ["class_logits", "box_deltas"],
               {"features": {0: "rois"}, "class_logits": {0: "rois"}, "box_deltas": {0: "rois"}})]
    if model.mask_on:
        ms = arch["mask_pooler_resolution"]
        pieces.append(("mask_head.onnx", _MaskPiece(model), torch.zeros(2, c, ms, ms), ["features"], ["mask_logits"],
                       {"features": {0: "rois"}, "mask_logits": {0: "rois"}}))
    aliases = {}
    for fname, piece, example, in_names, out_names, dyn in pieces:
        path = os.path.join(out_dir, fname)
        piece.eval()
        torch.onnx.export(piece, (example,), path, opset_version=OPSET, input_names=in_names,
                          output_names=out_names, dynamic_axes=dyn, do_constant_folding=False)
        onnx.checker.check_model(onnx.load(path))
        found = _initializer_aliases(path, dict(piece.state_dict()))
        if found:
            aliases[fname] = found
    strides = settings["anchors"]["strides"]
    deltas = 4 if arch["cls_agnostic_bbox_reg"] else 4 * k
    graphs = {
        "backbone": {
            "file": "backbone.onnx",
            "inputs": {"image": {"shape": ["N", 3, "H", "W"], "dtype": "float32"}},
            "outputs": {
                **{l: {"shape": ["N", c, f"H/{s}", f"W/{s}"], "dtype": "float32"} for l, s in zip(LEVELS, strides)},
                **{f"rpn_logits_{l}": {"shape": ["N", a, f"H/{s}", f"W/{s}"], "dtype": "float32"}
                   for l, s in zip(LEVELS, strides)},
                **{f"rpn_deltas_{l}": {"shape": ["N", a * 4, f"H/{s}", f"W/{s}"], "dtype": "float32"}
                   for l, s in zip(LEVELS, strides)},
            },
        },
        "box_heads": [{"file": "box_head_0.onnx",
                       "inputs": {"features": {"shape": ["R", c, bs, bs], "dtype": "float32"}},
                       "outputs": {"class_logits": {"shape": ["R", k + 1], "dtype": "float32"},
                                   "box_deltas": {"shape": ["R", deltas], "dtype": "float32"}}}],
    }
    if model.mask_on:
        ms = arch["mask_pooler_resolution"]
        graphs["mask_head"] = {"file": "mask_head.onnx",
                               "inputs": {"features": {"shape": ["R", c, ms, ms], "dtype": "float32"}},
                               "outputs": {"mask_logits": {"shape": ["R", k, 2 * ms, 2 * ms], "dtype": "float32"}}}
    manifest = {
        "format_version": FORMAT_VERSION,
        "flavour": FLAVOUR,
        "source": source,
        "onnx_opset": OPSET,
        "num_classes": k,
        "class_names": settings["class_names"],
        "input": settings["input"],
        "anchors": settings["anchors"],
        "rpn": settings["rpn"],
        "roi_heads": settings["roi_heads"],
        "conventions": settings["conventions"],
        "graphs": graphs,
        "architecture": arch,
        "weight_aliases": aliases,
    }
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    return manifest


def load_package(pkg_dir):
    """(model with the weights stored in the package's ONNX initializers, settings, manifest), as
    package.load_package does for detectron2 packages."""
    path = os.path.join(pkg_dir, "manifest.json")
    with open(path) as f:
        manifest = json.load(f)
    if manifest.get("flavour") != FLAVOUR:
        raise ConfigError(f"{path}: flavour: expected {FLAVOUR!r}, got {manifest.get('flavour')!r}")
    model = MaskRcnnBenchmark(manifest["architecture"]).eval()
    expected = model.state_dict()
    found = {}
    files = [manifest["graphs"]["backbone"]["file"]] + [g["file"] for g in manifest["graphs"]["box_heads"]]
    if "mask_head" in manifest["graphs"]:
        files.append(manifest["graphs"]["mask_head"]["file"])
    for fname in files:
        arrays = {i.name: numpy_helper.to_array(i) for i in onnx.load(os.path.join(pkg_dir, fname)).graph.initializer}
        for name, kept in manifest.get("weight_aliases", {}).get(fname, {}).items():
            arrays[name] = arrays[kept]
        for name, arr in arrays.items():
            if name in expected:
                found[name] = torch.from_numpy(arr.copy())
    missing = sorted(set(expected) - set(found))
    if missing:
        raise ConfigError(f"{pkg_dir}: weights not found in the ONNX graphs: {', '.join(missing)}")
    model.load_state_dict(found)
    settings = {k: manifest[k] for k in ("input", "anchors", "rpn", "roi_heads", "conventions")}
    settings["num_classes"] = manifest["num_classes"]
    settings["class_names"] = manifest["class_names"]
    return model, settings, manifest
