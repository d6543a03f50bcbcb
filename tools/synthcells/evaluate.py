"""Rough Python scores of reference-pipeline outputs against a synthcells split (the official figures come
from `maskrt eval`; this is the trainer's own check).

  /usr/bin/python3 -m tools.synthcells.evaluate --gt target/synthcells-val/val/annotations.json \
      --pred target/val-ref.npz [--images-dir target/synthcells-val/val/images]

`--pred` is the .npz of `python3 -m tools.maskrt_export reference` (its .json names the images). Prints, as one
JSON object: mask and box AP at IoU 0.5 and AP@[.5:.95] (all classes pooled per class then averaged, greedy
matching by descending score like COCO, 101-point interpolation, no area ranges, all detections), mean mask IoU
of the detections matched at 0.5, and the Sartorius metric (predictions made disjoint in score order first).
"""
import argparse
import json
import os
import sys

import numpy as np

from .formats import coco_rle_decode

THRESHOLDS = np.arange(0.5, 0.951, 0.05)


def load_predictions(npz_path):
    with open(os.path.splitext(npz_path)[0] + ".json") as f:
        index = json.load(f)["images"]
    data = np.load(npz_path)
    out = {}
    for entry in index:
        p = entry["prefix"]
        h, w = data[p + "image_size"]
        rects, bits = data[p + "mask_rects"], data[p + "mask_bits"]
        masks, offset = [], 0
        for x, y, rw, rh in rects:
            m = np.zeros((h, w), dtype=bool)
            m[y:y + rh, x:x + rw] = bits[offset:offset + rw * rh].reshape(rh, rw).astype(bool)
            offset += rw * rh
            masks.append(m)
        out[os.path.basename(entry["image"])] = {
            "scores": data[p + "scores"], "classes": data[p + "classes"], "boxes": data[p + "boxes"],
            "masks": np.stack(masks) if masks else np.zeros((0, h, w), dtype=bool)}
    return out


def mask_iou(a, b):
    """[n, H, W] x [m, H, W] bool -> [n, m]."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)))
    fa = a.reshape(len(a), -1).astype(np.float32)
    fb = b.reshape(len(b), -1).astype(np.float32)
    inter = fa @ fb.T
    union = fa.sum(1)[:, None] + fb.sum(1)[None, :] - inter
    return inter / np.maximum(union, 1)


def box_iou(a, b):
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)))
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(rb - lt, 0, None), axis=2)
    area = lambda x: (x[:, 2] - x[:, 0]) * (x[:, 3] - x[:, 1])
    return inter / (area(a)[:, None] + area(b)[None, :] - inter)


def greedy_match(iou, threshold):
    """Detections in the given (descending score) order take the unmatched gt of highest IoU >= threshold."""
    taken = np.zeros(iou.shape[1], dtype=bool)
    matched = np.full(iou.shape[0], -1)
    for d in range(iou.shape[0]):
        cand = np.where(~taken & (iou[d] >= threshold), iou[d], -1)
        if cand.size and cand.max() >= threshold:
            g = int(cand.argmax())
            taken[g] = True
            matched[d] = g
    return matched


def average_precision(scores, tp, num_gt):
    if num_gt == 0:
        return None
    order = np.argsort(-scores, kind="mergesort")
    tp = tp[order].astype(np.float64)
    ctp, cfp = np.cumsum(tp), np.cumsum(1 - tp)
    recall = ctp / num_gt
    precision = ctp / np.maximum(ctp + cfp, np.finfo(float).eps)
    for i in range(len(precision) - 2, -1, -1):
        precision[i] = max(precision[i], precision[i + 1])
    ap = 0.0
    for r in np.linspace(0, 1, 101):
        i = np.searchsorted(recall, r, side="left")
        ap += precision[i] if i < len(precision) else 0.0
    return ap / 101


def disjoint(masks, scores):
    order = np.argsort(-scores, kind="mergesort")
    taken = np.zeros(masks.shape[1:], dtype=bool)
    out = np.zeros_like(masks)
    for i in order:
        out[i] = masks[i] & ~taken
        taken |= out[i]
    return out[order]


def sartorius_image(pred, gt):
    iou = mask_iou(pred, gt)
    if len(gt) == 0 and len(pred) == 0:
        return 1.0
    vals = []
    for t in THRESHOLDS:
        matched = greedy_match(iou, t + 1e-12)  # strictly above the threshold
        tp = int((matched >= 0).sum())
        vals.append(tp / (tp + (len(pred) - tp) + (len(gt) - tp)))
    return float(np.mean(vals))


def evaluate(gt_path, pred_path, min_score=0.0):
    """Scores of the detections with score > min_score (equal to running the pipeline at that threshold when
    it is at least the package's: per-class NMS keeps the same boxes above it)."""
    with open(gt_path) as f:
        coco = json.load(f)
    preds = load_predictions(pred_path)
    for p in preds.values():
        keep = p["scores"] > min_score
        for key in ("scores", "classes", "boxes", "masks"):
            p[key] = p[key][keep]
    num_classes = len(coco["categories"])
    per = {kind: {c: {t: ([], [], 0) for t in range(len(THRESHOLDS))} for c in range(num_classes)}
           for kind in ("segm", "bbox")}
    matched_ious, sartorius = [], []
    anns = {}
    for a in coco["annotations"]:
        anns.setdefault(a["image_id"], []).append(a)
    for im in coco["images"]:
        if im["file_name"] not in preds:
            continue
        p = preds[im["file_name"]]
        gts = anns.get(im["id"], [])
        g_masks = np.stack([coco_rle_decode(a["segmentation"]) for a in gts]) if gts else \
            np.zeros((0, im["height"], im["width"]), dtype=bool)
        g_boxes = np.array([[a["bbox"][0], a["bbox"][1], a["bbox"][0] + a["bbox"][2], a["bbox"][1] + a["bbox"][3]]
                            for a in gts], dtype=np.float64).reshape(-1, 4)
        g_cls = np.array([a["category_id"] - 1 for a in gts], dtype=np.int64)
        sartorius.append(sartorius_image(disjoint(p["masks"], p["scores"]), g_masks))
        for c in range(num_classes):
            d = np.flatnonzero(p["classes"] == c)
            d = d[np.argsort(-p["scores"][d], kind="mergesort")]
            g = np.flatnonzero(g_cls == c)
            ious = {"segm": mask_iou(p["masks"][d], g_masks[g]), "bbox": box_iou(p["boxes"][d], g_boxes[g])}
            for kind in ("segm", "bbox"):
                for t, thr in enumerate(THRESHOLDS):
                    m = greedy_match(ious[kind], thr)
                    s, tp, n = per[kind][c][t]
                    per[kind][c][t] = (s + [p["scores"][d]], tp + [m >= 0], n + len(g))
                    if kind == "segm" and t == 0:
                        matched_ious.extend(ious[kind][np.flatnonzero(m >= 0), m[m >= 0]].tolist())
    result = {}
    for kind in ("segm", "bbox"):
        aps = np.zeros((num_classes, len(THRESHOLDS)))
        valid = np.zeros(num_classes, dtype=bool)
        for c in range(num_classes):
            for t in range(len(THRESHOLDS)):
                s, tp, n = per[kind][c][t]
                ap = average_precision(np.concatenate(s) if s else np.zeros(0),
                                       np.concatenate(tp) if tp else np.zeros(0, bool), n)
                if ap is not None:
                    aps[c, t] = ap
                    valid[c] = True
        result[f"{kind}_AP50"] = round(float(aps[valid, 0].mean()), 4)
        result[f"{kind}_AP"] = round(float(aps[valid].mean()), 4)
        result[f"{kind}_AP50_per_class"] = {coco["categories"][c]["name"]: round(float(aps[c, 0]), 4)
                                            for c in range(num_classes) if valid[c]}
    result["mean_matched_mask_iou"] = round(float(np.mean(matched_ious)), 4) if matched_ious else 0.0
    result["sartorius"] = round(float(np.mean(sartorius)), 4)
    result["images"] = len(sartorius)
    result["detections"] = int(sum(len(p["scores"]) for p in preds.values()))
    result["gt_instances"] = int(sum(len(anns.get(im["id"], [])) for im in coco["images"]
                                     if im["file_name"] in preds))
    return result


def main(argv=None):
    p = argparse.ArgumentParser(prog="python3 -m tools.synthcells.evaluate")
    p.add_argument("--gt", required=True)
    p.add_argument("--pred", required=True)
    p.add_argument("--min-score", type=float, nargs="+", default=[0.0],
                   help="also drop detections with score <= this; several values give one line each")
    args = p.parse_args(argv)
    for t in args.min_score:
        print(json.dumps({"min_score": t, **evaluate(args.gt, args.pred, t)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
