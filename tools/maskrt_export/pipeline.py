"""The reference pipeline: detectron2's GeneralizedRCNN + CascadeROIHeads inference (DESIGN.md section 1) in
PyTorch, around the dense modules of `modules.py`. This is what maskrt's Java pipeline must reproduce.

Each step follows detectron2's arithmetic, in float32, in the same order, because the Java side replicates it;
the subtle rules are commented where they happen. Batch size is 1 (one image at a time).
"""
import math

import numpy as np
import torch
import torch.nn.functional as F
from torchvision.ops import batched_nms, roi_align

from . import resize as rs

# run_image's outputs that are only saved with --intermediates
INTERMEDIATE_KEYS = ("resized", "proposals", "proposal_logits", "stage_boxes", "stage_probs", "detections_resized")


# ----------------------------------------------------------------------------------------------- pre-process

def to_model_channels(image, fmt):
    """[H, W] or [H, W, 1|3] array in RGB order (as decoded) -> [H, W, 3] in the model's channel order."""
    if image.ndim == 2:
        image = image[:, :, None]
    if image.shape[2] == 1:
        image = np.repeat(image, 3, axis=2)  # grayscale -> 3 equal channels (PIL convert("RGB"))
    if image.shape[2] != 3:
        raise ValueError(f"image: expected 1 or 3 channels, got {image.shape[2]}")
    return np.ascontiguousarray(image[:, :, ::-1] if fmt == "BGR" else image)


def preprocess(image, settings):
    """Resize (ResizeShortestEdge), normalise, pad. Returns (tensor [1,3,Hp,Wp], (h, w) resized, resized HWC)."""
    inp = settings["input"]
    if image.dtype != np.uint8:
        image = image.astype(np.float32)  # 16-bit / float images take detectron2's float path
    h, w = image.shape[:2]
    if inp["min_size_test"] == 0:
        new_h, new_w = h, w
    else:
        new_h, new_w = rs.output_shape(h, w, inp["min_size_test"], inp["max_size_test"])
    if (new_h, new_w) == (h, w):
        resized = image
    elif image.dtype == np.uint8:
        resized = rs.resize_uint8(image, new_h, new_w)
    else:
        resized = rs.resize_float(image, new_h, new_w)
    x = torch.from_numpy(np.ascontiguousarray(resized.transpose(2, 0, 1))).float()
    mean = torch.tensor(inp["pixel_mean"], dtype=torch.float32).view(3, 1, 1)
    std = torch.tensor(inp["pixel_std"], dtype=torch.float32).view(3, 1, 1)
    x = (x - mean) / std
    d = inp["size_divisibility"]
    ph, pw = (new_h + d - 1) // d * d, (new_w + d - 1) // d * d
    x = F.pad(x, (0, pw - new_w, 0, ph - new_h), value=0.0)  # pad bottom/right after normalising
    return x[None], (new_h, new_w), resized


# ------------------------------------------------------------------------------------------------ box algebra

def apply_deltas(deltas, boxes, weights, scale_clamp):
    """Box2BoxTransform.apply_deltas for [R, 4] deltas on [R, 4] boxes (x0, y0, x1, y1), float32."""
    widths = boxes[:, 2] - boxes[:, 0]
    heights = boxes[:, 3] - boxes[:, 1]
    ctr_x = boxes[:, 0] + 0.5 * widths
    ctr_y = boxes[:, 1] + 0.5 * heights
    wx, wy, ww, wh = weights
    dx = deltas[:, 0] / wx
    dy = deltas[:, 1] / wy
    dw = torch.clamp(deltas[:, 2] / ww, max=scale_clamp)
    dh = torch.clamp(deltas[:, 3] / wh, max=scale_clamp)
    pred_ctr_x = dx * widths + ctr_x
    pred_ctr_y = dy * heights + ctr_y
    pred_w = torch.exp(dw) * widths
    pred_h = torch.exp(dh) * heights
    return torch.stack((pred_ctr_x - 0.5 * pred_w, pred_ctr_y - 0.5 * pred_h,
                        pred_ctr_x + 0.5 * pred_w, pred_ctr_y + 0.5 * pred_h), dim=1)


def clip_boxes(boxes, height, width):
    """Boxes.clip: x to [0, width], y to [0, height]."""
    return torch.stack((boxes[:, 0].clamp(min=0, max=width), boxes[:, 1].clamp(min=0, max=height),
                        boxes[:, 2].clamp(min=0, max=width), boxes[:, 3].clamp(min=0, max=height)), dim=1)


def nonempty(boxes, threshold=0.0):
    return ((boxes[:, 2] - boxes[:, 0]) > threshold) & ((boxes[:, 3] - boxes[:, 1]) > threshold)


# ------------------------------------------------------------------------------------------------- proposals

def cell_anchors(sizes, ratios):
    """DefaultAnchorGenerator.generate_cell_anchors: [A, 4], sizes outer, ratios inner, computed in double."""
    out = []
    for size in sizes:
        area = size ** 2.0
        for r in ratios:
            w = math.sqrt(area / r)
            h = r * w
            out.append([-w / 2.0, -h / 2.0, w / 2.0, h / 2.0])
    return torch.tensor(out, dtype=torch.float32)


def grid_anchors(cell, stride, offset, grid_h, grid_w):
    """Anchors of one level in (H, W, A) order, A fastest: [H*W*A, 4] float32."""
    shifts_x = torch.arange(offset * stride, grid_w * stride, step=stride, dtype=torch.float32)
    shifts_y = torch.arange(offset * stride, grid_h * stride, step=stride, dtype=torch.float32)
    shift_y, shift_x = torch.meshgrid(shifts_y, shifts_x, indexing="ij")
    shift_x, shift_y = shift_x.reshape(-1), shift_y.reshape(-1)
    shifts = torch.stack((shift_x, shift_y, shift_x, shift_y), dim=1)
    return (shifts.view(-1, 1, 4) + cell.view(1, -1, 4)).reshape(-1, 4)


def proposals_from_rpn(logits, deltas, image_size, settings):
    """RPN inference (find_top_rpn_proposals) for one image. logits[l]: [1, A, H, W]; deltas[l]: [1, A*4, H, W].

    Returns (boxes [P, 4], logits [P]) sorted by descending logit, P <= post_nms_topk.
    """
    anc, rpn = settings["anchors"], settings["rpn"]
    boxes_all, scores_all, levels_all = [], [], []
    for lvl, (lg, dl) in enumerate(zip(logits, deltas)):
        _, a, gh, gw = lg.shape
        scores = lg[0].permute(1, 2, 0).reshape(-1)  # (H, W, A)
        d = dl[0].view(a, 4, gh, gw).permute(2, 3, 0, 1).reshape(-1, 4)
        anchors = grid_anchors(cell_anchors(anc["sizes"][lvl], anc["aspect_ratios"][lvl]), anc["strides"][lvl],
                               anc["offset"], gh, gw)
        props = apply_deltas(d, anchors, rpn["bbox_reg_weights"], rpn["scale_clamp"])
        k = min(rpn["pre_nms_topk"], scores.numel())
        top_scores, top_idx = scores.topk(k)  # descending; ties keep the lower index first
        boxes_all.append(props[top_idx])
        scores_all.append(top_scores)
        levels_all.append(torch.full((k,), lvl, dtype=torch.int64))
    boxes, scores, levels = torch.cat(boxes_all), torch.cat(scores_all), torch.cat(levels_all)
    valid = torch.isfinite(boxes).all(dim=1) & torch.isfinite(scores)
    boxes, scores, levels = boxes[valid], scores[valid], levels[valid]
    boxes = clip_boxes(boxes, *image_size)
    keep = nonempty(boxes, rpn["min_box_size"])
    boxes, scores, levels = boxes[keep], scores[keep], levels[keep]
    keep = batched_nms(boxes, scores, levels, rpn["nms_thresh"])[: rpn["post_nms_topk"]]
    return boxes[keep], scores[keep]


# ----------------------------------------------------------------------------------------------------- pooler

def assign_levels(boxes, pooler):
    """Level index (0 = p2) per box: floor(4 + log2(sqrt(area) / 224 + 1e-8)) clamped to p2..p5."""
    sizes = torch.sqrt((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]))
    lv = torch.floor(pooler["canonical_level"] + torch.log2(sizes / pooler["canonical_box_size"] + 1e-8))
    return torch.clamp(lv, min=2, max=5).to(torch.int64) - 2


def multilevel_roi_align(features, boxes, pooler, strides=(4, 8, 16, 32)):
    """ROIPooler (ROIAlignV2) over p2..p5: [R, C, S, S]."""
    s = pooler["resolution"]
    c = features[0].shape[1]
    out = torch.zeros((boxes.shape[0], c, s, s), dtype=torch.float32)
    if boxes.shape[0] == 0:
        return out
    levels = assign_levels(boxes, pooler)
    rois = torch.cat([torch.zeros((boxes.shape[0], 1)), boxes], dim=1)
    for lvl in range(4):
        idx = torch.nonzero(levels == lvl).squeeze(1)
        if idx.numel():
            out[idx] = roi_align(features[lvl], rois[idx], (s, s), spatial_scale=1.0 / strides[lvl],
                                 sampling_ratio=pooler["sampling_ratio"], aligned=True)
    return out


# ------------------------------------------------------------------------------------------------------ paste

def paste_mask(prob, box, img_h, img_w, threshold):
    """detectron2 _do_paste_mask (CPU path, one box): prob [S, S] float32, box [4] float32.

    Returns (x0, y0, bitmap [h, w] bool) over the window [floor(x0)-1, ceil(x1)+1) clipped to the image; pixels
    outside the window are 0. The arithmetic is detectron2's: normalised grid coordinate
    g = (px + 0.5 - x0) / (x1 - x0) * 2 - 1, then grid_sample (bilinear, zeros, align_corners=False).
    """
    x0_int = int(max(math.floor(float(box[0])) - 1, 0))
    y0_int = int(max(math.floor(float(box[1])) - 1, 0))
    x1_int = int(min(math.ceil(float(box[2])) + 1, img_w))
    y1_int = int(min(math.ceil(float(box[3])) + 1, img_h))
    if x1_int <= x0_int or y1_int <= y0_int:
        return x0_int, y0_int, np.zeros((max(y1_int - y0_int, 0), max(x1_int - x0_int, 0)), dtype=bool)
    img_y = torch.arange(y0_int, y1_int, dtype=torch.float32) + 0.5
    img_x = torch.arange(x0_int, x1_int, dtype=torch.float32) + 0.5
    img_y = (img_y - box[1]) / (box[3] - box[1]) * 2 - 1
    img_x = (img_x - box[0]) / (box[2] - box[0]) * 2 - 1
    gx = img_x[None, :].expand(img_y.numel(), img_x.numel())
    gy = img_y[:, None].expand(img_y.numel(), img_x.numel())
    grid = torch.stack([gx, gy], dim=2)[None]
    sampled = F.grid_sample(prob[None, None], grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    return x0_int, y0_int, (sampled[0, 0] >= threshold).numpy()


def tight(x0, y0, bitmap):
    """Crops a window bitmap to the bounding rectangle of its set pixels: (x, y, w, h, bits uint8 row-major)."""
    ys, xs = np.nonzero(bitmap)
    if ys.size == 0:
        return (0, 0, 0, 0, np.zeros(0, dtype=np.uint8))
    y_lo, y_hi, x_lo, x_hi = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    crop = bitmap[y_lo:y_hi, x_lo:x_hi].astype(np.uint8)
    return (x0 + int(x_lo), y0 + int(y_lo), int(x_hi - x_lo), int(y_hi - y_lo), crop.reshape(-1))


# ----------------------------------------------------------------------------------- recording the dense graphs

class DenseRecorder:
    """Wraps the model for `run_image` and keeps every graph's input and outputs as float32 numpy arrays, named as
    the package's graphs name them: `dense.backbone.image`, `dense.backbone.p2` .. `dense.backbone.rpn_deltas_p6`,
    `dense.box_head_K.features` / `.class_logits` / `.box_deltas`, `dense.mask_head.features` / `.mask_logits`.
    Java replays them in place of its engine to test its sparse steps alone (DenseReplayParityTest)."""

    LEVELS = ("p2", "p3", "p4", "p5", "p6")

    def __init__(self, model):
        self.model = model
        self.arrays = {}

    def _keep(self, graph, **tensors):
        for name, t in tensors.items():
            self.arrays[f"dense.{graph}.{name}"] = t.detach().numpy().astype(np.float32)

    def run_backbone(self, images):
        features, logits, deltas = self.model.run_backbone(images)
        self._keep("backbone", image=images, **dict(zip(self.LEVELS, features)),
                   **{f"rpn_logits_{l}": t for l, t in zip(self.LEVELS, logits)},
                   **{f"rpn_deltas_{l}": t for l, t in zip(self.LEVELS, deltas)})
        return features, logits, deltas

    def run_box_stage(self, k, pooled):
        cls_logits, box_deltas = self.model.run_box_stage(k, pooled)
        self._keep(f"box_head_{k}", features=pooled, class_logits=cls_logits, box_deltas=box_deltas)
        return cls_logits, box_deltas

    def run_mask_head(self, pooled):
        mask_logits = self.model.run_mask_head(pooled)
        self._keep("mask_head", features=pooled, mask_logits=mask_logits)
        return mask_logits


# ---------------------------------------------------------------------------------------------- the pipeline

@torch.no_grad()
def run_image(model, settings, image):
    """Runs the whole inference path on one decoded image ([H, W] or [H, W, C], RGB order as decoded).

    Returns a dict of numpy arrays: final detections (boxes in original-image pixels, scores, classes,
    mask probabilities [N, S, S], compact masks) and the intermediates that Java parity tests check.
    """
    roi = settings["roi_heads"]
    orig_h, orig_w = image.shape[:2]
    gray = image.ndim == 2 or image.shape[2] == 1
    img = to_model_channels(image, settings["input"]["format"])
    x, (h, w), resized = preprocess(img, settings)
    features, logits, deltas = model.run_backbone(x)
    proposals, proposal_logits = proposals_from_rpn(logits, deltas, (h, w), settings)

    box_features = features[:4]
    boxes = proposals
    stage_probs, stage_boxes = [], []
    for k in range(len(roi["stage_bbox_reg_weights"])):
        if k > 0:
            # detectron2 clips the previous stage's boxes but keeps empty ones, so stage scores stay aligned
            boxes = clip_boxes(boxes, h, w)
        pooled = multilevel_roi_align(box_features, boxes, roi["box_pooler"])
        cls_logits, box_deltas = model.run_box_stage(k, pooled)
        stage_probs.append(F.softmax(cls_logits, dim=-1))
        boxes = apply_deltas(box_deltas, boxes, roi["stage_bbox_reg_weights"][k], roi["scale_clamp"])
        stage_boxes.append(boxes)
    # mean of the stages' probabilities: ((p0 + p1) + p2) * float32(1/3)
    scores = stage_probs[0]
    for p in stage_probs[1:]:
        scores = scores + p
    scores = scores * (1.0 / len(stage_probs))

    # fast_rcnn_inference_single_image with one class-agnostic box per proposal
    final_boxes = boxes
    valid = torch.isfinite(final_boxes).all(dim=1) & torch.isfinite(scores).all(dim=1)
    final_boxes, scores = final_boxes[valid], scores[valid]
    scores = scores[:, :-1]  # background is the last column
    final_boxes = clip_boxes(final_boxes, h, w)
    filter_inds = torch.nonzero(scores > roi["score_thresh"])  # (proposal, class), row-major
    det_boxes = final_boxes[filter_inds[:, 0]]
    det_scores = scores[filter_inds[:, 0], filter_inds[:, 1]]
    keep = batched_nms(det_boxes, det_scores, filter_inds[:, 1], roi["nms_thresh"])
    if roi["detections_per_image"] >= 0:
        keep = keep[: roi["detections_per_image"]]
    det_boxes, det_scores, det_classes = det_boxes[keep], det_scores[keep], filter_inds[keep, 1]

    # mask head on the final boxes (in resized-image pixels)
    pooled = multilevel_roi_align(box_features, det_boxes, roi["mask_pooler"])
    mask_logits = model.run_mask_head(pooled)
    if mask_logits.shape[1] == 1:
        mask_probs = mask_logits[:, 0].sigmoid()
    else:
        mask_probs = mask_logits[torch.arange(det_boxes.shape[0]), det_classes].sigmoid()

    # detector_postprocess: scale to the original size (float32 multiply by float32(scale)), clip, drop empty
    scale_x, scale_y = orig_w / w, orig_h / h
    out_boxes = det_boxes.clone()
    out_boxes[:, 0::2] *= scale_x
    out_boxes[:, 1::2] *= scale_y
    out_boxes = clip_boxes(out_boxes, orig_h, orig_w)
    keep = nonempty(out_boxes)
    out_boxes, det_scores = out_boxes[keep], det_scores[keep]
    det_classes, mask_probs = det_classes[keep], mask_probs[keep]
    rects, bits = [], []
    for i in range(out_boxes.shape[0]):
        x0, y0, bitmap = paste_mask(mask_probs[i], out_boxes[i], orig_h, orig_w, roi["mask_threshold"])
        mx, my, mw, mh, b = tight(x0, y0, bitmap)
        rects.append([mx, my, mw, mh])
        bits.append(b)

    return {
        "image_size": np.array([orig_h, orig_w], dtype=np.int32),
        "input_size": np.array([h, w], dtype=np.int32),
        "boxes": out_boxes.numpy().astype(np.float32).reshape(-1, 4),
        "scores": det_scores.numpy().astype(np.float32),
        "classes": det_classes.numpy().astype(np.int32),
        "mask_probs": mask_probs.numpy().astype(np.float32),
        "mask_rects": np.array(rects, dtype=np.int32).reshape(-1, 4),
        "mask_bits": np.concatenate(bits).astype(np.uint8) if bits else np.zeros(0, dtype=np.uint8),
        # intermediates for Java parity debugging
        # the resized image [h, w, C] before normalising: C = 1 for grayscale input, else 3 in model order
        "resized": np.ascontiguousarray(resized[:, :, :1] if gray else resized),
        "proposals": proposals.numpy(),
        "proposal_logits": proposal_logits.numpy(),
        "stage_boxes": torch.stack(stage_boxes).numpy(),
        "stage_probs": torch.stack(stage_probs).numpy(),
        "detections_resized": det_boxes[keep].numpy().reshape(-1, 4),
    }
