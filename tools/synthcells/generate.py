"""Writes a synthetic cells data set: PNG images, COCO JSON and a Kaggle-style train.csv per split.

  /usr/bin/python3 -m tools.synthcells.generate --out target/synthcells [--train 150] [--val 24] [--seed 0]

Layout: OUT/<split>/images/<id>.png, OUT/<split>/annotations.json (COCO, compressed RLE, `area` = mask area,
`bbox` = tight box of the mask), OUT/<split>/train.csv (`id,annotation,width,height,cell_type`, one row per
cell, row-major 1-indexed RLE). Image i of a split uses its own Generator seeded with (seed, split, i), so
any image can be regenerated alone and the splits never share an image. Cell types cycle
shsy5y, astro, cort over the images; each image has cells of one type only (as in Sartorius).
"""
import argparse
import json
import os
import sys
import time

import numpy as np
from PIL import Image

from . import formats
from .render import CLASSES, HEIGHT, WIDTH, render_image

SPLITS = {"train": 0, "val": 1}


def image_id(split, index):
    return f"synth-{split}-{index:04d}"


def generate_image(seed, split, index):
    """(id, cell type, uint8 image [H, W], masks) of image `index` of `split`."""
    rng = np.random.default_rng([seed, SPLITS[split], index])
    cell_type = CLASSES[index % len(CLASSES)]
    img, masks = render_image(rng, cell_type)
    return image_id(split, index), cell_type, img, masks


def write_split(out_dir, split, count, seed, log=sys.stderr):
    images_dir = os.path.join(out_dir, split, "images")
    os.makedirs(images_dir, exist_ok=True)
    coco = {"info": {"description": f"maskrt synthetic cells, split {split}, seed {seed}"},
            "images": [], "annotations": [],
            "categories": [{"id": i + 1, "name": n, "supercategory": "cell"} for i, n in enumerate(CLASSES)]}
    rows = ["id,annotation,width,height,cell_type"]
    ann_id = 1
    start = time.time()
    for index in range(count):
        iid, cell_type, img, masks = generate_image(seed, split, index)
        Image.fromarray(img).save(os.path.join(images_dir, iid + ".png"), optimize=False)
        coco["images"].append({"id": index + 1, "file_name": iid + ".png", "width": WIDTH, "height": HEIGHT})
        for m in masks:
            coco["annotations"].append({
                "id": ann_id, "image_id": index + 1, "category_id": CLASSES.index(cell_type) + 1,
                "segmentation": {"size": [HEIGHT, WIDTH], "counts": formats.coco_rle_string(formats.coco_counts(m))},
                "area": int(m.sum()), "bbox": formats.bbox_xywh(m), "iscrowd": 0})
            ann_id += 1
            rows.append(f"{iid},{formats.kaggle_rle(m)},{WIDTH},{HEIGHT},{cell_type}")
    with open(os.path.join(out_dir, split, "annotations.json"), "w") as f:
        json.dump(coco, f, separators=(",", ":"))
    with open(os.path.join(out_dir, split, "train.csv"), "w") as f:
        f.write("\n".join(rows) + "\n")
    print(f"{split}: {count} images, {ann_id - 1} cells in {time.time() - start:.1f} s -> {out_dir}/{split}",
          file=log)


def main(argv=None):
    p = argparse.ArgumentParser(prog="python3 -m tools.synthcells.generate")
    p.add_argument("--out", default="target/synthcells")
    p.add_argument("--train", type=int, default=150, help="number of training images")
    p.add_argument("--val", type=int, default=24, help="number of validation images")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    if args.train < 0 or args.val < 0:
        p.error("--train and --val must be >= 0")
    for split, count in (("train", args.train), ("val", args.val)):
        if count:
            write_split(args.out, split, count, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
