"""The model package: ONNX export of the dense pieces, manifest.json, random weights, and reloading a package
into the PyTorch modules (the reference runs exactly the weights stored in the ONNX files).

The manifest format is documented in docs/MODEL_PACKAGE.md; keep the two in step.
"""
import json
import os

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import helper, numpy_helper
from torch import nn

from . import pipeline
from .modules import (BottleneckBlock, DeformBottleneckBlock, DeformConv, FrozenBatchNorm2d, GeneralizedRCNN,
                      mean_of_sigmoids)

FORMAT_VERSION = 1
OPSET = 16
LEVELS = ["p2", "p3", "p4", "p5", "p6"]


class PackageError(ValueError):
    """A package that cannot be read; the message names the file and the field."""


# -------------------------------------------------------------------------------------------- export wrappers

class _BackbonePiece(nn.Module):
    """image [N, 3, H, W] -> p2..p6, rpn_logits_p2..p6 [N, A, h, w], rpn_deltas_p2..p6 [N, A*4, h, w]."""

    def __init__(self, model):
        super().__init__()
        self.backbone = model.backbone
        self.proposal_generator = model.proposal_generator

    def forward(self, image):
        features = self.backbone(image)
        logits, deltas = self.proposal_generator.rpn_head(features)
        return tuple(features) + tuple(logits) + tuple(deltas)


class _BoxStagePiece(nn.Module):
    """features [R, C, 7, 7] -> class_logits [R, K+1], box_deltas [R, 4] (or [R, 4K]). Parameter names are
    detectron2's: `roi_heads.box_head.K.` in a cascade, `roi_heads.box_head.` in StandardROIHeads."""

    def __init__(self, model, k):
        super().__init__()
        self.roi_heads = nn.Module()
        head, predictor = model.roi_heads.stage(k)
        if isinstance(model.roi_heads.box_head, nn.ModuleList):
            head, predictor = nn.ModuleDict({str(k): head}), nn.ModuleDict({str(k): predictor})
            self.k = str(k)
        else:
            self.k = None
        self.roi_heads.box_head = head
        self.roi_heads.box_predictor = predictor

    def forward(self, features):
        if self.k is None:
            return self.roi_heads.box_predictor(self.roi_heads.box_head(features))
        return self.roi_heads.box_predictor[self.k](self.roi_heads.box_head[self.k](features))


class _MaskPiece(nn.Module):
    """features [R, C, S, S] -> mask_logits [R, K, 2S, 2S]; with averaged heads (mmdetection's Cascade Mask R-CNN)
    mask_probs, the mean of the heads' sigmoids."""

    def __init__(self, model):
        super().__init__()
        self.roi_heads = nn.Module()
        self.roi_heads.mask_head = model.roi_heads.mask_head
        self.averaged = model.averaged_mask_heads

    def forward(self, features):
        if self.averaged:
            return mean_of_sigmoids([head(features) for head in self.roi_heads.mask_head])
        return self.roi_heads.mask_head(features)


def _mask_heads(model):
    """The model's mask heads: one, or one per stage when they are averaged."""
    head = model.roi_heads.mask_head
    return list(head) if isinstance(head, nn.ModuleList) else [head]


def mask_output_name(model):
    return "mask_probs" if model.averaged_mask_heads else "mask_logits"


def _pieces(model):
    """(file, wrapper, example input, input names, output names, dynamic axes) per graph."""
    arch = model.arch
    c = arch["fpn_out_channels"]
    bs, ms = arch["box_pooler_resolution"], arch.get("mask_pooler_resolution")
    back_out = LEVELS + [f"rpn_logits_{l}" for l in LEVELS] + [f"rpn_deltas_{l}" for l in LEVELS]
    back_dyn = {"image": {0: "batch", 2: "height", 3: "width"}}
    for i, name in enumerate(back_out):
        back_dyn[name] = {0: "batch", 2: f"height_{LEVELS[i % 5]}", 3: f"width_{LEVELS[i % 5]}"}
    pieces = [("backbone.onnx", _BackbonePiece(model), torch.zeros(1, 3, 64, 96), ["image"], back_out, back_dyn)]
    for k in range(arch["num_stages"]):
        pieces.append((f"box_head_{k}.onnx", _BoxStagePiece(model, k), torch.zeros(2, c, bs, bs), ["features"],
                       ["class_logits", "box_deltas"],
                       {"features": {0: "rois"}, "class_logits": {0: "rois"}, "box_deltas": {0: "rois"}}))
    if model.mask_on:
        pieces.append(("mask_head.onnx", _MaskPiece(model), torch.zeros(2, c, ms, ms), ["features"],
                       [mask_output_name(model)], {"features": {0: "rois"}, mask_output_name(model): {0: "rois"}}))
    return pieces


# ------------------------------------------------------------------------------------------------ random init

def init_random(model, seed, settings, calibration_image=None):
    """Seeded random weights that still give detections (see docs/MODEL_PACKAGE.md, "Random-weight packages").

    `calibration_image`: a pre-processed image [1, 3, H, W] (H, W multiples of 32) to calibrate on, instead of the
    seeded synthetic one: deep backbones (R50+, DCN) are calibrated on an image like the ones they will see, or
    their scores saturate on real images.

    1. convs: He-normal (fan_out), linears He-uniform, biases N(0, 0.05); norm affine parameters N(1, 0.1) and
       N(0, 0.1).
    2. FrozenBN statistics are calibrated on a seeded synthetic image (each norm's running mean/variance set to
       its input's channel mean/variance, in forward order), so activations stay O(1) through any depth.
    3. Mask predictor std 1.0 (sigmoid probabilities clearly on either side of 0.5).
    4. The RPN head is calibrated on the same image, as training would leave it: each objectness channel is
       standardised over all levels' positions and scaled to RPN_LOGIT_STD, each anchor-delta channel to
       RPN_DELTA_STD (mean 0), so proposals are anchors moved and resized by ~15 %, not slivers.
    5. Each stage's predictor is calibrated on the same image's proposals, stage by stage: every cls_score column
       is standardised over the proposals and scaled by CLS_SPREAD, and the background column gets
       +BACKGROUND_BIAS (SINGLE_STAGE_BACKGROUND_BIAS for a one-stage Mask / Faster R-CNN), so a foreground class passes the 0.05 score threshold only on its top few percent of
       boxes (tens of detections); every bbox_pred column is standardised to BOX_DELTA_STD (mean 0), the unit
       spread that the stage weights (10, 10, 5, 5), (20, 20, 10, 10), ... give trained regression targets.
    """
    g = torch.Generator().manual_seed(seed)

    def normal_(t, std, mean=0.0):
        with torch.no_grad():
            t.copy_(torch.randn(t.shape, generator=g) * std + mean)

    for m in model.modules():
        if isinstance(m, DeformConv):
            normal_(m.weight, (2.0 / (m.weight.shape[0] * 9)) ** 0.5)
        elif isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            fan_out = m.weight.shape[0] * m.weight[0, 0].numel() if isinstance(m, nn.Conv2d) else \
                m.weight.shape[1] * m.weight[0, 0].numel()
            normal_(m.weight, (2.0 / fan_out) ** 0.5)
            if m.bias is not None:
                normal_(m.bias, 0.05)
        elif isinstance(m, nn.Linear):
            bound = (6.0 / m.weight.shape[1]) ** 0.5
            with torch.no_grad():
                m.weight.copy_((torch.rand(m.weight.shape, generator=g) * 2 - 1) * bound)
            normal_(m.bias, 0.05)
        elif isinstance(m, (FrozenBatchNorm2d, nn.GroupNorm)):
            normal_(m.weight, 0.1, 1.0)
            normal_(m.bias, 0.1)
    for head in _mask_heads(model) if model.mask_on else []:
        deconv = head.deconv
        with torch.no_grad():  # equal taps (std kept): trained deconvs upsample smoothly, random ones paint a checkerboard
            deconv.weight.copy_(deconv.weight.mean(dim=(2, 3), keepdim=True).expand_as(deconv.weight) * 2.0)
    with torch.no_grad():  # residual branches start small, as in trained ResNets (see RESIDUAL_BRANCH_SCALE)
        for m in model.modules():
            if isinstance(m, (BottleneckBlock, DeformBottleneckBlock)) and m.conv3.norm is not None:
                m.conv3.norm.weight.mul_(RESIDUAL_BRANCH_SCALE)
    image = _calibration_image(g) if calibration_image is None else calibration_image
    _calibrate_frozen_bn(model, image)
    for head in _mask_heads(model) if model.mask_on else []:
        normal_(head.predictor.weight, 1.0)
    _calibrate_rpn_head(model, image)
    _calibrate_box_predictors(model, image, settings)
    return model


RPN_LOGIT_STD = 2.0
RPN_DELTA_STD = 0.15
CLS_SPREAD = 2.0
BACKGROUND_BIAS = 6.5
SINGLE_STAGE_BACKGROUND_BIAS = 5.0
BOX_DELTA_STD = 1.0
DEFORM_OFFSET_STD = 0.5
# Bottleneck blocks' last norm scale (conv3.norm.weight), times N(1, 0.1): with full-size residual branches a deep
# random ResNet (X152: 50 blocks) amplifies float noise ~1e4-fold, so ONNX Runtime and torch disagree on which boxes
# survive; trained ResNets have small last-norm scales, and so does this initialisation.
RESIDUAL_BRANCH_SCALE = 0.2


def _calibration_image(g):
    """A seeded synthetic normalised image [1, 3, 256, 320]: noise plus discs, bright or dark, each with its own
    colour (an offset per channel: random convs react to colour edges far more than to grey ones, so grey-only
    calibration leaves colour images' activations several times too large)."""
    h, w = 256, 320
    image = torch.randn((1, 3, h, w), generator=g) * 20.0
    yy, xx = torch.meshgrid(torch.arange(h, dtype=torch.float32), torch.arange(w, dtype=torch.float32), indexing="ij")
    for _ in range(12):
        cy, cx = float(torch.rand(1, generator=g)) * h, float(torch.rand(1, generator=g)) * w
        r = 8 + float(torch.rand(1, generator=g)) * 40
        sign = 1.0 if float(torch.rand(1, generator=g)) < 0.7 else -1.0
        colour = sign * (40.0 + torch.rand((3, 1), generator=g) * 80.0)
        inside = ((yy - cy) ** 2 + (xx - cx) ** 2) < r * r
        image[0, :, inside] += colour
    return image


@torch.no_grad()
def _calibrate_frozen_bn(model, image):
    """FrozenBN statistics from the image (and deformable offsets scaled to DEFORM_OFFSET_STD pixels, as trained
    DCN layers move their taps by about a pixel; DCNv2's mask channels get the same spread before the sigmoid)."""
    hooks = []

    def pre_hook(module, inputs):
        x = inputs[0]
        module.running_mean.copy_(x.mean(dim=(0, 2, 3)))
        module.running_var.copy_(x.var(dim=(0, 2, 3), unbiased=False).clamp(min=1e-3))

    def offset_hook(module, inputs, output):
        _standardise_(module, output.permute(0, 2, 3, 1).reshape(-1, output.shape[1]), DEFORM_OFFSET_STD)
        # the output again with the scaled weights (calling the module here would re-enter this hook)
        return F.conv2d(inputs[0], module.weight, module.bias, module.stride, module.padding, module.dilation,
                        module.groups)

    for m in model.modules():
        if isinstance(m, FrozenBatchNorm2d):
            hooks.append(m.register_forward_pre_hook(pre_hook))
        elif isinstance(m, DeformBottleneckBlock):
            hooks.append(m.conv2_offset.register_forward_hook(offset_hook))
    model.backbone(image)
    for h in hooks:
        h.remove()


@torch.no_grad()
def _standardise_(layer, columns_last, target_std):
    """Scales a 1x1 conv's or a linear layer's output channels so that, over `columns_last` ([M, out]), each has
    mean 0 and standard deviation `target_std`."""
    mean, std = columns_last.mean(dim=0), columns_last.std(dim=0).clamp(min=1e-6)
    scale = target_std / std
    layer.weight.mul_(scale.view(-1, *([1] * (layer.weight.dim() - 1))))
    layer.bias.sub_(mean).mul_(scale)


@torch.no_grad()
def _calibrate_rpn_head(model, image):
    head = model.proposal_generator.rpn_head
    hidden = [head.conv(f) for f in model.backbone(image)]
    for layer, target in ((head.objectness_logits, RPN_LOGIT_STD), (head.anchor_deltas, RPN_DELTA_STD)):
        raw = torch.cat([layer(t)[0].flatten(1) for t in hidden], dim=1).t()  # [positions, channels]
        _standardise_(layer, raw, target)


@torch.no_grad()
def _calibrate_box_predictors(model, image, settings):
    roi = settings["roi_heads"]
    size = tuple(image.shape[-2:])
    features, logits, deltas = model.run_backbone(image)
    boxes, _ = pipeline.proposals_from_rpn(logits, deltas, size, settings)
    stages = len(roi["stage_bbox_reg_weights"])
    for k in range(stages):
        head, pred = model.roi_heads.stage(k)
        if k > 0:
            boxes = pipeline.clip_boxes(boxes, *size)
        feats = torch.flatten(head(pipeline.multilevel_roi_align(features[:4], boxes, roi["box_pooler"])), 1)
        _standardise_(pred.cls_score, pred.cls_score(feats), CLS_SPREAD)
        # one stage's probabilities are not averaged with others' (which pulls a cascade's scores together)
        pred.cls_score.bias[-1] += BACKGROUND_BIAS if stages > 1 else SINGLE_STAGE_BACKGROUND_BIAS
        _standardise_(pred.bbox_pred, pred.bbox_pred(feats), BOX_DELTA_STD)
        if k + 1 < stages:  # cascade stages are class-agnostic: the next stage pools these boxes
            boxes = pipeline.apply_deltas(pred.bbox_pred(feats), boxes, roi["stage_bbox_reg_weights"][k],
                                          roi["scale_clamp"])


# ----------------------------------------------------------------------------------------------------- export

def _initializer_aliases(path, state):
    """detectron2 names that torch.onnx dropped as duplicates (same value) -> the kept initializer's name."""
    graph = onnx.load(path).graph
    kept = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    aliases = {}
    for name, tensor in state.items():
        if name in kept:
            continue
        value = tensor.numpy()
        for other, arr in kept.items():
            if arr.shape == value.shape and arr.dtype == value.dtype and np.array_equal(arr, value):
                aliases[name] = other
                break
    return aliases


# Deformable convolution is ONNX's DeformConv, an opset-19 operator; torch 1.13 exports at most opset 17.
DEFORM_EXPORT_OPSET = 17
DEFORM_OPSET = 19
DEFORM_IR_VERSION = 9  # the IR version opset 19 needs (ONNX Runtime 1.29 reads up to 10)
# Operators whose opset-17 form means something else at opset 19: opset 18 turned the reductions' `axes` attribute
# into an input. (Split, Pad, Resize, ScatterElements/ND, AveragePool, Cast, CastLike also changed at 18 or 19, but
# only by attributes and inputs added with defaults, so their opset-17 form means the same.) The backbone graphs
# maskrt exports contain none of these: refuse rather than convert silently.
_CHANGED_MEANING_AT_18 = {"ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceMax", "ReduceMean",
                          "ReduceMin", "ReduceProd", "ReduceSumSquare"}


def _raise_to_deform_opset(path):
    """The exported opset-17 backbone as an opset-19 graph: `maskrt::DeformConv` nodes move into the default domain
    (their inputs and attributes are already DeformConv's), the opset import becomes 19 (IR version 9). The graph's
    other operators are checked to mean the same at 19; the Debian onnx 1.12 used with torch 1.13 knows no opset 19,
    so the graph is not passed to its checker (maskrt's Java tests load and run it in ONNX Runtime instead)."""
    model = onnx.load(path)
    for node in model.graph.node:
        if node.domain == "maskrt":
            if node.op_type != "DeformConv":
                raise ValueError(f"{path}: unexpected maskrt operator {node.op_type}")
            node.domain = ""
        elif node.op_type in _CHANGED_MEANING_AT_18:
            raise ValueError(f"{path}: {node.op_type} changed meaning between opsets 17 and 19; cannot raise the "
                             f"graph to opset {DEFORM_OPSET} for DeformConv")
    del model.opset_import[:]
    model.opset_import.extend([helper.make_opsetid("", DEFORM_OPSET)])
    model.ir_version = DEFORM_IR_VERSION
    onnx.save(model, path)


def export_package(model, settings, out_dir, source, flavour="detectron2", conventions=None):
    """Writes the ONNX graphs and manifest.json of `model` into `out_dir`. Returns the manifest dict.

    `flavour` and `conventions` (docs/MODEL_PACKAGE.md) for another trainer's model whose network maps onto these
    modules (mmdetection: `mmdet.py`); a package with conventions has no `test_aug`."""
    os.makedirs(out_dir, exist_ok=True)
    model.eval()
    arch = model.arch
    deform = any(arch.get("deform_on_per_stage", []))
    files = {}
    for fname, piece, example, in_names, out_names, dyn in _pieces(model):
        path = os.path.join(out_dir, fname)
        piece.eval()
        torch.onnx.export(piece, (example,), path, opset_version=DEFORM_EXPORT_OPSET if deform else OPSET,
                          input_names=in_names, output_names=out_names, dynamic_axes=dyn, do_constant_folding=False)
        if deform and fname == "backbone.onnx":
            _raise_to_deform_opset(path)
        else:
            onnx.checker.check_model(onnx.load(path))
        state = {k: v for k, v in piece.state_dict().items()}
        aliases = _initializer_aliases(path, state)
        files[fname] = aliases
    k = arch["num_classes"]
    a = arch["anchors_per_cell"]
    c = arch["fpn_out_channels"]
    bs, ms = arch["box_pooler_resolution"], arch.get("mask_pooler_resolution")
    deltas = 4 if arch.get("cls_agnostic_bbox_reg", True) else 4 * k
    graphs = {
        "backbone": {
            "file": "backbone.onnx",
            "inputs": {"image": {"shape": ["N", 3, "H", "W"], "dtype": "float32"}},
            "outputs": {
                **{l: {"shape": ["N", c, f"H/{s}", f"W/{s}"], "dtype": "float32"}
                   for l, s in zip(LEVELS, settings["anchors"]["strides"])},
                **{f"rpn_logits_{l}": {"shape": ["N", a, f"H/{s}", f"W/{s}"], "dtype": "float32"}
                   for l, s in zip(LEVELS, settings["anchors"]["strides"])},
                **{f"rpn_deltas_{l}": {"shape": ["N", a * 4, f"H/{s}", f"W/{s}"], "dtype": "float32"}
                   for l, s in zip(LEVELS, settings["anchors"]["strides"])},
            },
        },
        "box_heads": [
            {"file": f"box_head_{i}.onnx",
             "inputs": {"features": {"shape": ["R", c, bs, bs], "dtype": "float32"}},
             "outputs": {"class_logits": {"shape": ["R", k + 1], "dtype": "float32"},
                         "box_deltas": {"shape": ["R", deltas], "dtype": "float32"}}}
            for i in range(arch["num_stages"])
        ],
    }
    if model.mask_on:
        graphs["mask_head"] = {
            "file": "mask_head.onnx",
            "inputs": {"features": {"shape": ["R", c, ms, ms], "dtype": "float32"}},
            "outputs": {mask_output_name(model): {"shape": ["R", 1 if arch["mask_cls_agnostic"] else k, 2 * ms,
                                                             2 * ms], "dtype": "float32"}},
        }
    manifest = {
        "format_version": FORMAT_VERSION,
        "flavour": flavour,
        "source": source,
        "onnx_opset": DEFORM_OPSET if deform else OPSET,
        "num_classes": k,
        "class_names": settings["roi_heads"]["class_names"],
        "input": settings["input"],
        "anchors": settings["anchors"],
        "rpn": settings["rpn"],
        "roi_heads": {key: v for key, v in settings["roi_heads"].items() if key not in ("num_classes", "class_names")},
        **({"conventions": conventions} if conventions else {}),
        **({"test_aug": settings["test_aug"]} if settings.get("test_aug") else {}),
        "graphs": graphs,
        "architecture": arch,
        "weight_aliases": {f: al for f, al in files.items() if al},
    }
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    return manifest


# ------------------------------------------------------------------------------------------------- reloading

def read_manifest(pkg_dir):
    path = os.path.join(pkg_dir, "manifest.json")
    try:
        with open(path) as f:
            manifest = json.load(f)
    except OSError as e:
        raise PackageError(f"{path}: cannot read manifest: {e}") from e
    except json.JSONDecodeError as e:
        raise PackageError(f"{path}: not valid JSON: {e}") from e
    if manifest.get("format_version") != FORMAT_VERSION:
        raise PackageError(f"{path}: format_version: expected {FORMAT_VERSION}, got {manifest.get('format_version')!r}")
    if manifest.get("flavour") not in ("detectron2", "mmdetection"):
        raise PackageError(f"{path}: flavour: only 'detectron2' and 'mmdetection' are served here, got "
                           f"{manifest.get('flavour')!r}")
    return manifest


def settings_from_manifest(manifest):
    """The pipeline settings (the shape `config.resolve` returns) stored in a manifest."""
    roi = dict(manifest["roi_heads"])
    roi["num_classes"] = manifest["num_classes"]
    roi["class_names"] = manifest["class_names"]
    out = {"architecture": manifest["architecture"], "input": manifest["input"], "anchors": manifest["anchors"],
           "rpn": manifest["rpn"], "roi_heads": roi}
    if "test_aug" in manifest:  # packages exported before test_aug existed lack it (read as disabled)
        out["test_aug"] = manifest["test_aug"]
    return out


def load_package(pkg_dir):
    """(model with the weights stored in the package's ONNX initializers, settings, manifest)."""
    manifest = read_manifest(pkg_dir)
    model = GeneralizedRCNN(manifest["architecture"]).eval()
    expected = model.state_dict()
    found = {}
    files = [manifest["graphs"]["backbone"]["file"]] + [g["file"] for g in manifest["graphs"]["box_heads"]]
    if "mask_head" in manifest["graphs"]:
        files.append(manifest["graphs"]["mask_head"]["file"])
    for fname in files:
        path = os.path.join(pkg_dir, fname)
        if not os.path.exists(path):
            raise PackageError(f"{path}: graph file missing")
        arrays = {i.name: numpy_helper.to_array(i) for i in onnx.load(path).graph.initializer}
        for name, kept in manifest.get("weight_aliases", {}).get(fname, {}).items():
            arrays[name] = arrays[kept]
        for name, arr in arrays.items():
            if name in expected:
                found[name] = torch.from_numpy(arr.copy())
    missing = sorted(set(expected) - set(found))
    if missing:
        raise PackageError(f"{pkg_dir}: weights not found in the ONNX graphs: {', '.join(missing)}")
    model.load_state_dict(found)
    return model, settings_from_manifest(manifest), manifest
