"""DSB2018 stage-1 training data (../shared/data/dsb2018-stage1-train): the held-out split and seeded crops.

The held-out split is fixed by `held_out_ids(coco, seed)`: images are grouped by (height, width, kind), where kind
is `fluo` (grey and dark: fluorescence) or `bright` (colour or light background: brightfield / histology), and from
each group round(10 %) images (at least one from a group of five or more) are drawn with a seeded generator.
`python3 -m tools.train.dsb split` writes the ids to samples/dsb2018-val/image_ids.txt and the held-out images
with their ground truth next to it (images/ byte for byte, annotations.json: the COCO subset with the original image
and annotation ids, labels.csv: the Kaggle rows of those images in the original order).

Training images are scaled by the model's test rule (shortest side to MIN_SIZE_TEST, longer side at most
MAX_SIZE_TEST: detectron2's ResizeShortestEdge, PIL bilinear), times a random jitter, then cropped.
A sample is (image uint8 [S, S, 3] in BGR order, boxes float32 [G, 4], classes int64 [G], masks bool [G, S, S]).
"""
import argparse
import csv
import json
import os
import shutil
import sys

import numpy as np
from PIL import Image

from tools.synthcells.formats import coco_rle_decode

from .data import instance_targets, random_flips

DEFAULT_ROOT = "../shared/data/dsb2018-stage1-train"
SPLIT_FILE = "samples/dsb2018-val/image_ids.txt"


def load_rgb(path):
    """The image's RGB channels (alpha dropped, grey expanded), uint8 [H, W, 3]."""
    return np.asarray(Image.open(path).convert("RGB"))


def image_kind(rgb):
    spread = np.abs(rgb.astype(np.int16) - rgb.mean(axis=2, keepdims=True)).mean()
    return "fluo" if spread < 2.0 and rgb.mean() < 100 else "bright"


def held_out_ids(root, seed=2018, fraction=0.1):
    with open(os.path.join(root, "annotations.json")) as f:
        coco = json.load(f)
    groups = {}
    for im in sorted(coco["images"], key=lambda i: i["file_name"]):
        kind = image_kind(load_rgb(os.path.join(root, "images", im["file_name"])))
        groups.setdefault((im["height"], im["width"], kind), []).append(im["file_name"][:-4])
    rng = np.random.default_rng(seed)
    held = []
    for key in sorted(groups):
        names = groups[key]
        n = int(round(fraction * len(names)))
        if n == 0 and len(names) >= 5:
            n = 1
        held += [names[i] for i in sorted(rng.choice(len(names), size=n, replace=False))]
    return sorted(held), {f"{h}x{w}-{k}": len(v) for (h, w, k), v in sorted(groups.items())}


def read_split(path=SPLIT_FILE):
    with open(path) as f:
        return {line.strip() for line in f if line.strip() and not line.startswith("#")}


def test_scale(h, w, min_size, max_size):
    """detectron2 ResizeShortestEdge.get_output_shape's scale (before its rounding)."""
    scale = min_size / min(h, w)
    if max(h, w) * scale > max_size:
        scale = max_size / max(h, w)
    return scale


class Dsb2018:
    """The training images (every image not in the held-out split) with their instance label maps, in memory."""

    def __init__(self, root, held_out, min_size, max_size, scale_jitter=(0.8, 1.25)):
        with open(os.path.join(root, "annotations.json")) as f:
            coco = json.load(f)
        by_image = {}
        for a in coco["annotations"]:
            by_image.setdefault(a["image_id"], []).append(a)
        self.images, self.labels, self.names = [], [], []
        self.min_size, self.max_size, self.scale_jitter = min_size, max_size, scale_jitter
        for im in sorted(coco["images"], key=lambda i: i["file_name"]):
            name = im["file_name"][:-4]
            if name in held_out:
                continue
            rgb = load_rgb(os.path.join(root, "images", im["file_name"]))
            lab = np.zeros(rgb.shape[:2], dtype=np.int16)
            for k, a in enumerate(by_image.get(im["id"], [])):
                lab[coco_rle_decode(a["segmentation"])] = k + 1
            self.images.append(rgb)
            self.labels.append(lab)
            self.names.append(name)
        self.classes = np.zeros(1, dtype=np.int64)  # one class, nucleus

    def __len__(self):
        return len(self.images)

    def random_crop(self, rng, size):
        """One augmented crop: random image at its test scale times a jitter, window, flips, transpose,
        brightness/contrast jitter per channel."""
        i = int(rng.integers(len(self.images)))
        rgb, lab = self.images[i], self.labels[i]
        h, w = lab.shape
        scale = test_scale(h, w, self.min_size, self.max_size) * rng.uniform(*self.scale_jitter)
        nh, nw = max(size, int(h * scale + 0.5)), max(size, int(w * scale + 0.5))
        img = np.asarray(Image.fromarray(rgb).resize((nw, nh), Image.BILINEAR))
        ys = np.minimum(((np.arange(nh) + 0.5) * h / nh).astype(np.int64), h - 1)
        xs = np.minimum(((np.arange(nw) + 0.5) * w / nw).astype(np.int64), w - 1)
        y0, x0 = int(rng.integers(0, nh - size + 1)), int(rng.integers(0, nw - size + 1))
        img = img[y0:y0 + size, x0:x0 + size, ::-1]  # BGR, as the package's input format
        lab = lab[ys[y0:y0 + size, None], xs[None, x0:x0 + size]]
        img, lab = random_flips(rng, img, lab)
        gain, bias = rng.uniform(0.8, 1.2), rng.uniform(-15, 15)
        img = np.clip(np.rint(img.astype(np.float32) * gain + bias), 0, 255).astype(np.uint8)
        ids, boxes, masks = instance_targets(lab)
        return np.ascontiguousarray(img), boxes, np.zeros(len(ids), dtype=np.int64), masks


def write_held_out(root, held, out_dir):
    with open(os.path.join(root, "annotations.json")) as f:
        coco = json.load(f)
    images = [im for im in coco["images"] if im["file_name"][:-4] in held]
    ids = {im["id"] for im in images}
    subset = dict(coco, images=images, annotations=[a for a in coco["annotations"] if a["image_id"] in ids])
    os.makedirs(os.path.join(out_dir, "images"), exist_ok=True)
    for im in images:
        shutil.copyfile(os.path.join(root, "images", im["file_name"]), os.path.join(out_dir, "images", im["file_name"]))
    with open(os.path.join(out_dir, "annotations.json"), "w") as f:
        json.dump(subset, f, separators=(",", ":"))
    with open(os.path.join(root, "labels.csv"), newline="") as f, \
            open(os.path.join(out_dir, "labels.csv"), "w", newline="") as g:
        rows = csv.reader(f)
        out = csv.writer(g, lineterminator="\n")
        out.writerow(next(rows))
        out.writerows(r for r in rows if r[0] in held)


def main(argv=None):
    p = argparse.ArgumentParser(prog="python3 -m tools.train.dsb")
    p.add_argument("command", choices=["split", "probe"],
                   help="split: the held-out split; probe: 60 seeded TRAINING images with their ground truth (to choose "
                        "test-time settings such as the score threshold without looking at the held-out split)")
    p.add_argument("--root", default=DEFAULT_ROOT)
    p.add_argument("--out", default=SPLIT_FILE)
    p.add_argument("--seed", type=int, default=2018)
    args = p.parse_args(argv)
    if args.command == "probe":
        held = read_split(args.out)
        with open(os.path.join(args.root, "annotations.json")) as f:
            names = sorted(im["file_name"][:-4] for im in json.load(f)["images"])
        train = [n for n in names if n not in held]
        rng = np.random.default_rng(args.seed + 1)
        probe = sorted(train[i] for i in rng.choice(len(train), size=60, replace=False))
        write_held_out(args.root, set(probe), "target/dsb2018-train-probe")
        print(f"{len(probe)} training images -> target/dsb2018-train-probe")
        return 0
    held, groups = held_out_ids(args.root, args.seed)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        f.write(f"# DSB2018 stage-1 held-out split: python3 -m tools.train.dsb split --seed {args.seed}\n")
        f.write("# groups (height x width - kind: images): " + json.dumps(groups) + "\n")
        f.write("\n".join(held) + "\n")
    write_held_out(args.root, set(held), os.path.dirname(args.out))
    print(f"{len(held)} held-out images -> {args.out}; groups {groups}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
