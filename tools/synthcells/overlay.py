"""Draws reference-pipeline detections over their images (PNG): each mask tinted in its own colour with a
brighter outline, for the docs. The Java side has its own renderer (output.OverlayRenderer); this one only
exists so that the model's README can show what the PyTorch reference sees.

  /usr/bin/python3 -m tools.synthcells.overlay --pred target/val-ref.npz --out-dir docs/images [--max-side 704]
"""
import argparse
import colorsys
import os
import sys

import numpy as np
from PIL import Image

from .evaluate import load_predictions


def colours(n):
    return [tuple(int(255 * c) for c in colorsys.hsv_to_rgb((i * 0.61803) % 1.0, 0.85, 1.0)) for i in range(n)]


def draw(image_path, pred, alpha=0.45):
    img = np.asarray(Image.open(image_path).convert("RGB")).astype(np.float32)
    for m, c in zip(pred["masks"], colours(len(pred["masks"]))):
        c = np.asarray(c, dtype=np.float32)
        img[m] = (1 - alpha) * img[m] + alpha * c
        edge = m & ~(np.roll(m, 1, 0) & np.roll(m, -1, 0) & np.roll(m, 1, 1) & np.roll(m, -1, 1))
        img[edge] = c
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))


def main(argv=None):
    p = argparse.ArgumentParser(prog="python3 -m tools.synthcells.overlay")
    p.add_argument("--pred", required=True, help=".npz of python3 -m tools.maskrt_export reference")
    p.add_argument("--out-dir", required=True)
    p.add_argument("--max-side", type=int, default=704, help="downscale larger overlays to this long side")
    args = p.parse_args(argv)
    import json
    with open(os.path.splitext(args.pred)[0] + ".json") as f:
        paths = {os.path.basename(e["image"]): e["image"] for e in json.load(f)["images"]}
    os.makedirs(args.out_dir, exist_ok=True)
    for name, pred in load_predictions(args.pred).items():
        im = draw(paths[name], pred)
        scale = args.max_side / max(im.size)
        if scale < 1:
            im = im.resize((round(im.size[0] * scale), round(im.size[1] * scale)), Image.BILINEAR)
        out = os.path.join(args.out_dir, os.path.splitext(name)[0] + "-overlay.png")
        im.save(out, optimize=True)
        print(f"{out}: {len(pred['scores'])} instances", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
