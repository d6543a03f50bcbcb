"""Training data: the synthcells train split as per-image label maps, served as seeded random crops.

A sample is (image uint8 [S, S], boxes float32 [G, 4] (x0, y0, x1, y1), classes int64 [G], masks bool [G, S, S]).
Boxes are the tight boxes of each instance's visible pixels inside the crop, x1/y1 exclusive (pixel edges), as
detectron2 derives boxes from masks (BitMasks.get_bounding_boxes).
"""
import json
import os

import numpy as np
from PIL import Image

from tools.synthcells.formats import coco_rle_decode

MIN_CROP_AREA = 10  # instance pixels that must stay inside a crop for it to be a target


class SynthCells:
    """The train split of a synthcells data set (tools/synthcells/generate.py) held in memory."""

    def __init__(self, root, split="train"):
        with open(os.path.join(root, split, "annotations.json")) as f:
            coco = json.load(f)
        by_image = {}
        for a in coco["annotations"]:
            by_image.setdefault(a["image_id"], []).append(a)
        self.images, self.labels, self.classes = [], [], []
        for im in coco["images"]:
            img = np.asarray(Image.open(os.path.join(root, split, "images", im["file_name"])))
            lab = np.zeros(img.shape, dtype=np.int16)
            cls = [-1]
            for k, a in enumerate(by_image.get(im["id"], [])):
                lab[coco_rle_decode(a["segmentation"])] = k + 1
                cls.append(a["category_id"] - 1)
            self.images.append(img)
            self.labels.append(lab)
            self.classes.append(np.asarray(cls, dtype=np.int64))

    def __len__(self):
        return len(self.images)

    def random_crop(self, rng, size):
        """One augmented crop: random image, window, flips, transpose, brightness/contrast jitter."""
        i = int(rng.integers(len(self.images)))
        img, lab, cls = self.images[i], self.labels[i], self.classes[i]
        h, w = img.shape
        y0, x0 = int(rng.integers(0, h - size + 1)), int(rng.integers(0, w - size + 1))
        img = img[y0:y0 + size, x0:x0 + size]
        lab = lab[y0:y0 + size, x0:x0 + size]
        img, lab = random_flips(rng, img, lab)
        gain, bias = rng.uniform(0.85, 1.15), rng.uniform(-12, 12)
        img = np.clip(np.rint((img.astype(np.float32) - 128) * gain + 128 + bias), 0, 255).astype(np.uint8)
        ids, boxes, masks = instance_targets(lab)
        return np.ascontiguousarray(img), boxes, cls[ids], masks


def random_flips(rng, img, lab):
    """Horizontal flip, vertical flip, transposition, each with probability 1/2 (three draws, in this order)."""
    if rng.random() < 0.5:
        img, lab = img[:, ::-1], lab[:, ::-1]
    if rng.random() < 0.5:
        img, lab = img[::-1], lab[::-1]
    if rng.random() < 0.5:
        img, lab = np.swapaxes(img, 0, 1), lab.T
    return img, lab


def instance_targets(lab):
    """(label ids, boxes float32 [G, 4], masks bool [G, S, S]) of the instances of a label map with at least
    MIN_CROP_AREA pixels; boxes are tight, x1/y1 exclusive."""
    ids, areas = np.unique(lab[lab > 0], return_counts=True)
    ids = ids[areas >= MIN_CROP_AREA]
    masks = np.stack([lab == k for k in ids]) if len(ids) else np.zeros((0,) + lab.shape, dtype=bool)
    boxes = np.zeros((len(ids), 4), dtype=np.float32)
    for j, m in enumerate(masks):
        ys, xs = np.flatnonzero(m.any(axis=1)), np.flatnonzero(m.any(axis=0))
        boxes[j] = (xs[0], ys[0], xs[-1] + 1, ys[-1] + 1)
    return ids, boxes, masks
