"""detectron2 YAML configs: `_BASE_` chains merged over detectron2's defaults, then the values maskrt needs.

Only the keys that the R-CNN inference path (Cascade / Mask / Faster R-CNN with FPN) reads have defaults here (written out from
detectron2's documented `config/defaults.py`); other keys (SOLVER, DATASETS, ...) are accepted and ignored.
"""
import copy
import math
import os

import yaml


class ConfigError(ValueError):
    """A config that maskrt cannot serve; the message names the file and the key."""


# detectron2's defaults for every key the inference path reads.
DEFAULTS = {
    "MODEL": {
        "META_ARCHITECTURE": "GeneralizedRCNN",
        "MASK_ON": False,
        "KEYPOINT_ON": False,
        "PIXEL_MEAN": [103.530, 116.280, 123.675],
        "PIXEL_STD": [1.0, 1.0, 1.0],
        "BACKBONE": {"NAME": "build_resnet_backbone", "FREEZE_AT": 2},
        "RESNETS": {
            "DEPTH": 50,
            "OUT_FEATURES": ["res4"],
            "NUM_GROUPS": 1,
            "NORM": "FrozenBN",
            "WIDTH_PER_GROUP": 64,
            "STRIDE_IN_1X1": True,
            "RES5_DILATION": 1,
            "RES2_OUT_CHANNELS": 256,
            "STEM_OUT_CHANNELS": 64,
            "DEFORM_ON_PER_STAGE": [False, False, False, False],
            "DEFORM_MODULATED": False,
            "DEFORM_NUM_GROUPS": 1,
        },
        "FPN": {"IN_FEATURES": [], "OUT_CHANNELS": 256, "NORM": "", "FUSE_TYPE": "sum"},
        "PROPOSAL_GENERATOR": {"NAME": "RPN", "MIN_SIZE": 0},
        "ANCHOR_GENERATOR": {
            "NAME": "DefaultAnchorGenerator",
            "SIZES": [[32, 64, 128, 256, 512]],
            "ASPECT_RATIOS": [[0.5, 1.0, 2.0]],
            "ANGLES": [[-90, 0, 90]],
            "OFFSET": 0.0,
        },
        "RPN": {
            "HEAD_NAME": "StandardRPNHead",
            "IN_FEATURES": ["res4"],
            "BBOX_REG_WEIGHTS": [1.0, 1.0, 1.0, 1.0],
            "PRE_NMS_TOPK_TEST": 6000,
            "POST_NMS_TOPK_TEST": 1000,
            "NMS_THRESH": 0.7,
            "CONV_DIMS": [-1],
        },
        "ROI_HEADS": {
            "NAME": "Res5ROIHeads",
            "NUM_CLASSES": 80,
            "IN_FEATURES": ["res4"],
            "SCORE_THRESH_TEST": 0.05,
            "NMS_THRESH_TEST": 0.5,
            "IOU_THRESHOLDS": [0.5],
        },
        "ROI_BOX_HEAD": {
            "NAME": "",
            "BBOX_REG_WEIGHTS": [10.0, 10.0, 5.0, 5.0],
            "NUM_FC": 0,
            "FC_DIM": 1024,
            "NUM_CONV": 0,
            "CONV_DIM": 256,
            "NORM": "",
            "CLS_AGNOSTIC_BBOX_REG": False,
            "POOLER_RESOLUTION": 14,
            "POOLER_SAMPLING_RATIO": 0,
            "POOLER_TYPE": "ROIAlignV2",
        },
        "ROI_BOX_CASCADE_HEAD": {
            "BBOX_REG_WEIGHTS": [[10.0, 10.0, 5.0, 5.0], [20.0, 20.0, 10.0, 10.0], [30.0, 30.0, 15.0, 15.0]],
            "IOUS": [0.5, 0.6, 0.7],
        },
        "ROI_MASK_HEAD": {
            "NAME": "MaskRCNNConvUpsampleHead",
            "POOLER_RESOLUTION": 14,
            "POOLER_SAMPLING_RATIO": 0,
            "CONV_DIM": 256,
            "NUM_CONV": 0,
            "NORM": "",
            "CLS_AGNOSTIC_MASK": False,
            "POOLER_TYPE": "ROIAlignV2",
        },
    },
    "INPUT": {"MIN_SIZE_TEST": 800, "MAX_SIZE_TEST": 1333, "FORMAT": "BGR", "MASK_FORMAT": "polygon"},
    # TEST.AUG: detectron2's test-time augmentation (GeneralizedRCNNWithTTA), defaults as config/defaults.py
    "TEST": {"DETECTIONS_PER_IMAGE": 100,
             "AUG": {"ENABLED": False, "MIN_SIZES": [400, 500, 600, 700, 800, 900, 1000, 1100, 1200],
                     "MAX_SIZE": 4000, "FLIP": True}},
    # maskrt's own section (not in detectron2): optional class names, in class-index order.
    "MASKRT": {"CLASS_NAMES": []},
}

_SUPPORTED_NORMS = {"FrozenBN", "BN", "SyncBN", "nnSyncBN", "naiveSyncBN", "GN", ""}


def merge(base, override):
    """Recursive dict merge: `override` wins; nested dicts are merged key by key. Inputs are not changed."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def load_yaml_chain(path, _seen=None):
    """Reads a YAML config and its `_BASE_` chain (relative to the including file), base first."""
    path = os.path.abspath(path)
    seen = set() if _seen is None else _seen
    if path in seen:
        raise ConfigError(f"{path}: _BASE_ cycle")
    seen.add(path)
    try:
        with open(path, "r") as f:
            data = yaml.safe_load(f) or {}
    except OSError as e:
        raise ConfigError(f"{path}: cannot read config: {e}") from e
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML: {e}") from e
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: top level must be a mapping")
    base = data.pop("_BASE_", None)
    if base is None:
        return data
    base_path = os.path.expanduser(base)
    if not os.path.isabs(base_path):
        base_path = os.path.join(os.path.dirname(path), base_path)
    return merge(load_yaml_chain(base_path, seen), data)


def load_config(path):
    """The full config: detectron2 defaults, then the `_BASE_` chain, then the file itself."""
    return merge(DEFAULTS, load_yaml_chain(path))


def _as_list(value, key, source):
    if isinstance(value, str):  # detectron2 YAMLs write tuples as "(a, b)"
        value = yaml.safe_load("[" + value.strip().strip("()") + "]")
    if not isinstance(value, (list, tuple)):
        raise ConfigError(f"{source}: {key} must be a list, got {value!r}")
    return list(value)


def _per_level(value, levels, key, source):
    """detectron2's anchor convention: one list for all levels, or one list per level."""
    value = [list(v) for v in _as_list(value, key, source)]
    if len(value) == 1:
        return value * levels
    if len(value) != levels:
        raise ConfigError(f"{source}: {key} has {len(value)} entries for {levels} feature levels")
    return value


def resolve(cfg, source="config"):
    """Checks `cfg` (a merged config dict) and returns the flat, validated settings of the pipeline.

    Raises ConfigError naming `source` and the key for anything maskrt does not serve.
    """
    m = cfg["MODEL"]
    r = m["RESNETS"]

    def need(cond, key, message):
        if not cond:
            raise ConfigError(f"{source}: {key}: {message}")

    need(m["META_ARCHITECTURE"] == "GeneralizedRCNN", "MODEL.META_ARCHITECTURE",
         f"only GeneralizedRCNN is supported, got {m['META_ARCHITECTURE']!r}")
    need(m["BACKBONE"]["NAME"] == "build_resnet_fpn_backbone", "MODEL.BACKBONE.NAME",
         f"only build_resnet_fpn_backbone is supported, got {m['BACKBONE']['NAME']!r}")
    heads_name = m["ROI_HEADS"]["NAME"]
    need(heads_name in ("CascadeROIHeads", "StandardROIHeads"), "MODEL.ROI_HEADS.NAME",
         f"only CascadeROIHeads and StandardROIHeads are supported, got {heads_name!r}")
    cascade = heads_name == "CascadeROIHeads"
    need(isinstance(m["MASK_ON"], bool), "MODEL.MASK_ON", f"must be true or false, got {m['MASK_ON']!r}")
    mask_on = m["MASK_ON"]
    need(not m.get("KEYPOINT_ON", False), "MODEL.KEYPOINT_ON", "keypoint heads are not supported")
    deform = [bool(x) for x in _as_list(r["DEFORM_ON_PER_STAGE"], "MODEL.RESNETS.DEFORM_ON_PER_STAGE", source)]
    need(len(deform) == 4, "MODEL.RESNETS.DEFORM_ON_PER_STAGE", f"needs 4 entries (res2..res5), got {deform}")
    depth = int(r["DEPTH"])
    need(not any(deform) or depth >= 50, "MODEL.RESNETS.DEFORM_ON_PER_STAGE",
         f"deformable convolutions need bottleneck blocks (R50 and deeper; detectron2 refuses them for R{depth})")
    deform_modulated = r["DEFORM_MODULATED"]
    need(isinstance(deform_modulated, bool), "MODEL.RESNETS.DEFORM_MODULATED",
         f"must be true or false, got {deform_modulated!r}")
    deform_groups = r["DEFORM_NUM_GROUPS"]
    need(isinstance(deform_groups, int) and deform_groups >= 1, "MODEL.RESNETS.DEFORM_NUM_GROUPS",
         f"must be an integer >= 1, got {deform_groups!r}")
    need(depth in (18, 34, 50, 101, 152), "MODEL.RESNETS.DEPTH", f"must be 18/34/50/101/152, got {depth}")
    need(r["NORM"] in _SUPPORTED_NORMS, "MODEL.RESNETS.NORM", f"unsupported norm {r['NORM']!r}")
    need(m["FPN"]["NORM"] in _SUPPORTED_NORMS, "MODEL.FPN.NORM", f"unsupported norm {m['FPN']['NORM']!r}")
    need(int(r["RES5_DILATION"]) in (1, 2), "MODEL.RESNETS.RES5_DILATION", "must be 1 or 2")
    if depth in (18, 34):
        need(int(r["RES5_DILATION"]) == 1, "MODEL.RESNETS.RES5_DILATION", "must be 1 for R18/R34")
        need(int(r["NUM_GROUPS"]) == 1, "MODEL.RESNETS.NUM_GROUPS", "must be 1 for R18/R34")
    fpn_in = list(m["FPN"]["IN_FEATURES"])
    need(fpn_in == ["res2", "res3", "res4", "res5"], "MODEL.FPN.IN_FEATURES",
         f"must be [res2, res3, res4, res5], got {fpn_in}")
    rpn_in = list(m["RPN"]["IN_FEATURES"])
    need(rpn_in == ["p2", "p3", "p4", "p5", "p6"], "MODEL.RPN.IN_FEATURES", f"must be [p2..p6], got {rpn_in}")
    need(m["RPN"]["HEAD_NAME"] == "StandardRPNHead", "MODEL.RPN.HEAD_NAME", "only StandardRPNHead is supported")
    need(m["PROPOSAL_GENERATOR"]["NAME"] == "RPN", "MODEL.PROPOSAL_GENERATOR.NAME", "only RPN is supported")
    need(m["ANCHOR_GENERATOR"]["NAME"] == "DefaultAnchorGenerator", "MODEL.ANCHOR_GENERATOR.NAME",
         "only DefaultAnchorGenerator is supported")
    roi_in = list(m["ROI_HEADS"]["IN_FEATURES"])
    need(roi_in == ["p2", "p3", "p4", "p5"], "MODEL.ROI_HEADS.IN_FEATURES", f"must be [p2..p5], got {roi_in}")
    bh, mh, cas = m["ROI_BOX_HEAD"], m["ROI_MASK_HEAD"], m["ROI_BOX_CASCADE_HEAD"]
    need(bh["NAME"] == "FastRCNNConvFCHead", "MODEL.ROI_BOX_HEAD.NAME", "only FastRCNNConvFCHead is supported")
    cls_agnostic = bool(bh["CLS_AGNOSTIC_BBOX_REG"])
    if cascade:
        need(cls_agnostic, "MODEL.ROI_BOX_HEAD.CLS_AGNOSTIC_BBOX_REG", "cascade heads must be class-agnostic (True)")
    if mask_on:
        need(mh["NAME"] == "MaskRCNNConvUpsampleHead", "MODEL.ROI_MASK_HEAD.NAME",
             "only MaskRCNNConvUpsampleHead is supported")
    for key, head in (("ROI_BOX_HEAD", bh), ("ROI_MASK_HEAD", mh)) if mask_on else (("ROI_BOX_HEAD", bh),):
        need(head["POOLER_TYPE"] == "ROIAlignV2", f"MODEL.{key}.POOLER_TYPE",
             f"only ROIAlignV2 is supported, got {head['POOLER_TYPE']!r}")
    if cascade:
        stage_weights = [[float(w) for w in s] for s in _as_list(
            cas["BBOX_REG_WEIGHTS"], "MODEL.ROI_BOX_CASCADE_HEAD.BBOX_REG_WEIGHTS", source)]
        ious = [float(x) for x in _as_list(cas["IOUS"], "MODEL.ROI_BOX_CASCADE_HEAD.IOUS", source)]
        need(len(stage_weights) == 3 and all(len(w) == 4 for w in stage_weights),
             "MODEL.ROI_BOX_CASCADE_HEAD.BBOX_REG_WEIGHTS", "maskrt serves exactly 3 cascade stages of 4 weights")
        need(len(ious) == len(stage_weights), "MODEL.ROI_BOX_CASCADE_HEAD.IOUS", "one IoU per stage")
    else:  # StandardROIHeads: one box stage (FastRCNNOutputLayers with ROI_BOX_HEAD.BBOX_REG_WEIGHTS)
        stage_weights = [[float(w) for w in _as_list(bh["BBOX_REG_WEIGHTS"], "MODEL.ROI_BOX_HEAD.BBOX_REG_WEIGHTS",
                                                     source)]]
        need(len(stage_weights[0]) == 4, "MODEL.ROI_BOX_HEAD.BBOX_REG_WEIGHTS", "needs 4 weights")
        ious = [float(_as_list(m["ROI_HEADS"]["IOU_THRESHOLDS"], "MODEL.ROI_HEADS.IOU_THRESHOLDS", source)[0])]
    fmt = cfg["INPUT"]["FORMAT"]
    need(fmt in ("BGR", "RGB"), "INPUT.FORMAT", f"only BGR and RGB are supported, got {fmt!r}")
    mean = [float(x) for x in _as_list(m["PIXEL_MEAN"], "MODEL.PIXEL_MEAN", source)]
    std = [float(x) for x in _as_list(m["PIXEL_STD"], "MODEL.PIXEL_STD", source)]
    need(len(mean) == 3, "MODEL.PIXEL_MEAN", "needs 3 values")
    need(len(std) == 3 and all(s > 0 for s in std), "MODEL.PIXEL_STD", "needs 3 positive values")
    min_size = cfg["INPUT"]["MIN_SIZE_TEST"]
    need(isinstance(min_size, int), "INPUT.MIN_SIZE_TEST", f"must be one integer at test time, got {min_size!r}")
    num_classes = int(m["ROI_HEADS"]["NUM_CLASSES"])
    need(num_classes >= 1, "MODEL.ROI_HEADS.NUM_CLASSES", "must be >= 1")
    names = list(cfg.get("MASKRT", {}).get("CLASS_NAMES", []) or [])
    need(not names or len(names) == num_classes, "MASKRT.CLASS_NAMES", f"needs {num_classes} names, got {len(names)}")
    strides = [4, 8, 16, 32, 64]
    anchor_sizes = _per_level(m["ANCHOR_GENERATOR"]["SIZES"], 5, "MODEL.ANCHOR_GENERATOR.SIZES", source)
    ratios = _per_level(m["ANCHOR_GENERATOR"]["ASPECT_RATIOS"], 5, "MODEL.ANCHOR_GENERATOR.ASPECT_RATIOS", source)
    anchors_per_cell = {len(s) * len(a) for s, a in zip(anchor_sizes, ratios)}
    need(len(anchors_per_cell) == 1, "MODEL.ANCHOR_GENERATOR", "every level must have the same number of anchors")
    conv_dims = [int(x) for x in _as_list(m["RPN"]["CONV_DIMS"], "MODEL.RPN.CONV_DIMS", source)]
    need(len(conv_dims) >= 1, "MODEL.RPN.CONV_DIMS", "needs at least one entry")
    test_aug = _test_aug(cfg["TEST"]["AUG"], need, source)

    return {
        "architecture": {
            "depth": depth,
            "num_groups": int(r["NUM_GROUPS"]),
            "width_per_group": int(r["WIDTH_PER_GROUP"]),
            "stride_in_1x1": bool(r["STRIDE_IN_1X1"]),
            "res5_dilation": int(r["RES5_DILATION"]),
            "deform_on_per_stage": deform,
            "deform_modulated": deform_modulated,
            "deform_num_groups": int(deform_groups),
            "res2_out_channels": int(r["RES2_OUT_CHANNELS"]),
            "stem_out_channels": int(r["STEM_OUT_CHANNELS"]),
            "resnet_norm": r["NORM"],
            "fpn_out_channels": int(m["FPN"]["OUT_CHANNELS"]),
            "fpn_norm": m["FPN"]["NORM"],
            "fpn_fuse_type": m["FPN"]["FUSE_TYPE"],
            "rpn_conv_dims": conv_dims,
            "anchors_per_cell": anchors_per_cell.pop(),
            "box_num_conv": int(bh["NUM_CONV"]),
            "box_conv_dim": int(bh["CONV_DIM"]),
            "box_num_fc": int(bh["NUM_FC"]),
            "box_fc_dim": int(bh["FC_DIM"]),
            "box_norm": bh["NORM"],
            "box_pooler_resolution": int(bh["POOLER_RESOLUTION"]),
            "roi_heads": heads_name,
            "cls_agnostic_bbox_reg": cls_agnostic,
            "mask_on": mask_on,
            "mask_num_conv": int(mh["NUM_CONV"]),
            "mask_conv_dim": int(mh["CONV_DIM"]),
            "mask_norm": mh["NORM"],
            "mask_cls_agnostic": bool(mh["CLS_AGNOSTIC_MASK"]),
            "mask_pooler_resolution": int(mh["POOLER_RESOLUTION"]),
            "num_classes": num_classes,
            "num_stages": len(stage_weights),
        },
        "input": {
            "format": fmt,
            "pixel_mean": mean,
            "pixel_std": std,
            "min_size_test": int(min_size),
            "max_size_test": int(cfg["INPUT"]["MAX_SIZE_TEST"]),
            "size_divisibility": 32,
            "pad_value": 0.0,
            "interpolation": "pil_bilinear",
        },
        "anchors": {
            "strides": strides,
            "sizes": [[float(s) for s in lvl] for lvl in anchor_sizes],
            "aspect_ratios": [[float(a) for a in lvl] for lvl in ratios],
            "offset": float(m["ANCHOR_GENERATOR"]["OFFSET"]),
        },
        "rpn": {
            "pre_nms_topk": int(m["RPN"]["PRE_NMS_TOPK_TEST"]),
            "post_nms_topk": int(m["RPN"]["POST_NMS_TOPK_TEST"]),
            "nms_thresh": float(m["RPN"]["NMS_THRESH"]),
            "min_box_size": float(m["PROPOSAL_GENERATOR"]["MIN_SIZE"]),
            "bbox_reg_weights": [float(w) for w in m["RPN"]["BBOX_REG_WEIGHTS"]],
            "scale_clamp": math.log(1000.0 / 16),
        },
        "roi_heads": _roi_heads(m, cfg, num_classes, names, stage_weights, ious, cls_agnostic, mask_on),
        "test_aug": test_aug,
    }


def _pooler(head):
    return {
        "resolution": int(head["POOLER_RESOLUTION"]),
        "sampling_ratio": int(head["POOLER_SAMPLING_RATIO"]),
        "type": head["POOLER_TYPE"],
        "canonical_box_size": 224,
        "canonical_level": 4,
        "levels": ["p2", "p3", "p4", "p5"],
    }


def _roi_heads(m, cfg, num_classes, names, stage_weights, ious, cls_agnostic, mask_on):
    """The manifest's roi_heads: box stages and final detections; the mask fields only for a model with masks."""
    out = {
        "num_classes": num_classes,
        "class_names": [str(n) for n in names],
        "score_thresh": float(m["ROI_HEADS"]["SCORE_THRESH_TEST"]),
        "nms_thresh": float(m["ROI_HEADS"]["NMS_THRESH_TEST"]),
        "detections_per_image": int(cfg["TEST"]["DETECTIONS_PER_IMAGE"]),
        "stage_bbox_reg_weights": stage_weights,
        "stage_ious": ious,
        "cls_agnostic_bbox_reg": cls_agnostic,
        "scale_clamp": math.log(1000.0 / 16),
        "box_pooler": _pooler(m["ROI_BOX_HEAD"]),
    }
    if mask_on:
        out["mask_pooler"] = _pooler(m["ROI_MASK_HEAD"])
        out["mask_threshold"] = 0.5
        out["mask_cls_agnostic"] = bool(m["ROI_MASK_HEAD"]["CLS_AGNOSTIC_MASK"])
    return out


def _test_aug(aug, need, source):
    """TEST.AUG as the manifest's test_aug: detectron2's GeneralizedRCNNWithTTA + DatasetMapperTTA settings."""
    def is_int(x):
        return isinstance(x, int) and not isinstance(x, bool)

    enabled, flip = aug["ENABLED"], aug["FLIP"]
    need(isinstance(enabled, bool), "TEST.AUG.ENABLED", f"must be true or false, got {enabled!r}")
    need(isinstance(flip, bool), "TEST.AUG.FLIP", f"must be true or false, got {flip!r}")
    sizes = _as_list(aug["MIN_SIZES"], "TEST.AUG.MIN_SIZES", source)
    need(len(sizes) >= 1 and all(is_int(x) and x >= 1 for x in sizes), "TEST.AUG.MIN_SIZES",
         f"must be a non-empty list of integers >= 1, got {sizes!r}")
    max_size = aug["MAX_SIZE"]
    need(is_int(max_size) and max_size >= 1, "TEST.AUG.MAX_SIZE", f"must be an integer >= 1, got {max_size!r}")
    return {"enabled": enabled, "min_sizes": [int(x) for x in sizes], "max_size": int(max_size), "flip": flip}


def load_settings(path):
    """`resolve(load_config(path))`, with errors naming `path`."""
    return resolve(load_config(path), source=path)
