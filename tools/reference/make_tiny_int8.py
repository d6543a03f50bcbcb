#!/usr/bin/env python3
"""Makes the committed tiny int8 test package and its ONNX Runtime goldens:

  maskrt/src/test/resources/models/tiny-int8/                 the tiny package (same fp32 graphs, copied: git stores them
                                                       once) plus its int8 graph set made by tools/quantize,
                                                       calibrated on the two shared real images (../shared/data/images)
  maskrt/src/test/resources/models/tiny-int8/golden/int8.npz  seeded inputs of every int8 graph and the outputs ONNX
                                                       Runtime's Python build gives for them (`<graph>.<tensor>`)

Run from the project root with the python3 that has onnxruntime (tools/README.md):
    python3 tools/reference/make_tiny_int8.py
"""
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import onnxruntime

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TINY = os.path.join(ROOT, "maskrt/src/test/resources/models/tiny")
OUT = os.path.join(ROOT, "maskrt/src/test/resources/models/tiny-int8")


def main():
    if os.path.exists(OUT):
        shutil.rmtree(OUT)
    # calibration: the four images of the tiny package's reference (the two shared real ones, the two synthetic)
    with tempfile.TemporaryDirectory() as calib:
        for src in glob.glob(os.path.join(ROOT, "..", "shared", "data", "images", "*")) + \
                glob.glob(os.path.join(TINY, "reference", "images", "*.png")):
            shutil.copy(src, calib)
        subprocess.run([sys.executable, "-m", "tools.quantize", "--model", TINY, "--calibration-images", calib,
                        "--count", "0", "--out", OUT], cwd=ROOT, check=True)
    shutil.rmtree(os.path.join(OUT, "reference"))  # the fp32 reference outputs stay with the tiny package
    with open(os.path.join(OUT, "manifest.json")) as f:
        manifest = json.load(f)
    c = manifest["graphs"]["box_heads"][0]["inputs"]["features"]["shape"][1]
    rng = np.random.default_rng(13)
    inputs = {"backbone": rng.normal(0, 40, (1, 3, 64, 96)).astype(np.float32)}
    sets = manifest["graph_sets"]["int8"]
    graphs = [("backbone", sets["backbone"]["file"], inputs["backbone"])]
    for k, g in enumerate(sets["box_heads"]):
        graphs.append((f"box_head_{k}", g["file"], np.abs(rng.normal(0, 1, (8, c, 7, 7))).astype(np.float32)))
    graphs.append(("mask_head", sets["mask_head"]["file"], np.abs(rng.normal(0, 1, (3, c, 14, 14))).astype(np.float32)))
    arrays = {}
    for name, fname, x in graphs:
        session = onnxruntime.InferenceSession(os.path.join(OUT, fname), providers=["CPUExecutionProvider"])
        input_name = session.get_inputs()[0].name
        arrays[f"{name}.{input_name}"] = x
        for out, value in zip(session.get_outputs(), session.run(None, {input_name: x})):
            arrays[f"{name}.{out.name}"] = value
    os.makedirs(os.path.join(OUT, "golden"))
    np.savez_compressed(os.path.join(OUT, "golden", "int8.npz"), **arrays)
    with open(os.path.join(OUT, "golden", "README.md"), "w") as f:
        f.write(f"`int8.npz`: seeded inputs of each int8 graph of this package and the outputs of ONNX Runtime "
                f"{onnxruntime.__version__} (Python, CPU) for them; keys `<graph>.<tensor>`, graph = backbone, "
                f"box_head_K, mask_head. Made by tools/reference/make_tiny_int8.py.\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
