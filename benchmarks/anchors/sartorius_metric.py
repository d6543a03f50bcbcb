#!/usr/bin/python3
"""Anchor for SartoriusMetricBenchmark: the Sartorius / DSB 2018 metric as public Kaggle kernels compute it in numpy
(decode each RLE into a label image, IoU matrix from a joint bincount, `iou > t` matching per threshold).

Writes benchmarks/target/inputs/<workload>.npz with `train_csv` and `submission_csv` (the files' UTF-8 bytes as
uint8), then times reading + scoring those files and prints one JSON line per workload (with the score, which the
Java benchmark's result must equal). Run from benchmarks/: /usr/bin/python3 anchors/sartorius_metric.py
"""
import io, os
import numpy as np

from _timing import emit, median_ms, use_two_threads

use_two_threads()

H, W = 520, 704
WORKLOADS = {"sartorius_100img_150cells": (100, 150)}


def rle(mask):
    flat = np.concatenate([[0], mask.ravel(), [0]])
    runs = np.where(flat[1:] != flat[:-1])[0] + 1
    runs[1::2] -= runs[::2]
    return " ".join(map(str, runs))


def make(images, cells, rng):
    yy, xx = np.mgrid[0:H, 0:W]
    train, sub = ["id,annotation,width,height,cell_type"], ["id,predicted"]
    for i in range(images):
        iid = f"{i:012x}"
        taken = np.zeros((H, W), bool)
        gts = []
        for _ in range(cells):
            cy, cx = rng.uniform(0, H), rng.uniform(0, W)
            ry, rx = rng.uniform(4, 14), rng.uniform(4, 14)
            y0, y1, x0, x1 = int(max(0, cy - ry)), int(min(H, cy + ry + 1)), int(max(0, cx - rx)), int(min(W, cx + rx + 1))
            m = np.zeros((H, W), bool)
            m[y0:y1, x0:x1] = ((yy[y0:y1, x0:x1] - cy) / ry) ** 2 + ((xx[y0:y1, x0:x1] - cx) / rx) ** 2 <= 1
            m &= ~taken
            if m.sum() < 10:
                continue
            taken |= m
            gts.append(m)
            train.append(f"{iid},{rle(m.astype(np.uint8))},{W},{H},shsy5y")
        ptaken = np.zeros((H, W), bool)
        for g in gts:
            if rng.random() < 0.1:
                continue                                         # missed
            p = np.roll(g, (int(rng.integers(-2, 3)), int(rng.integers(-2, 3))), axis=(0, 1)) & ~ptaken
            if p.sum() == 0:
                continue
            ptaken |= p
            sub.append(f"{iid},{rle(p.astype(np.uint8))}")
    return ("\n".join(train) + "\n").encode(), ("\n".join(sub) + "\n").encode()


def decode_labels(rles, h, w):
    label = np.zeros(h * w, np.int32)
    for k, r in enumerate(rles, start=1):
        s = np.asarray(r.split(), dtype=np.int64)
        for start, length in zip(s[0::2] - 1, s[1::2]):
            label[start:start + length] = k
    return label


def score(train_bytes, sub_bytes):
    gt, sizes, pr = {}, {}, {}
    for line in io.StringIO(train_bytes.decode()).read().splitlines()[1:]:
        f = line.split(",")
        gt.setdefault(f[0], []).append(f[1])
        sizes[f[0]] = (int(f[3]), int(f[2]))
    for line in io.StringIO(sub_bytes.decode()).read().splitlines()[1:]:
        f = line.split(",")
        pr.setdefault(f[0], [])
        if f[1]:
            pr[f[0]].append(f[1])
    per_image = []
    for iid, rles in gt.items():
        h, w = sizes[iid]
        lt, lp = decode_labels(rles, h, w), decode_labels(pr.get(iid, []), h, w)
        nt, np_ = len(rles) + 1, len(pr.get(iid, [])) + 1
        inter = np.bincount(lt * np_ + lp, minlength=nt * np_).reshape(nt, np_)
        at, ap = inter.sum(axis=1), inter.sum(axis=0)
        inter, union = inter[1:, 1:], (at[1:, None] + ap[None, 1:] - inter[1:, 1:])
        iou = inter / np.maximum(union, 1)
        prec = []
        for t in np.arange(0.5, 1.0, 0.05):
            matches = iou > t
            tp = np.sum(np.sum(matches, axis=1) == 1)
            fp = np.sum(np.sum(matches, axis=0) == 0)
            fn = np.sum(np.sum(matches, axis=1) == 0)
            prec.append(tp / (tp + fp + fn))
        per_image.append(np.mean(prec))
    return float(np.mean(per_image))


def main():
    os.makedirs("target/inputs", exist_ok=True)
    for name, (images, cells) in WORKLOADS.items():
        rng = np.random.default_rng(12345)
        train, sub = make(images, cells, rng)
        np.savez(f"target/inputs/{name}.npz", train_csv=np.frombuffer(train, np.uint8),
                 submission_csv=np.frombuffer(sub, np.uint8))
        ms = median_ms(lambda: score(train, sub), warmup=1, runs=3)
        emit(name, "numpy Kaggle-kernel metric (label images + bincount)", ms, score=score(train, sub))


if __name__ == "__main__":
    main()
