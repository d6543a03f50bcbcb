"""detectron2's training-time pieces for GeneralizedRCNN + CascadeROIHeads, written from its documented
behaviour (Matcher, subsample_labels, StandardRPNHead losses, find_top_rpn_proposals, label_and_sample_proposals,
CascadeROIHeads._forward_box / _match_and_label_boxes, FastRCNNOutputLayers.losses, mask_rcnn_loss).

Inputs per image: gt boxes [G, 4] float32 (x0, y0, x1, y1), gt classes [G] int64 in 0..K-1, gt masks [G, H, W]
bool. Features and the network come from `tools.maskrt_export.modules.CascadeMaskRCNN`.
"""
import torch
import torch.nn.functional as F
from torchvision.ops import batched_nms, box_iou, roi_align

from tools.maskrt_export import pipeline as P


# ------------------------------------------------------------------------------------------ matching, sampling

def match(iou, threshold_low, threshold_high, allow_low_quality):
    """detectron2 Matcher for an IoU matrix [G, R]: (matched gt index [R], label [R] in {1, 0, -1}).

    IoU < low -> 0 (background); low <= IoU < high -> -1 (ignored); IoU >= high -> 1. With allow_low_quality,
    every proposal that has the highest IoU for some gt (ties included) becomes 1 too (its match stays the argmax).
    With no gt every proposal is background.
    """
    r = iou.shape[1]
    if iou.shape[0] == 0:
        return torch.zeros(r, dtype=torch.int64), torch.zeros(r, dtype=torch.int8)
    vals, idx = iou.max(dim=0)
    labels = torch.ones(r, dtype=torch.int8)
    labels[vals < threshold_high] = -1
    labels[vals < threshold_low] = 0
    if allow_low_quality:
        best = iou.max(dim=1).values
        _, cols = torch.nonzero(iou == best[:, None], as_tuple=True)
        labels[cols] = 1
    return idx, labels


def subsample(positive, negative, num_samples, positive_fraction, gen):
    """detectron2 subsample_labels: random positives up to num*fraction, negatives fill the rest.
    Returns (positive indices, negative indices)."""
    pos = torch.nonzero(positive).squeeze(1)
    neg = torch.nonzero(negative).squeeze(1)
    num_pos = min(int(num_samples * positive_fraction), pos.numel())
    num_neg = min(num_samples - num_pos, neg.numel())
    pos = pos[torch.randperm(pos.numel(), generator=gen)[:num_pos]]
    neg = neg[torch.randperm(neg.numel(), generator=gen)[:num_neg]]
    return pos, neg


def get_deltas(src, dst, weights):
    """Box2BoxTransform.get_deltas: the deltas that turn boxes src [R, 4] into dst [R, 4]."""
    wx, wy, ww, wh = weights
    sw, sh = src[:, 2] - src[:, 0], src[:, 3] - src[:, 1]
    sx, sy = src[:, 0] + 0.5 * sw, src[:, 1] + 0.5 * sh
    dw, dh = dst[:, 2] - dst[:, 0], dst[:, 3] - dst[:, 1]
    dx, dy = dst[:, 0] + 0.5 * dw, dst[:, 1] + 0.5 * dh
    return torch.stack((wx * (dx - sx) / sw, wy * (dy - sy) / sh,
                        ww * torch.log(dw / sw), wh * torch.log(dh / sh)), dim=1)


# -------------------------------------------------------------------------------------------------------- RPN

class RpnTargets:
    """Anchors of all levels for one padded input size, in the (level, H, W, A) order of the flattened outputs."""

    def __init__(self, settings, feature_shapes):
        anc = settings["anchors"]
        self.anchors = torch.cat([
            P.grid_anchors(P.cell_anchors(anc["sizes"][l], anc["aspect_ratios"][l]), anc["strides"][l],
                           anc["offset"], h, w) for l, (h, w) in enumerate(feature_shapes)])


def flatten_rpn(logits, deltas):
    """Per-level [N, A, H, W] / [N, A*4, H, W] -> [N, sum HWA] / [N, sum HWA, 4] in (level, H, W, A) order."""
    lg = torch.cat([l.permute(0, 2, 3, 1).reshape(l.shape[0], -1) for l in logits], dim=1)
    dl = torch.cat([d.view(d.shape[0], -1, 4, d.shape[2], d.shape[3]).permute(0, 3, 4, 1, 2)
                    .reshape(d.shape[0], -1, 4) for d in deltas], dim=1)
    return lg, dl


def rpn_losses(logits, deltas, anchors, gt_boxes, cfg, gen):
    """Objectness BCE + smooth-L1 (beta 0 = L1) anchor-delta loss, both summed over sampled anchors and divided
    by batch_size_per_image * num_images (detectron2 RPN.losses)."""
    n = logits.shape[0]
    obj_terms, box_terms = [], []
    for i in range(n):
        idx, labels = match(box_iou(gt_boxes[i], anchors), 0.3, 0.7, True)
        pos, neg = subsample(labels == 1, labels == 0, cfg["rpn_batch"], cfg["rpn_pos_fraction"], gen)
        sel = torch.cat([pos, neg])
        target = torch.cat([torch.ones(pos.numel()), torch.zeros(neg.numel())])
        obj_terms.append(F.binary_cross_entropy_with_logits(logits[i, sel], target, reduction="sum"))
        if pos.numel():
            t = get_deltas(anchors[pos], gt_boxes[i][idx[pos]], (1.0, 1.0, 1.0, 1.0))
            box_terms.append(F.l1_loss(deltas[i, pos], t, reduction="sum"))
    norm = cfg["rpn_batch"] * n
    return sum(obj_terms) / norm, (sum(box_terms) / norm if box_terms else deltas.sum() * 0)


@torch.no_grad()
def rpn_proposals(logits, deltas, feature_shapes, image_size, settings, cfg):
    """find_top_rpn_proposals with the training top-k, per image: list of [P, 4] boxes (detached)."""
    out = []
    a = settings["architecture"]["anchors_per_cell"]
    train_settings = dict(settings, rpn=dict(settings["rpn"], pre_nms_topk=cfg["rpn_pre_nms_topk"],
                                             post_nms_topk=cfg["rpn_post_nms_topk"]))
    for i in range(logits[0].shape[0]):
        lg = [l[i:i + 1] for l in logits]
        dl = [d[i:i + 1] for d in deltas]
        boxes, _ = P.proposals_from_rpn(lg, dl, image_size, train_settings)
        out.append(boxes)
    return out


# ------------------------------------------------------------------------------------------------- ROI heads

class _ScaleGradient(torch.autograd.Function):
    """Identity forward; gradient times `scale` (detectron2 cascade scales box features' grads by 1/stages)."""

    @staticmethod
    def forward(ctx, x, scale):
        ctx.scale = scale
        return x

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.scale, None


def label_and_sample(proposals, gt_boxes, gt_classes, num_classes, cfg, gen):
    """Stage-0 ROI samples of one image: proposals + gt boxes, matched at IoU 0.5 (no low-quality matches),
    sampled to roi_batch with roi_pos_fraction positives. Returns (boxes, gt class or num_classes, gt index)."""
    boxes = torch.cat([proposals, gt_boxes])
    idx, labels = match(box_iou(gt_boxes, boxes), cfg["stage_ious"][0], cfg["stage_ious"][0], False)
    classes = gt_classes[idx] if gt_boxes.shape[0] else torch.full((boxes.shape[0],), num_classes)
    classes = torch.where(labels == 1, classes, torch.full_like(classes, num_classes))
    pos, neg = subsample(classes < num_classes, classes == num_classes, cfg["roi_batch"], cfg["roi_pos_fraction"],
                         gen)
    sel = torch.cat([pos, neg])
    return boxes[sel], classes[sel], idx[sel]


def relabel(boxes, gt_boxes, gt_classes, num_classes, iou_threshold):
    """_match_and_label_boxes of a later stage: every box kept, class = matched gt's if IoU >= threshold."""
    idx, labels = match(box_iou(gt_boxes, boxes), iou_threshold, iou_threshold, False)
    classes = gt_classes[idx] if gt_boxes.shape[0] else torch.full((boxes.shape[0],), num_classes)
    return torch.where(labels == 1, classes, torch.full_like(classes, num_classes)), idx


def box_stage_losses(cls_logits, deltas, boxes, classes, idx, gt_boxes, weights, num_classes):
    """FastRCNNOutputLayers.losses: mean CE over samples; L1 on class-agnostic deltas of the foreground,
    summed and divided by the number of samples."""
    loss_cls = F.cross_entropy(cls_logits, classes, reduction="mean")
    fg = classes < num_classes
    if fg.any():
        t = get_deltas(boxes[fg], gt_boxes[idx[fg]], weights)
        loss_box = F.l1_loss(deltas[fg], t, reduction="sum") / max(classes.numel(), 1)
    else:
        loss_box = deltas.sum() * 0
    return loss_cls, loss_box


def mask_targets(gt_masks, idx, boxes, size):
    """BitMasks.crop_and_resize: RoIAlign (aligned, adaptive sampling) of each matched gt mask over its
    proposal box, to size x size, thresholded at 0.5."""
    rois = torch.cat([torch.arange(boxes.shape[0], dtype=torch.float32)[:, None], boxes], dim=1)
    m = gt_masks[idx][:, None].float()
    return roi_align(m, rois, (size, size), spatial_scale=1.0, sampling_ratio=0, aligned=True)[:, 0] >= 0.5


def cascade_losses(model, features, proposals, targets, settings, cfg, gen):
    """CascadeROIHeads training forward for a batch: dict of per-stage box losses and the mask loss."""
    roi = settings["roi_heads"]
    k_classes = roi["num_classes"]
    n_stages = len(roi["stage_bbox_reg_weights"])
    box_features = features[:4]
    h, w = cfg["image_size"]
    losses = {}
    # stage 0 samples (also the mask head's samples, as in detectron2: forward() labels and samples once,
    # _forward_box re-labels its own copies for the later stages)
    samples = [label_and_sample(p, t["boxes"], t["classes"], k_classes, cfg, gen) for p, t in zip(proposals, targets)]
    stage_boxes = [s[0] for s in samples]
    stage_classes = [s[1] for s in samples]
    stage_idx = [s[2] for s in samples]
    for k in range(n_stages):
        if k > 0:
            stage_classes, stage_idx = [], []
            for i, t in enumerate(targets):
                b = P.clip_boxes(stage_boxes[i], h, w)
                b = b[P.nonempty(b)]
                c, j = relabel(b, t["boxes"], t["classes"], k_classes, cfg["stage_ious"][k])
                stage_boxes[i], _ = b, None
                stage_classes.append(c)
                stage_idx.append(j)
        counts = [b.shape[0] for b in stage_boxes]
        all_boxes = torch.cat(stage_boxes)
        pooled = multilevel_roi_align_batched(box_features, stage_boxes, roi["box_pooler"])
        pooled = _ScaleGradient.apply(pooled, 1.0 / n_stages)
        cls_logits, deltas = model.run_box_stage(k, pooled)
        gt_all = torch.cat([t["boxes"] for t in targets]) if targets else torch.zeros(0, 4)
        offsets = torch.cumsum(torch.tensor([0] + [t["boxes"].shape[0] for t in targets[:-1]]), 0)
        idx_all = torch.cat([j + offsets[i] for i, j in enumerate(stage_idx)])
        lc, lb = box_stage_losses(cls_logits, deltas, all_boxes, torch.cat(stage_classes), idx_all, gt_all,
                                  roi["stage_bbox_reg_weights"][k], k_classes)
        losses[f"loss_cls_stage{k}"] = lc
        losses[f"loss_box_reg_stage{k}"] = lb
        with torch.no_grad():
            pred = P.apply_deltas(deltas.detach(), all_boxes, roi["stage_bbox_reg_weights"][k], roi["scale_clamp"])
        stage_boxes = list(torch.split(pred, counts))

    # mask head on the stage-0 foreground samples
    fg_boxes, fg_classes, fg_targets = [], [], []
    for (boxes, classes, idx), t in zip(samples, targets):
        fg = classes < k_classes
        if fg.any():
            fg_boxes.append(boxes[fg])
            fg_classes.append(classes[fg])
            fg_targets.append(mask_targets(t["masks"], idx[fg], boxes[fg], 2 * roi["mask_pooler"]["resolution"]))
    if fg_boxes:
        pooled = multilevel_roi_align_batched(box_features, fg_boxes, roi["mask_pooler"])
        logits = model.run_mask_head(pooled)
        cls = torch.cat(fg_classes)
        logits = logits[torch.arange(cls.numel()), 0 if logits.shape[1] == 1 else cls]
        losses["loss_mask"] = F.binary_cross_entropy_with_logits(logits, torch.cat(fg_targets).float(),
                                                                 reduction="mean")
    else:
        losses["loss_mask"] = sum(p.sum() for p in model.roi_heads.mask_head.parameters()) * 0
    return losses


def multilevel_roi_align_batched(features, boxes_per_image, pooler, strides=(4, 8, 16, 32)):
    """ROIPooler over a batch: boxes of image i pool from features[l][i]. Returns [sum R, C, S, S]."""
    s = pooler["resolution"]
    boxes = torch.cat(boxes_per_image)
    batch = torch.cat([torch.full((b.shape[0], 1), float(i)) for i, b in enumerate(boxes_per_image)])
    out = features[0].new_zeros((boxes.shape[0], features[0].shape[1], s, s))
    if boxes.shape[0] == 0:
        return out
    levels = P.assign_levels(boxes, pooler)
    rois = torch.cat([batch, boxes], dim=1)
    for lvl in range(4):
        idx = torch.nonzero(levels == lvl).squeeze(1)
        if idx.numel():
            out[idx] = roi_align(features[lvl], rois[idx], (s, s), spatial_scale=1.0 / strides[lvl],
                                 sampling_ratio=pooler["sampling_ratio"], aligned=True)
    return out
