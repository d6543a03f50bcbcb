#!/usr/bin/python3
"""Goldens for dev.maskrt.output.KaggleRle and dev.maskrt.eval.SartoriusMetric, written with numpy only.

maskrt/src/test/resources/kaggle/rle_cases.npz
    mask_<i> (uint8 [h, w]) and its Kaggle runs as flat int64 [start, length, ...] arrays, 1-indexed:
    rows_<i> over the row-major flattening (Sartorius), cols_<i> over the column-major one (DSB 2018, Airbus),
    made by the usual "diff of the padded flat array" encoder.
maskrt/src/test/resources/kaggle/metric_train.csv, metric_submission.csv, metric_scores.npz
    a small Sartorius-style ground truth (id,annotation,width,height,cell_type) and a submission (id,predicted),
    and `scores`: each image's expected score (float64, in the order of first appearance in the train csv),
    computed on dense masks: IoU > k/20 compared exactly in integers, one-to-one greedy matching in descending IoU.

Run: /usr/bin/python3 tools/reference/make_kaggle_goldens.py
"""
import os
import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../maskrt/src/test/resources/kaggle")


def kaggle_runs(mask, order):
    flat = mask.flatten(order=order).astype(np.int8)
    padded = np.concatenate([[0], flat, [0]])
    edges = np.where(padded[1:] != padded[:-1])[0] + 1
    edges[1::2] -= edges[::2]
    return edges.astype(np.int64)


def rle_string(mask, order):
    return " ".join(str(v) for v in kaggle_runs(mask, order))


def ellipse(h, w, cy, cx, ry, rx):
    yy, xx = np.mgrid[0:h, 0:w]
    return (((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1.0).astype(np.uint8)


def rle_cases(rng):
    cases = []
    cases.append(np.zeros((4, 5), np.uint8))                     # empty
    m = np.zeros((4, 5), np.uint8); m[0, 0] = 1; cases.append(m)  # first pixel
    m = np.zeros((4, 5), np.uint8); m[3, 4] = 1; cases.append(m)  # last pixel
    cases.append(np.ones((3, 7), np.uint8))                        # whole image: one run
    m = np.zeros((5, 6), np.uint8); m[1:3, :] = 1; cases.append(m)  # full rows: one row-major run across rows
    m = np.zeros((5, 6), np.uint8); m[:, 2:4] = 1; cases.append(m)  # full columns: one column-major run
    m = np.zeros((6, 6), np.uint8); m[1, 4:] = 1; m[2, :2] = 1; cases.append(m)  # row end joins next row start
    cases.append((np.indices((5, 7)).sum(axis=0) % 2).astype(np.uint8))          # checkerboard
    cases.append(np.ones((1, 9), np.uint8))                        # one-row image
    m = np.zeros((9, 1), np.uint8); m[2:5, 0] = 1; m[7, 0] = 1; cases.append(m)  # one-column image
    for _ in range(8):                                             # random blobs and noise
        h, w = rng.integers(1, 40, size=2)
        m = ellipse(h, w, rng.uniform(0, h), rng.uniform(0, w), rng.uniform(1, h), rng.uniform(1, w))
        m |= (rng.random((h, w)) < 0.05).astype(np.uint8)
        cases.append(m)
    arrays = {}
    for i, m in enumerate(cases):
        arrays[f"mask_{i}"] = m
        arrays[f"rows_{i}"] = kaggle_runs(m, "C")
        arrays[f"cols_{i}"] = kaggle_runs(m, "F")
    arrays["count"] = np.array(len(cases), np.int64)
    np.savez_compressed(os.path.join(OUT, "rle_cases.npz"), **arrays)


def image_score(gts, preds):
    if not gts and not preds:
        return 1.0
    if not gts or not preds:
        return 0.0
    inter = np.array([[int(np.logical_and(g, p).sum()) for p in preds] for g in gts], np.int64)
    union = np.array([[int(np.logical_or(g, p).sum()) for p in preds] for g in gts], np.int64)
    pairs = [(g, p) for g in range(len(gts)) for p in range(len(preds)) if 2 * inter[g, p] > union[g, p]]
    from fractions import Fraction
    pairs.sort(key=lambda gp: (-Fraction(int(inter[gp]), int(union[gp])), gp[0], gp[1]))
    total = 0.0
    for k in range(10, 20):                                        # threshold k / 20
        used_g, used_p, tp = set(), set(), 0
        for g, p in pairs:
            if 20 * inter[g, p] > k * union[g, p] and g not in used_g and p not in used_p:
                used_g.add(g); used_p.add(p); tp += 1
        fp, fn = len(preds) - tp, len(gts) - tp
        total += tp / (tp + fp + fn)
    return total / 10


def metric_case(rng):
    h, w = 48, 64
    train, sub, scores = ["id,annotation,width,height,cell_type"], ["id,predicted"], []
    for img in range(8):
        iid = f"img{img:02d}"
        gts, preds = [], []
        n = int(rng.integers(0, 7)) if img != 0 else 0
        for _ in range(n):
            gts.append(ellipse(h, w, rng.uniform(4, h - 4), rng.uniform(4, w - 4), rng.uniform(2, 8), rng.uniform(2, 8)))
        for g in gts:
            r = rng.random()
            if r < 0.15:
                continue                                           # missed
            p = g.copy()
            if r < 0.55:                                           # shifted by a pixel or two
                p = np.roll(p, (int(rng.integers(-2, 3)), int(rng.integers(-2, 3))), axis=(0, 1))
            elif r < 0.8:                                          # noisy boundary
                p = p ^ ((rng.random((h, w)) < 0.08) & (p | np.roll(p, 1, axis=1))).astype(np.uint8)
            if p.sum() > 0:
                preds.append(p)
            if rng.random() < 0.15 and p.sum() > 0:
                preds.append(p.copy())                             # duplicate: one false positive
        for _ in range(int(rng.integers(0, 2))):                   # stray false positives
            preds.append(ellipse(h, w, rng.uniform(0, h), rng.uniform(0, w), 2, 3))
        if img == 0:
            preds = []                                             # image 0: no ground truth, no prediction
        if img == 1:                                               # exact 0.75: 15 of 20 pixels
            g = np.zeros((h, w), np.uint8); g[10, 10:30] = 1
            p = np.zeros((h, w), np.uint8); p[10, 10:25] = 1
            gts, preds = [g], [p]
        if not gts:
            train.append(f"{iid},,{w},{h},shsy5y")
        for g in gts:
            train.append(f"{iid},{rle_string(g, 'C')},{w},{h},shsy5y")
        if not preds:
            sub.append(f"{iid},")
        order = rng.permutation(len(preds))
        for i in order:
            sub.append(f"{iid},{rle_string(preds[i], 'C')}")
        scores.append(image_score(gts, [preds[i] for i in order]))
    with open(os.path.join(OUT, "metric_train.csv"), "w") as f:
        f.write("\n".join(train) + "\n")
    with open(os.path.join(OUT, "metric_submission.csv"), "w") as f:
        f.write("\n".join(sub) + "\n")
    np.savez_compressed(os.path.join(OUT, "metric_scores.npz"), scores=np.array(scores, np.float64))
    print("scores", scores)


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20261122)
    rle_cases(rng)
    metric_case(rng)
    print("wrote", os.path.abspath(OUT))
