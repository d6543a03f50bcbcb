#!/usr/bin/python3
"""Golden for `maskrt eval --metric dsb`: a perturbed submission on the committed DSB2018 held-out split, scored
the way the competition's example kernel scores it.

maskrt/src/test/resources/kaggle/dsb_submission.csv
    ImageId,EncodedPixels (column-major, 1-indexed runs) for the first 12 images of samples/dsb2018-val: each
    ground-truth nucleus is kept, shifted by 1-3 pixels, eroded or dropped (seeded), false positives are added,
    an image gets no prediction at all, and predictions are made disjoint (later ones lose overlapped pixels).
maskrt/src/test/resources/kaggle/dsb_scores.json
    {"score": mean over the 66 ground-truth images (images without predictions score 0), "per_image": {...}}.

The reference follows the DSB 2018 example metric (Kaggle kernel "Example Metric Implementation"): per image, the
IoU matrix of ground-truth and predicted objects; at each threshold t in 0.50..0.95, matches = IoU > t,
TP = ground-truth objects with exactly one match, FP = predictions with no match, FN = ground-truth objects with no
match; the image's score is the mean of TP / (TP + FP + FN). IoUs here come from each object's own mask (the
kernel's label images cannot hold the 1-2 doubly-claimed pixels of some ground truths). Images sizes come from the
PNG files. numpy and PIL only.

Run from the project root: /usr/bin/python3 tools/reference/make_dsb_goldens.py
"""
import csv
import json
import os

import numpy as np
from PIL import Image

from make_kaggle_goldens import rle_string  # the same encoder as the Sartorius goldens (this folder)

VAL = "samples/dsb2018-val"
OUT = "maskrt/src/test/resources/kaggle"


def decode(rle, h, w):
    flat = np.zeros(h * w, dtype=bool)
    v = [int(x) for x in rle.split()]
    for start, length in zip(v[0::2], v[1::2]):
        flat[start - 1:start - 1 + length] = True
    return flat.reshape(w, h).T


def erode(m):
    e = m.copy()
    e[1:] &= m[:-1]
    e[:-1] &= m[1:]
    e[:, 1:] &= m[:, :-1]
    e[:, :-1] &= m[:, 1:]
    return e


def image_score(gt, pred):
    if not gt or not pred:
        return 1.0 if not gt and not pred else 0.0
    g = np.stack(gt).reshape(len(gt), -1).astype(np.int64)
    p = np.stack(pred).reshape(len(pred), -1).astype(np.int64)
    inter = g @ p.T
    union = g.sum(1)[:, None] + p.sum(1)[None, :] - inter
    iou = inter / union
    scores = []
    for t in np.arange(0.5, 1.0, 0.05):
        matches = iou > round(t, 2)
        tp = np.sum(np.sum(matches, axis=1) == 1)
        fp = np.sum(np.sum(matches, axis=0) == 0)
        fn = np.sum(np.sum(matches, axis=1) == 0)
        scores.append(tp / (tp + fp + fn))
    return float(np.mean(scores))


def main():
    rng = np.random.default_rng(7)
    rows = {}
    with open(os.path.join(VAL, "labels.csv"), newline="") as f:
        for r in csv.DictReader(f):
            rows.setdefault(r["ImageId"], []).append(r["EncodedPixels"])
    ids = list(rows)
    submission, per_image = [], {}
    for n, image_id in enumerate(ids):
        w, h = Image.open(os.path.join(VAL, "images", image_id + ".png")).size
        gt = [decode(r, h, w) for r in rows[image_id]]
        pred = []
        if n < 12 and n != 5:  # image 5: no prediction rows at all
            for m in gt:
                u = rng.random()
                if u < 0.1:
                    continue
                if u < 0.5:
                    m = np.roll(m, (int(rng.integers(-3, 4)), int(rng.integers(-3, 4))), axis=(0, 1))
                elif u < 0.7:
                    m = erode(m)
                pred.append(m)
            for _ in range(int(rng.integers(0, 4))):  # false positives: squares
                y, x, s = int(rng.integers(0, h - 12)), int(rng.integers(0, w - 12)), int(rng.integers(3, 12))
                fp = np.zeros((h, w), bool)
                fp[y:y + s, x:x + s] = True
                pred.append(fp)
            taken = np.zeros((h, w), bool)
            disjoint = []
            for m in pred:
                m = m & ~taken
                taken |= m
                if m.any():
                    disjoint.append(m)
            pred = disjoint
            submission += [(image_id, rle_string(m, "F")) for m in pred]  # column-major
        per_image[image_id] = image_score(gt, pred)
    with open(os.path.join(OUT, "dsb_submission.csv"), "w", newline="") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(["ImageId", "EncodedPixels"])
        out.writerows(submission)
    with open(os.path.join(OUT, "dsb_scores.json"), "w") as f:
        json.dump({"score": float(np.mean(list(per_image.values()))), "per_image": per_image}, f, indent=1)
    print(f"{len(submission)} predictions; score {np.mean(list(per_image.values())):.6f}")


if __name__ == "__main__":
    main()
