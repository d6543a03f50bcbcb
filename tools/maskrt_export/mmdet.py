"""mmdetection models (open-mmlab/mmdetection v2.x; v3.x configs where they say the same): its config `.py` and
checkpoint -> a maskrt model package with `flavour: "mmdetection"`.

Served: `FasterRCNN`, `MaskRCNN` and `CascadeRCNN` (box-only or with masks) with a `ResNet` / `ResNeXt` backbone
(BN/SyncBN, frozen at inference; `dcn=dict(type='DCN'|'DCNv2')` on the stages of `stage_with_dcn`), `FPN` (P6 by max
pooling), `RPNHead` with `AnchorGenerator`, `SingleRoIExtractor` + `RoIAlign`, `Shared2FCBBoxHead` and
`FCNMaskHead`. Anything else is refused naming the config key.

mmdetection's networks are the same layers as detectron2's (conv, FrozenBN, FPN with nearest upsampling and a
stride-2 max-pool P6, one 3x3 conv RPN head, two FC box head with the background logit last, four-conv mask head),
so the checkpoint is renamed onto the detectron2-named modules of `modules.py` (`MMDET_TO_D2` below) and exported by
`package.py`; a Cascade Mask R-CNN keeps its three mask heads, whose graph returns the mean of their sigmoids
(`mask_probs`). What differs is the inference around the network; the package records it in `conventions`, which
maskrt's Java pipeline follows (docs/MODEL_PACKAGE.md, "mmdetection packages", cites the mmdet source for each rule).

Config files are read as mmcv's `Config.fromfile` reads them: the file is executed as Python, its `_base_` files
(relative paths, a string or a list) are read first and merged key by key, a child dict replaces its base's when it
has `_delete_=True`. As with mmcv, reading a config runs its code: read only configs you trust.
"""
import copy
import math
import os
import re
import types

import numpy as np
import torch

from . import package
from .modules import BLOCKS_PER_STAGE, GeneralizedRCNN, is_ignored_key

FLAVOUR = "mmdetection"


class ConfigError(ValueError):
    """A config (or checkpoint) that maskrt cannot serve; the message names the file and the key."""


# ------------------------------------------------------------------------------------------------ config files

def _merge(child, base):
    """mmcv `Config._merge_a_into_b`: `child` merged into a copy of `base`."""
    out = copy.deepcopy(base)
    for key, value in child.items():
        if isinstance(value, dict):
            value = dict(value)
            delete = value.pop("_delete_", False)
            if not delete and isinstance(out.get(key), dict):
                out[key] = _merge(value, out[key])
            else:
                out[key] = _merge(value, {})
        else:
            out[key] = value
    return out


def load_config(path, _seen=None):
    """The merged config dict of an mmdetection config `.py` (mmcv `Config.fromfile`)."""
    path = os.path.abspath(path)
    seen = set(_seen or ())
    if path in seen:
        raise ConfigError(f"{path}: _base_ includes itself")
    seen.add(path)
    if not path.endswith(".py"):
        raise ConfigError(f"{path}: an mmdetection config is a .py file")
    try:
        with open(path) as f:
            code = f.read()
    except OSError as e:
        raise ConfigError(f"{path}: cannot read config: {e}") from e
    if re.search(r"\{\{\s*_base_\.", code):
        raise ConfigError(f"{path}: '{{{{ _base_.* }}}}' references to base variables are not supported; "
                          "write the values out")
    if re.search(r"^\s*with\s+read_base\(\)", code, re.M):
        raise ConfigError(f"{path}: mmengine's pure-Python configs (read_base) are not supported; use the "
                          "_base_ style config")
    namespace = {"__file__": path, "__name__": "__mmdet_config__"}
    try:
        exec(compile(code, path, "exec"), namespace)  # what mmcv's Config does with a .py config
    except Exception as e:  # noqa: BLE001 -- any error in the user's file is reported with its name
        raise ConfigError(f"{path}: executing the config failed: {type(e).__name__}: {e}") from e
    cfg = {k: v for k, v in namespace.items()
           if not k.startswith("__") and not isinstance(v, (types.ModuleType, types.FunctionType, type))}
    bases = cfg.pop("_base_", [])
    bases = [bases] if isinstance(bases, str) else list(bases)
    merged = {}
    for base in bases:
        base_cfg = load_config(os.path.join(os.path.dirname(path), base), seen)
        duplicate = set(merged) & set(base_cfg)
        if duplicate:
            raise ConfigError(f"{path}: _base_ files define the same keys: {sorted(duplicate)}")
        merged.update(base_cfg)
    return _merge(cfg, merged)


# ------------------------------------------------------------------------------------------------ resolving

def _get(d, key, default=None):
    return d.get(key, default) if isinstance(d, dict) else default


def _test_cfg(cfg):
    """model.test_cfg (mmdet >= 2.12), or the top-level test_cfg of older configs."""
    t = _get(cfg["model"], "test_cfg") or cfg.get("test_cfg")
    if not isinstance(t, dict):
        raise ConfigError("model.test_cfg: missing")
    return t


def _nms_threshold(nms, key, need):
    """`nms=dict(type='nms', iou_threshold=t)` (or the older `nms_thr=t`)."""
    if isinstance(nms, (int, float)):
        return float(nms)
    need(isinstance(nms, dict), key, f"expected dict(type='nms', iou_threshold=...), got {nms!r}")
    need(nms.get("type", "nms") == "nms", f"{key}.type", f"only 'nms' is supported, got {nms.get('type')!r}")
    need("iou_threshold" in nms, f"{key}.iou_threshold", "missing")
    return float(nms["iou_threshold"])


def _pipeline(cfg, need):
    """(resize (long, short), to_rgb, mean, std, size_divisor, test-time augmentation) of the test pipeline (v2) or
    data_preprocessor (v3); the augmentation is None, or ([(long, short), ...], flip) of MultiScaleFlipAug."""
    steps = _get(_get(_get(cfg, "data"), "test"), "pipeline") or cfg.get("test_pipeline")
    need(isinstance(steps, list), "data.test.pipeline", "missing (no test pipeline in the config)")
    aug_scales, flip = None, False
    flat = []
    for step in steps:
        if step.get("type") == "MultiScaleFlipAug":
            scale = step.get("img_scale", step.get("scale"))
            scales = scale if isinstance(scale, list) else [scale]
            need(len(scales) >= 1 and all(isinstance(x, (tuple, list)) and len(x) == 2 for x in scales),
                 "data.test.pipeline.MultiScaleFlipAug.img_scale", f"needs (long, short) pairs, got {scale!r}")
            aug_scales = [(max(x), min(x)) for x in scales]
            flip = bool(step.get("flip", False))
            direction = step.get("flip_direction", "horizontal")
            need(direction in ("horizontal", ["horizontal"]), "data.test.pipeline.MultiScaleFlipAug.flip_direction",
                 f"only 'horizontal' is supported, got {direction!r}")
            need(step.get("scale_factor") is None, "data.test.pipeline.MultiScaleFlipAug.scale_factor",
                 "only img_scale is supported")
            inner = [dict(t) for t in step.get("transforms", [])]
            for t in inner:
                if t.get("type") == "Resize":
                    t.setdefault("img_scale", scales[0])
            flat.extend(inner)
        elif step.get("type") == "TestTimeAug":
            need(False, "test_pipeline.TestTimeAug", "test-time augmentation is not served for mmdetection models")
        else:
            flat.append(step)
    by_type = {}
    for step in flat:
        by_type.setdefault(step.get("type"), step)
    load = by_type.get("LoadImageFromFile")
    need(load is not None, "data.test.pipeline", "needs LoadImageFromFile")
    need(load.get("color_type", "color") == "color", "data.test.pipeline.LoadImageFromFile.color_type",
         "only 'color' is supported")
    need(not load.get("to_float32", False), "data.test.pipeline.LoadImageFromFile.to_float32",
         "only uint8 images (to_float32=False) are supported")
    resize = by_type.get("Resize")
    need(resize is not None, "data.test.pipeline.Resize", "missing")
    need(resize.get("keep_ratio", True), "data.test.pipeline.Resize.keep_ratio", "only keep_ratio=True is supported")
    scale = resize.get("img_scale", resize.get("scale"))
    if isinstance(scale, list) and len(scale) == 1:
        scale = scale[0]
    need(isinstance(scale, (tuple, list)) and len(scale) == 2 and all(isinstance(x, int) for x in scale),
         "data.test.pipeline.Resize.img_scale", f"must be one (long, short) pair, got {scale!r}")
    need(resize.get("backend", "cv2") == "cv2", "data.test.pipeline.Resize.backend", "only cv2 is supported")
    need(resize.get("interpolation", "bilinear") == "bilinear", "data.test.pipeline.Resize.interpolation",
         "only bilinear is supported")
    pre = _get(cfg["model"], "data_preprocessor")
    if pre:  # mmdet 3.x: DetDataPreprocessor
        mean, std = pre.get("mean"), pre.get("std")
        to_rgb = bool(pre.get("bgr_to_rgb", pre.get("rgb_to_bgr", False)))
        divisor = int(pre.get("pad_size_divisor", 1))
        need(float(pre.get("pad_value", 0)) == 0, "model.data_preprocessor.pad_value", "only 0 is supported")
        key = "model.data_preprocessor"
    else:
        norm = by_type.get("Normalize")
        need(norm is not None, "data.test.pipeline.Normalize", "missing")
        mean, std, to_rgb = norm.get("mean"), norm.get("std"), bool(norm.get("to_rgb", True))
        pad = by_type.get("Pad")
        need(pad is not None and pad.get("size_divisor"), "data.test.pipeline.Pad.size_divisor", "missing")
        need(pad.get("size") is None, "data.test.pipeline.Pad.size", "only size_divisor padding is supported")
        need(float(pad.get("pad_val", 0) if not isinstance(pad.get("pad_val"), dict) else 0) == 0,
             "data.test.pipeline.Pad.pad_val", "only 0 is supported")
        divisor = int(pad["size_divisor"])
        key = "data.test.pipeline.Normalize"
    need(isinstance(mean, (list, tuple)) and len(mean) == 3, f"{key}.mean", f"needs 3 values, got {mean!r}")
    need(isinstance(std, (list, tuple)) and len(std) == 3 and all(s > 0 for s in std), f"{key}.std",
         f"needs 3 positive values, got {std!r}")
    aug = (aug_scales, flip) if aug_scales and (len(aug_scales) > 1 or flip) else None
    return (max(scale), min(scale)), to_rgb, [float(x) for x in mean], [float(x) for x in std], divisor, aug


def _coder(coder, key, need):
    """DeltaXYWHBBoxCoder target stds as detectron2-style weights 1/std (exact in float32, checked)."""
    coder = coder or {}
    need(coder.get("type", "DeltaXYWHBBoxCoder") == "DeltaXYWHBBoxCoder", f"{key}.type",
         f"only DeltaXYWHBBoxCoder is supported, got {coder.get('type')!r}")
    means = [float(x) for x in coder.get("target_means", [0.0] * 4)]
    stds = [float(x) for x in coder.get("target_stds", [1.0] * 4)]
    need(means == [0.0] * 4, f"{key}.target_means", f"only zero means are supported, got {means}")
    need(len(stds) == 4 and all(s > 0 for s in stds), f"{key}.target_stds", f"needs 4 positive values, got {stds}")
    need(coder.get("clip_border", True), f"{key}.clip_border", "only clip_border=True is supported")
    need(not coder.get("add_ctr_clamp", False), f"{key}.add_ctr_clamp", "only add_ctr_clamp=False is supported")
    weights = [1.0 / s for s in stds]
    for s, w in zip(stds, weights):  # maskrt multiplies by float32(1 / weight): the very float32 std mmdet uses
        need(np.float32(1.0 / w) == np.float32(s), f"{key}.target_stds", f"{s} does not survive 1 / (1 / std)")
    return weights


def _roi_extractor(ext, key, need, resolution):
    need(isinstance(ext, dict) and ext.get("type") == "SingleRoIExtractor", f"{key}.type",
         "only SingleRoIExtractor is supported")
    layer = ext.get("roi_layer", {})
    need(layer.get("type") == "RoIAlign", f"{key}.roi_layer.type", f"only RoIAlign is supported, got {layer.get('type')!r}")
    need(layer.get("aligned", True), f"{key}.roi_layer.aligned", "only aligned=True (mmcv's default) is supported")
    need(layer.get("pool_mode", "avg") == "avg", f"{key}.roi_layer.pool_mode", "only 'avg' is supported")
    need(int(layer.get("output_size")) == resolution, f"{key}.roi_layer.output_size",
         f"must be {resolution} (the head's input size)")
    need(list(ext.get("featmap_strides")) == [4, 8, 16, 32], f"{key}.featmap_strides", "must be [4, 8, 16, 32]")
    need(ext.get("roi_scale_factor") is None, f"{key}.roi_scale_factor", "not supported")
    return {
        "resolution": resolution,
        "sampling_ratio": int(layer.get("sampling_ratio", 0)),
        "type": "ROIAlignV2",
        "canonical_box_size": 224,
        "canonical_level": 4,
        "levels": ["p2", "p3", "p4", "p5"],
        "finest_scale": int(ext.get("finest_scale", 56)),
    }


def resolve(cfg, source="config", class_names=None):
    """The validated settings of an mmdetection config (the shape `config.resolve` returns, plus `conventions`)."""
    def need(cond, key, message):
        if not cond:
            raise ConfigError(f"{source}: {key}: {message}")

    need(isinstance(cfg.get("model"), dict), "model", "missing")
    m = cfg["model"]
    kind = m.get("type")
    need(kind in ("FasterRCNN", "MaskRCNN", "CascadeRCNN"), "model.type",
         f"only FasterRCNN, MaskRCNN and CascadeRCNN are supported, got {kind!r}")
    b, neck, rpn, roi = m.get("backbone", {}), m.get("neck", {}), m.get("rpn_head", {}), m.get("roi_head", {})
    # ---- backbone
    need(b.get("type") in ("ResNet", "ResNeXt"), "model.backbone.type",
         f"only ResNet and ResNeXt are supported, got {b.get('type')!r}")
    depth = int(b.get("depth", 0))
    need(depth in (18, 34, 50, 101, 152), "model.backbone.depth", f"must be 18/34/50/101/152, got {depth}")
    need(int(b.get("num_stages", 4)) == 4, "model.backbone.num_stages", "must be 4")
    need(tuple(b.get("out_indices", (0, 1, 2, 3))) == (0, 1, 2, 3), "model.backbone.out_indices", "must be (0, 1, 2, 3)")
    need(tuple(b.get("strides", (1, 2, 2, 2))) == (1, 2, 2, 2), "model.backbone.strides", "must be (1, 2, 2, 2)")
    need(tuple(b.get("dilations", (1, 1, 1, 1))) == (1, 1, 1, 1), "model.backbone.dilations", "must be (1, 1, 1, 1)")
    style = b.get("style", "pytorch")
    need(style in ("pytorch", "caffe"), "model.backbone.style", f"must be 'pytorch' or 'caffe', got {style!r}")
    need(not b.get("deep_stem", False), "model.backbone.deep_stem", "not supported")
    need(not b.get("avg_down", False), "model.backbone.avg_down", "not supported")
    need(not b.get("plugins"), "model.backbone.plugins", "not supported")
    norm = b.get("norm_cfg", {"type": "BN"})
    need(norm.get("type") in ("BN", "SyncBN"), "model.backbone.norm_cfg.type",
         f"only BN / SyncBN (frozen at inference) are supported, got {norm.get('type')!r}")
    need(float(norm.get("eps", 1e-5)) == 1e-5, "model.backbone.norm_cfg.eps", "only the default 1e-5 is supported")
    base = int(b.get("base_channels", 64))
    need(int(b.get("stem_channels") or base) == base, "model.backbone.stem_channels", "must equal base_channels")
    groups, width = (int(b.get("groups", 1)), int(b.get("base_width", 4))) if b["type"] == "ResNeXt" else (1, base)
    if b["type"] == "ResNeXt":
        need(groups > 1, "model.backbone.groups", "ResNeXt needs groups > 1")
        need(float(base * width) / base == width, "model.backbone.base_width", "must be an integer")
    dcn, with_dcn = b.get("dcn"), list(b.get("stage_with_dcn", (False,) * 4))
    need(len(with_dcn) == 4, "model.backbone.stage_with_dcn", "needs 4 entries")
    deform_on = [bool(x) and dcn is not None for x in with_dcn]
    modulated, deform_groups = False, 1
    if dcn is not None and any(deform_on):
        need(depth >= 50, "model.backbone.dcn", "deformable convolutions need Bottleneck blocks (depth >= 50)")
        need(dcn.get("type") in ("DCN", "DCNv2"), "model.backbone.dcn.type",
             f"only DCN and DCNv2 are supported, got {dcn.get('type')!r}")
        need(not dcn.get("fallback_on_stride", False), "model.backbone.dcn.fallback_on_stride",
             "only False is supported")
        modulated = dcn["type"] == "DCNv2"
        deform_groups = int(dcn.get("deform_groups", dcn.get("deformable_groups", 1)))
    expansion = 1 if depth in (18, 34) else 4
    # ---- neck
    need(neck.get("type") == "FPN", "model.neck.type", f"only FPN is supported, got {neck.get('type')!r}")
    need(list(neck.get("in_channels", [])) == [base * expansion * 2 ** i for i in range(4)], "model.neck.in_channels",
         f"must be the backbone's {[base * expansion * 2 ** i for i in range(4)]}")
    need(int(neck.get("num_outs", 5)) == 5, "model.neck.num_outs", "must be 5 (P2..P6)")
    need(int(neck.get("start_level", 0)) == 0, "model.neck.start_level", "must be 0")
    need(int(neck.get("end_level", -1)) == -1, "model.neck.end_level", "must be -1")
    need(neck.get("add_extra_convs", False) is False, "model.neck.add_extra_convs",
         "only False (P6 by max pooling) is supported")
    need(neck.get("norm_cfg") is None, "model.neck.norm_cfg", "normalised FPNs are not supported")
    upsample = neck.get("upsample_cfg", {"mode": "nearest"})
    need(upsample.get("mode") == "nearest" and upsample.get("scale_factor", 2) == 2 and "size" not in upsample,
         "model.neck.upsample_cfg", "only nearest, scale_factor 2 is supported")
    fpn_out = int(neck.get("out_channels", 256))
    # ---- RPN
    need(rpn.get("type") == "RPNHead", "model.rpn_head.type", f"only RPNHead is supported, got {rpn.get('type')!r}")
    need(int(rpn.get("in_channels", fpn_out)) == fpn_out, "model.rpn_head.in_channels", "must equal the FPN's")
    need(int(rpn.get("num_convs", 1)) == 1, "model.rpn_head.num_convs", "only 1 is supported")
    ag = rpn.get("anchor_generator", {})
    need(ag.get("type") == "AnchorGenerator", "model.rpn_head.anchor_generator.type",
         f"only AnchorGenerator is supported, got {ag.get('type')!r}")
    strides = [int(s if not isinstance(s, (list, tuple)) else s[0]) for s in ag.get("strides", [])]
    need(strides == [4, 8, 16, 32, 64], "model.rpn_head.anchor_generator.strides", "must be [4, 8, 16, 32, 64]")
    need(ag.get("base_sizes") is None, "model.rpn_head.anchor_generator.base_sizes",
         "only the default (the strides) is supported")
    need(ag.get("centers") is None, "model.rpn_head.anchor_generator.centers", "not supported")
    need(ag.get("scale_major", True), "model.rpn_head.anchor_generator.scale_major", "only True is supported")
    if ag.get("octave_base_scale") is not None:
        spo = int(ag.get("scales_per_octave", 1))
        scales = [float(ag["octave_base_scale"]) * 2 ** (i / spo) for i in range(spo)]
    else:
        scales = [float(s) for s in ag.get("scales", [])]
    ratios = [float(r) for r in ag.get("ratios", [])]
    need(scales, "model.rpn_head.anchor_generator.scales", "missing")
    need(ratios and all(r > 0 for r in ratios), "model.rpn_head.anchor_generator.ratios", "needs positive ratios")
    offset = float(ag.get("center_offset", 0.0))
    need(0 <= offset < 1, "model.rpn_head.anchor_generator.center_offset", "must be in [0, 1)")
    rpn_weights = _coder(rpn.get("bbox_coder"), "model.rpn_head.bbox_coder", need)
    need(rpn.get("loss_cls", {}).get("use_sigmoid", True), "model.rpn_head.loss_cls.use_sigmoid",
         "only sigmoid objectness is supported")
    # ---- ROI heads
    cascade = kind == "CascadeRCNN"
    need(roi.get("type") == ("CascadeRoIHead" if cascade else "StandardRoIHead"), "model.roi_head.type",
         f"{kind} needs {'CascadeRoIHead' if cascade else 'StandardRoIHead'}, got {roi.get('type')!r}")
    stages = int(roi.get("num_stages", 3)) if cascade else 1
    need(stages == 3 or not cascade, "model.roi_head.num_stages", "maskrt serves exactly 3 cascade stages")
    heads = roi.get("bbox_head")
    heads = heads if isinstance(heads, list) else [heads] * stages
    need(len(heads) == stages, "model.roi_head.bbox_head", f"needs {stages} heads")
    num_classes, fc_dim, agnostic, stage_weights = None, None, None, []
    for i, h in enumerate(heads):
        key = f"model.roi_head.bbox_head[{i}]" if cascade else "model.roi_head.bbox_head"
        need(isinstance(h, dict) and h.get("type") == "Shared2FCBBoxHead", f"{key}.type",
             f"only Shared2FCBBoxHead is supported, got {_get(h, 'type')!r}")
        need(int(h.get("in_channels", fpn_out)) == fpn_out, f"{key}.in_channels", "must equal the FPN's")
        need(int(h.get("roi_feat_size", 7)) == 7, f"{key}.roi_feat_size", "only 7 is supported")
        need(h.get("reg_decoded_bbox", False) is False, f"{key}.reg_decoded_bbox", "only False is supported")
        need(h.get("loss_cls", {}).get("use_sigmoid", False) is False, f"{key}.loss_cls.use_sigmoid",
             "only softmax classifiers are supported")
        need(h.get("loss_cls", {}).get("type", "CrossEntropyLoss") == "CrossEntropyLoss", f"{key}.loss_cls.type",
             "only CrossEntropyLoss (softmax scores) is supported")
        nc, fd, ag_ = int(h["num_classes"]), int(h.get("fc_out_channels", 1024)), bool(h.get("reg_class_agnostic", False))
        need(num_classes in (None, nc) and fc_dim in (None, fd), key, "all stages need the same classes and widths")
        if cascade:
            need(ag_, f"{key}.reg_class_agnostic", "cascade heads must be class-agnostic (True)")
        num_classes, fc_dim, agnostic = nc, fd, ag_
        stage_weights.append(_coder(h.get("bbox_coder"), f"{key}.bbox_coder", need))
    box_pooler = _roi_extractor(roi.get("bbox_roi_extractor"), "model.roi_head.bbox_roi_extractor", need, 7)
    mask_on = roi.get("mask_head") is not None
    need(mask_on == (kind == "MaskRCNN") or cascade, "model.roi_head.mask_head",
         f"{kind} {'needs' if kind == 'MaskRCNN' else 'must not have'} a mask head")
    mask = {}
    if mask_on:
        mheads = roi["mask_head"] if isinstance(roi["mask_head"], list) else [roi["mask_head"]] * stages
        need(len(mheads) == stages, "model.roi_head.mask_head", f"needs {stages} heads")
        for i, h in enumerate(mheads):
            key = f"model.roi_head.mask_head[{i}]" if cascade else "model.roi_head.mask_head"
            need(h.get("type") == "FCNMaskHead", f"{key}.type", f"only FCNMaskHead is supported, got {h.get('type')!r}")
            need(h.get("upsample_cfg", {"type": "deconv"}).get("type") == "deconv", f"{key}.upsample_cfg",
                 "only deconv upsampling is supported")
            need(int(h.get("roi_feat_size", 14)) == 14, f"{key}.roi_feat_size", "only 14 is supported")
            need(int(h.get("conv_kernel_size", 3)) == 3, f"{key}.conv_kernel_size", "only 3 is supported")
            need(int(h["num_classes"]) == num_classes, f"{key}.num_classes", "must equal the box head's")
            need(h.get("norm_cfg") is None, f"{key}.norm_cfg", "normalised mask heads are not supported")
            this = {"num_conv": int(h.get("num_convs", 4)), "conv_dim": int(h.get("conv_out_channels", 256)),
                    "agnostic": bool(h.get("class_agnostic", False))}
            need(not mask or this == mask, key, "all stages' mask heads must have the same shape")
            need(int(h.get("in_channels", fpn_out)) == fpn_out, f"{key}.in_channels", "must equal the FPN's")
            mask = this
        ext = roi.get("mask_roi_extractor")
        need(ext is not None, "model.roi_head.mask_roi_extractor",
             "a mask head sharing the box RoI extractor is not supported")
        mask_pooler = _roi_extractor(ext, "model.roi_head.mask_roi_extractor", need, 14)
    # ---- test settings
    t = _test_cfg(cfg)
    trpn, rcnn = t.get("rpn", {}), t.get("rcnn", {})
    nms_pre = int(trpn.get("nms_pre", 1000))
    post = int(trpn.get("max_per_img", trpn.get("max_num", trpn.get("nms_post", 1000))))
    need(trpn.get("nms_across_levels", False) is False, "model.test_cfg.rpn.nms_across_levels", "only False is supported")
    rpn_nms = _nms_threshold(trpn["nms"] if "nms" in trpn else trpn.get("nms_thr", 0.7), "model.test_cfg.rpn.nms", need)
    min_box = float(trpn.get("min_bbox_size", 0))
    need(min_box >= 0, "model.test_cfg.rpn.min_bbox_size", "must be >= 0")
    score_thr = float(rcnn.get("score_thr", 0.05))
    rcnn_nms = _nms_threshold(rcnn.get("nms", {"type": "nms", "iou_threshold": 0.5}), "model.test_cfg.rcnn.nms", need)
    max_per_img = int(rcnn.get("max_per_img", 100))
    (long_side, short_side), to_rgb, mean, std, divisor, aug = _pipeline(cfg, need)
    need(divisor == 32, "data.test.pipeline.Pad.size_divisor", f"must be 32, got {divisor}")
    names = list(class_names or cfg.get("classes") or [])
    need(not names or len(names) == num_classes, "classes", f"needs {num_classes} names, got {len(names)}")
    ious = [0.5, 0.6, 0.7] if cascade else [0.5]
    train_rcnn = _get(_get(m, "train_cfg"), "rcnn")
    if isinstance(train_rcnn, list) and len(train_rcnn) == stages:
        ious = [float(_get(_get(s, "assigner"), "pos_iou_thr", d)) for s, d in zip(train_rcnn, ious)]
    arch = {
        "depth": depth,
        "num_groups": groups,
        "width_per_group": width,
        "stride_in_1x1": style == "caffe",
        "res5_dilation": 1,
        "deform_on_per_stage": deform_on,
        "deform_modulated": modulated,
        "deform_num_groups": deform_groups,
        "res2_out_channels": base * expansion,
        "stem_out_channels": base,
        "resnet_norm": "FrozenBN",
        "fpn_out_channels": fpn_out,
        "fpn_norm": "",
        "fpn_fuse_type": "sum",
        "rpn_conv_dims": [int(rpn.get("feat_channels", fpn_out))],
        "anchors_per_cell": len(scales) * len(ratios),
        "box_num_conv": 0,
        "box_conv_dim": 0,
        "box_num_fc": 2,
        "box_fc_dim": fc_dim,
        "box_norm": "",
        "box_pooler_resolution": 7,
        "roi_heads": "CascadeROIHeads" if cascade else "StandardROIHeads",
        "cls_agnostic_bbox_reg": agnostic,
        "mask_on": mask_on,
        "mask_num_conv": mask.get("num_conv", 4),
        "mask_conv_dim": mask.get("conv_dim", 256),
        "mask_norm": "",
        "mask_cls_agnostic": mask.get("agnostic", False),
        "mask_pooler_resolution": 14,
        "num_classes": num_classes,
        "num_stages": stages,
    }
    if cascade and mask_on:  # CascadeRoIHead.simple_test: merge_aug_masks over the stages' mask heads
        arch["mask_heads_averaged"] = stages
    clamp = abs(math.log(16 / 1000))
    roi_heads = {
        "num_classes": num_classes,
        "class_names": [str(n) for n in names],
        "score_thresh": score_thr,
        "nms_thresh": rcnn_nms,
        "detections_per_image": max_per_img,
        "stage_bbox_reg_weights": stage_weights,
        "stage_ious": ious,
        "cls_agnostic_bbox_reg": agnostic,
        "scale_clamp": clamp,
        "box_pooler": box_pooler,
    }
    if mask_on:
        roi_heads["mask_pooler"] = mask_pooler
        roi_heads["mask_threshold"] = float(rcnn.get("mask_thr_binary", 0.5))
        need(roi_heads["mask_threshold"] >= 0, "model.test_cfg.rcnn.mask_thr_binary", "must be >= 0")
        roi_heads["mask_cls_agnostic"] = mask.get("agnostic", False)
    return {
        "architecture": arch,
        "input": {
            "format": "RGB" if to_rgb else "BGR",
            "pixel_mean": mean,
            "pixel_std": std,
            "min_size_test": int(short_side),
            "max_size_test": int(long_side),
            "size_divisibility": divisor,
            "pad_value": 0.0,
            "interpolation": "cv2_bilinear",
        },
        "anchors": {
            "strides": strides,
            "sizes": [[float(s * scale) for scale in scales] for s in strides],
            "aspect_ratios": [ratios for _ in strides],
            "offset": offset,
        },
        "rpn": {
            "pre_nms_topk": nms_pre,
            "post_nms_topk": post,
            "nms_thresh": rpn_nms,
            "min_box_size": min_box,
            "bbox_reg_weights": rpn_weights,
            "scale_clamp": clamp,
        },
        "roi_heads": roi_heads,
        # MultiScaleFlipAug with several scales or flip: mmdetection runs aug_test (served for box-only models)
        "test_aug": None if aug is None else {"enabled": True, "min_sizes": [int(s) for _, s in aug[0]],
                                              "max_sizes": [int(l) for l, _ in aug[0]], "flip": aug[1]},
        "conventions": conventions(),
    }


def conventions():
    """The manifest's `conventions` of an mmdetection package (docs/MODEL_PACKAGE.md, "Conventions")."""
    return {
        "box_coordinates": "continuous",
        "anchor_generator": "mmdetection",
        "nms": "mmcv_iou_ge",
        "rpn_post_nms_topk_per_level": None,
        "rpn_score": "sigmoid",
        "level_mapper": "mmdetection",
        "level_mapper_eps": 1e-6,
        "detections": "batched_topk",
        "postprocess": "mmdetection_rescale_first",
        "mask_paste": "detectron2_grid_sample",
        "resize": "mmdetection",
        "exif_orientation": True,
        "coco_bbox": "xywh",
        "box_coder": "mmdetection_delta_xywh",
        "cascade_scores": "softmax_of_mean_logits",
    }


def load_settings(path, class_names=None):
    return resolve(load_config(path), source=path, class_names=class_names)


# ------------------------------------------------------------------------------------------------ checkpoints

_RPN_RULES = [  # (mmdet key pattern, detectron2-named module key)
    (r"rpn_head\.rpn_conv\.(\w+)", r"proposal_generator.rpn_head.conv.\1"),
    (r"rpn_head\.rpn_cls\.(\w+)", r"proposal_generator.rpn_head.objectness_logits.\1"),
    (r"rpn_head\.rpn_reg\.(\w+)", r"proposal_generator.rpn_head.anchor_deltas.\1"),
]


def _rename(key, cascade):
    """An mmdetection state_dict key -> the key of `modules.GeneralizedRCNN`, or None when unknown."""
    m = re.fullmatch(r"backbone\.conv1\.weight", key)
    if m:
        return "backbone.bottom_up.stem.conv1.weight"
    m = re.fullmatch(r"backbone\.bn1\.(\w+)", key)
    if m:
        return f"backbone.bottom_up.stem.conv1.norm.{m[1]}"
    m = re.fullmatch(r"backbone\.layer(\d)\.(\d+)\.(.+)", key)
    if m:
        block = f"backbone.bottom_up.res{int(m[1]) + 1}.{m[2]}"
        rest = m[3]
        for pattern, target in ((r"conv2\.conv_offset\.(\w+)", r"conv2_offset.\1"), (r"conv(\d)\.weight", r"conv\1.weight"),
                                (r"bn(\d)\.(\w+)", r"conv\1.norm.\2"), (r"downsample\.0\.weight", "shortcut.weight"),
                                (r"downsample\.1\.(\w+)", r"shortcut.norm.\1")):
            r = re.fullmatch(pattern, rest)
            if r:
                return f"{block}.{r.expand(target)}"
        return None
    m = re.fullmatch(r"neck\.(lateral|fpn)_convs\.(\d)\.conv\.(\w+)", key)
    if m:
        return f"backbone.fpn_{'lateral' if m[1] == 'lateral' else 'output'}{int(m[2]) + 2}.{m[3]}"
    for pattern, target in _RPN_RULES:
        r = re.fullmatch(pattern, key)
        if r:
            return r.expand(target)
    for head, rules in _HEAD_RULES.items():
        m = re.fullmatch(rf"roi_head\.{head}\.(?:(\d)\.)?(.+)", key)
        if m and (m[1] is not None) == cascade:  # cascades number their heads per stage
            stage = f".{m[1]}" if cascade else ""
            for pattern, target in rules:
                r = re.fullmatch(pattern, m[2])
                if r:
                    return target(stage, r)
            return None
    return None


# mmdetection's head parameters (after `roi_head.bbox_head[.k].` / `roi_head.mask_head[.k].`) -> the modules' keys
_HEAD_RULES = {
    "bbox_head": [
        (r"shared_fcs\.(\d)\.(\w+)", lambda s, r: f"roi_heads.box_head{s}.fc{int(r[1]) + 1}.{r[2]}"),
        (r"fc_cls\.(\w+)", lambda s, r: f"roi_heads.box_predictor{s}.cls_score.{r[1]}"),
        (r"fc_reg\.(\w+)", lambda s, r: f"roi_heads.box_predictor{s}.bbox_pred.{r[1]}"),
    ],
    "mask_head": [
        (r"convs\.(\d)\.conv\.(\w+)", lambda s, r: f"roi_heads.mask_head{s}.mask_fcn{int(r[1]) + 1}.{r[2]}"),
        (r"upsample\.(\w+)", lambda s, r: f"roi_heads.mask_head{s}.deconv.{r[1]}"),
        (r"conv_logits\.(\w+)", lambda s, r: f"roi_heads.mask_head{s}.predictor.{r[1]}"),
    ],
}


def read_checkpoint(path):
    """(state_dict, meta) of an mmdetection checkpoint (`state_dict` under `state_dict`; a bare state_dict too)."""
    try:
        ckpt = torch.load(path, map_location="cpu")
    except Exception as e:  # noqa: BLE001 -- torch raises many types for a bad file
        raise ConfigError(f"{path}: cannot read checkpoint: {type(e).__name__}: {e}") from e
    if not isinstance(ckpt, dict):
        raise ConfigError(f"{path}: expected a dict with 'state_dict', got {type(ckpt).__name__}")
    state = ckpt.get("state_dict", ckpt)
    meta = ckpt.get("meta", {}) if isinstance(ckpt.get("meta"), dict) else {}
    state = {(k[len("module."):] if k.startswith("module.") else k): v for k, v in state.items()}
    return state, meta


def load_checkpoint(model, path):
    """Loads an mmdetection checkpoint into `model` (renamed by `_rename`); every unknown, missing or mis-shaped
    weight is an error naming the key. Returns the checkpoint's meta."""
    state, meta = read_checkpoint(path)
    cascade = model.arch["roi_heads"] == "CascadeROIHeads"
    expected = model.state_dict()
    renamed, unknown = {}, []
    for key, value in state.items():
        if is_ignored_key(key):  # BN's num_batches_tracked, ...
            continue
        target = _rename(key, cascade)
        if target is None or target not in expected:
            unknown.append(key)
            continue
        if tuple(value.shape) != tuple(expected[target].shape):
            raise ConfigError(f"{path}: {key}: shape {tuple(value.shape)} does not match the config's "
                              f"{tuple(expected[target].shape)}")
        renamed[target] = value.float()
    if unknown:
        raise ConfigError(f"{path}: weights the config does not describe: {', '.join(sorted(unknown)[:8])}"
                          f"{' ...' if len(unknown) > 8 else ''}")
    missing = sorted(set(expected) - set(renamed))
    if missing:
        raise ConfigError(f"{path}: weights missing from the checkpoint (as detectron2-named modules): "
                          f"{', '.join(missing[:8])}{' ...' if len(missing) > 8 else ''}")
    model.load_state_dict(renamed)
    return meta


def mmdet_state_dict(model):
    """`model`'s weights under mmdetection's names (the inverse of `_rename`), e.g. to write a random-weight
    checkpoint that real mmdetection loads."""
    cascade = model.arch["roi_heads"] == "CascadeROIHeads"
    ours = model.state_dict()
    inverse = {}
    for key in _candidate_mmdet_keys(model.arch, cascade):
        target = _rename(key, cascade)
        if target in ours:
            inverse[target] = key
    missing = sorted(set(ours) - set(inverse))
    if missing:
        raise ConfigError(f"no mmdetection name for: {', '.join(missing[:8])}")
    return {inverse[k]: v.clone() for k, v in ours.items()}


def _candidate_mmdet_keys(arch, cascade):
    keys = ["backbone.conv1.weight"] + [f"backbone.bn1.{p}" for p in ("weight", "bias", "running_mean", "running_var")]
    bn = ("weight", "bias", "running_mean", "running_var")
    for i, n in enumerate(BLOCKS_PER_STAGE[arch["depth"]]):
        for j in range(n):
            pre = f"backbone.layer{i + 1}.{j}"
            keys += [f"{pre}.conv{c}.weight" for c in (1, 2, 3)] + [f"{pre}.bn{c}.{p}" for c in (1, 2, 3) for p in bn]
            keys += [f"{pre}.conv2.conv_offset.{p}" for p in ("weight", "bias")]
            keys += [f"{pre}.downsample.0.weight"] + [f"{pre}.downsample.1.{p}" for p in bn]
    for i in range(4):
        for kind in ("lateral", "fpn"):
            keys += [f"neck.{kind}_convs.{i}.conv.{p}" for p in ("weight", "bias")]
    keys += [f"rpn_head.rpn_{n}.{p}" for n in ("conv", "cls", "reg") for p in ("weight", "bias")]
    stages = [f"{s}." for s in range(arch["num_stages"])] if cascade else [""]
    for s in stages:
        keys += [f"roi_head.bbox_head.{s}{n}.{p}" for n in ("shared_fcs.0", "shared_fcs.1", "fc_cls", "fc_reg")
                 for p in ("weight", "bias")]
        keys += [f"roi_head.mask_head.{s}convs.{c}.conv.{p}" for c in range(arch["mask_num_conv"])
                 for p in ("weight", "bias")]
        keys += [f"roi_head.mask_head.{s}{n}.{p}" for n in ("upsample", "conv_logits") for p in ("weight", "bias")]
    return keys


def save_checkpoint(model, path, class_names, source):
    """Writes `model`'s weights as an mmdetection checkpoint: {'state_dict': ..., 'meta': {...}}."""
    torch.save({"state_dict": mmdet_state_dict(model),
                "meta": {"CLASSES": tuple(class_names), "maskrt_source": source}}, path)


# ------------------------------------------------------------------------------------------------ export

RPN_MAX_LOGIT = 8.0


@torch.no_grad()
def _unsaturate_rpn(model, image):
    """Random weights only: scales the RPN objectness layer so that its largest logit on the calibration image is
    RPN_MAX_LOGIT. mmdetection ranks proposals by float32 sigmoid scores (RPNHead._get_bboxes_single) and orders ties
    with torch's sort, which is not stable: logits above ~17 all give exactly 1.0, and a random head calibrated to a
    logit spread of 2 reaches 25-35 on cell images, leaving hundreds of proposals tied at 1.0 in an order no other
    implementation can reproduce. (Trained RPNs saturate too; parity on such images is then up to torch's sort.)"""
    head = model.proposal_generator.rpn_head
    logits = torch.cat([head.objectness_logits(head.conv(f)).flatten() for f in model.backbone(image)])
    top = float(logits.abs().max())
    if top > RPN_MAX_LOGIT:
        head.objectness_logits.weight.mul_(RPN_MAX_LOGIT / top)
        head.objectness_logits.bias.mul_(RPN_MAX_LOGIT / top)

def build_model(settings):
    return GeneralizedRCNN(settings["architecture"]).eval()


def export(config_path, out_dir, weights=None, seed=0, calibration_image=None, save_checkpoint_to=None,
           class_names=None):
    """config + checkpoint (or seeded random weights) -> an mmdetection-flavour package in `out_dir`."""
    settings = load_settings(config_path, class_names)
    model = build_model(settings)
    if weights:
        meta = load_checkpoint(model, weights)
        names = list(meta.get("CLASSES") or [])
        if names and not settings["roi_heads"]["class_names"]:
            if len(names) != settings["architecture"]["num_classes"]:
                raise ConfigError(f"{weights}: meta.CLASSES has {len(names)} names for "
                                  f"{settings['architecture']['num_classes']} classes")
            settings["roi_heads"]["class_names"] = [str(n) for n in names]
        source = {"config": os.path.basename(config_path), "weights": os.path.basename(weights)}
    else:
        package.init_random(model, seed, settings, calibration_image)
        image = calibration_image if calibration_image is not None else \
            package._calibration_image(torch.Generator().manual_seed(seed))
        _unsaturate_rpn(model, image)
        source = {"config": os.path.basename(config_path), "weights": f"random (seed {seed})"}
    if save_checkpoint_to:
        save_checkpoint(model, save_checkpoint_to, settings["roi_heads"]["class_names"], source)
    return package.export_package(model, settings, out_dir, source, flavour=FLAVOUR,
                                  conventions=settings["conventions"])
