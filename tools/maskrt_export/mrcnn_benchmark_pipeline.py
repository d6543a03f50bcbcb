"""maskrcnn-benchmark's inference (GeneralizedRCNN with RPN + FPN, box head, mask head) and its COCO output
(`coco_eval.py` prepare_for_coco_detection / prepare_for_coco_segmentation), re-written in plain torch 1.13 step by
step after its source, because its C extension (`maskrcnn_benchmark/csrc`: nms, ROIAlign) does not build against
today's torch. The two C++ kernels are re-written here after `csrc/cpu/nms_cpu.cpp` and `csrc/cpu/ROIAlign_cpu.cpp`
(the CPU paths; the CUDA kernels compute the same). Every function names the file and lines it follows
(facebookresearch/maskrcnn-benchmark at commit 57eec25). The network is the package's own weights
(`mrcnn_benchmark.load_package`), so this is the reference the Java pipeline must match.
"""
import math

import numpy as np
import torch
import torch.nn.functional as F


# ------------------------------------------------------------------------------------------------ image input

def get_size(w, h, min_size, max_size):
    """data/transforms/transforms.py:35-55 Resize.get_size (one test size): (oh, ow)."""
    size = min_size
    if max_size is not None:
        min_original_size = float(min((w, h)))
        max_original_size = float(max((w, h)))
        if max_original_size / min_original_size * size > max_size:
            size = int(round(max_size * min_original_size / max_original_size))
    if (w <= h and w == size) or (h <= w and h == size):
        return (h, w)
    if w < h:
        ow = size
        oh = int(size * h / w)
    else:
        oh = size
        ow = int(size * w / h)
    return (oh, ow)


def preprocess(pil_image, settings):
    """data/transforms/build.py:36-45 at test time: Resize (PIL bilinear via torchvision F.resize), ToTensor,
    Normalize with to_bgr255 (transforms.py:104-121). pil_image: already `convert("RGB")` (datasets/coco.py).
    Returns the normalised [3, h, w] tensor."""
    from torchvision.transforms import functional as TF
    inp = settings["input"]
    size = get_size(pil_image.size[0], pil_image.size[1], inp["min_size_test"], inp["max_size_test"])
    image = TF.resize(pil_image, size)
    image = TF.to_tensor(image)
    image = image[[2, 1, 0]] * 255
    return TF.normalize(image, mean=inp["pixel_mean"], std=inp["pixel_std"])


def to_image_list(tensors, size_divisible):
    """structures/image_list.py:49-70: zero-padded batch, sizes (h, w) of each image."""
    max_size = tuple(max(s) for s in zip(*[img.shape for img in tensors]))
    if size_divisible > 0:
        stride = size_divisible
        max_size = list(max_size)
        max_size[1] = int(math.ceil(max_size[1] / stride) * stride)
        max_size[2] = int(math.ceil(max_size[2] / stride) * stride)
        max_size = tuple(max_size)
    batched = tensors[0].new(*((len(tensors),) + max_size)).zero_()
    for img, pad_img in zip(tensors, batched):
        pad_img[: img.shape[0], : img.shape[1], : img.shape[2]].copy_(img)
    return batched, [tuple(im.shape[-2:]) for im in tensors]


# ------------------------------------------------------------------------------------------------- boxes

def _whctrs(anchor):
    """modeling/rpn/anchor_generator.py:246-252."""
    w = anchor[2] - anchor[0] + 1
    h = anchor[3] - anchor[1] + 1
    x_ctr = anchor[0] + 0.5 * (w - 1)
    y_ctr = anchor[1] + 0.5 * (h - 1)
    return w, h, x_ctr, y_ctr


def _mkanchors(ws, hs, x_ctr, y_ctr):
    """anchor_generator.py:255-269."""
    ws = ws[:, np.newaxis]
    hs = hs[:, np.newaxis]
    return np.hstack((x_ctr - 0.5 * (ws - 1), y_ctr - 0.5 * (hs - 1), x_ctr + 0.5 * (ws - 1), y_ctr + 0.5 * (hs - 1)))


def generate_anchors(stride, sizes, aspect_ratios):
    """anchor_generator.py:220-243 generate_anchors/_generate_anchors, :272-289 _ratio_enum/_scale_enum (float64,
    np.round = round half to even), then `.float()` (AnchorGenerator.__init__, :57-64)."""
    scales = np.array(sizes, dtype=np.float64) / stride
    ratios = np.array(aspect_ratios, dtype=np.float64)
    anchor = np.array([1, 1, stride, stride], dtype=np.float64) - 1
    w, h, x_ctr, y_ctr = _whctrs(anchor)
    size = w * h
    size_ratios = size / ratios
    ws = np.round(np.sqrt(size_ratios))
    hs = np.round(ws * ratios)
    anchors = _mkanchors(ws, hs, x_ctr, y_ctr)

    def scale_enum(a):
        w, h, x_ctr, y_ctr = _whctrs(a)
        return _mkanchors(w * scales, h * scales, x_ctr, y_ctr)

    anchors = np.vstack([scale_enum(anchors[i, :]) for i in range(anchors.shape[0])])
    return torch.from_numpy(anchors).float()


def grid_anchors(grid_h, grid_w, stride, base_anchors):
    """anchor_generator.py:73-94 grid_anchors: shifts arange(0, W*stride, stride) float32, (y, x, a) order."""
    shifts_x = torch.arange(0, grid_w * stride, step=stride, dtype=torch.float32)
    shifts_y = torch.arange(0, grid_h * stride, step=stride, dtype=torch.float32)
    shift_y, shift_x = torch.meshgrid(shifts_y, shifts_x, indexing="ij")
    shift_x = shift_x.reshape(-1)
    shift_y = shift_y.reshape(-1)
    shifts = torch.stack((shift_x, shift_y, shift_x, shift_y), dim=1)
    return (shifts.view(-1, 1, 4) + base_anchors.view(1, -1, 4)).reshape(-1, 4)


def decode(rel_codes, boxes, weights, bbox_xform_clip=math.log(1000. / 16)):
    """modeling/box_coder.py:52-95 BoxCoder.decode (TO_REMOVE = 1; x2 = ctr + 0.5 w - 1)."""
    boxes = boxes.to(rel_codes.dtype)
    TO_REMOVE = 1
    widths = boxes[:, 2] - boxes[:, 0] + TO_REMOVE
    heights = boxes[:, 3] - boxes[:, 1] + TO_REMOVE
    ctr_x = boxes[:, 0] + 0.5 * widths
    ctr_y = boxes[:, 1] + 0.5 * heights
    wx, wy, ww, wh = weights
    dx = rel_codes[:, 0::4] / wx
    dy = rel_codes[:, 1::4] / wy
    dw = rel_codes[:, 2::4] / ww
    dh = rel_codes[:, 3::4] / wh
    dw = torch.clamp(dw, max=bbox_xform_clip)
    dh = torch.clamp(dh, max=bbox_xform_clip)
    pred_ctr_x = dx * widths[:, None] + ctr_x[:, None]
    pred_ctr_y = dy * heights[:, None] + ctr_y[:, None]
    pred_w = torch.exp(dw) * widths[:, None]
    pred_h = torch.exp(dh) * heights[:, None]
    pred_boxes = torch.zeros_like(rel_codes)
    pred_boxes[:, 0::4] = pred_ctr_x - 0.5 * pred_w
    pred_boxes[:, 1::4] = pred_ctr_y - 0.5 * pred_h
    pred_boxes[:, 2::4] = pred_ctr_x + 0.5 * pred_w - 1
    pred_boxes[:, 3::4] = pred_ctr_y + 0.5 * pred_h - 1
    return pred_boxes


def clip_to_image(boxes, image_w, image_h):
    """structures/bounding_box.py:214-224 clip_to_image(remove_empty=False), in place."""
    TO_REMOVE = 1
    boxes[:, 0].clamp_(min=0, max=image_w - TO_REMOVE)
    boxes[:, 1].clamp_(min=0, max=image_h - TO_REMOVE)
    boxes[:, 2].clamp_(min=0, max=image_w - TO_REMOVE)
    boxes[:, 3].clamp_(min=0, max=image_h - TO_REMOVE)
    return boxes


def area(boxes):
    """bounding_box.py:226-236 (xyxy)."""
    TO_REMOVE = 1
    return (boxes[:, 2] - boxes[:, 0] + TO_REMOVE) * (boxes[:, 3] - boxes[:, 1] + TO_REMOVE)


def remove_small_boxes(boxes, min_size):
    """structures/boxlist_ops.py:34-48 (widths from convert("xywh"), bounding_box.py:61-70): indices kept."""
    TO_REMOVE = 1
    ws = boxes[:, 2] - boxes[:, 0] + TO_REMOVE
    hs = boxes[:, 3] - boxes[:, 1] + TO_REMOVE
    return ((ws >= min_size) & (hs >= min_size)).nonzero().squeeze(1)


def nms(dets, scores, threshold):
    """csrc/cpu/nms_cpu.cpp:5-65: +1 areas, suppress when IoU >= threshold (float), kept indices ascending
    (`nonzero(suppressed == 0)`). Ranking: a stable descending sort (the kernel's `scores.sort(0, true)` leaves
    ties unordered)."""
    if dets.numel() == 0:
        return torch.empty(0, dtype=torch.int64)
    threshold = torch.tensor(threshold, dtype=torch.float32)
    x1, y1, x2, y2 = dets[:, 0], dets[:, 1], dets[:, 2], dets[:, 3]
    areas = (x2 - x1 + 1) * (y2 - y1 + 1)
    order = torch.sort(scores, descending=True, stable=True)[1]
    suppressed = torch.zeros(len(dets), dtype=torch.bool)
    for _i in range(len(order)):
        i = int(order[_i])
        if suppressed[i]:
            continue
        rest = order[_i + 1:]
        rest = rest[~suppressed[rest]]
        if len(rest) == 0:
            continue
        xx1 = torch.maximum(x1[i], x1[rest])
        yy1 = torch.maximum(y1[i], y1[rest])
        xx2 = torch.minimum(x2[i], x2[rest])
        yy2 = torch.minimum(y2[i], y2[rest])
        w = torch.clamp(xx2 - xx1 + 1, min=0)
        h = torch.clamp(yy2 - yy1 + 1, min=0)
        inter = w * h
        ovr = inter / (areas[i] + areas[rest] - inter)
        suppressed[rest[ovr >= threshold]] = True
    return (~suppressed).nonzero().squeeze(1)


def boxlist_nms(boxes, scores, nms_thresh, max_proposals=-1):
    """structures/boxlist_ops.py:9-31."""
    if nms_thresh <= 0:
        return torch.arange(len(boxes))
    keep = nms(boxes, scores, nms_thresh)
    if max_proposals > 0:
        keep = keep[:max_proposals]
    return keep


# ---------------------------------------------------------------------------------------------------- RPN

def permute_and_flatten(layer, N, A, C, H, W):
    """modeling/rpn/utils.py permute_and_flatten: [N, A*C, H, W] -> [N, H*W*A, C]."""
    layer = layer.view(N, -1, C, H, W)
    layer = layer.permute(0, 3, 4, 1, 2)
    return layer.reshape(N, -1, C)


def rpn_proposals(features, objectness, box_regression, image_sizes, settings):
    """modeling/rpn/inference.py RPNPostProcessor at test time: forward_for_single_feature_map (:76-123) per
    level, cat, select_over_all_levels (:154-181; at test always per image). Anchors: anchor_generator.py:73-94
    (strides, one size per level). Returns per image (boxes [P, 4], objectness [P]) in descending objectness."""
    rpn, conv = settings["rpn"], settings["conventions"]
    anchors_cfg = settings["anchors"]
    per_level = []
    for level, (o, b) in enumerate(zip(objectness, box_regression)):
        N, A, H, W = o.shape
        stride = anchors_cfg["strides"][level]
        base = generate_anchors(stride, anchors_cfg["sizes"][level], anchors_cfg["aspect_ratios"][level])
        anchors = grid_anchors(H, W, stride, base)
        o = permute_and_flatten(o, N, A, 1, H, W).view(N, -1)
        o = o.sigmoid()
        b = permute_and_flatten(b, N, A, 4, H, W)
        pre_nms_top_n = min(rpn["pre_nms_topk"], A * H * W)
        o, topk_idx = o.topk(pre_nms_top_n, dim=1, sorted=True)
        batch_idx = torch.arange(N)[:, None]
        b = b[batch_idx, topk_idx]
        concat_anchors = torch.cat([anchors] * N, dim=0).reshape(N, -1, 4)[batch_idx, topk_idx]
        proposals = decode(b.view(-1, 4), concat_anchors.view(-1, 4), rpn["bbox_reg_weights"]).view(N, -1, 4)
        result = []
        for proposal, score, (im_h, im_w) in zip(proposals, o, image_sizes):
            proposal = clip_to_image(proposal.clone(), im_w, im_h)
            keep = remove_small_boxes(proposal, rpn["min_box_size"])
            proposal, score = proposal[keep], score[keep]
            keep = boxlist_nms(proposal, score, rpn["nms_thresh"], conv["rpn_post_nms_topk_per_level"])
            result.append((proposal[keep], score[keep]))
        per_level.append(result)
    out = []
    for i in range(len(image_sizes)):
        boxes = torch.cat([lvl[i][0] for lvl in per_level], dim=0)
        scores = torch.cat([lvl[i][1] for lvl in per_level], dim=0)
        post = min(rpn["post_nms_topk"], len(scores))
        _, inds_sorted = torch.topk(scores, post, dim=0, sorted=True)
        out.append((boxes[inds_sorted], scores[inds_sorted]))
    return out


# ----------------------------------------------------------------------------------------------- RoIAlign

def roi_align(features, rois, spatial_scale, pooled_h, pooled_w, sampling_ratio):
    """csrc/cpu/ROIAlign_cpu.cpp:17-219 (ROIAlignForward_cpu_kernel with pre_calc_for_bilinear_interpolate), in
    float32, vectorised over RoIs, bins and channels; samples are summed in the kernel's (iy, ix) order and the sum
    divided by the count. rois: [R, 5] (batch index, x1, y1, x2, y2)."""
    R = rois.shape[0]
    N, C, height, width = features.shape
    if R == 0:
        return features.new_zeros((0, C, pooled_h, pooled_w))
    ss = torch.tensor(spatial_scale, dtype=torch.float32)
    roi_start_w = rois[:, 1] * ss
    roi_start_h = rois[:, 2] * ss
    roi_end_w = rois[:, 3] * ss
    roi_end_h = rois[:, 4] * ss
    one = torch.tensor(1.0)
    roi_width = torch.maximum(roi_end_w - roi_start_w, one)
    roi_height = torch.maximum(roi_end_h - roi_start_h, one)
    bin_size_h = roi_height / pooled_h
    bin_size_w = roi_width / pooled_w
    if sampling_ratio > 0:
        grid_h = torch.full((R,), sampling_ratio, dtype=torch.int64)
        grid_w = grid_h.clone()
    else:
        grid_h = torch.ceil(roi_height / pooled_h).to(torch.int64)
        grid_w = torch.ceil(roi_width / pooled_w).to(torch.int64)
    out = features.new_zeros((R, C, pooled_h, pooled_w))
    batch = rois[:, 0].to(torch.int64)
    ph = torch.arange(pooled_h, dtype=torch.float32)[None, :, None]
    pw = torch.arange(pooled_w, dtype=torch.float32)[None, None, :]
    # RoIs with the same sample grid are computed together; each RoI's arithmetic is the kernel's
    for gh, gw in sorted(set(zip(grid_h.tolist(), grid_w.tolist()))):
        sel = ((grid_h == gh) & (grid_w == gw)).nonzero().squeeze(1)
        rsh, rsw = roi_start_h[sel][:, None, None], roi_start_w[sel][:, None, None]
        bh, bw = bin_size_h[sel][:, None, None], bin_size_w[sel][:, None, None]
        b = batch[sel][:, None, None]
        count = torch.tensor(float(gh * gw), dtype=torch.float32)
        acc = features.new_zeros((len(sel), C, pooled_h, pooled_w))
        for iy in range(gh):
            # yy = roi_start_h + ph * bin_size_h + (iy + .5f) * bin_size_h / roi_bin_grid_h   (float32, in order)
            yy = rsh + ph * bh + torch.tensor(iy + .5, dtype=torch.float32) * bh / torch.tensor(float(gh))
            for ix in range(gw):
                xx = rsw + pw * bw + torch.tensor(ix + .5, dtype=torch.float32) * bw / torch.tensor(float(gw))
                y = yy.expand(len(sel), pooled_h, pooled_w)
                x = xx.expand(len(sel), pooled_h, pooled_w)
                empty = (y < -1.0) | (y > height) | (x < -1.0) | (x > width)
                y = torch.where(y <= 0, torch.zeros_like(y), y)
                x = torch.where(x <= 0, torch.zeros_like(x), x)
                y_low = y.to(torch.int64)
                x_low = x.to(torch.int64)
                y_clamp = y_low >= height - 1
                x_clamp = x_low >= width - 1
                y_low = torch.where(y_clamp, torch.full_like(y_low, height - 1), y_low)
                x_low = torch.where(x_clamp, torch.full_like(x_low, width - 1), x_low)
                y_high = torch.where(y_clamp, y_low, y_low + 1)
                x_high = torch.where(x_clamp, x_low, x_low + 1)
                y = torch.where(y_clamp, y_low.to(torch.float32), y)
                x = torch.where(x_clamp, x_low.to(torch.float32), x)
                ly = y - y_low.to(torch.float32)
                lx = x - x_low.to(torch.float32)
                hy = 1. - ly
                hx = 1. - lx
                w1, w2, w3, w4 = hy * hx, hy * lx, ly * hx, ly * lx
                zero = torch.zeros_like(w1)
                w1, w2, w3, w4 = [torch.where(empty, zero, w)[:, None] for w in (w1, w2, w3, w4)]
                y_low, y_high, x_low, x_high = [torch.where(empty, torch.zeros_like(t), t)
                                                for t in (y_low, y_high, x_low, x_high)]

                def gather(yi, xi):
                    return features[b, :, yi, xi].permute(0, 3, 1, 2)  # [r, C, ph, pw]

                acc = acc + (w1 * gather(y_low, x_low) + w2 * gather(y_low, x_high) + w3 * gather(y_high, x_low)
                             + w4 * gather(y_high, x_high))
        out[sel] = acc / count
    return out


def level_mapper(boxes, k_min=2, k_max=5, canonical_scale=224, canonical_level=4, eps=1e-6):
    """modeling/poolers.py:11-42 LevelMapper (area with +1, bounding_box.py:226-236): level index from k_min."""
    s = torch.sqrt(area(boxes))
    target_lvls = torch.floor(canonical_level + torch.log2(s / canonical_scale + eps))
    target_lvls = torch.clamp(target_lvls, min=k_min, max=k_max)
    return target_lvls.to(torch.int64) - k_min


def pooler(features, boxes_list, settings_pooler, scales=(0.25, 0.125, 0.0625, 0.03125)):
    """modeling/poolers.py:45-121 Pooler (forward :91-121) (convert_to_roi_format, per-level ROIAlign)."""
    res, sampling = settings_pooler["resolution"], settings_pooler["sampling_ratio"]
    concat = torch.cat(boxes_list, dim=0)
    ids = torch.cat([torch.full((len(b), 1), i, dtype=concat.dtype) for i, b in enumerate(boxes_list)], dim=0)
    rois = torch.cat([ids, concat], dim=1)
    lvl_min = -torch.log2(torch.tensor(scales[0], dtype=torch.float32)).item()
    lvl_max = -torch.log2(torch.tensor(scales[-1], dtype=torch.float32)).item()
    levels = level_mapper(concat, lvl_min, lvl_max)
    result = torch.zeros((len(rois), features[0].shape[1], res, res), dtype=features[0].dtype)
    for level, (per_level_feature, scale) in enumerate(zip(features, scales)):
        idx_in_level = torch.nonzero(levels == level).squeeze(1)
        result[idx_in_level] = roi_align(per_level_feature, rois[idx_in_level], scale, res, res, sampling)
    return result


# -------------------------------------------------------------------------------------------- box head

def box_post_processor(class_logits, box_regression, proposals, image_size, settings):
    """modeling/roi_heads/box_head/inference.py:45-149 PostProcessor.forward + filter_results, one image:
    (boxes [n, 4], scores [n], labels [n] in 1..K) in its order (classes in order, each class's NMS survivors in
    proposal order; DETECTIONS_PER_IMG by kthvalue, ties kept)."""
    roi, conv = settings["roi_heads"], settings["conventions"]
    class_prob = F.softmax(class_logits, -1)
    if roi["cls_agnostic_bbox_reg"]:
        box_regression = box_regression[:, -4:]
    proposals_dec = decode(box_regression.view(len(proposals), -1), proposals, roi["stage_bbox_reg_weights"][0])
    if roi["cls_agnostic_bbox_reg"]:
        proposals_dec = proposals_dec.repeat(1, class_prob.shape[1])
    num_classes = class_prob.shape[1]
    im_h, im_w = image_size
    boxes = clip_to_image(proposals_dec.reshape(-1, 4), im_w, im_h)
    scores = class_prob.reshape(-1)
    # filter_results (:108-149)
    boxes = boxes.reshape(-1, num_classes * 4)
    scores = scores.reshape(-1, num_classes)
    out_b, out_s, out_l = [], [], []
    inds_all = scores > roi["score_thresh"]
    for j in range(1, num_classes):
        inds = inds_all[:, j].nonzero().squeeze(1)
        scores_j = scores[inds, j]
        boxes_j = boxes[inds, j * 4: (j + 1) * 4]
        keep = boxlist_nms(boxes_j, scores_j, roi["nms_thresh"])
        out_b.append(boxes_j[keep])
        out_s.append(scores_j[keep])
        out_l.append(torch.full((len(keep),), j, dtype=torch.int64))
    boxes, scores, labels = torch.cat(out_b), torch.cat(out_s), torch.cat(out_l)
    number_of_detections = len(scores)
    d = roi["detections_per_image"]
    if number_of_detections > d > 0:
        image_thresh, _ = torch.kthvalue(scores.cpu(), number_of_detections - d + 1)
        keep = torch.nonzero(scores >= image_thresh.item()).squeeze(1)
        boxes, scores, labels = boxes[keep], scores[keep], labels[keep]
    return boxes, scores, labels


# ------------------------------------------------------------------------------------- COCO output (coco_eval)

def resize_boxes(boxes, size_from, size_to):
    """structures/bounding_box.py:91-127 BoxList.resize; sizes (w, h)."""
    ratios = tuple(float(s) / float(s_orig) for s, s_orig in zip(size_to, size_from))
    if ratios[0] == ratios[1]:
        return boxes * ratios[0]
    ratio_width, ratio_height = ratios
    xmin, ymin, xmax, ymax = boxes.split(1, dim=-1)
    return torch.cat((xmin * ratio_width, ymin * ratio_height, xmax * ratio_width, ymax * ratio_height), dim=-1)


def to_xywh(boxes):
    """bounding_box.py:61-70 convert("xywh")."""
    TO_REMOVE = 1
    xmin, ymin, xmax, ymax = boxes.split(1, dim=-1)
    return torch.cat((xmin, ymin, xmax - xmin + TO_REMOVE, ymax - ymin + TO_REMOVE), dim=-1)


def paste_mask_in_image(mask, box, im_h, im_w, thresh=0.5, padding=1):
    """modeling/roi_heads/mask_head/inference.py:91-159 expand_boxes, expand_masks, paste_mask_in_image (strict >)."""
    mask = mask.float()
    box = box.float()
    M = mask.shape[-1]
    pad2 = 2 * padding
    scale = float(M + pad2) / M
    padded_mask = mask.new_zeros((1, 1, M + pad2, M + pad2))
    padded_mask[:, :, padding:-padding, padding:-padding] = mask[None]
    mask = padded_mask[0, 0]
    boxes = box[None]
    w_half = (boxes[:, 2] - boxes[:, 0]) * .5
    h_half = (boxes[:, 3] - boxes[:, 1]) * .5
    x_c = (boxes[:, 2] + boxes[:, 0]) * .5
    y_c = (boxes[:, 3] + boxes[:, 1]) * .5
    w_half *= scale
    h_half *= scale
    boxes_exp = torch.zeros_like(boxes)
    boxes_exp[:, 0] = x_c - w_half
    boxes_exp[:, 2] = x_c + w_half
    boxes_exp[:, 1] = y_c - h_half
    boxes_exp[:, 3] = y_c + h_half
    box = boxes_exp[0].to(dtype=torch.int32)
    TO_REMOVE = 1
    w = int(box[2] - box[0] + TO_REMOVE)
    h = int(box[3] - box[1] + TO_REMOVE)
    w = max(w, 1)
    h = max(h, 1)
    mask = mask.expand((1, 1, -1, -1)).to(torch.float32)
    mask = F.interpolate(mask, size=(h, w), mode="bilinear", align_corners=False)[0][0]
    mask = mask > thresh
    im_mask = torch.zeros((im_h, im_w), dtype=torch.bool)
    x_0 = max(int(box[0]), 0)
    x_1 = min(int(box[2]) + 1, im_w)
    y_0 = max(int(box[1]), 0)
    y_1 = min(int(box[3]) + 1, im_h)
    im_mask[y_0:y_1, x_0:x_1] = mask[(y_0 - int(box[1])):(y_1 - int(box[1])), (x_0 - int(box[0])):(x_1 - int(box[0]))]
    return im_mask


# ------------------------------------------------------------------------------------------------ one image

@torch.no_grad()
def run_image(model, settings, pil_rgb):
    """GeneralizedRCNN.forward at test time (modeling/detector/generalized_rcnn.py) on one image, then coco_eval's
    resize to the original size. Returns a dict: boxes (xyxy, original pixels), scores, labels (1..K), mask_probs
    [n, 28, 28] (or None), masks [n, H, W] bool (or None), in maskrcnn-benchmark's order."""
    W, H = pil_rgb.size
    image = preprocess(pil_rgb, settings)
    images, sizes = to_image_list([image], settings["input"]["size_divisibility"])
    features, logits, deltas = model.run_backbone(images)
    proposals, objectness = rpn_proposals(features, logits, deltas, sizes, settings)[0]
    h, w = sizes[0]
    pooled = pooler(features[:4], [proposals], settings["roi_heads"]["box_pooler"])
    class_logits, box_regression = model.run_box_head(pooled)
    boxes, scores, labels = box_post_processor(class_logits, box_regression, proposals, (h, w), settings)
    mask_probs = masks = None
    if model.mask_on:
        # roi_heads/mask_head/mask_head.py:70-75, inference.py:27-61 (MaskPostProcessor without a masker)
        if len(boxes):
            x = pooler(features[:4], [boxes], settings["roi_heads"]["mask_pooler"])
            mask_logits = model.run_mask_head(x)
            mask_prob = mask_logits.sigmoid()
            mask_probs = mask_prob[torch.arange(len(labels)), labels]
        else:
            mask_probs = torch.zeros((0, 28, 28))
    # coco_eval.py:81 / :119 prediction.resize((image_width, image_height))
    boxes_orig = resize_boxes(boxes, (w, h), (W, H))
    if model.mask_on:
        masks = [paste_mask_in_image(m, b, H, W, 0.5, 1) for m, b in zip(mask_probs, boxes_orig)]
        masks = torch.stack(masks) if masks else torch.zeros((0, H, W), dtype=torch.bool)
    return {"boxes": boxes_orig, "scores": scores, "labels": labels, "mask_probs": mask_probs, "masks": masks,
            "proposals": proposals, "objectness": objectness, "detections_resized": boxes, "input_size": (h, w)}
