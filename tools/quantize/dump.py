"""Calibration inputs for the int8 graphs, taken from maskrt's reference pipeline (torch, Debian's Python).

    /usr/bin/python3 -m tools.quantize.dump --package PKG --images IMG... --out DIR [--max-rois N] [--seed S]

For each image, the reference pipeline (`tools/maskrt_export/pipeline.run_image`: the pre-processing, proposals,
RoIAlign and cascade rules maskrt's Java pipeline follows, on the package's fp32 weights) runs once, and the input
each graph is given is kept: `backbone.image` [1, 3, h, w] (resized, normalised, padded), `box_head_K.features`
[R, C, 7, 7] (the RoI features of cascade stage K: pooled from the fp32 FPN features on the proposals, then on the
previous stage's boxes) and `mask_head.features` [D, C, 14, 14] (pooled on the final detections). At most
`--max-rois` rows per image and head are kept, drawn without replacement with a seeded generator. One
`calib_NNNN.npz` per image in DIR, and DIR/index.json. `python3 -m tools.quantize` runs this itself.
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

from ..maskrt_export import package, pipeline
from ..maskrt_export.__main__ import read_image


class _InputRecorder:
    """Wraps the reference model and keeps each graph's input (float32 numpy)."""

    def __init__(self, model):
        self.model = model
        self.arrays = {}

    def run_backbone(self, images):
        self.arrays["backbone.image"] = images.detach().numpy().astype(np.float32)
        return self.model.run_backbone(images)

    def run_box_stage(self, k, pooled):
        self.arrays[f"box_head_{k}.features"] = pooled.detach().numpy().astype(np.float32)
        return self.model.run_box_stage(k, pooled)

    def run_mask_head(self, pooled):
        self.arrays["mask_head.features"] = pooled.detach().numpy().astype(np.float32)
        return self.model.run_mask_head(pooled)


def main(argv=None):
    p = argparse.ArgumentParser(prog="python3 -m tools.quantize.dump")
    p.add_argument("--package", required=True)
    p.add_argument("--images", nargs="+", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--max-rois", type=int, default=256)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    model, settings, _ = package.load_package(args.package)
    rng = np.random.default_rng(args.seed)
    os.makedirs(args.out, exist_ok=True)
    index = []
    for i, path in enumerate(args.images):
        rec = _InputRecorder(model)
        result = pipeline.run_image(rec, settings, read_image(path))
        arrays = {}
        for key, value in rec.arrays.items():
            if key != "backbone.image" and value.shape[0] > args.max_rois:
                value = value[np.sort(rng.choice(value.shape[0], args.max_rois, replace=False))]
            if value.shape[0] > 0:
                arrays[key] = value
        name = f"calib_{i:04d}.npz"
        np.savez(os.path.join(args.out, name), **arrays)
        index.append({"file": name, "image": path, "detections": int(len(result["scores"])),
                      "rows": {k: int(v.shape[0]) for k, v in arrays.items()}})
        print(f"calibration {i + 1}/{len(args.images)}: {os.path.basename(path)} "
              f"{tuple(arrays['backbone.image'].shape[2:])}, {len(result['scores'])} detections", file=sys.stderr)
    with open(os.path.join(args.out, "index.json"), "w") as f:
        json.dump({"package": args.package, "max_rois": args.max_rois, "seed": args.seed, "images": index}, f,
                  indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
